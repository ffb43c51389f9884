//go:build linux

package e2e

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

// metric reads one unlabelled metric from n's /metrics, or -1.
func metric(n *daemontest.Node, name string) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.URL+"/metrics", nil)
	if err != nil {
		return -1
	}
	req.Header.Set("Authorization", "Bearer "+daemontest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func carsIn(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if !errors.Is(err, fs.ErrNotExist) { // no folder: no C-App
		require.NoError(t, err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".car") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestDirectModeHoldsVanishedCarbonapps: in direct mode, the manager's
// carbonapps moved away takes no C-App off the worker (the manager holds
// the deletion and counts it in depsync_deletions_held, and does not make
// up an empty carbonapps); moved back, the hold clears with nothing
// deleted; one C-App deleted on the manager still reaches the worker
// within seconds.
func TestDirectModeHoldsVanishedCarbonapps(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for _, n := range []string{"One", "Two", "Three"} {
		testcapp.Write(t, apps, n+"_1.0.0.car", n, "1.0.0")
	}
	w.Start(t)
	m.Start(t)
	assert.Equal(t, "direct", mode(t, m))
	wApps := filepath.Join(w.Dir, "carbonapps")
	daemontest.Eventually(t, 30*time.Second, "the worker to hold the three C-Apps", converged(t, m, w))

	elsewhere := filepath.Join(m.Home, "carbonapps.elsewhere")
	require.NoError(t, os.Rename(apps, elsewhere))
	daemontest.Eventually(t, 15*time.Second, "the manager to hold the deletion of three C-Apps", func() bool {
		return metric(m, "depsync_deletions_held") == 3
	})
	for end := time.Now().Add(holdWindow(t)); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		require.Len(t, carsIn(t, wApps), 3, "the worker lost a C-App while the manager's carbonapps was away")
		_, err := os.Stat(apps)
		require.True(t, os.IsNotExist(err), "the manager made up an empty carbonapps")
	}
	assert.Contains(t, m.Logs(), "deletion held")

	require.NoError(t, os.Rename(elsewhere, apps))
	daemontest.Eventually(t, 15*time.Second, "the hold to clear", func() bool {
		return metric(m, "depsync_deletions_held") == 0
	})
	assert.Len(t, carsIn(t, wApps), 3, "nothing deleted")
	daemontest.Eventually(t, 10*time.Second, "in step", converged(t, m, w))

	start := time.Now()
	require.NoError(t, os.Remove(filepath.Join(apps, "Two_1.0.0.car")))
	daemontest.Eventually(t, 10*time.Second, "one deletion to reach the worker", func() bool { return len(carsIn(t, wApps)) == 2 })
	t.Logf("one deletion reached the worker in %s", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, 0.0, metric(m, "depsync_deletions_held"))

	// A C-App the worker lost comes back within seconds.
	require.NoError(t, os.Remove(filepath.Join(wApps, "One_1.0.0.car")))
	daemontest.Eventually(t, 10*time.Second, "the worker to get back the C-App it lost", converged(t, m, w))
}
