package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/drift"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/fswatch"
)

// driftQuiet and driftMaxDelay bound how long the watch of a worker waits
// for a burst of events to end before it looks: drift shows in /v1/status
// within 2 s of the change.
const (
	driftQuiet    = 200 * time.Millisecond
	driftMaxDelay = time.Second
)

// driftWait is how long a path has drifted before a poll puts it back (at
// most the poll interval): a change still being made is taken whole, and
// /v1/status can show it before it goes.
const driftWait = time.Second

// driftWatch is a worker's watch of its own deployment directory: the
// batches of paths events named, the set of drifted paths, and the timer
// of the polls that put them back. Only the worker's loop uses it.
type driftWatch struct {
	batches chan fswatch.Batch
	set     drift.Set
	poll    *time.Timer
	armed   bool
	// failed is the last failure logged, so that a failure that repeats
	// at every poll is logged once.
	failed string
	stop   func()
}

// watchDrift starts the watch of the worker's directory; stop ends it. The
// paths are looked at by the loop itself (lookAtDrift), between its
// updates: svn's own writes are then over, and what they touched shows as
// the repository's.
func (w *Worker) watchDrift(ctx context.Context) *driftWatch {
	ctx, cancel := context.WithCancel(ctx)
	dw := &driftWatch{batches: make(chan fswatch.Batch), poll: newStoppedTimer()}
	wt := fswatch.NewWatcher(w.t.Dir, w.env.Config.Ignored, min(driftQuiet, max(w.env.Config.Sync.Debounce, time.Millisecond)),
		driftMaxDelay, w.log)
	wt.UseHub(w.env.Watches)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := wt.Run(ctx, dw.batches); err != nil && ctx.Err() == nil {
			w.log.Warn("the deployment directory is not watched: drift waits for the next whole update", "err", err)
		}
	}()
	dw.stop = func() { cancel(); wg.Wait(); dw.poll.Stop() }
	return dw
}

// newStoppedTimer is a timer that fires only once it is Reset.
func newStoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// polls is the channel of the polls that put drift back.
func (dw *driftWatch) polls() <-chan time.Time { return dw.poll.C }

// lookAtDrift judges the paths of a batch (or, after lost events, what svn
// says of the whole tree) and shows the drifted ones.
func (w *Worker) lookAtDrift(ctx context.Context, dw *driftWatch, b fswatch.Batch) {
	looked := drift.Looked(b.Paths)
	if b.Rescan {
		looked = []string{"."}
	}
	if len(looked) == 0 {
		return
	}
	opCtx, cancel := w.env.Node.OpContext(ctx)
	defer cancel()
	if err := w.lookAt(opCtx, dw, looked, b.Rescan); err != nil {
		w.log.Debug("changes in the deployment directory not looked at; the next change or update does", "err", err)
	}
}

// lookAt runs svn status on looked and updates the set. A look at the
// whole tree ("." alone) leaves out the files the repository does not hold
// that no event named: they were there before this run (pushed through the
// API before a restart, kept as strays), and follow the strays' rules.
func (w *Worker) lookAt(ctx context.Context, dw *driftWatch, looked []string, whole bool) error {
	opts := svn.StatusOptions{Depth: "empty"}
	paths := looked
	if whole {
		opts.Depth, paths = "", nil
	}
	entries, err := w.svn.StatusWith(ctx, w.t.Dir, opts, paths...)
	if err != nil {
		return fmt.Errorf("svn status %s: %w", w.t.Dir, err)
	}
	found, items := map[string]drift.Change{}, map[string]string{}
	for _, e := range entries {
		if e.Path == "." {
			continue
		}
		if whole && e.Item == "unversioned" && dw.set[e.Path].Path == "" {
			continue
		}
		c, ok := drift.Judge(drift.Facts{Item: e.Item, Props: e.Props, TreeConflict: e.TreeConflict,
			Ignored: w.env.Files.Ignored(e.Path), FromAPI: w.fromAPI(e.Path)})
		if ok {
			found[e.Path], items[e.Path] = c, e.Item
		}
	}
	var newly []drift.Path
	dw.set, newly = dw.set.Update(looked, found, items, time.Now())
	for _, p := range newly {
		w.log.Warn("drift: a change in the deployment directory that neither the repository nor the manager made; "+
			"the repository's state is put back at the next poll (a copy is kept)", "path", p.Path, "change", string(p.Change))
	}
	w.env.State.ShowDrift(dw.set)
	if len(dw.set) > 0 && !dw.armed {
		dw.poll.Reset(w.env.Config.SVN.PollInterval)
		dw.armed = true
	}
	return nil
}

