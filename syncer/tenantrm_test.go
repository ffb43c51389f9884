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
	"github.com/depsync/depsync/internal/guard"
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
	d, err := New(c, Deps{SVN: f})
	require.NoError(t, err)
	return d
}

// TestManagerHoldsRemovedTenant: a tenant folder removed on the manager is
// held as a deletion of the files the repository holds for it; its return
// clears the hold; after an approval the manager deletes the tenant's
// repository folder and stops the tenant.
func TestManagerHoldsRemovedTenant(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{}, files: []string{"carbonapps/A_1.0.0.car", "carbonapps/B_1.0.0.car"}}
	d := allTenantsDaemon(t, config.RoleManager, f)
	ts, added := d.addTenant(d.cfg.TenantOf(5))
	require.True(t, added)
	m := newManager(ts)
	ctx := context.Background()
	pass := func() {
		t.Helper()
		m.full = true
		m.pass(ctx)
	}

	// The folder is not there: held, nothing deleted.
	pass()
	holds := d.deletions.Holds()
	require.Len(t, holds, 1)
	assert.Equal(t, "tenant 5", holds[0].Scope)
	assert.Equal(t, guard.ReasonDirGone, holds[0].Reason)
	assert.Equal(t, 2, holds[0].Count)
	assert.Equal(t, f.files, holds[0].Paths)
	assert.Empty(t, f.deleted)
	assert.False(t, m.folder.removed)
	assert.NotEmpty(t, ts.status().Waiting, "readyz says what the tenant waits for")
	st := d.Status()
	require.Len(t, st.HeldDeletions, 1)
	assert.False(t, st.Ready)
	pass()
	assert.Empty(t, f.deleted, "still held at the next look")

	// It comes back: the hold clears.
	require.NoError(t, os.MkdirAll(ts.t.Dir, 0o755))
	pass()
	assert.Empty(t, d.deletions.Holds())
	assert.Empty(t, ts.status().Waiting)

	// Removed again and approved: one delete of the tenant's URL.
	require.NoError(t, os.RemoveAll(ts.t.Dir))
	pass()
	require.Len(t, d.deletions.Holds(), 1)
	d.deletions.Approve()
	assert.Empty(t, f.deleted, "an approval alone deletes nothing before the manager looks")
	pass()
	assert.Equal(t, []string{"http://svn.example/repo/5"}, f.deleted)
	assert.True(t, m.folder.removed, "the tenant's loop stops")
	assert.Empty(t, d.deletions.Holds())

	// Removed from the daemon; the news of its removal does not bring it
	// back, a later change does.
	d.removeTenant(ts)
	assert.Nil(t, d.tenant(5))
	assert.True(t, d.removedBy(5, 0))
	assert.False(t, d.removedBy(5, 99))
}

// TestManagerRemovedTenantAlreadyGone: a folder the repository does not
// hold any more is nothing to hold.
func TestManagerRemovedTenantAlreadyGone(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{}}
	d := allTenantsDaemon(t, config.RoleManager, f)
	ts, _ := d.addTenant(d.cfg.TenantOf(6))
	m := newManager(ts)
	m.full = true
	m.pass(context.Background())
	assert.True(t, m.folder.removed)
	assert.Empty(t, d.deletions.Holds())
	assert.Empty(t, f.deleted)
}

// TestSuperTenantDirMissingNotRemoved: the super tenant's directory
// missing is never a removal of anything.
func TestSuperTenantDirMissingNotRemoved(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{}, files: []string{"a.xml"}}
	d := allTenantsDaemon(t, config.RoleManager, f)
	ts := d.tenantList()[0]
	require.Equal(t, config.SuperTenantID, ts.t.ID)
	require.NoError(t, os.RemoveAll(ts.t.Dir))
	m := newManager(ts)
	m.full = true
	m.pass(context.Background())
	assert.False(t, m.folder.removed)
	assert.Empty(t, d.deletions.Holds())
	assert.NotContains(t, strings.Join(f.Calls(), "\n"), "list -R")
}

// TestWorkerRemovesGoneTenant: a worker removes a tenant's folder only
// when svn.url lists no folder of it, and copies its files first.
func TestWorkerRemovesGoneTenant(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{dirs: []string{"-1234", "7"}}}
	d := allTenantsDaemon(t, config.RoleWorker, f)
	ts, _ := d.addTenant(d.cfg.TenantOf(7))
	w := newWorker(ts)
	write := func(rel, body string) {
		p := filepath.Join(ts.t.Dir, filepath.FromSlash(rel))
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
	_, err := os.Stat(ts.t.Dir)
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

	w2 := newWorker(d.tenantList()[0])
	assert.False(t, w2.GoneFromRepository(ctx), "never the super tenant")
}
