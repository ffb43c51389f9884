package worker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Sync runs one update with its metrics.
func (w *Worker) Sync(ctx context.Context, why string, rev int64) error {
	opCtx, cancel := w.env.Node.OpContext(ctx)
	defer cancel()
	start := time.Now()
	before := w.rev
	if w.cleanupNext && w.env.Files.Heal(opCtx) {
		// A full disk may have interrupted svn: finish its work first.
		w.cleanupNext = false
	}
	res, err := w.Update(opCtx, rev)
	if err != nil && tenant.Locked(err) && w.env.Files.Heal(opCtx) {
		res, err = w.Update(opCtx, rev)
	}
	if err != nil && why == "notice" && rev > 0 && errors.Is(err, svn.ErrNotFound) {
		// The server lacks the noticed revision yet (a replica behind
		// its master): svn changed nothing, and nothing failed; the
		// caller waits for it.
		return err
	}
	if err != nil {
		w.cleanupNext = w.cleanupNext || tenant.NoSpace(err)
		w.plan.wholeDue = time.Time{} // after a failure, the whole tree
		w.env.State.Observe("update", tenant.ResultError, start)
		w.env.State.Failed(err)
		return err
	}
	if err := w.DropStrays(opCtx); err != nil {
		w.cleanupNext = w.cleanupNext || tenant.NoSpace(err)
		w.env.State.Observe("update", tenant.ResultError, start)
		w.env.State.Failed(err)
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
	w.env.State.Observe("update", result, start)
	w.env.State.Succeeded(res.Revision, true)
	return nil
}

// Update makes the directory what the repository holds: local edits are
// backed up and reverted first, unversioned files in the way of incoming
// ones become local modifications (--force) and get the same treatment
// after the update. svn writes each file to a temporary file and renames it
// into place, so Carbon never sees a half-written one. rev is the revision
// to update to; 0 means HEAD.
func (w *Worker) Update(ctx context.Context, rev int64) (*svn.UpdateResult, error) {
	if rev > 0 && rev < w.rev {
		rev = w.rev // never back: a late notice names an older revision
	}
	w.plan.targeted = false
	if paths, ok := w.targetedPlan(ctx, rev); ok {
		return w.updatePaths(ctx, rev, paths)
	}
	return w.updateWhole(ctx, rev)
}

// updateWhole is update of the whole working copy.
func (w *Worker) updateWhole(ctx context.Context, rev int64) (*svn.UpdateResult, error) {
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
	w.plan.wholeDue = time.Now().Add(w.env.Config.Sync.RescanInterval)
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
func (w *Worker) protectLocal(ctx context.Context, paths ...string) error {
	start := time.Now()
	entries, err := w.svn.StatusWith(ctx, w.t.Dir, svn.StatusOptions{}, paths...)
	if err != nil {
		return fmt.Errorf("svn status %s: %w", w.t.Dir, err)
	}
	if len(paths) == 0 {
		w.plan.wholeCost = time.Since(start)
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
	if _, err := w.env.Files.Backup(files); err != nil {
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
func (w *Worker) moveAsideObstructions(ctx context.Context) (int, error) {
	entries, err := w.svn.StatusWith(ctx, w.t.Dir, svn.StatusOptions{})
	if err != nil {
		return 0, fmt.Errorf("svn status %s: %w", w.t.Dir, err)
	}
	moved := 0
	root := w.env.Files.BackupRoot()
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
		w.env.Files.BackedUp()
		w.log.Warn("local item in the way of the repository's moved aside", "path", e.Path, "backup", dst)
	}
	return moved, nil
}
