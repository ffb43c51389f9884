package syncer

import (
	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/manager"
)

// newManager is the manager role of ts (package manager), wired to the
// tenant's runtime state, the daemon, its guard and its peers.
func newManager(ts *tenantSync) *manager.Manager {
	d, side := ts.d, managerSide{workerSide{ts}}
	return manager.New(manager.Env{
		Tenant:    ts.t,
		Config:    d.cfg,
		Log:       ts.log,
		SVN:       ts.svn,
		Watches:   d.watches,
		Signals:   manager.Signals{Wake: ts.wake, Tick: ts.tick, Changed: &ts.changedRev},
		State:     side,
		Files:     side,
		Node:      side,
		Deletions: d.deletions,
		Peers:     d.peers,
	})
}

// managerSide lends a tenant's runtime state, files and daemon to its
// manager (manager.State, manager.Files and manager.Node): what both roles
// use as the worker does (workerSide), and what only the manager reports.
type managerSide struct{ workerSide }

func (s managerSide) Waiting(err error)           { s.ts.waiting(err) }
func (s managerSide) Looked(b bool)               { s.ts.looked.Store(b) }
func (s managerSide) Rejections() []api.Rejection { return s.ts.rejectedList() }

// Rejected keeps the manager's metrics and status in step with its gate's
// rejections.
func (s managerSide) Rejected(rel string, old, r *api.Rejection) {
	ts := s.ts
	if old != nil {
		ts.d.m.rejected.WithLabelValues(ts.label, old.Reason).Dec()
	}
	if r != nil {
		ts.d.m.rejected.WithLabelValues(ts.label, r.Reason).Inc()
		ts.d.m.rejections.WithLabelValues(ts.label, r.Reason).Inc()
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.st.Reject(rel, r)
}

func (s managerSide) Watching(w *fswatch.Watcher) { s.ts.d.m.watcherMetrics(s.ts.label, w) }

// Changed tells direct mode, while it runs, of a change to push.
func (s managerSide) Changed() {
	if d := s.ts.d; d.fallback.direct != nil && d.Mode() == ModeDirect {
		d.fallback.direct.Trigger()
	}
}