// fromAPI reports whether the slash path rel of the tenant is a C-App as
// the C-App API last left it (only the super tenant's carbonapps has one).
func (w *Worker) fromAPI(rel string) bool {
	dir, file := path.Split(rel)
	return w.env.FromAPI != nil && dir == "carbonapps/" && w.t.ID == config.SuperTenantID &&
		w.env.FromAPI(file)
}

// undoDrift is the poll of the drift: it puts back the paths drifted for
// driftWait, each after a copy of what it removes or overwrites to
// <state_dir>/overwritten, and logs each once.
func (w *Worker) undoDrift(ctx context.Context, dw *driftWatch) {
	dw.armed = false
	defer func() {
		if len(dw.set) > 0 && !dw.armed {
			dw.poll.Reset(w.env.Config.SVN.PollInterval)
			dw.armed = true
		}
	}()
	due := dw.set.Due(time.Now(), min(driftWait, w.env.Config.SVN.PollInterval))
	if len(due) == 0 {
		return
	}
	opCtx, cancel := w.env.Node.OpContext(ctx)
	defer cancel()
	names := make([]string, len(due))
	for i, p := range due {
		names[i] = p.Path
	}
	// Looked at again first: an update since may have made a path the
	// repository's (a C-App the manager committed meanwhile).
	if err := w.lookAt(opCtx, dw, names, false); err != nil {
		w.driftFailed(dw, err)
		return
	}
	var copies, revert, remove, done []string
	for _, name := range names {
		p, ok := dw.set[name]
		if !ok {
			continue
		}
		done = append(done, name)
		action := drift.Undo(p.Item)
		if drift.Copied(p.Item) {
			files, err := filesBelow(w.t.Dir, name)
			if err != nil {
				w.driftFailed(dw, err)
				return
			}
			copies = append(copies, files...)
		}
		if action == drift.Revert || action == drift.RevertRemove {
			revert = append(revert, name)
		}
		if action == drift.Remove || action == drift.RevertRemove {
			remove = append(remove, name)
		}
	}
	if len(done) == 0 {
		return
	}
	root, err := w.env.Files.Backup(copies)
	if err != nil {
		w.driftFailed(dw, err) // nothing was replaced
		return
	}
	if len(revert) > 0 {
		if err := w.svn.Revert(opCtx, w.t.Dir, revert...); err != nil {
			w.driftFailed(dw, fmt.Errorf("svn revert: %w", err))
			return
		}
	}
	for _, name := range remove {
		if err := os.RemoveAll(filepath.Join(w.t.Dir, filepath.FromSlash(name))); err != nil {
			w.driftFailed(dw, fmt.Errorf("remove %s: %w", name, err))
			return
		}
	}
	for _, name := range done {
		w.log.Warn("drift put back: the repository's state is back", "path", name,
			"change", string(dw.set[name].Change), "backup", root)
	}
	dw.failed = ""
	if err := w.lookAt(opCtx, dw, done, false); err != nil {
		w.log.Debug("drift put back, not looked at again; the next change or update does", "err", err)
	}
}

// driftFailed logs a failure to put drift back, once while it repeats;
// the next poll tries again.
func (w *Worker) driftFailed(dw *driftWatch, err error) {
	if msg := err.Error(); msg != dw.failed {
		dw.failed = msg
		w.log.Warn("drift not put back; the next poll tries again", "err", err)
	}
}

// filesBelow returns rel (a slash path of dir) when it is a file, or the
// regular files below it when it is a folder, as slash paths.
func filesBelow(dir, rel string) ([]string, error) {
	root := filepath.Join(dir, filepath.FromSlash(rel))
	fi, err := os.Lstat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", root, err)
	}
	if !fi.IsDir() {
		return []string{rel}, nil
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			r, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", root, err)
	}
	return out, nil
}
