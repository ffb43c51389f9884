package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/debounce"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/gate"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// maxTargets is how many pending paths are looked at one by one; above it
// one svn status of the whole tree is cheaper.
const maxTargets = 512

// Manager commits its deployment directory: it is the source of truth.
// Its loop (Run) is the only writer of the tenant's working copy.
type Manager struct {
	env Env
	t   config.Tenant
	log *slog.Logger
	svn svnbatch.SVN

	times managerTimes

	// Paths to look at (slash, relative), and whether the whole tree is.
	pending map[string]struct{}
	full    bool
	// gate says which changed files are ready to commit.
	gate *gate.Gate

	nextLook  time.Time // when the next pass is due; zero: none
	notBefore time.Time // backoff after a failure
	fails     tenant.Failures
	// unreachable: the last pass failed for want of the server; its
	// backoff ends when the hub hears from the server again.
	unreachable bool
	suspect     map[string]gate.Sig // a failed commit's files (settleSuspects)
	// knownRev is the newest revision of the folder the manager knows
	// its directory holds: its own last commit or update.
	knownRev int64
	// catchUpNeeded: the working copy and the repository disagree; the
	// next pass runs catchUp first.
	catchUpNeeded bool
	// cleanupNext: a pass ran out of space; the next one starts with svn
	// cleanup.
	cleanupNext bool
	folder      folderState
	del         deletionWait
}

// managerTimes are the manager's settings of time: the debounce and its
// bound (sync.debounce, sync.max_delay) and how often the whole tree is
// looked at (sync.rescan_interval).
type managerTimes struct {
	debounce, maxDelay, rescanEvery time.Duration
}

// New makes the manager of env's tenant. It touches nothing: Run or Once
// do.
func New(env Env) *Manager {
	c := env.Config
	m := &Manager{
		env:     env,
		t:       env.Tenant,
		log:     env.Log,
		svn:     env.SVN,
		times:   managerTimes{debounce: c.Sync.Debounce, maxDelay: c.Sync.MaxDelay, rescanEvery: c.Sync.RescanInterval},
		pending: map[string]struct{}{},
		del:     deletionWait{settleWindow: c.Sync.SettleWindow()},
	}
	m.gate = gate.New(m.t.Dir, m.times.debounce, m.times.maxDelay, m.log, env.State.Rejected)
	return m
}

// Run is the manager's loop: watch, look, commit, notify.
func (m *Manager) Run(ctx context.Context) error {
	if err := m.env.Node.PrepareWithRetry(ctx, m.prepare); err != nil || ctx.Err() != nil {
		return err
	}
	quiet, bound := debounce.ManagerWindows(m.times.debounce, m.times.maxDelay)
	w := fswatch.NewWatcher(m.t.Dir, m.env.Config.Ignored, quiet, bound, m.log)
	w.UseHub(m.env.Watches)
	m.env.Node.Watching(w)
	batches := make(chan fswatch.Batch)
	watchErr := make(chan error, 1)
	// The watcher's goroutine ends with ctx and is waited for, so that
	// nothing of this tenant outlives run. One runs at a time, and sends
	// once: watchErr has room for it even after the loop is gone.
	var watching sync.WaitGroup
	defer watching.Wait()
	// stopWatch ends the watcher to start another (rewatch); the one
	// ended so sends nothing.
	stopWatch := func() {}
	watch := func(after time.Duration) {
		wctx, stop := context.WithCancel(ctx)
		stopWatch = stop
		watching.Add(1)
		go func() {
			defer watching.Done()
			var err error
			if after <= 0 || tenant.Sleep(wctx, after) {
				err = w.Run(wctx, batches)
			} else {
				err = wctx.Err()
			}
			if wctx.Err() != nil && ctx.Err() == nil {
				return // replaced
			}
			watchErr <- err
		}()
	}
	defer func() { stopWatch() }()
	watch(0)
	// The first look waits for the watches: a file written after it but
	// before them would wait for the rescan.
	select {
	case <-w.Ready():
	case err := <-watchErr:
		watchErr <- err // the loop's to handle (it has room: just taken)
	case <-ctx.Done():
		return nil
	}

	look := time.NewTimer(time.Hour)
	look.Stop()
	defer look.Stop()
	rescan := time.NewTimer(tenant.Jitter(m.times.rescanEvery))
	defer rescan.Stop()
	schedule := func(at time.Time) {
		if at.Before(m.notBefore) {
			at = m.notBefore
		}
		if m.nextLook.IsZero() || at.Before(m.nextLook) {
			m.nextLook = at
			look.Reset(time.Until(at))
		}
	}

	var watchFails tenant.Failures
	m.full = true // the start-up reconcile
	first := true // it runs a few tenants at a time (see startParallel)
	schedule(time.Now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-watchErr:
			if ctx.Err() != nil {
				return nil
			}
			// The directory may have been removed and made again: watch
			// it anew and reconcile, since events were lost meanwhile.
			// With backoff, and logged once then summarised, so a missing
			// directory neither spins nor floods the log.
			watch(watchFails.Fail(m.log, "watcher", err))
			m.full = true
			schedule(time.Now().Add(time.Second))
		case b := <-batches:
			watchFails.OK(m.log, "watcher")
			for _, p := range b.Paths {
				m.pending[p] = struct{}{}
			}
			m.full = m.full || b.Rescan
			m.env.Node.Changed()
			schedule(time.Now())
		case <-look.C:
			m.nextLook = time.Time{}
			if first {
				if !m.env.Node.StartSlot(ctx) {
					return nil
				}
			}
			next := m.pass(ctx)
			if first {
				m.env.Node.StartDone()
				first = false
			}
			if m.folder.removed {
				m.env.Node.Removed()
				return nil
			}
			if m.folder.rewatch {
				// The folder came back: the watcher saw the old one go.
				m.folder.rewatch = false
				stopWatch()
				watching.Wait()
				select {
				case <-watchErr: // the old watcher's, now moot
				default:
				}
				watch(0)
			}
			if !next.IsZero() {
				schedule(next)
			}
		case <-m.env.Signals.Wake:
			// An approval (POST /v1/approve): look at everything now.
			m.full = true
			schedule(time.Now())
		case <-rescan.C:
			m.full = true
			schedule(time.Now())
			rescan.Reset(tenant.Jitter(m.times.rescanEvery))
		case <-m.env.Signals.Tick:
			// The hub looked at the server (one look for every tenant).
			m.serverAnswered()
			m.probe(ctx, m.env.Signals.Changed.Load())
			if m.full || len(m.pending) > 0 {
				schedule(time.Now())
			}
		}
	}
}

