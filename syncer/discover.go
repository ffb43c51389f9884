package syncer

import (
	"context"
	"time"

	"github.com/depsync/depsync/syncer/internal/discover"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// Runtime discovery of tenants (carbon.tenants: all; see package
// discover): the daemon adds and starts what it finds. A tenant folder
// removed on the manager is handled in tenantrm.go.

// discover adds the tenants found now and returns the new ones.
func (d *Daemon) discover(ctx context.Context) []*tenantrun.Runtime {
	env := discover.Env{Config: d.cfg, Log: d.log, OpContext: d.opContext,
		// d.svn is nil without svn.url: asked only with one.
		ListDirs: func(ctx context.Context, url string) ([]string, error) { return d.svn.ListDirs(ctx, url) }}
	var added []*tenantrun.Runtime
	for _, id := range discover.Find(ctx, env) {
		if ts, ok := d.addTenant(d.cfg.TenantOf(id)); ok {
			added = append(added, ts)
		}
	}
	return added
}

// discovered starts a tenant found at runtime, when the daemon runs.
func (d *Daemon) discovered(ts *tenantrun.Runtime) {
	spawn := d.tenants.spawner()
	t := ts.Tenant()
	d.log.Info("tenant found; syncing it", "tenant", t.ID, "dir", t.Dir, "url", t.URL)
	if spawn != nil {
		spawn(ts)
	}
}

// watchTenants follows repository/tenants on the manager: a tenant folder
// made there is found at once, and every interval besides.
func (d *Daemon) watchTenants(ctx context.Context, every time.Duration) {
	discover.Watch(ctx, d.watches, discover.Dir(d.cfg.Carbon.Home), every, func() {
		for _, ts := range d.discover(ctx) {
			d.discovered(ts)
		}
	})
}
