package syncer

import (
	"github.com/depsync/depsync/syncer/internal/tenantrun"
	"github.com/depsync/depsync/syncer/internal/worker"
)

// newWorker is the worker role of ts (package worker): the tenant's
// runtime is its State, Files and Node; the daemon lends its svn, watches
// and view of its manager.
func (d *Daemon) newWorker(ts *tenantrun.Runtime) *worker.Worker {
	var fromAPI func(string) bool
	if d.arrivals != nil {
		fromAPI = d.arrivals.FromAPI
	}
	return worker.New(worker.Env{
		Tenant:  ts.Tenant(),
		Config:  d.cfg,
		Log:     ts.Log(),
		SVN:     d.svn,
		Watches: d.watches,
		FromAPI: fromAPI,
		Signals: worker.Signals{Wake: ts.Wake(), Tick: ts.Tick(), Notified: ts.NotifiedRev(), Changed: ts.ChangedRev()},
		State:   ts,
		Files:   ts,
		Node:    ts,
		Manager: d.mgr,
	})
}
