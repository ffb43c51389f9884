package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Targeted updates. An update of the whole working copy costs svn time in
// proportion to the tree (its status looks at every file, and the update
// stamps every node with the new revision): 0.5 s and more for one changed
// file in a 50,000-file tree. When the repository's own log names what
// changed in the tenant's folder since the working copy's revision, the
// worker looks at and updates those paths only: the cost follows the change,
// not the tree. The log is the repository's history, complete by nature,
// so no change is missed; local edits outside those paths are not at risk
// from this update and are dealt with by the next whole update, which runs
// at start, after any failure and every sync.rescan_interval.

const (
	// targetedAbove: targeted updates pay for their extra svn log only
	// when a look at the whole working copy costs more than that.
	targetedAbove = 25 * time.Millisecond
	// maxTargeted is the most paths a targeted update takes; a bigger
	// change goes whole.
	maxTargeted = 256
)

// targetedPlan returns the paths (relative, slash-separated) that changed in
// the tenant's folder after the working copy's revision up to rev, and
// whether a targeted update may take them. It asks svn log only when the
// whole tree is costly to look at.
func (w *Worker) targetedPlan(ctx context.Context, rev int64) ([]string, bool) {
	if rev <= w.rev || w.rev <= 0 || w.plan.wholeCost < targetedAbove || !time.Now().Before(w.plan.wholeDue) {
		return nil, false
	}
	if !w.plan.relKnown {
		info, err := w.svn.Info(ctx, w.t.Dir)
		if err != nil {
			return nil, false
		}
		if w.plan.relRoot, w.plan.relKnown = info.RepoPath(); !w.plan.relKnown {
			return nil, false
		}
	}
	entries, err := w.svn.Log(ctx, w.t.URL, w.rev+1, rev)
	if err != nil {
		w.log.Debug("cannot tell what changed; updating the whole tree", "error", err)
		return nil, false
	}
	seen := map[string]bool{}
	var paths []string
	for _, e := range entries {
		for _, p := range e.Paths {
			rel, ok := strings.CutPrefix(p, w.plan.relRoot)
			if !ok || (rel != "" && rel[0] != '/') {
				continue // another tenant's, in a commit of several
			}
			rel = strings.TrimPrefix(rel, "/")
			if rel == "" {
				return nil, false // the folder itself (its properties, or replaced)
			}
			if !seen[rel] {
				seen[rel] = true
				paths = append(paths, rel)
			}
		}
	}
	if len(paths) > maxTargeted {
		return nil, false
	}
	sort.Strings(paths)
	return paths, true
}

// updatePaths is update for the given paths only: their local edits are
// backed up and reverted, then svn updates them (with their new parent
// folders) to rev. Anything unusual (a conflict, a skipped path, an
// obstruction) goes back to the whole update, which knows how to deal.
func (w *Worker) updatePaths(ctx context.Context, rev int64, paths []string) (*svn.UpdateResult, error) {
	w.plan.targeted = true
	if len(paths) == 0 {
		// Another tenant's revision: nothing of this folder changed.
		w.rev = rev
		return &svn.UpdateResult{Revision: rev}, nil
	}
	var local []string
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(w.t.Dir, filepath.FromSlash(p))); err == nil {
			local = append(local, p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("look at %s: %w", p, err)
		}
	}
	if len(local) > 0 {
		if err := w.protectLocal(ctx, local...); err != nil {
			return nil, err
		}
	}
	opts := svn.UpdateOptions{Force: true, Revision: rev, Parents: true}
	res, err := w.svn.UpdateWith(ctx, w.t.Dir, opts, paths...)
	if err == nil && len(res.Conflicts) == 0 && len(res.Skipped) == 0 && !unsettled(res.Changed) {
		w.rev = rev
		res.Revision = rev
		return res, nil
	}
	if tenant.NoSpace(err) {
		// The whole tree would only find the disk as full, and its
		// error would hide why (the working copy locked by this one):
		// the full disk is what the worker reports and heals from.
		return nil, err
	}
	w.log.Debug("a targeted update needs the whole tree", "error", err)
	w.plan.targeted = false
	return w.updateWhole(ctx, rev)
}

// unsettled reports changes after which the whole update must look again:
// svn found a local item in the way (E), a conflict (C) or merged into a
// file edited since the look before the update (G).
func unsettled(changed []svn.Change) bool {
	for _, c := range changed {
		if c.Action == "E" || c.Action == "C" || c.Action == "G" {
			return true
		}
	}
	return false
}
