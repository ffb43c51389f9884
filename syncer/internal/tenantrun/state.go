package tenantrun

import (
	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/drift"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Status is the tenant's state as /v1/status and /readyz show it (a copy).
func (r *Runtime) Status() tenant.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.Copy()
}

// Rejections are the files rejected now, by path.
func (r *Runtime) Rejections() []api.Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.RejectedList()
}

// SetReady marks the tenant ready without a sync (direct mode).
func (r *Runtime) SetReady() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Ready = true
	r.st.LastSuccess = r.env.Now()
}

// Succeeded records a successful operation (synced: it synced something
// or confirmed there was nothing to sync, rather than only probing).
func (r *Runtime) Succeeded(rev int64, synced bool) {
	now := r.env.Now()
	r.mu.Lock()
	r.st.Succeeded(rev, synced, now)
	rev, wanted := r.st.Revision, r.st.Wanted
	r.mu.Unlock()
	m := r.metrics()
	m.setLastSuccess(now)
	m.setFailures(0)
	m.setRevision(rev)
	m.setLag(rev, wanted)
	r.env.Node.SVNResult(nil)
}

// Waiting records why the tenant cannot sync for now (nil: it can).
func (r *Runtime) Waiting(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.SetWaiting(err)
}

// WaitOver takes back a wait the daemon said (Waiting), also as the last
// error: the wait was no failure of the tenant's.
func (r *Runtime) WaitOver(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Waiting == why {
		r.st.Waiting = ""
	}
	if r.st.LastError == why {
		r.st.LastError = ""
	}
}

// Failed records a failed operation, and counts it for the mode.
func (r *Runtime) Failed(err error) {
	r.mu.Lock()
	r.st.Failed(err)
	n := r.st.Failures
	r.mu.Unlock()
	r.metrics().setFailures(n)
	r.env.Node.SVNResult(err)
}

// Probed records a successful server check: it keeps readiness current
// without resetting the failures of the commits. A worker backing off after
// a failed update is not refreshed: its staleness is what /readyz reports.
// The caller records the result for the mode (SVNResult) once per check.
func (r *Runtime) Probed() {
	if r.backingOff.Load() {
		return
	}
	now := r.env.Now()
	r.mu.Lock()
	r.st.LastSuccess = now
	r.mu.Unlock()
	r.metrics().setLastSuccess(now)
}

// ProbeFailed records a failed server check on the tenant, without
// counting it for the mode (the hub does that once per check).
func (r *Runtime) ProbeFailed(err error) {
	r.mu.Lock()
	r.st.ProbeFailed(err)
	n := r.st.Failures
	r.mu.Unlock()
	r.metrics().setFailures(n)
}

// Wanted records the newest revision a notice named to the worker and why
// its server lacks it for long ("": it does not, or not for long).
func (r *Runtime) Wanted(rev int64, behind string) {
	r.mu.Lock()
	r.st.Wanted, r.st.Behind = rev, behind
	have := r.st.Revision
	r.mu.Unlock()
	r.metrics().setLag(have, rev)
}

// ShowDrift makes s what /v1/status and depsync_drift_files show.
func (r *Runtime) ShowDrift(s drift.Set) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Drift = s
}

// Rejected keeps the manager's metrics and status in step with its gate's
// rejections (old, rej: before and after, nil for none).
func (r *Runtime) Rejected(rel string, old, rej *api.Rejection) {
	r.metrics().rejected(old, rej)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Reject(rel, rej)
}
