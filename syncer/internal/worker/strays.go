package worker

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
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// managerLacks returns the strays (C-Apps in carbonapps the repository
// does not hold) that the manager does not hold either, and may go: it
// asks the manager what decideStrays needs to know, and does what it
// says. Kept because of the manager's holds, strays are checked again at
// the next polls (recheckStrays); kept because the manager did not answer,
// at the polls from StrayAskAgain on.
func (w *Worker) managerLacks(ctx context.Context, strays []string) []string {
	candidates := w.env.Config.Peers
	if u := w.env.Manager.URL(); u != "" {
		candidates = []string{u}
	}
	mode, from, holds := w.env.Manager.Ask(ctx, candidates, w.t.ID)
	f := strayFacts{asked: mode != "", canAsk: len(candidates) > 0, mode: mode, holds: holds}
	if !f.asked {
		f.mode, f.holds = w.env.Manager.Last()
	}
	v := decideStrays(strays, f)
	if v.list {
		f.listed = true
		f.held, f.listErr = w.env.Manager.CApps(ctx, from)
		v = decideStrays(strays, f)
	}
	if v.recheck {
		w.recheckAfter(v.recheckAfter)
	}
	if v.keep != "" {
		w.keep(strays, v.keep, f.mode)
	}
	if v.heldKept > 0 {
		w.log.Debug("C-Apps the repository does not hold yet kept: the manager holds them", "count", v.heldKept)
	}
	return v.remove
}

// recheckAfter has the polls look at the strays again, from after on.
func (w *Worker) recheckAfter(after time.Duration) {
	w.strays.recheck = true
	w.strays.recheckAt = time.Now().Add(after)
}

// keep logs, once per set of strays, that they stay.
func (w *Worker) keep(strays []string, why, mode string) {
	key := why + "\x00" + strings.Join(strays, "\x00")
	if key == w.strays.logged {
		return
	}
	w.strays.logged = key
	if mode == "" {
		mode = "unknown"
	}
	w.log.Info("C-Apps the repository does not hold kept on this worker: "+why,
		"paths", tenant.JoinLimited(strays, 10), "manager_mode", mode)
}

// RecheckStrays looks at the strays of carbonapps again, apart from any
// update, after managerLacks kept them for a reason that may pass without
// a notice (a manager asked, but not sure yet).
func (w *Worker) RecheckStrays(ctx context.Context) {
	opCtx, cancel := w.env.Node.OpContext(ctx)
	defer cancel()
	if err := w.dropStraysIn(opCtx, true); err != nil {
		// Not a failure of the tenant's sync: the next poll tries again.
		w.recheckAfter(0)
		w.log.Debug("C-Apps this worker alone holds not checked again; the next poll tries again", "error", err)
	}
}

// DropStrays removes the C-Apps in carbonapps that only this worker holds:
// pushed by the manager in direct mode (or with ?force=true) and not in the
// repository now that SVN serves again. The manager is the one source of
// truth in both modes: a stray goes only when the manager says it is in
// svn mode and does not hold it (see managerLacks); each file is copied to
// <state_dir>/overwritten first.
func (w *Worker) DropStrays(ctx context.Context) error { return w.dropStraysIn(ctx, w.plan.targeted) }

// dropStraysIn is dropStrays looking at carbonapps alone, or at the whole
// tree.
func (w *Worker) dropStraysIn(ctx context.Context, carbonappsOnly bool) error {
	w.strays.recheck = false
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
			!carbonapp.IsCApp(name) || w.env.Files.Ignored(e.Path) {
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
	root, err := w.env.Files.Backup(strays)
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
