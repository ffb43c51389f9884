package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Worker follows the repository for one tenant: it never commits. Its
// loop (Run) is the only writer of the tenant's directory.
type Worker struct {
	env Env
	t   config.Tenant
	log *slog.Logger
	svn svnbatch.SVN

	fails tenant.Failures
	// rev is the working copy's revision after the last update.
	rev int64
	// target is the revision the last update aimed at (0: HEAD), for its
	// retry.
	target int64
	// seen is the newest revision the poll saw, and when it first saw
	// it: a revision nobody notified is only taken once it has been there
	// for settle (see decideTake).
	seen   sighting
	settle time.Duration
	strays strayState
	plan   planState
	// cleanupNext: the last try ran out of space; the next one starts
	// with svn cleanup.
	cleanupNext bool
	// fresh: prepare checked the folder out into an empty directory.
	fresh bool
}

// strayState is what the worker remembers of the strays it kept.
type strayState struct {
	// logged is the last set of strays logged as kept (see keep).
	logged string
	// recheck: strays were kept for a reason that may pass without a
	// notice (the manager's holds, or no answer from it); the polls from
	// recheckAt on check them again (see managerLacks).
	recheck   bool
	recheckAt time.Time
}

// planState is what a targeted update needs to know (see targeted.go).
type planState struct {
	// relRoot is the folder in the repository (relKnown once learnt), as
	// svn log prints paths; wholeCost what the last look at the whole
	// working copy took and wholeDue when the next update takes it whole
	// again; targeted tells the last update took only the changed paths.
	relRoot   string
	relKnown  bool
	wholeCost time.Duration
	wholeDue  time.Time
	targeted  bool
}

// New makes the worker of env's tenant. It touches nothing: Run or Once
// do.
func New(env Env) *Worker {
	return &Worker{env: env, t: env.Tenant, log: env.Log, svn: env.SVN,
		settle: max(2*time.Second, 4*env.Config.Sync.Debounce)}
}

// Prepare checks the folder out when the directory is not yet a working
// copy. Into a directory that holds files it checks out with --force, which
// keeps the local files (as modifications where the repository has another
// version); protectLocal then backs those up before the repository's
// version replaces them. Nothing is overwritten without a copy.
func (w *Worker) Prepare(ctx context.Context) error {
	if !svn.IsWorkingCopy(w.t.Dir) {
		exists, err := w.env.Files.HasFolder(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%s does not exist yet; waiting for the manager to create it: %w", w.t.URL, svn.ErrNotFound)
		}
		empty, err := dirEmpty(w.t.Dir)
		if err != nil {
			return &tenant.ConfigError{Err: fmt.Errorf("deployment directory: %w", err)}
		}
		if err := os.MkdirAll(w.t.Dir, 0o755); err != nil {
			return &tenant.ConfigError{Err: fmt.Errorf("deployment directory: %w", err)}
		}
		w.log.Info("checking out the repository folder into the deployment directory",
			"dir", w.t.Dir, "url", w.t.URL, "in_place", !empty)
		rev, err := w.svn.Checkout(ctx, w.t.URL, w.t.Dir, !empty)
		if err != nil {
			return fmt.Errorf("checkout %s into %s: %w", w.t.URL, w.t.Dir, err)
		}
		if empty {
			// Checked out just now from the tenant's URL: nothing to
			// check (the folder's place in the repository is learnt
			// when a targeted update first needs it).
			w.rev, w.fresh = rev, true
			return nil
		}
	}
	info, err := w.env.Files.CheckWorkingCopy(ctx)
	if err != nil {
		return err
	}
	w.rev = info.Revision
	w.plan.relRoot, w.plan.relKnown = info.RepoPath()
	return nil
}

