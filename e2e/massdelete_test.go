//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

type heldStatus struct {
	Ready         bool   `json:"ready"`
	Reason        string `json:"reason"`
	HeldDeletions []struct {
		Scope  string    `json:"scope"`
		Reason string    `json:"reason"`
		Count  int       `json:"count"`
		Paths  []string  `json:"paths"`
		Since  time.Time `json:"since"`
	} `json:"held_deletions"`
}

func held(t *testing.T, n *daemontest.Node) heldStatus {
	t.Helper()
	var s heldStatus
	_, err := n.Get("/v1/status", &s)
	require.NoError(t, err)
	return s
}

func countCApps(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "carbonapps"))
	if !errors.Is(err, fs.ErrNotExist) { // no folder: no C-App
		require.NoError(t, err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".car") {
			n++
		}
	}
	return n
}

// TestMassDeletionHeldInSVNMode: moving the manager's carbonapps away is
// held (the worker keeps every C-App, the manager shows the hold);
// moving it back clears the hold with nothing deleted; `depsync approve`
// lets the deletion through. Deleting one C-App by hand still reaches
// the worker within seconds.
func TestMassDeletionHeldInSVNMode(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for i := 1; i <= 4; i++ {
		testcapp.Write(t, apps, fmt.Sprintf("App%d_1.0.0.car", i), fmt.Sprintf("App%d", i), "1.0.0")
	}
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 60*time.Second, "first sync", converged(t, m, w))

	// One C-App deleted by hand reaches the worker within seconds.
	start := time.Now()
	require.NoError(t, os.Remove(filepath.Join(apps, "App4_1.0.0.car")))
	daemontest.Eventually(t, 15*time.Second, "the deletion of one C-App to reach the worker", converged(t, m, w))
	t.Logf("one deletion reached the worker in %s", time.Since(start).Round(time.Millisecond))
	require.Equal(t, 3, countCApps(t, w.Dir))

	// carbonapps moved away: held.
	aside := filepath.Join(m.Home, "carbonapps.aside")
	require.NoError(t, os.Rename(apps, aside))
	daemontest.Eventually(t, 20*time.Second, "the manager to show the hold", func() bool {
		return len(held(t, m).HeldDeletions) == 1
	})
	s := held(t, m)
	assert.Equal(t, "directory_gone", s.HeldDeletions[0].Reason)
	assert.Equal(t, 3, s.HeldDeletions[0].Count)
	assert.False(t, s.Ready)
	assert.Contains(t, s.Reason, "depsync approve")
	code, err := m.Get("/readyz", nil)
	require.NoError(t, err)
	assert.Equal(t, 503, code)
	stop := watchPresence(filepath.Join(w.Dir, "carbonapps", "App1_1.0.0.car"))
	time.Sleep(holdWindow(t))
	assert.Zero(t, stop(), "the worker lost a C-App while the deletion was held")
	assert.Equal(t, 3, countCApps(t, w.Dir))
	assert.Equal(t, 1, strings.Count(m.Logs(), "deletion held"), "one WARN, no flood")

	// Moved back: the hold clears by itself, nothing deleted.
	require.NoError(t, os.Rename(aside, apps))
	daemontest.Eventually(t, 20*time.Second, "the hold to clear", func() bool {
		s := held(t, m)
		return len(s.HeldDeletions) == 0 && s.Ready
	})
	assert.Equal(t, 3, countCApps(t, w.Dir))
	out, err := srv.TrySVN("ls", srv.URL+"/-1234/carbonapps")
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 3, strings.Count(out, ".car"), "nothing deleted in the repository")

	// Moved away again, then approved: the deletion goes through.
	require.NoError(t, os.Rename(apps, aside))
	daemontest.Eventually(t, 20*time.Second, "held again", func() bool { return len(held(t, m).HeldDeletions) == 1 })
	cmd := exec.Command(bin, "approve", "--config", m.ConfigFile, "--node", m.URL)
	cmd.Env = m.Env()
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	assert.Contains(t, string(got), "approved 3 held deletion(s)")
	daemontest.Eventually(t, 30*time.Second, "the approved deletion to reach the worker", func() bool {
		return countCApps(t, w.Dir) == 0
	})
	assert.Empty(t, held(t, m).HeldDeletions)
	cmd = exec.Command(bin, "approve", "--config", m.ConfigFile, "--node", m.URL)
	cmd.Env = m.Env()
	got, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	assert.Contains(t, string(got), "nothing to approve")
}
