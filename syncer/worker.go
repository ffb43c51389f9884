package syncer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// worker follows the repository: it never commits.
type worker struct {
	*tenantSync
	fails tenant.Failures
	// rev is the working copy's revision after the last update.
	rev int64
	// target is the revision the last update aimed at (0: HEAD), for its
	// retry.
	target int64
	// seenRev is the newest revision the poll saw, and seenAt when it
	// first saw it: a revision nobody notified is only taken once it has
	// been there for settle (see poll).
	seenRev int64
	seenAt  time.Time
	settle  time.Duration
	// keptLogged is the last set of strays logged as kept (see keep).
	keptLogged string
	// strayRecheck: strays were kept for a reason that may pass without a
	// notice (the manager's holds, or no answer from it); the polls from
	// strayRecheckAt on check them again (see managerLacks).
	strayRecheck   bool
	strayRecheckAt time.Time
	// cleanupNext: the last try ran out of space; the next one starts
	// with svn cleanup.
	cleanupNext bool
	// relRoot is the folder in the repository (relKnown once learnt), as
	// svn log prints paths; wholeCost what the last look at the whole
	// working copy took and wholeDue when the next update takes it whole
	// again; targeted tells the last update took only the changed paths
	// (see targeted.go).
	relRoot   string
	relKnown  bool
	wholeCost time.Duration
	wholeDue  time.Time
	targeted  bool
	// fresh: prepare checked the folder out into an empty directory.
	fresh bool
}

func newWorker(ts *tenantSync) *worker {
	return &worker{tenantSync: ts,
		settle: max(2*time.Second, 4*ts.d.cfg.Sync.Debounce)}
}

