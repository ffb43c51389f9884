package manager

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// allTenantsManager is the manager of tenant id with carbon.tenants: all.
func allTenantsManager(t *testing.T, f *removerSVN, id int) *Manager {
	t.Helper()
	c := testConfig(t, config.RoleManager)
	c.Carbon.AllTenants = true
	require.NoError(t, c.Validate())
	return tenantManager(t, c, f, c.TenantOf(id))
}

// TestManagerHoldsRemovedTenant: a tenant folder removed on the manager is
// held as a deletion of the files the repository holds for it; its return
// clears the hold; after an approval the manager deletes the tenant's
// repository folder and stops the tenant.
func TestManagerHoldsRemovedTenant(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{}, files: []string{"carbonapps/A_1.0.0.car", "carbonapps/B_1.0.0.car"}}
	m := allTenantsManager(t, f, 5)
	ctx := context.Background()
	pass := func() passEnd {
		t.Helper()
		return m.pass(ctx, work{full: true})
	}

	// The folder is not there: held, nothing deleted.
	end := pass()
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, "tenant 5", holds[0].Scope)
	assert.Equal(t, guard.ReasonDirGone, holds[0].Reason)
	assert.Equal(t, 2, holds[0].Count)
	assert.Equal(t, f.files, holds[0].Paths)
	assert.Empty(t, f.deleted)
	assert.False(t, end.removed)
	assert.NotEmpty(t, stateOf(m).snapshot().waiting, "readyz says what the tenant waits for")
	pass()
	assert.Empty(t, f.deleted, "still held at the next look")

	// It comes back: the hold clears.
	require.NoError(t, os.MkdirAll(m.t.Dir, 0o755))
	pass()
	assert.Empty(t, holdsOf(m))
	assert.Empty(t, stateOf(m).snapshot().waiting)

	// Removed again and approved: one delete of the tenant's URL.
	require.NoError(t, os.RemoveAll(m.t.Dir))
	pass()
	require.Len(t, holdsOf(m), 1)
	guardOf(m).Approve()
	assert.Empty(t, f.deleted, "an approval alone deletes nothing before the manager looks")
	end = pass()
	assert.Equal(t, []string{"http://svn.example/repo/5"}, f.deleted)
	assert.True(t, end.removed, "the tenant's loop stops")
	assert.Empty(t, holdsOf(m))
}

// TestManagerRemovedTenantAlreadyGone: a folder the repository does not
// hold any more is nothing to hold.
func TestManagerRemovedTenantAlreadyGone(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{}}
	m := allTenantsManager(t, f, 6)
	assert.True(t, m.pass(context.Background(), work{full: true}).removed)
	assert.Empty(t, holdsOf(m))
	assert.Empty(t, f.deleted)
}

// TestSuperTenantDirMissingNotRemoved: the super tenant's directory
// missing is never a removal of anything.
func TestSuperTenantDirMissingNotRemoved(t *testing.T) {
	f := &removerSVN{fakeSVN: &fakeSVN{}, files: []string{"a.xml"}}
	m := allTenantsManager(t, f, config.SuperTenantID)
	require.NoError(t, os.RemoveAll(m.t.Dir))
	assert.False(t, m.pass(context.Background(), work{full: true}).removed)
	assert.Empty(t, holdsOf(m))
	assert.NotContains(t, strings.Join(f.Calls(), "\n"), "list -R")
}