// pass looks at what is pending, commits what is ready and notifies the
// peers. It returns when the next pass is due, or zero.
func (m *Manager) pass(ctx context.Context) time.Time {
	if len(m.pending) == 0 && !m.full {
		return time.Time{}
	}
	opCtx, cancel := m.env.Node.OpContext(ctx)
	defer cancel()
	start := time.Now()
	pending, full := m.pending, m.full
	m.pending, m.full = map[string]struct{}{}, false
	// While deletions are held only a look at the whole tree can tell
	// whether the files came back.
	full = full || m.holding()

	var res syncResult
	err := m.checkDir()
	m.env.State.Waiting(err)
	if err == nil {
		err = m.folderBack(opCtx)
	}
	if err == nil {
		m.settleSuspects(opCtx) // before svn runs what a failed commit left
	}
	if err == nil && m.cleanupNext && m.env.Files.Heal(opCtx) {
		// A full disk may have interrupted svn: finish its work first.
		m.cleanupNext = false
	}
	if err == nil && m.catchUpNeeded {
		var rev int64
		if rev, err = m.catchUp(opCtx); err == nil {
			m.knownRev = max(m.knownRev, rev)
			full = true
		}
	}
	if err == nil {
		res, err = m.sync(opCtx, pending, full)
		if disagrees(err) {
			// Catch up at once rather than after a backoff: svn's own
			// out-of-date retry may have left conflict markers in the
			// manager's files, which must not stay there.
			m.log.Info("working copy and repository disagree; catching up", "error", err)
			var rev int64
			if rev, err = m.catchUp(opCtx); err == nil {
				m.knownRev = max(m.knownRev, rev)
				res, err = m.sync(opCtx, pending, true)
			}
		}
	}
	if err != nil {
		if errors.Is(err, errDirMissing) {
			// Not the server's fault: the mode stays as it is.
			for p := range pending {
				m.pending[p] = struct{}{}
			}
			m.full = true
			if m.env.Files.Removable() {
				// A tenant folder removed: a deletion for the guard.
				removed, gerr := m.folderGone(opCtx)
				if gerr == nil {
					m.env.State.Looked(true)
					m.fails.OK(m.log, "commit")
					m.notBefore = time.Time{}
					m.folder.removed = removed
					return m.retryGone()
				}
				err = errors.Join(err, gerr)
			}
			wait := m.fails.Fail(m.log, "commit", err)
			m.notBefore = time.Now().Add(wait)
			return m.notBefore
		}
		if disagrees(err) {
			m.catchUpNeeded = true
		}
		m.unreachable = errors.Is(err, svn.ErrUnreachable)
		m.cleanupNext = m.cleanupNext || tenant.NoSpace(err)
		for p := range pending {
			m.pending[p] = struct{}{}
		}
		m.full = m.full || full
		m.env.State.Observe("commit", tenant.ResultError, start)
		m.env.State.Failed(err)
		// Cleaned up: try again at once, but only the first time; a lock
		// that keeps coming back (another agent on this working copy)
		// goes through the backoff like any failure.
		// The heal runs every time; only the retry at once is limited.
		if tenant.Locked(err) && m.env.Files.Heal(opCtx) && m.fails.Count() == 0 {
			m.fails.Fail(m.log, "commit", err)
			return time.Now()
		}
		wait := m.fails.Fail(m.log, "commit", err)
		m.notBefore = time.Now().Add(wait)
		return m.notBefore
	}
	m.fails.OK(m.log, "commit")
	m.notBefore, m.unreachable = time.Time{}, false
	for _, p := range res.waiting {
		m.pending[p] = struct{}{}
	}
	m.full = m.full || res.lookWhole
	result := tenant.ResultNoop
	if res.rev > 0 {
		result = tenant.ResultSuccess
		m.knownRev = res.rev
		m.log.Info("committed", "revision", res.rev, "changes", tenant.JoinLimited(res.summary, 20),
			"took", time.Since(start).Round(time.Millisecond))
		if !res.suspect {
			m.env.Peers.NotifyTenant(m.t.ID, res.rev)
		}
	}
	m.env.State.Observe("commit", result, start)
	m.env.State.Succeeded(res.rev, true)
	return res.nextLook
}

