package syncer_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/svntest"
)

// TestE2ETenantsDiscovered: with carbon.tenants: all, a tenant folder on
// the manager at start and one made while both daemons run reach the
// worker, which checks each out into repository/tenants/<id>; ?tenant=
// gives one tenant's detail.
func TestE2ETenantsDiscovered(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	settings := map[string]any{"carbon.tenants": "all"}
	for k, v := range fast {
		settings[k] = v
	}
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: settings})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Peers: []string{worker.URL}, Settings: settings})
	worker.SetPeers(t, manager.URL)
	tenantDir := func(n *daemontest.Node, id string) string {
		return filepath.Join(n.Home, "repository", "tenants", id)
	}
	write(t, tenantDir(manager, "3"), "synapse-configs/default/api/t.xml", "<api name=\"tenant 3\"/>\n")
	manager.Start(t)
	worker.Start(t)
	onWorker := func(id, rel, want string) func() bool {
		return func() bool {
			got, err := os.ReadFile(filepath.Join(tenantDir(worker, id), filepath.FromSlash(rel)))
			return err == nil && string(got) == want
		}
	}
	daemontest.Eventually(t, 30*time.Second, "tenant 3, present at start, on the worker",
		onWorker("3", "synapse-configs/default/api/t.xml", "<api name=\"tenant 3\"/>\n"))

	// A tenant made at runtime.
	start := time.Now()
	write(t, tenantDir(manager, "8"), "carbonapps/readme.txt", "tenant 8\n")
	daemontest.Eventually(t, 30*time.Second, "tenant 8, made at runtime, on the worker",
		onWorker("8", "carbonapps/readme.txt", "tenant 8\n"))
	t.Logf("a tenant made at runtime reached the worker in %s", time.Since(start).Round(time.Millisecond))

	var st api.Status
	code, err := worker.Get("/v1/status?tenant=8", &st)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, st.Tenants, 1)
	assert.Equal(t, 8, st.Tenants[0].ID)
	assert.Equal(t, srv.URL+"/8", st.Tenants[0].URL)
	code, err = worker.Get("/v1/status", &st)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.NotNil(t, st.TenantSummary)
	assert.Equal(t, 3, st.TenantSummary.Count, "the super tenant, 3 and 8")
	code, _ = worker.Get("/v1/status?tenant=99", nil)
	assert.Equal(t, http.StatusNotFound, code)
}

// TestE2ETenantRemoved: with carbon.tenants: all, a tenant folder removed on
// the manager is a held deletion: the worker keeps its copy, the manager's
// status shows the hold and readyz fails; after `depsync approve` the
// manager deletes the tenant's repository folder and the worker removes
// its copy, keeping the files under <state_dir>/overwritten.
func TestE2ETenantRemoved(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	settings := map[string]any{"carbon.tenants": "all"}
	for k, v := range fast {
		settings[k] = v
	}
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: settings})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Peers: []string{worker.URL}, Settings: settings})
	worker.SetPeers(t, manager.URL)
	tenantDir := func(n *daemontest.Node) string { return filepath.Join(n.Home, "repository", "tenants", "4") }
	write(t, tenantDir(manager), "synapse-configs/default/api/t.xml", "<api name=\"tenant 4\"/>\n")
	write(t, tenantDir(manager), "carbonapps/readme.txt", "tenant 4\n")
	manager.Start(t)
	worker.Start(t)
	onWorker := filepath.Join(tenantDir(worker), "synapse-configs", "default", "api", "t.xml")
	daemontest.Eventually(t, 30*time.Second, "tenant 4 on the worker", func() bool {
		_, err := os.Stat(onWorker)
		return err == nil
	})

	held := func() []guard.Hold {
		var st api.Status
		code, err := manager.Get("/v1/status", &st)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
		return st.HeldDeletions
	}
	require.NoError(t, os.RemoveAll(tenantDir(manager)))
	daemontest.Eventually(t, 20*time.Second, "the removal held", func() bool { return len(held()) == 1 })
	h := held()[0]
	assert.Equal(t, "tenant 4", h.Scope)
	assert.Equal(t, guard.ReasonDirGone, h.Reason)
	assert.Equal(t, 2, h.Count)
	code, _ := manager.Get("/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	time.Sleep(3 * time.Second) // a few polls: nothing moves while held
	_, err := os.Stat(onWorker)
	require.NoError(t, err, "the worker keeps its copy while the removal is held")
	out, err := srv.TrySVN("ls", srv.URL+"/4")
	require.NoError(t, err, "the repository keeps the tenant: %s", out)

	// The folder comes back (from a copy of the worker's): the hold clears.
	write(t, tenantDir(manager), "synapse-configs/default/api/t.xml", "<api name=\"tenant 4\"/>\n")
	write(t, tenantDir(manager), "carbonapps/readme.txt", "tenant 4\n")
	daemontest.Eventually(t, 20*time.Second, "the hold cleared", func() bool { return len(held()) == 0 })
	write(t, tenantDir(manager), "carbonapps/later.txt", "after the return\n")
	daemontest.Eventually(t, 30*time.Second, "a change of the tenant back on the worker", func() bool {
		got, err := os.ReadFile(filepath.Join(tenantDir(worker), "carbonapps", "later.txt"))
		return err == nil && string(got) == "after the return\n"
	})

	// Removed again and approved: gone from the repository and the worker.
	require.NoError(t, os.RemoveAll(tenantDir(manager)))
	daemontest.Eventually(t, 20*time.Second, "the removal held again", func() bool { return len(held()) == 1 })
	cmd := exec.Command(bin, "approve", "--config", manager.ConfigFile, "--node", manager.URL)
	cmd.Env = manager.Env()
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	daemontest.Eventually(t, 30*time.Second, "the tenant removed on the worker", func() bool {
		_, err := os.Stat(tenantDir(worker))
		return os.IsNotExist(err)
	})
	out, err = srv.TrySVN("ls", srv.URL+"/4")
	assert.Error(t, err, "the tenant's folder deleted from the repository: %s", out)
	assert.Empty(t, held())
	var backups []string
	require.NoError(t, filepath.WalkDir(filepath.Join(worker.StateDir, "overwritten"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && !strings.Contains(p, ".objects") {
			backups = append(backups, filepath.ToSlash(p))
		}
		return err
	}))
	joined := strings.Join(backups, "\n")
	assert.Contains(t, joined, "tenants/4/synapse-configs/default/api/t.xml")
	assert.Contains(t, joined, "tenants/4/carbonapps/readme.txt")
	var st api.Status
	code, err = worker.Get("/v1/status?tenant=4", &st)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, code, "the worker stopped the tenant")
	code, _ = manager.Get("/v1/status?tenant=4", nil)
	assert.Equal(t, http.StatusNotFound, code, "the manager stopped the tenant")
}
