package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// tenantSync keeps one deployment directory in step with one repository
// folder. Its loop (run) is the only writer of the directory; the HTTP
// handlers read its state through status().
type tenantSync struct {
	d     *Daemon
	t     config.Tenant
	label string // the metrics' tenant label
	log   *slog.Logger
	svn   SVN

	// wake is signalled by notices (worker) and is read by the loop; its
	// capacity of one coalesces notices that come during an update into
	// one more update.
	wake chan struct{}
	// notifiedRev is the newest revision a manager's notice announced.
	notifiedRev atomic.Int64
	// changedRev is the newest revision of the tenant's folder the hub
	// saw (the folder's last changed revision, learnt from svn log).
	changedRev atomic.Int64
	// tick is signalled by the hub after each look at the server: the
	// loop then compares changedRev with what it has, without asking svn.
	tick chan struct{}
	// backingOff is set while a worker waits after a failed update: the
	// hub's looks then do not count as the tenant's successes.
	backingOff atomic.Bool
	// looked is set on a manager once a look at the whole tree has run
	// to its end (its deletions, if any, went to the guard): from then on
	// the daemon's held deletions are those of this tenant's files. It is
	// cleared while deletions wait to be judged (sync.delete_settle).
	looked atomic.Bool

	// files is the directory as a working copy: heal, backups.
	files *tenant.Files

	mu sync.Mutex
	st tenantState
}

// tenantState is what /v1/status and /readyz show of a tenant.
type tenantState = tenant.Status

// newTenantSync makes the n-th tenant (0: the super tenant).
func newTenantSync(d *Daemon, t config.Tenant, n int) *tenantSync {
	label := otherTenants
	if n < maxTenantLabels {
		label = tenantLabel(t.ID)
	}
	ts := &tenantSync{
		d:     d,
		t:     t,
		label: label,
		log:   d.log.With("tenant", t.ID),
		svn:   d.svn,
		wake:  make(chan struct{}, 1),
		tick:  make(chan struct{}, 1),
		st:    tenant.NewStatus(),
	}
	ts.files = &tenant.Files{Dir: t.Dir, ID: t.ID, StateDir: d.cfg.StateDir, Log: ts.log, SVN: ts.svn,
		Backups: d.backups, Kept: func() { d.m.backups.WithLabelValues(label).Inc() }}
	return ts
}

func (ts *tenantSync) status() tenantState {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.st.Copy()
}

func (ts *tenantSync) rejectedList() []Rejection {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.st.RejectedList()
}

// setReady marks the tenant ready without a sync (direct mode).
func (ts *tenantSync) setReady() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.st.Ready = true
	ts.st.LastSuccess = time.Now()
}

// poke asks the loop for an update soon; it never blocks.
func (ts *tenantSync) poke() {
	select {
	case ts.wake <- struct{}{}:
	default:
	}
}

// notified records a manager's notice of revision rev of the tenant's
// folder and wakes the loop up.
func (ts *tenantSync) notified(rev int64) {
	for {
		old := ts.notifiedRev.Load()
		if rev <= old || ts.notifiedRev.CompareAndSwap(old, rev) {
			break
		}
	}
	ts.poke()
}

// succeeded records a successful operation (changed: it synced something
// or confirmed there was nothing to sync, rather than only probing).
func (ts *tenantSync) succeeded(rev int64, synced bool) {
	now := time.Now()
	ts.mu.Lock()
	ts.st.Succeeded(rev, synced, now)
	rev, wanted := ts.st.Revision, ts.st.Wanted
	ts.mu.Unlock()
	ts.setLastSuccess(now)
	ts.setFailures(0)
	if rev > 0 && ts.label != otherTenants {
		ts.d.m.revision.WithLabelValues(ts.label).Set(float64(rev))
	}
	ts.setLag(rev, wanted)
	ts.d.svnResult(nil)
}

// waiting records why the tenant cannot sync for now (nil: it can).
func (ts *tenantSync) waiting(err error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.st.SetWaiting(err)
}

func (ts *tenantSync) failed(err error) {
	ts.mu.Lock()
	ts.st.Failed(err)
	n := ts.st.Failures
	ts.mu.Unlock()
	ts.setFailures(n)
	ts.d.svnResult(err)
}

// observe records an operation's metrics.
func (ts *tenantSync) observe(op, result string, start time.Time) {
	ts.d.m.ops.WithLabelValues(ts.label, op, result).Inc()
	ts.d.m.duration.WithLabelValues(ts.label, op).Observe(time.Since(start).Seconds())
}

// fatal reports errors that retrying cannot fix: the daemon stops with them.
func fatal(err error) bool {
	return IsConfigError(err) || errors.Is(err, svn.ErrAuth) || errors.Is(err, svn.ErrNotInstalled)
}

// run is the tenant's loop, by role.
func (ts *tenantSync) run(ctx context.Context) error {
	ts.files.RemoveStalePlaceholders()
	if ts.d.cfg.Role == config.RoleManager {
		return newManager(ts).Run(ctx)
	}
	return newWorker(ts).Run(ctx)
}

// once runs one full sync, by role.
func (ts *tenantSync) once(ctx context.Context) error {
	if ts.d.cfg.Role == config.RoleManager {
		return newManager(ts).Once(ctx)
	}
	return newWorker(ts).Once(ctx)
}

