package manager

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
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
	// gate says which changed files are ready to commit.
	gate *gate.Gate

	fails   tenant.Failures
	suspect map[string]gate.Sig // a failed commit's files (settleSuspects)
	// knownRev is the newest revision of the folder the manager knows
	// its directory holds: its own last commit or update.
	knownRev int64
	// cleanupNext: a pass ran out of space; the next one starts with svn
	// cleanup.
	cleanupNext bool
	// goneHeld: the tenant's folder is missing and its removal is held
	// (see folderGone).
	goneHeld bool
	del      deletionWait
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
		env:   env,
		t:     env.Tenant,
		log:   env.Log,
		svn:   env.SVN,
		times: managerTimes{debounce: c.Sync.Debounce, maxDelay: c.Sync.MaxDelay, rescanEvery: c.Sync.RescanInterval},
		del:   deletionWait{settleWindow: c.Sync.SettleWindow()},
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
	// nextLook is when the next pass is due (zero: none); held is the
	// wait after a failed pass.
	var (
		nextLook time.Time
		held     backoff
	)
	schedule := func(at time.Time) {
		if at.Before(held.until) {
			at = held.until
		}
		if nextLook.IsZero() || at.Before(nextLook) {
			nextLook = at
			look.Reset(time.Until(at))
		}
	}

	var watchFails tenant.Failures
	todo := work{full: true} // the start-up reconcile
	first := true            // it runs a few tenants at a time (see Node.StartSlot)
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
			todo.full = true
			schedule(time.Now().Add(time.Second))
		case b := <-batches:
			watchFails.OK(m.log, "watcher")
			todo.add(b.Paths...)
			todo.full = todo.full || b.Rescan
			m.env.Node.Changed()
			schedule(time.Now())
		case <-look.C:
			nextLook = time.Time{}
			if first {
				if !m.env.Node.StartSlot(ctx) {
					return nil
				}
			}
			end := m.pass(ctx, todo)
			todo, held = end.again, end.backoff
			if first {
				m.env.Node.StartDone()
				first = false
			}
			if end.removed {
				m.env.Node.Removed()
				return nil
			}
			if end.rewatch {
				// The folder came back: the watcher saw the old one go.
				stopWatch()
				watching.Wait()
				select {
				case <-watchErr: // the old watcher's, now moot
				default:
				}
				watch(0)
			}
			if !end.next.IsZero() {
				schedule(end.next)
			}
		case <-m.env.Signals.Wake:
			// An approval (POST /v1/approve): look at everything now.
			todo.full = true
			schedule(time.Now())
		case <-rescan.C:
			todo.full = true
			schedule(time.Now())
			rescan.Reset(tenant.Jitter(m.times.rescanEvery))
		case <-m.env.Signals.Tick:
			// The hub looked at the server (one look for every tenant).
			// A pass that failed for want of the server goes at the
			// next schedule, not when its backoff (up to a minute) runs
			// out.
			if ended, ok := held.answered(); ok {
				held, nextLook = ended, time.Time{}
			}
			todo = m.probe(ctx, m.env.Signals.Changed.Load(), todo)
			if !todo.empty() {
				schedule(time.Now())
			}
		}
	}
}
