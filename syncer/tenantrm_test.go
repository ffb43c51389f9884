package syncer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

// removerSVN is a fakeSVN that can list a tenant's files and delete URLs.
type removerSVN struct {
	*fakeSVN
	mu      sync.Mutex
	files   []string
	deleted []string
}

func (r *removerSVN) ListFiles(_ context.Context, url string, max int) (int, []string, error) {
	r.record("list -R " + url)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.files == nil {
		return 0, nil, svn.ErrNotFound
	}
	return len(r.files), r.files, nil
}

func (r *removerSVN) DeleteURL(_ context.Context, url, _ string) error {
	r.record("delete " + url)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, url)
	return nil
}

func allTenantsDaemon(t *testing.T, role string, f SVN) *Daemon {
	t.Helper()
	c := testConfig(t, role)
	c.Carbon.AllTenants = true
	d, err := New(c, withParts(t, c, Deps{SVN: f}))
	require.NoError(t, err)
	return d
}

// TestWorkerRemovesGoneTenant: a worker removes a tenant's folder only
// when svn.url lists no folder of it, and copies its files first.
func TestWorkerRemovesGoneTenant(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{dirs: []string{"-1234", "7"}}}
	d := allTenantsDaemon(t, config.RoleWorker, f)
	ts, _ := d.addTenant(d.cfg.TenantOf(7))
	w := d.newWorker(ts)
	write := func(rel, body string) {
		p := filepath.Join(ts.Tenant().Dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("carbonapps/A_1.0.0.car", "app")
	write(".svn/wc.db", "metadata")
	ctx := context.Background()
	assert.False(t, w.GoneFromRepository(ctx), "the repository still holds it")

	f.fakeSVN.dirs = []string{"-1234"}
	require.True(t, w.GoneFromRepository(ctx))
	require.NoError(t, w.RemoveLocal())
	_, err := os.Stat(ts.Tenant().Dir)
	assert.True(t, os.IsNotExist(err))
	var copies []string
	require.NoError(t, filepath.WalkDir(filepath.Join(d.cfg.StateDir, "overwritten"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && !strings.Contains(filepath.ToSlash(p), "/.objects/") {
			copies = append(copies, filepath.ToSlash(p))
		}
		return err
	}))
	require.Len(t, copies, 1, "the files, not svn's metadata")
	assert.True(t, strings.HasSuffix(copies[0], "tenants/7/carbonapps/A_1.0.0.car"), copies[0])

	w2 := d.newWorker(d.tenantList()[0])
	assert.False(t, w2.GoneFromRepository(ctx), "never the super tenant")
}

// TestRemovedTenantIsForgotten: a tenant whose folder's removal the
// manager made (manager.Node.Removed) is forgotten, its series gone; the
// news of its removal does not bring it back, a later change does.
func TestRemovedTenantIsForgotten(t *testing.T) {
	d := allTenantsDaemon(t, config.RoleManager, &removerSVN{fakeSVN: &fakeSVN{}})
	ts, added := d.addTenant(d.cfg.TenantOf(5))
	require.True(t, added)
	ts.Removed()
	assert.Nil(t, d.tenant(5))
	assert.True(t, d.removedBy(5, 0))
	assert.False(t, d.removedBy(5, 99))
}
