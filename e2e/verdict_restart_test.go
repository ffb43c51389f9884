//go:build linux

package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/carbontest"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestPushWaitIgnoresHistoryAfterRestart: with an old "Successfully
// Deployed" line for a C-App in Carbon's log, new bytes are pushed while
// Carbon is slow and both daemons restart during the wait. The restarted
// readers read the old line again from the log's start; it was written
// before the new bytes landed, so `capp push --wait` must go on waiting
// until Carbon deploys the new bytes.
func TestPushWaitIgnoresHistoryAfterRestart(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	require.NoError(t, os.MkdirAll(m.Dir+"/carbonapps", 0o755))
	cm := newStandIn(t, m, carbontest.LayoutEI61)
	cw := newStandIn(t, w, carbontest.LayoutEI64)
	w.Start(t)
	m.Start(t)
	daemontest.Eventually(t, 10*time.Second, "the manager's status to show its peer up", func() bool { return peersUp(m) })

	src := t.TempDir()
	old := testcapp.Write(t, src, "Good_1.0.0.car", "Good", "1.0.0")
	_, out, code, _ := push(t, bin, m, old)
	require.Equal(t, 0, code, out)

	// Carbon is slow; new bytes land on both nodes.
	cm.pause()
	cw.pause()
	good := testcapp.Write(t, src, "Good_1.0.0.car", "Good", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("build 2")}))
	want, err := os.ReadFile(good)
	require.NoError(t, err)
	done := pushAsync(t, bin, m, good)
	daemontest.Eventually(t, 30*time.Second, "both nodes to hold the new bytes", func() bool {
		return hasFile(m, "Good_1.0.0.car", want)() && hasFile(w, "Good_1.0.0.car", want)()
	})

	// Both daemons restart: their readers read the old line again.
	for _, n := range []*daemontest.Node{w, m} {
		require.Equal(t, 0, n.Stop(t))
		n.Start(t)
	}
	for _, n := range []*daemontest.Node{w, m} {
		daemontest.Eventually(t, 10*time.Second, n.Name+" to read the old verdict again", func() bool {
			var l []struct {
				File   string `json:"file"`
				Carbon *struct {
					State string `json:"state"`
				} `json:"carbon"`
			}
			_, err := n.Get("/v1/capps", &l)
			for _, e := range l {
				if err == nil && e.File == "Good_1.0.0.car" && e.Carbon != nil && e.Carbon.State == "deployed" {
					return true
				}
			}
			return false
		})
	}
	// Several rounds of the wait (every 500ms) see the re-read line.
	select {
	case code := <-done:
		t.Fatalf("capp push --wait ended (exit %d) on a verdict re-read from the log's history", code)
	case <-time.After(3 * time.Second):
	}

	cm.paused.Store(false)
	cw.paused.Store(false)
	select {
	case code := <-done:
		require.Equal(t, 0, code)
	case <-time.After(60 * time.Second):
		t.Fatal("capp push --wait did not end after Carbon deployed the new bytes")
	}
	for _, c := range []*standIn{cm, cw} {
		require.Equal(t, 2, strings.Count(c.log(t), "Successfully Deployed Carbon Application : Good_1.0.0 {super-tenant}"))
	}
}
