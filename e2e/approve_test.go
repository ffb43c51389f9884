//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

// approvalStatus is what /v1/status says of holds and approvals.
type approvalStatus struct {
	HeldDeletions []struct {
		Scope  string `json:"scope"`
		Reason string `json:"reason"`
		Count  int    `json:"count"`
		Digest string `json:"digest"`
	} `json:"held_deletions"`
	PendingApprovals []struct {
		Scope  string `json:"scope"`
		Count  int    `json:"count"`
		Digest string `json:"digest"`
	} `json:"pending_approvals"`
}

func approvals(t *testing.T, n *daemontest.Node) approvalStatus {
	t.Helper()
	var s approvalStatus
	_, err := n.Get("/v1/status", &s)
	require.NoError(t, err)
	return s
}

// approve runs `depsync approve` against n and returns its output and
// exit code.
func approve(t *testing.T, bin string, n *daemontest.Node, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"approve", "--config", n.ConfigFile, "--node", n.URL}, args...)...)
	cmd.Env = n.Env()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, "%s", out)
	return string(out), 0
}

// TestDirectApprovalIsNoBlankCheque is the repro: 4 of 6 C-Apps
// held, the worker down, `depsync approve` ("approved 4"), the last 2
// moved away too, the worker back. The approval covered the 4 held, not 6:
// the manager holds the 6 anew and the worker keeps every C-App. Then an
// approval of a digest that is not the hold's approves nothing, and one of
// the digest `depsync status` shows lets exactly those 6 through.
func TestDirectApprovalIsNoBlankCheque(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	var names []string
	for i := 1; i <= 6; i++ {
		names = append(names, fmt.Sprintf("App%d_1.0.0.car", i))
		testcapp.Write(t, apps, names[i-1], fmt.Sprintf("App%d", i), "1.0.0")
	}
	w.Start(t)
	m.Start(t)
	wApps := filepath.Join(w.Dir, "carbonapps")
	daemontest.Eventually(t, 30*time.Second, "the worker to hold the six C-Apps", converged(t, m, w))

	aside := filepath.Join(m.Home, "aside")
	require.NoError(t, os.MkdirAll(aside, 0o755))
	move := func(names ...string) {
		for _, n := range names {
			require.NoError(t, os.Rename(filepath.Join(apps, n), filepath.Join(aside, n)))
		}
	}
	move(names[:4]...)
	daemontest.Eventually(t, 15*time.Second, "the manager to hold 4 of 6", func() bool {
		s := approvals(t, m)
		return len(s.HeldDeletions) == 1 && s.HeldDeletions[0].Count == 4
	})
	held4 := approvals(t, m).HeldDeletions[0]
	assert.Equal(t, "peer "+w.URL, held4.Scope)
	assert.Equal(t, "over_max_delete", held4.Reason)
	require.Len(t, carsIn(t, wApps), 6)

	require.Equal(t, 0, w.Stop(t))
	// Once the manager knows the worker is down it only probes it: no pass
	// that read carbonapps before the moves below is still on its way.
	daemontest.Eventually(t, 30*time.Second, "the manager to see the worker down", func() bool {
		var s status
		_, err := m.Get("/v1/status", &s)
		return err == nil && len(s.Peers) == 1 && !s.Peers[0].Up
	})
	out, code := approve(t, bin, m)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "approved 4 held deletion(s)")
	assert.Contains(t, out, "digest "+held4.Digest)
	pending := approvals(t, m).PendingApprovals
	if assert.Len(t, pending, 1, "the worker is down: the approval waits") {
		assert.Equal(t, held4.Digest, pending[0].Digest)
		assert.Equal(t, 4, pending[0].Count)
	}

	move(names[4:]...)
	w.Start(t)
	// On the old code the approval let the 6 through: wait for either.
	daemontest.Eventually(t, 30*time.Second, "the manager to hold the 6 anew (or the worker to lose them)", func() bool {
		s := approvals(t, m)
		return len(s.HeldDeletions) == 1 && s.HeldDeletions[0].Count == 6 || len(carsIn(t, wApps)) < 6
	})
	for end := time.Now().Add(holdWindow(t)); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		require.Len(t, carsIn(t, wApps), 6, "an approval of 4 deletions let more through")
	}
	s := approvals(t, m)
	require.Len(t, s.HeldDeletions, 1)
	held6 := s.HeldDeletions[0]
	assert.Equal(t, "carbonapps_emptied", held6.Reason)
	assert.NotEqual(t, held4.Digest, held6.Digest)
	assert.Empty(t, s.PendingApprovals, "the approval of 4 is dropped, not kept for later")
	assert.Contains(t, m.Logs(), "held deletion changed since it was approved")

	// What `depsync status` shows is what `depsync approve --digest` takes.
	cmd := exec.Command(bin, "status", "--config", m.ConfigFile, "--node", m.URL)
	cmd.Env = m.Env()
	st, _ := cmd.CombinedOutput()
	assert.Contains(t, string(st), "digest "+held6.Digest)

	out, code = approve(t, bin, m, "--scope", held6.Scope, "--digest", held4.Digest)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "changed")
	assert.Empty(t, approvals(t, m).PendingApprovals, "nothing approved")
	require.Len(t, carsIn(t, wApps), 6)

	out, code = approve(t, bin, m, "--scope", held6.Scope, "--digest", held6.Digest)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "approved 6 held deletion(s)")
	daemontest.Eventually(t, 30*time.Second, "the approved 6 to go", func() bool { return len(carsIn(t, wApps)) == 0 })
	s = approvals(t, m)
	assert.Empty(t, s.HeldDeletions)
	assert.Empty(t, s.PendingApprovals)
	assert.True(t, strings.Contains(m.Logs(), "held deletion approved: propagating it"))
}
