package syncer

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/fswatch"
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
	spawn := d.tenants.spawner()
	d.log.Info("tenant found; syncing it", "tenant", ts.t.ID, "dir", ts.t.Dir, "url", ts.t.URL)
	if spawn != nil {
		spawn(ts)
	}
}

// watchTenants follows repository/tenants on the manager: a tenant folder
// made there is found at once (a watch on the folder, shared with the
// tenants' own through the daemon's hub), and every interval besides (one
// directory read, whatever the number of tenants), which also covers a
// system without watches and a tenants folder made after the start.
func (d *Daemon) watchTenants(ctx context.Context, every time.Duration) {
	dir := filepath.Join(d.cfg.Carbon.Home, "repository", "tenants")
	t := time.NewTicker(every)
	defer t.Stop()
	var (
		sub     *fswatch.Sub
		events  <-chan fsnotify.Event
		errs    <-chan error
		watched bool
	)
	if d.watches != nil {
		sub = d.watches.SubscribeDir(dir)
		defer sub.Cancel()
		events, errs = sub.Events(), sub.Errs()
	}
	watch := func() {
		if sub != nil && !watched {
			// Missing until the first tenant's folder is made: the next
			// tick tries again.
			_, err := sub.Add(dir, false)
			watched = err == nil
		}
	}
	look := func() {
		for _, ts := range d.discover(ctx) {
			d.discovered(ts)
		}
	}
	watch()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			watch()
			look()
		case ev := <-events:
			// Those queued meanwhile (many folders made at once) go in
			// the same look.
			for more := true; more; {
				if ev.Name == dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
					watched = false // its watch went with it
				}
				select {
				case ev = <-events:
				default:
					more = false
				}
			}
			look()
		case <-errs:
			look() // events were lost: a look covers them
		}
	}
}