// prepareWithRetry runs prepare until it succeeds, ctx is done or the
// error is fatal, backing off in between.
func (ts *tenantSync) prepareWithRetry(ctx context.Context, prepare func(context.Context) error) error {
	var f tenant.Failures
	for {
		// A few tenants at a time (see startParallel); the slot is given
		// back before waiting, so a tenant that cannot start holds up none.
		if !ts.d.startSlot(ctx) {
			return nil
		}
		opCtx, cancel := ts.d.opContext(ctx)
		start := time.Now()
		err := prepare(opCtx)
		cancel()
		ts.d.startDone()
		if err == nil {
			f.OK(ts.log, "start-up")
			return nil
		}
		ts.observe("prepare", tenant.ResultError, start)
		ts.failed(err)
		if fatal(err) {
			return err
		}
		wait := f.Fail(ts.log, "start-up", err)
		// A notice means the manager is there: try again at once.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		case <-ts.wake:
		}
	}
}

// checkWorkingCopy makes sure dir is a working copy of the tenant's URL, so
// that a directory checked out from elsewhere is never committed to (or
// overwritten from) the wrong folder.
func (ts *tenantSync) checkWorkingCopy(ctx context.Context) (*svn.Info, error) {
	info, err := ts.svn.Info(ctx, ts.t.Dir)
	if oldFormat(err) {
		if err := ts.upgradeWorkingCopy(ctx); err != nil {
			return nil, err
		}
		info, err = ts.svn.Info(ctx, ts.t.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("svn info %s: %w", ts.t.Dir, err)
	}
	if !sameLocation(info.URL, ts.t.URL) {
		return nil, configErrorf("%s is a working copy of %s, not of %s: move it away or fix svn.url", ts.t.Dir, info.URL, ts.t.URL)
	}
	return info, nil
}

// hasFolder reports whether the tenant's repository folder exists: with
// many tenants asking at once, one svn list of the folder holding theirs
// answers them all. Without the tenant id in the URL (nothing to list
// above svn.url), or when the list fails, it asks svn info.
func (ts *tenantSync) hasFolder(ctx context.Context) (bool, error) {
	if ts.d.cfg.SVN.AppendTenantID {
		if exists, err := ts.svn.HasFolder(ctx, ts.t.URL); err == nil || fatal(err) {
			return exists, err
		}
	}
	info, err := ts.svn.Info(ctx, ts.t.URL)
	if errors.Is(err, svn.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("svn info %s: %w", ts.t.URL, err)
	}
	if info.Kind != "dir" {
		return false, configErrorf("%s is a %s in the repository, not a folder", ts.t.URL, info.Kind)
	}
	return true, nil
}

// ignoredPath reports whether any component of the slash path rel matches
// an ignore pattern.
func (ts *tenantSync) ignoredPath(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part != "." && ts.d.cfg.Ignored(part) {
			return true
		}
	}
	return false
}

// sleepCtx waits d or until ctx is done; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool { return tenant.Sleep(ctx, d) }

// probed records a successful server check: it keeps readiness current
// without resetting the failures of the commits. A worker backing off after
// a failed update is not refreshed: its staleness is what /readyz reports.
// The caller records the result for the mode (svnResult) once per check.
func (ts *tenantSync) probed() {
	if ts.backingOff.Load() {
		return
	}
	now := time.Now()
	ts.mu.Lock()
	ts.st.LastSuccess = now
	ts.mu.Unlock()
	ts.setLastSuccess(now)
}

// probeFailed records a failed server check on the tenant, without
// counting it for the mode (the hub does that once per check).
func (ts *tenantSync) probeFailed(err error) {
	ts.mu.Lock()
	ts.st.ProbeFailed(err)
	n := ts.st.Failures
	ts.mu.Unlock()
	ts.setFailures(n)
}

// setLastSuccess sets the tenant's gauge; the tenants without their own
// label have none (depsync_tenants counts them).
func (ts *tenantSync) setLastSuccess(at time.Time) {
	if ts.label != otherTenants {
		ts.d.m.lastSuccess.WithLabelValues(ts.label).Set(float64(at.UnixNano()) / 1e9)
	}
}

// setFailures sets the tenant's gauge. A tenant without its own label has
// a series of its own only while it fails: the series stay as few as the
// tenants in error.
func (ts *tenantSync) setFailures(n int) {
	switch {
	case ts.label != otherTenants:
		ts.d.m.failures.WithLabelValues(ts.label).Set(float64(n))
	case n > 0:
		ts.d.m.failures.WithLabelValues(tenantLabel(ts.t.ID)).Set(float64(n))
	default:
		ts.d.m.failures.DeleteLabelValues(tenantLabel(ts.t.ID))
	}
}

// changed records that the tenant's folder changed in revision rev.
func (ts *tenantSync) changed(rev int64) {
	for {
		old := ts.changedRev.Load()
		if rev <= old || ts.changedRev.CompareAndSwap(old, rev) {
			return
		}
	}
}

// tickle tells the loop the hub looked; it never blocks.
func (ts *tenantSync) tickle() {
	select {
	case ts.tick <- struct{}{}:
	default:
	}
}

// wanted records the newest revision a notice named to the worker and why
// its server lacks it for long ("": it does not, or not for long).
func (ts *tenantSync) wanted(rev int64, behind string) {
	ts.mu.Lock()
	ts.st.Wanted, ts.st.Behind = rev, behind
	have := ts.st.Revision
	ts.mu.Unlock()
	ts.setLag(have, rev)
}

// setLag sets depsync_replica_lag_revisions: how many revisions the
// worker is behind the newest one it was told of.
func (ts *tenantSync) setLag(have, wanted int64) {
	if wanted == 0 || ts.label == otherTenants {
		return
	}
	ts.d.m.replicaLag.WithLabelValues(ts.label).Set(float64(max(0, wanted-have)))
}
