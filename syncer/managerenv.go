package syncer

import (
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/manager"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// newManager is the manager role of ts (package manager): the tenant's
// runtime is its State and Files, and with what only the manager tells
// the daemon (managerNode) its Node; the daemon lends its svn, watches,
// guard and peers.
func (d *Daemon) newManager(ts *tenantrun.Runtime) *manager.Manager {
	return manager.New(manager.Env{
		Tenant:    ts.Tenant(),
		Config:    d.cfg,
		Log:       ts.Log(),
		SVN:       d.svn,
		Watches:   d.watches,
		Signals:   manager.Signals{Wake: ts.Wake(), Tick: ts.Tick(), Changed: ts.ChangedRev()},
		State:     ts,
		Files:     ts,
		Node:      managerNode{ts, d},
		Deletions: d.deletions,
		Peers:     d.peers,
	})
}

// managerNode is the daemon around a manager's tenant (manager.Node): the
// tenant's runtime, and the watcher metrics and direct mode of the daemon.
// Its Changed (a change for direct mode to push) hides the runtime's
// Changed(rev) (the hub's news of the tenant's folder), which the manager
// does not call.
type managerNode struct {
	*tenantrun.Runtime
	d *Daemon
}

func (n managerNode) Watching(w *fswatch.Watcher) { n.d.m.watcherMetrics(n.Label(), w) }

// Changed tells direct mode, while it runs, of a change to push.
func (n managerNode) Changed() {
	if d := n.d; d.fallback.direct != nil && d.Mode() == ModeDirect {
		d.fallback.direct.Trigger()
	}
}