// prepare checks the folder out when the directory is not yet a working
// copy. Into a directory that holds files it checks out with --force, which
// keeps the local files (as modifications where the repository has another
// version); protectLocal then backs those up before the repository's
// version replaces them. Nothing is overwritten without a copy.
func (w *worker) prepare(ctx context.Context) error {
	if !svn.IsWorkingCopy(w.t.Dir) {
		exists, err := w.hasFolder(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%s does not exist yet; waiting for the manager to create it: %w", w.t.URL, svn.ErrNotFound)
		}
		empty, err := dirEmpty(w.t.Dir)
		if err != nil {
			return &ConfigError{Err: fmt.Errorf("deployment directory: %w", err)}
		}
		if err := os.MkdirAll(w.t.Dir, 0o755); err != nil {
			return &ConfigError{Err: fmt.Errorf("deployment directory: %w", err)}
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
	info, err := w.checkWorkingCopy(ctx)
	if err != nil {
		return err
	}
	w.rev = info.Revision
	w.relRoot, w.relKnown = info.RepoPath()
	return nil
}

// run is the worker's loop: update at start, on notice and when the poll
// sees a new revision; back off after failures.
func (w *worker) run(ctx context.Context) error {
	if err := w.prepareWithRetry(ctx, w.prepare); err != nil || ctx.Err() != nil {
		return err
	}
	dw := w.watchDrift(ctx)
	defer dw.stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backingOff := false
	setBackingOff := func(b bool) { backingOff = b; w.backingOff.Store(b) }

	gone := false
	update := func(why string, rev int64) {
		w.target = rev
		if err := w.sync(ctx, why, rev); err != nil {
			if w.goneFromRepository(ctx) {
				// The manager removed the tenant (approved by a person).
				if rerr := w.removeLocal(); rerr != nil {
					err = errors.Join(err, rerr)
				} else {
					gone = true
					return
				}
			}
			if rev > 0 && errors.Is(err, svn.ErrNotFound) {
				// A revision the repository does not have (a bogus
				// notice, a repository loaded anew): forget it and
				// follow HEAD, or every retry would fail the same way.
				w.notifiedRev.CompareAndSwap(rev, 0)
				w.target = 0
			}
			if backingOff && why == "notice" {
				// An extra try on a notice while backing off: its
				// failure leaves the retry where it was, or the notices
				// of an outage (a full disk) would push the next try
				// further away than the outage lasts.
				w.log.Debug("update failed again", "trigger", why, "error", err)
				return
			}
			wait := w.fails.Fail(w.log, "update", err)
			retry.Reset(wait)
			setBackingOff(true)
			return
		}
		w.fails.OK(w.log, "update")
		if backingOff {
			retry.Stop()
			setBackingOff(false)
		}
	}
	switch {
	case w.fresh:
		// Checked out just now into an empty directory: it is the
		// repository's, with nothing local to protect; a newer revision
		// comes by notice or poll like any.
		w.log.Debug("checked out", "revision", w.rev)
		w.succeeded(w.rev, true)
	case w.d.startSlot(ctx):
		// The first update runs a few tenants at a time (see startSlots).
		update("start", 0)
		w.d.startDone()
	}
	for !gone {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
			// Update to the notified revision, not HEAD: the manager
			// notifies only revisions it knows are whole.
			if rev := w.notifiedRev.Load(); rev > w.rev || backingOff {
				update("notice", rev)
			}
		case <-retry.C:
			setBackingOff(false)
			update("retry", w.target)
		case b := <-dw.batches:
			w.lookAtDrift(ctx, dw, b)
		case <-dw.polls():
			w.undoDrift(ctx, dw)
		case <-w.tick:
			// The hub looked at the server (one look for every tenant).
			if !backingOff {
				// An update looks at the strays itself: no second look.
				updated := false
				w.consider(w.changedRev.Load(), func(why string, rev int64) { updated = true; update(why, rev) })
				if w.strayRecheck && !updated && !time.Now().Before(w.strayRecheckAt) {
					w.recheckStrays(ctx)
				}
			}
		}
	}
	w.d.removeTenant(w.tenantSync)
	return nil
}

// poll asks the server for the folder's last changed revision and
// considers it: the daemon's hub does this for every tenant at once, this
// is the look of one tenant alone.
func (w *worker) poll(ctx context.Context, update func(string, int64)) {
	opCtx, cancel := w.d.opContext(ctx)
	info, err := w.svn.Info(opCtx, w.t.URL)
	cancel()
	if err != nil {
		w.failed(err)
		w.fails.Fail(w.log, "poll", err)
		return
	}
	w.probed()
	w.d.svnResult(nil)
	w.consider(info.LastChangedRev, update)
}

// consider compares the folder's last changed revision with the working
// copy's and updates when it moved. A revision the manager notified is
// taken at once. One it did not notify (the notice was lost, or the
// manager found a C-App rewritten while it was being committed and holds
// the notice back until the whole one follows) is taken once it has been
// the newest for the settle time: by then a half-written C-App has been
// replaced by a newer revision.
func (w *worker) consider(changed int64, update func(string, int64)) {
	if changed <= w.rev {
		return
	}
	notified := w.notifiedRev.Load()
	if notified >= changed {
		update("poll", changed)
		return
	}
	if changed != w.seenRev {
		w.seenRev, w.seenAt = changed, time.Now()
	}
	switch {
	case time.Since(w.seenAt) >= w.settle:
		update("poll", changed)
	case notified > w.rev:
		update("poll", notified)
	}
}

// sync runs one update with its metrics.
func (w *worker) sync(ctx context.Context, why string, rev int64) error {
	opCtx, cancel := w.d.opContext(ctx)
	defer cancel()
	start := time.Now()
	before := w.rev
	if w.cleanupNext && w.heal(opCtx) {
		// A full disk may have interrupted svn: finish its work first.
		w.cleanupNext = false
	}
	res, err := w.update(opCtx, rev)
	if err != nil && tenant.Locked(err) && w.heal(opCtx) {
		res, err = w.update(opCtx, rev)
	}
	if err != nil {
		w.cleanupNext = w.cleanupNext || tenant.NoSpace(err)
		w.wholeDue = time.Time{} // after a failure, the whole tree
		w.observe("update", tenant.ResultError, start)
		w.failed(err)
		return err
	}
	if err := w.dropStrays(opCtx); err != nil {
		w.cleanupNext = w.cleanupNext || tenant.NoSpace(err)
		w.observe("update", tenant.ResultError, start)
		w.failed(err)
		return err
	}
	result := tenant.ResultNoop
	if len(res.Changed) > 0 {
		result = tenant.ResultSuccess
		w.log.Info("updated", "revision", res.Revision, "from", before, "changes", len(res.Changed),
			"trigger", why, "took", time.Since(start).Round(time.Millisecond))
	} else {
		w.log.Debug("up to date", "revision", res.Revision, "trigger", why)
	}
	w.observe("update", result, start)
	w.succeeded(res.Revision, true)
	return nil
}

// update makes the directory what the repository holds: local edits are
// backed up and reverted first, unversioned files in the way of incoming
// ones become local modifications (--force) and get the same treatment
// after the update. svn writes each file to a temporary file and renames it
// into place, so Carbon never sees a half-written one. rev is the revision
// to update to; 0 means HEAD.
func (w *worker) update(ctx context.Context, rev int64) (*svn.UpdateResult, error) {
	if rev > 0 && rev < w.rev {
		rev = w.rev // never back: a late notice names an older revision
	}
	w.targeted = false
	if paths, ok := w.targetedPlan(ctx, rev); ok {
		return w.updatePaths(ctx, rev, paths)
	}
	return w.updateWhole(ctx, rev)
}

// updateWhole is update of the whole working copy.
func (w *worker) updateWhole(ctx context.Context, rev int64) (*svn.UpdateResult, error) {
	opts := svn.UpdateOptions{Force: true, Revision: rev}
	if err := w.protectLocal(ctx); err != nil {
		return nil, err
	}
	res, err := w.svn.UpdateWith(ctx, w.t.Dir, opts)
	if errors.Is(err, svn.ErrObstructed) {
		// Something --force cannot take over, such as a local directory
		// where a file comes: move what is in the way aside and retry.
		moved, merr := w.moveAsideObstructions(ctx)
		if merr != nil {
			return nil, errors.Join(err, merr)
		}
		if moved > 0 {
			res, err = w.svn.UpdateWith(ctx, w.t.Dir, opts)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("svn update %s: %w", w.t.Dir, err)
	}
	w.rev = res.Revision
	w.wholeDue = time.Now().Add(w.d.cfg.Sync.RescanInterval)
	recheck := len(res.Conflicts) > 0 || len(res.Skipped) > 0
	for _, c := range res.Changed {
		// G: svn merged into a file someone edited after the look
		// before the update; the repository's version must win there too.
		if c.Action == "E" || c.Action == "C" || c.Action == "G" {
			recheck = true
		}
	}
	if recheck {
		if err := w.protectLocal(ctx); err != nil {
			return nil, err
		}
		if len(res.Skipped) > 0 {
			// What was skipped (still in conflict) is clean now.
			again, err := w.svn.UpdateWith(ctx, w.t.Dir, opts)
			if err != nil {
				return nil, fmt.Errorf("svn update %s: %w", w.t.Dir, err)
			}
			again.Changed = append(res.Changed, again.Changed...)
			res = again
			w.rev = res.Revision
		}
	}
	return res, nil
}

// protectLocal backs up every local change svn knows of (below paths, or
// in the whole working copy) and reverts it, so that the repository's
// version wins and the person's version is kept in
// <state_dir>/overwritten. Unversioned files are left alone: they are
// nobody's business until one is in the way of an incoming file.
func (w *worker) protectLocal(ctx context.Context, paths ...string) error {
	start := time.Now()
	entries, err := w.svn.StatusWith(ctx, w.t.Dir, svn.StatusOptions{}, paths...)
	if err != nil {
		return fmt.Errorf("svn status %s: %w", w.t.Dir, err)
	}
	if len(paths) == 0 {
		w.wholeCost = time.Since(start)
	}
	var revert, files []string
	for _, e := range entries {
		local := e.TreeConflict || e.Props == "modified" || e.Props == "conflicted"
		switch e.Item {
		case "modified", "replaced", "conflicted", "obstructed", "added":
			local = true
			if e.Kind != "dir" {
				files = append(files, e.Path)
			}
			if e.Item == "conflicted" {
				// svn merged into the file and left the person's own
				// version next to it; revert removes that copy.
				files = append(files, e.Path+".mine")
			}
		case "deleted", "missing":
			local = true
		}
		if local {
			revert = append(revert, e.Path)
		}
	}
	if len(revert) == 0 {
		return nil
	}
	if _, err := w.backup(files); err != nil {
		return err
	}
	if err := w.svn.Revert(ctx, w.t.Dir, revert...); err != nil {
		return fmt.Errorf("svn revert: %w", err)
	}
	w.log.Info("local changes reverted; the repository's version wins", "paths", tenant.JoinLimited(revert, 10))
	return nil
}

// moveAsideObstructions moves each unversioned item that exists in the
// repository too out of the way, into the backup folder, and returns how
// many it moved.
func (w *worker) moveAsideObstructions(ctx context.Context) (int, error) {
	entries, err := w.svn.StatusWith(ctx, w.t.Dir, svn.StatusOptions{})
	if err != nil {
		return 0, fmt.Errorf("svn status %s: %w", w.t.Dir, err)
	}
	moved := 0
	root := w.backupRoot()
	for _, e := range entries {
		if e.Item != "unversioned" && e.Item != "obstructed" {
			continue
		}
		if _, err := w.svn.Info(ctx, svn.JoinURL(w.t.URL, e.Path)); err != nil {
			if errors.Is(err, svn.ErrNotFound) {
				continue // not in the way of anything
			}
			return moved, err
		}
		src := filepath.Join(w.t.Dir, filepath.FromSlash(e.Path))
		dst := filepath.Join(root, filepath.FromSlash(e.Path))
		if err := atomicfile.Move(src, dst); err != nil {
			return moved, fmt.Errorf("move %s aside: %w", src, err)
		}
		moved++
		w.d.m.backups.WithLabelValues(w.label).Inc()
		w.log.Warn("local item in the way of the repository's moved aside", "path", e.Path, "backup", dst)
	}
	return moved, nil
}

// dropStrays removes the C-Apps in carbonapps that only this worker holds:
// pushed by the manager in direct mode (or with ?force=true) and not in the
// repository now that SVN serves again. The manager is the one source of
// truth in both modes: a stray goes only when the manager says it is in
// svn mode and does not hold it (see managerLacks); each file is copied to
// <state_dir>/overwritten first.
func (w *worker) dropStrays(ctx context.Context) error { return w.dropStraysIn(ctx, w.targeted) }

// dropStraysIn is dropStrays looking at carbonapps alone, or at the whole
// tree.
func (w *worker) dropStraysIn(ctx context.Context, carbonappsOnly bool) error {
	w.strayRecheck = false
	var paths []string
	opts := svn.StatusOptions{}
	if carbonappsOnly {
		// Strays are files of carbonapps: after a targeted update, look
		// there only (the whole tree is looked at by the whole updates).
		if _, err := os.Lstat(filepath.Join(w.t.Dir, "carbonapps")); err != nil {
			return nil
		}
		paths, opts.Depth = []string{"carbonapps"}, "immediates"
	}
	entries, err := w.svn.StatusWith(ctx, w.t.Dir, opts, paths...)
	if err != nil {
		return fmt.Errorf("svn status %s: %w", w.t.Dir, err)
	}
	var strays []string
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Path, "carbonapps/")
		if e.Item != "unversioned" || !ok || strings.Contains(name, "/") ||
			!carbonapp.IsCApp(name) || w.ignoredPath(e.Path) {
			continue
		}
		strays = append(strays, e.Path)
	}
	if len(strays) == 0 {
		return nil
	}
	if strays = w.managerLacks(ctx, strays); len(strays) == 0 {
		return nil
	}
	root, err := w.backup(strays)
	if err != nil {
		return err
	}
	for _, p := range strays {
		if err := os.Remove(filepath.Join(w.t.Dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	w.log.Warn("C-Apps the repository does not hold removed from this worker (the manager is the source of truth); copies kept",
		"paths", tenant.JoinLimited(strays, 10), "backup", root)
	return nil
}

// once brings the directory up to date once.
func (w *worker) once(ctx context.Context) error {
	if err := w.prepare(ctx); err != nil {
		return err
	}
	return w.sync(ctx, "once", 0)
}
