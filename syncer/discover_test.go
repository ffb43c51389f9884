package syncer

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// TestManagerFindsTenantFoldersAsTheyAreMade: with carbon.tenants: all, the
// manager hears of a tenant folder made in repository/tenants at once (a
// watch), not at its next look: the looks here are an hour apart. A folder
// that is not a tenant id, and folders made inside a tenant's, find
// nothing.
func TestManagerFindsTenantFoldersAsTheyAreMade(t *testing.T) {
	d := allTenantsDaemon(t, config.RoleManager, &fakeSVN{})
	hub, err := fswatch.NewHub(false, nil)
	require.NoError(t, err)
	d.watches = hub
	defer hub.Close()
	tenants := filepath.Join(d.cfg.Carbon.Home, "repository", "tenants")
	require.NoError(t, os.MkdirAll(filepath.Join(tenants, "3"), 0o755))

	var (
		mu    sync.Mutex
		found []int
	)
	d.tenants.spawn = func(ts *tenantrun.Runtime) {
		mu.Lock()
		defer mu.Unlock()
		found = append(found, ts.ID())
	}
	foundNow := func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), found...)
	}
	// Tenant 3 is there at start, as Run finds it (discover) before this
	// loop starts.
	d.discover(context.Background())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.watchTenants(ctx, time.Hour) }()
	defer func() { cancel(); <-done }()

	// Made while the loop runs; once the watch is in place, the folder
	// of tenant 7 is heard of.
	require.Eventually(t, func() bool {
		return hub.Watched() == 1
	}, 10*time.Second, 5*time.Millisecond, "repository/tenants watched")
	require.NoError(t, os.MkdirAll(filepath.Join(tenants, "3", "carbonapps", "deep"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(tenants, "not-a-tenant"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(tenants, "7", "carbonapps"), 0o755))
	require.Eventually(t, func() bool { return len(foundNow()) > 0 }, 10*time.Second, 5*time.Millisecond,
		"tenant 7 found without waiting for the hourly look")
	assert.Equal(t, []int{7}, foundNow())
	assert.Equal(t, []int{-1234, 3, 7}, tenantIDsOf(d))
}

// tenantIDsOf lists the ids of d's tenants, in the order added.
func tenantIDsOf(d *Daemon) []int {
	var ids []int
	for _, ts := range d.tenantList() {
		ids = append(ids, ts.ID())
	}
	return ids
}
