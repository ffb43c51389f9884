package syncer_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/daemontest"
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
