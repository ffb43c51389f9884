//go:build linux

package e2e

import (
	"errors"
	"io"
	"net/http"
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

// metricsOf returns a node's /metrics text ("" when it does not answer).
func metricsOf(n *daemontest.Node) string {
	resp, err := http.Get(n.URL + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// statusCLI runs `depsync status` against n with the cluster token and
// returns its exit code and output.
func statusCLI(t *testing.T, bin string, n *daemontest.Node, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"status", "--config", n.ConfigFile, "--node", n.URL}, args...)...)
	cmd.Env = n.Env()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

// TestStatusTellsTheTruth: `depsync status` exits 0 only while the node is
// ready and in step, 1 while the manager holds deletions (in text and in
// json); once SVN stops, the worker's /v1/status and depsync_mode say its
// manager pushes directly within 15 s; every node exports its build.
func TestStatusTellsTheTruth(t *testing.T) {
	srv := svntest.New(t, svntest.SVNServe)
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for _, name := range []string{"A", "B", "C", "D"} {
		testcapp.Write(t, apps, name+"_1.0.0.car", name, "1.0.0")
	}
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 60*time.Second, "first sync", converged(t, m, w))
	managerMode := func() string {
		var s struct {
			ManagerMode string `json:"manager_mode"`
		}
		if _, err := w.Get("/v1/status", &s); err != nil {
			return err.Error()
		}
		return s.ManagerMode
	}
	daemontest.Eventually(t, 15*time.Second, "the worker to know its manager is in svn mode", func() bool {
		return managerMode() == "svn"
	})
	for _, n := range []*daemontest.Node{m, w} {
		daemontest.Eventually(t, 15*time.Second, n.Name+": status exit 0 once ready and in step", func() bool {
			code, _ := statusCLI(t, bin, n)
			return code == 0
		})
		assert.Contains(t, metricsOf(n), `depsync_mode{mode="svn"} 1`, n.Name)
		assert.Contains(t, metricsOf(n), `depsync_build_info{commit="`, n.Name)
	}

	// Deletions held: not ready, exit 1, whatever the output format.
	aside := filepath.Join(m.Home, "carbonapps.aside")
	require.NoError(t, os.Rename(apps, aside))
	daemontest.Eventually(t, 20*time.Second, "the manager to hold the deletions", func() bool {
		return len(held(t, m).HeldDeletions) == 1
	})
	code, out := statusCLI(t, bin, m)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "NOT READY")
	assert.Contains(t, out, "deletion(s) held")
	code, out = statusCLI(t, bin, m, "-o", "json")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `"held_deletions": [`)
	require.NoError(t, os.Rename(aside, apps))
	daemontest.Eventually(t, 20*time.Second, "the hold to clear and status to exit 0", func() bool {
		code, _ := statusCLI(t, bin, m)
		return code == 0
	})

	// SVN stops: the manager pushes directly, and the worker says so.
	srv.Stop(t)
	start := time.Now()
	daemontest.Eventually(t, 15*time.Second, "the worker's status and depsync_mode to say direct", func() bool {
		return managerMode() == "direct" && strings.Contains(metricsOf(w), `depsync_mode{mode="direct"} 1`)
	})
	t.Logf("the worker knew its manager was in direct mode %s after SVN stopped", time.Since(start).Round(time.Millisecond))
	assert.Contains(t, metricsOf(w), `depsync_mode{mode="svn"} 0`)
	assert.Contains(t, metricsOf(m), `depsync_mode{mode="direct"} 1`)
	_, out = statusCLI(t, bin, w)
	assert.Contains(t, out, "manager's mode direct", out)
}
