package syncer

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/depsync/depsync/config"
)

// Runtime discovery of tenants (carbon.tenants: all). A manager follows
// each repository/tenants/<id> folder present at start or made later; a
// worker each tenant folder of the repository, checked out into
// repository/tenants/<id> (Carbon then loads it). A tenant folder removed
// on the manager is a deletion held by the mass-deletion guard until a
// person approves it or the folder comes back (see tenantrm.go); the
// workers keep their copy meanwhile.

// tenantIDs returns the ids named by folder names, skipping what is not a
// tenant id (and the super tenant, which is always synced).
func tenantIDs(names []string) []int {
	var ids []int
	for _, n := range names {
		id, err := strconv.Atoi(n)
		if err != nil || id <= 0 || strconv.Itoa(id) != n {
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// localTenants names the tenant folders under repository/tenants.
func (d *Daemon) localTenants() []int {
	entries, err := os.ReadDir(filepath.Join(d.cfg.Carbon.Home, "repository", "tenants"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return tenantIDs(names)
}

// discover adds the tenants found now and returns the new ones: on a
// manager the local folders, on a worker the repository's (and the local
// working copies, so that a tenant the repository lost is not forgotten).
func (d *Daemon) discover(ctx context.Context) []*tenantSync {
	if !d.cfg.Carbon.AllTenants {
		return nil
	}
	ids := d.localTenants()
	if d.cfg.Role == config.RoleWorker && d.cfg.SVN.URL != "" {
		opCtx, cancel := d.opContext(ctx)
		names, err := d.svn.ListDirs(opCtx, d.cfg.SVN.URL)
		cancel()
		if err != nil {
			d.log.Warn("cannot list the repository's tenants; the next change names them", "error", err)
		}
		ids = append(ids, tenantIDs(names)...)
	}
	var added []*tenantSync
	for _, id := range ids {
		if ts, ok := d.addTenant(d.cfg.TenantOf(id)); ok {
			added = append(added, ts)
		}
	}
	return added
}

// discovered starts a tenant found at runtime, when the daemon runs.
func (d *Daemon) discovered(ts *tenantSync) {
	d.tmu.RLock()
	spawn := d.spawn
	d.tmu.RUnlock()
	d.log.Info("tenant found; syncing it", "tenant", ts.t.ID, "dir", ts.t.Dir, "url", ts.t.URL)
	if spawn != nil {
		spawn(ts)
	}
}

// watchTenants looks for new tenant folders on the manager every poll
// interval (one directory read, whatever the number of tenants).
func (d *Daemon) watchTenants(ctx context.Context) {
	t := time.NewTicker(min(d.cfg.SVN.PollInterval, 2*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, ts := range d.discover(ctx) {
				d.discovered(ts)
			}
		}
	}
}