// syncResult is what one pass did.
type syncResult struct {
	rev      int64     // new revision, 0 when nothing was committed
	suspect  bool      // a C-App changed while svn read it: do not announce rev
	summary  []string  // "+a", "~b", "-c"
	waiting  []string  // paths to look at again
	nextLook time.Time // when; zero when nothing waits
	// lookWhole: deletions wait to be judged together; the next look
	// is at the whole tree, so that it finds every one of them.
	lookWhole bool
}

// maxCommit is the most paths one commit takes.
const maxCommit = svnbatch.MaxCommit

// sync finds the changes under pending (or the whole tree), keeps back
// what is not ready and commits the rest.
func (m *Manager) sync(ctx context.Context, pending map[string]struct{}, full bool) (syncResult, error) {
	var res syncResult
	now := m.gate.Now()
	if len(pending) > maxTargets {
		full = true
	}
	cands, conflicted, err := m.changes(ctx, pending, full)
	if err != nil {
		return res, err
	}
	if len(conflicted) > 0 {
		// The manager's directory is the truth: keep its version.
		if _, err := m.resolveLocal(ctx, conflicted); err != nil {
			return res, err
		}
	}

	wait := func(p string, at time.Time) {
		res.waiting = append(res.waiting, p)
		if res.nextLook.IsZero() || at.Before(res.nextLook) {
			res.nextLook = at
		}
	}
	var ready []candidate
	checked := map[string]gate.Sig{} // .car files validated, to check after the commit
	written := map[string]gate.Sig{} // every file committed, as it was looked at
	current := map[string]bool{}
	for _, c := range cands {
		current[c.path] = true
		if m.gate.Odd(c.path, c.op == '-', c.unaddable) {
			continue // rejected: neither committed nor taken for a deletion
		}
		if c.op == '-' || c.dir {
			ready = append(ready, c)
			continue
		}
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(c.path))
		sig, err := gate.Stat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			wait(c.path, now.Add(m.times.debounce)) // gone since: look again
			continue
		}
		if err != nil {
			return res, fmt.Errorf("stat %s: %w", abs, err)
		}
		// A file proven complete goes at once; anything else waits for
		// the quiet time.
		if !m.gate.Complete(c.path, abs, sig) {
			if at, ok := m.gate.Stable(c.path, sig, now); !ok {
				wait(c.path, at)
				continue
			}
		}
		if carbonapp.IsCApp(c.path) {
			ok, at, err := m.gate.ValidCApp(c.path, abs, sig, now)
			if err != nil {
				return res, err
			}
			if !ok {
				if !at.IsZero() {
					wait(c.path, at)
				}
				continue
			}
			checked[c.path] = sig
		}
		m.gate.Passed(c.path)
		written[c.path] = sig
		ready = append(ready, c)
	}
	m.gate.Forget(pending, full, current)
	var deferred bool
	if ready, deferred, err = m.guardDeletions(ctx, ready, full, now, wait); err != nil {
		return res, err
	}
	res.lookWhole = deferred
	switch {
	case deferred:
		// Deletions wait to be judged: what the guard holds is not yet
		// what the files say (a folder being emptied is not held yet),
		// and a worker must not take what the manager lacks as final.
		m.env.State.Looked(false)
	case full:
		// Every deletion of the tree went to the guard: what it holds
		// now is what this tenant's files say, whatever the commit does.
		m.env.State.Looked(true)
	}
	if len(ready) == 0 {
		return res, nil
	}

	// Lease the C-Apps svn is about to read; one still open for writing
	// is not complete and waits for the next look.
	leases, busy := leaseCApps(m.t.Dir, checked)
	defer leases.release()
	ready = m.holdBusy(ready, busy, checked, written, func(p string) { wait(p, now.Add(m.times.debounce)) })
	if len(ready) == 0 {
		return res, nil
	}

	// A huge change (the first commit of a large tree) goes in as several
	// commits: each stays well within the svn timeout, progress is kept
	// if one fails, and workers get the first files early.
	if len(ready) > maxCommit {
		for _, c := range ready[maxCommit:] {
			wait(c.path, now)
		}
		ready = ready[:maxCommit]
	}
	err = m.commit(ctx, ready, written, checked, wait, &res)
	return res, err
}
