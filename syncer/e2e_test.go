package syncer_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/syncer"
)

// fast settings keep the end-to-end tests short.
var fast = map[string]any{
	"sync.debounce":     "100ms",
	"sync.max_delay":    "1s",
	"svn.poll_interval": "1s",
}

// pair starts a worker and a manager over a fresh Apache mod_dav_svn
// repository, after setup has prepared their directories.
func pair(t *testing.T, setup func(manager, worker *daemontest.Node)) (srv *svntest.Server, manager, worker *daemontest.Node) {
	t.Helper()
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv = svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	worker = daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: fast})
	manager = daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Peers: []string{worker.URL}, Settings: fast})
	if setup != nil {
		setup(manager, worker)
	}
	manager.Start(t)
	worker.Start(t)
	waitReady(t, manager)
	waitReady(t, worker)
	return srv, manager, worker
}

func waitReady(t *testing.T, n *daemontest.Node) {
	t.Helper()
	daemontest.Eventually(t, time.Minute, n.Name+" /readyz", func() bool {
		code, _ := n.Get("/readyz", nil)
		return code == http.StatusOK
	})
}

func waitSame(t *testing.T, manager, worker *daemontest.Node, timeout time.Duration) {
	t.Helper()
	var why string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var ok bool
		if ok, why = sameSynced(manager.Dir, worker.Dir); ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("trees differ after %s: %s", timeout, why)
}

// sameSynced compares two trees leaving out what depsync never syncs.
func sameSynced(a, b string) (bool, string) {
	var cfg config.Config
	ta, err := daemontest.Tree(a)
	if err != nil {
		return false, err.Error()
	}
	tb, err := daemontest.Tree(b)
	if err != nil {
		return false, err.Error()
	}
	ignored := func(p string) bool {
		for _, part := range strings.Split(p, "/") {
			if cfg.Ignored(part) {
				return true
			}
		}
		return false
	}
	for p, h := range ta {
		if ignored(p) {
			continue
		}
		if hb, ok := tb[p]; !ok {
			return false, "missing in " + b + ": " + p
		} else if hb != h {
			return false, "differs: " + p
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok && !ignored(p) {
			return false, "extra in " + b + ": " + p
		}
	}
	return true, ""
}

func write(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
}

func status(t *testing.T, n *daemontest.Node) syncer.Status {
	t.Helper()
	var st syncer.Status
	code, err := n.Get("/v1/status", &st)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	return st
}

func TestE2EAddModifyDelete(t *testing.T) {
	_, manager, worker := pair(t, func(m, _ *daemontest.Node) {
		// Files there before the manager's first start are committed.
		write(t, m.Dir, "synapse-configs/default/api/pre existing.xml", "<api name=\"pre\"/>\n")
	})
	waitSame(t, manager, worker, 30*time.Second)

	apps := filepath.Join(manager.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0")
	testcapp.Write(t, apps, "Ünï @cøde_1.0.0.car", "Unicode", "1.0.0")
	write(t, manager.Dir, "synapse-configs/default/api/with space@at.xml", "<api name=\"a\"/>\n")
	write(t, manager.Dir, "synapse-configs/default/local-entries/ünïcode/deep/e.xml", "<localEntry key=\"e\"/>\n")
	write(t, manager.Dir, "carbonapps/ignored.tmp", "never synced")
	write(t, manager.Dir, "carbonapps/.hidden.car.part", "never synced")
	start := time.Now()
	waitSame(t, manager, worker, 30*time.Second)
	t.Logf("add propagated in %s", time.Since(start))
	_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", "ignored.tmp"))
	assert.ErrorIs(t, err, os.ErrNotExist, "ignored files must not be synced")

	// Modify: a new version of a C-App and an XML file.
	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0", testcapp.Artifacts("api_b"))
	write(t, manager.Dir, "synapse-configs/default/api/with space@at.xml", "<api name=\"a2\"/>\n")
	waitSame(t, manager, worker, 30*time.Second)

	// Delete a file and a whole directory.
	require.NoError(t, os.Remove(filepath.Join(apps, "Ünï @cøde_1.0.0.car")))
	require.NoError(t, os.RemoveAll(filepath.Join(manager.Dir, "synapse-configs", "default", "local-entries")))
	waitSame(t, manager, worker, 30*time.Second)
	_, err = os.Stat(filepath.Join(worker.Dir, "synapse-configs", "default", "local-entries"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	st := status(t, manager)
	assert.Equal(t, "manager", st.Role)
	assert.Equal(t, "svn", st.Mode)
	require.Len(t, st.Tenants, 1)
	assert.Equal(t, -1234, st.Tenants[0].ID)
	assert.Positive(t, st.Tenants[0].Revision)
	require.Len(t, st.Peers, 1)
	assert.True(t, st.Peers[0].Up)
	daemontest.Eventually(t, 10*time.Second, "worker at the manager's revision", func() bool {
		return status(t, worker).Tenants[0].Revision >= st.Tenants[0].Revision
	})
	assert.Equal(t, manager.URL, status(t, worker).Manager)

	// A clean stop exits 0.
	assert.Equal(t, 0, worker.Stop(t))
	assert.Equal(t, 0, manager.Stop(t))
	if t.Failed() {
		return
	}
	for _, n := range []*daemontest.Node{manager, worker} {
		assert.NotContains(t, n.Logs(), daemontest.Token, "the token must never be logged")
	}
}
