package syncer

import (
	"context"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/manager"
)

// newManager is the manager role of ts (package manager), wired to the
// tenant's runtime state, the daemon, its guard and its peers.
func newManager(ts *tenantSync) *manager.Manager {
	d, side := ts.d, managerSide{ts}
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
// manager (manager.State, manager.Files and manager.Node).
type managerSide struct{ ts *tenantSync }

func (s managerSide) Succeeded(rev int64, synced bool)           { s.ts.succeeded(rev, synced) }
func (s managerSide) Failed(err error)                           { s.ts.failed(err) }
func (s managerSide) Observe(op, result string, start time.Time) { s.ts.observe(op, result, start) }
func (s managerSide) Waiting(err error)                          { s.ts.waiting(err) }
func (s managerSide) Looked(b bool)                              { s.ts.looked.Store(b) }
func (s managerSide) Rejections() []api.Rejection                { return s.ts.rejectedList() }

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
	if r != nil {
		ts.st.Rejected[rel] = *r
	} else {
		delete(ts.st.Rejected, rel)
	}
}

func (s managerSide) HasFolder(ctx context.Context) (bool, error) { return s.ts.hasFolder(ctx) }
func (s managerSide) CheckWorkingCopy(ctx context.Context) (*svn.Info, error) {
	return s.ts.checkWorkingCopy(ctx)
}
func (s managerSide) Heal(ctx context.Context) bool { return s.ts.files.Heal(ctx) }
func (s managerSide) Ignored(rel string) bool       { return s.ts.ignoredPath(rel) }
func (s managerSide) Removable() bool               { return s.ts.removable() }

func (s managerSide) PrepareWithRetry(ctx context.Context, prepare func(context.Context) error) error {
	return s.ts.prepareWithRetry(ctx, prepare)
}
func (s managerSide) StartSlot(ctx context.Context) bool { return s.ts.d.startSlot(ctx) }
func (s managerSide) StartDone()                         { s.ts.d.startDone() }
func (s managerSide) OpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.ts.d.opContext(ctx)
}
func (s managerSide) Watching(w *fswatch.Watcher) { s.ts.d.m.watcherMetrics(s.ts.label, w) }
func (s managerSide) Removed()                    { s.ts.d.removeTenant(s.ts) }

// Changed tells direct mode, while it runs, of a change to push.
func (s managerSide) Changed() {
	if d := s.ts.d; d.fallback.direct != nil && d.Mode() == ModeDirect {
		d.fallback.direct.Trigger()
	}
}