// Run is the worker's loop: update at start, on notice and when the poll
// sees a new revision; back off after failures.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.env.Node.PrepareWithRetry(ctx, w.Prepare); err != nil || ctx.Err() != nil {
		return err
	}
	dw := w.watchDrift(ctx)
	defer dw.stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	// look is when to ask the server again for a noticed revision it
	// lacked (a replica behind its master; see decideWait).
	look := time.NewTimer(time.Hour)
	look.Stop()
	defer look.Stop()
	var wait waitState
	backingOff := false
	setBackingOff := func(b bool) { backingOff = b; w.env.State.SetBackingOff(b) }

	gone := false
	// update takes rev (0: HEAD); lacking says a notice named a revision
	// the server does not have yet (a replica behind its master): nothing
	// failed, the caller waits for it (decideWait).
	update := func(why string, rev int64) (lacking bool) {
		w.target = rev
		if err := w.Sync(ctx, why, rev); err != nil {
			if w.GoneFromRepository(ctx) {
				// The manager removed the tenant (approved by a person).
				if rerr := w.RemoveLocal(); rerr != nil {
					err = errors.Join(err, rerr)
				} else {
					gone = true
					return false
				}
			}
			if why == "notice" && !backingOff && rev > 0 && errors.Is(err, svn.ErrNotFound) {
				w.log.Debug("the server lacks the noticed revision yet; waiting for it", "revision", rev)
				return true
			}
			if rev > 0 && errors.Is(err, svn.ErrNotFound) {
				// A revision the repository does not have (a bogus
				// notice, a repository loaded anew): forget it and
				// follow HEAD, or every retry would fail the same way.
				w.env.Signals.Notified.CompareAndSwap(rev, 0)
				w.target = 0
			}
			if backingOff && why == "notice" {
				// An extra try on a notice while backing off: its
				// failure leaves the retry where it was, or the notices
				// of an outage (a full disk) would push the next try
				// further away than the outage lasts.
				w.log.Debug("update failed again", "trigger", why, "error", err)
				return false
			}
			wait := w.fails.Fail(w.log, "update", err)
			retry.Reset(wait)
			setBackingOff(true)
			return false
		}
		w.fails.OK(w.log, "update")
		if backingOff {
			retry.Stop()
			setBackingOff(false)
		}
		return false
	}
	switch {
	case w.fresh:
		// Checked out just now into an empty directory: it is the
		// repository's, with nothing local to protect; a newer revision
		// comes by notice or poll like any.
		w.log.Debug("checked out", "revision", w.rev)
		w.env.State.Succeeded(w.rev, true)
	case w.env.Node.StartSlot(ctx):
		// The first update runs a few tenants at a time (Node.StartSlot).
		update("start", 0)
		w.env.Node.StartDone()
	}
	// waitFor takes the revision wait wants once the server has it, or
	// asks again after a short pause.
	waitFor := func() {
		wanted := wait.wanted
		if wanted <= w.rev {
			wait = waitState{} // a poll took it meanwhile
			return
		}
		var step waitStep
		step, wait = w.lookForWanted(ctx, wait)
		switch {
		case step.take:
			if update("notice", wanted) {
				// Said it had it, then did not (another server behind
				// the URL): look again.
				wait = wait.noticed(wanted, w.rev, time.Now())
				look.Reset(waitFirst)
			}
		case step.next > 0:
			look.Reset(step.next)
		}
	}
	for !gone {
		select {
		case <-ctx.Done():
			return nil
		case <-w.env.Signals.Wake:
			// Update to the notified revision, not HEAD: the manager
			// notifies only revisions it knows are whole.
			rev := w.env.Signals.Notified.Load()
			if rev > wait.wanted && rev > w.rev {
				wait = wait.noticed(rev, w.rev, time.Now())
				w.env.State.Wanted(rev, "")
			}
			switch {
			case backingOff:
				update("notice", rev)
				if wait.wanted > w.rev {
					// The server may lack it too: look again soon.
					look.Reset(waitFirst)
				}
			case rev > w.rev && w.env.Signals.Changed.Load() >= rev:
				// The hub saw the server has it: no need to ask.
				wait = waitState{}
				update("notice", rev)
			case rev > w.rev:
				// Taken at once: the server has it, as it nearly always
				// does; one that lacks it (a replica) is waited for.
				look.Stop()
				if update("notice", rev) {
					look.Reset(waitFirst)
				}
			}
		case <-look.C:
			waitFor()
		case <-retry.C:
			setBackingOff(false)
			update("retry", w.target)
		case b := <-dw.batches:
			w.lookAtDrift(ctx, dw, b)
		case <-dw.polls():
			w.undoDrift(ctx, dw)
		case <-w.env.Signals.Tick:
			// The hub looked at the server (one look for every tenant).
			if !backingOff {
				// An update looks at the strays itself: no second look.
				updated := false
				w.consider(w.env.Signals.Changed.Load(), func(why string, rev int64) { updated = true; update(why, rev) })
				if w.strays.recheck && !updated && !time.Now().Before(w.strays.recheckAt) {
					w.RecheckStrays(ctx)
				}
			}
		}
	}
	w.env.Node.Removed()
	return nil
}

// Poll asks the server for the folder's last changed revision and
// considers it: the daemon's hub does this for every tenant at once, this
// is the look of one tenant alone.
func (w *Worker) Poll(ctx context.Context, update func(string, int64)) {
	opCtx, cancel := w.env.Node.OpContext(ctx)
	info, err := w.svn.Info(opCtx, w.t.URL)
	cancel()
	if err != nil {
		w.env.State.Failed(err)
		w.fails.Fail(w.log, "poll", err)
		return
	}
	w.env.State.Probed()
	w.env.Node.SVNResult(nil)
	w.consider(info.LastChangedRev, update)
}

// consider compares the folder's last changed revision with the working
// copy's and updates when it moved, as decideTake says.
func (w *Worker) consider(changed int64, update func(string, int64)) {
	var take int64
	take, w.seen = decideTake(changed, w.rev, w.env.Signals.Notified.Load(), w.seen, time.Now(), w.settle)
	if take > 0 {
		update("poll", take)
	}
}

// Once brings the directory up to date once.
func (w *Worker) Once(ctx context.Context) error {
	if err := w.Prepare(ctx); err != nil {
		return err
	}
	return w.Sync(ctx, "once", 0)
}

// dirEmpty reports whether dir is missing or holds nothing.
func dirEmpty(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(entries) == 0, nil
}
