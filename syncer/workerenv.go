package syncer

import (
	"context"
	"time"

	"github.com/depsync/depsync/internal/drift"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/worker"
)

// newWorker is the worker role of ts (package worker), wired to the
// tenant's runtime state, the daemon and the daemon's view of its manager.
func newWorker(ts *tenantSync) *worker.Worker {
	d, side := ts.d, workerSide{ts}
	var fromAPI func(string) bool
	if d.arrivals != nil {
		fromAPI = d.arrivals.FromAPI
	}
	return worker.New(worker.Env{
		Tenant:  ts.t,
		Config:  d.cfg,
		Log:     ts.log,
		SVN:     ts.svn,
		Watches: d.watches,
		FromAPI: fromAPI,
		Signals: worker.Signals{Wake: ts.wake, Tick: ts.tick, Notified: &ts.notifiedRev, Changed: &ts.changedRev},
		State:   side,
		Files:   side,
		Node:    side,
		Manager: d.mgr,
	})
}

// workerSide lends a tenant's runtime state, files and daemon to its
// worker (worker.State, worker.Files and worker.Node).
type workerSide struct{ ts *tenantSync }

func (s workerSide) Succeeded(rev int64, synced bool)           { s.ts.succeeded(rev, synced) }
func (s workerSide) Failed(err error)                           { s.ts.failed(err) }
func (s workerSide) Probed()                                    { s.ts.probed() }
func (s workerSide) Observe(op, result string, start time.Time) { s.ts.observe(op, result, start) }
func (s workerSide) ShowDrift(set drift.Set)                    { s.ts.showDrift(set) }
func (s workerSide) SetBackingOff(b bool)                       { s.ts.backingOff.Store(b) }
func (s workerSide) Wanted(rev int64, behind string)            { s.ts.wanted(rev, behind) }

func (s workerSide) HasFolder(ctx context.Context) (bool, error) { return s.ts.hasFolder(ctx) }
func (s workerSide) CheckWorkingCopy(ctx context.Context) (*svn.Info, error) {
	return s.ts.checkWorkingCopy(ctx)
}
func (s workerSide) Heal(ctx context.Context) bool         { return s.ts.files.Heal(ctx) }
func (s workerSide) Backup(paths []string) (string, error) { return s.ts.files.Backup(paths) }
func (s workerSide) BackupRoot() string                    { return s.ts.files.BackupRoot() }
func (s workerSide) BackedUp()                             { s.ts.d.m.backups.WithLabelValues(s.ts.label).Inc() }
func (s workerSide) Ignored(rel string) bool               { return s.ts.ignoredPath(rel) }
func (s workerSide) Removable() bool                       { return s.ts.removable() }

func (s workerSide) PrepareWithRetry(ctx context.Context, prepare func(context.Context) error) error {
	return s.ts.prepareWithRetry(ctx, prepare)
}
func (s workerSide) StartSlot(ctx context.Context) bool { return s.ts.d.startSlot(ctx) }
func (s workerSide) StartDone()                         { s.ts.d.startDone() }
func (s workerSide) OpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.ts.d.opContext(ctx)
}
func (s workerSide) SVNResult(err error) { s.ts.d.svnResult(err) }
func (s workerSide) Removed()            { s.ts.d.removeTenant(s.ts) }
