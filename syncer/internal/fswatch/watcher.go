package fswatch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/depsync/depsync/syncer/internal/debounce"
	"github.com/fsnotify/fsnotify"
)

// Batch is what the watcher reports after a burst of file-system events
// has gone quiet. Events are hints: the consumer looks at the paths itself.
type Batch struct {
	// Paths are the files and directories touched, relative to the root,
	// slash-separated, sorted and without duplicates.
	Paths []string
	// Rescan is set when events may have been lost (queue overflow,
	// watcher error): the consumer should reconcile the whole tree.
	Rescan bool
}

// Watcher reports changes below a directory tree. fsnotify watches single
// directories, so the Watcher adds a watch for every directory of the tree
// and for each new one as it appears.
type Watcher struct {
	root     string
	ignored  func(name string) bool
	debounce time.Duration
	maxDelay time.Duration
	log      *slog.Logger

	events    atomic.Int64
	overflows atomic.Int64

	// ready is closed once Run has its first watches in place: from then
	// on every change below the root is seen. Tests wait on it.
	ready     chan struct{}
	readyOnce sync.Once

	// hub is the daemon's (see Hub); nil: Run makes one of its own,
	// which watches no closes.
	hub *Hub
}

// NewWatcher returns a watcher of root. ignored is asked about each path
// component (a file or directory name); ignored directories are not
// watched at all, which keeps svn's own writes under .svn out of sight.
// A Batch is sent once no event has come for debounce, or maxDelay after
// the first event of a burst, whichever is first.
func NewWatcher(root string, ignored func(name string) bool, debounce, maxDelay time.Duration, logger *slog.Logger) *Watcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if ignored == nil {
		ignored = func(string) bool { return false }
	}
	return &Watcher{root: filepath.Clean(root), ignored: ignored, debounce: debounce, maxDelay: maxDelay, log: logger,
		ready: make(chan struct{})}
}

// UseHub has Run subscribe to the daemon's hub (see Hub) rather than make
// one of its own, which would watch no closes. It is called before Run.
func (w *Watcher) UseHub(h *Hub) { w.hub = h }

// Ready is closed once Run has its first watches in place: from then on
// every change below the root is seen.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Counts returns how many events the watcher has seen and how many times
// its queue overflowed.
func (w *Watcher) Counts() (events, overflows int64) {
	return w.events.Load(), w.overflows.Load()
}

// Run watches until ctx is done, sending batches to out. It never blocks on
// out while events arrive: events that come while a batch waits to be
// taken are merged into it. It returns ctx.Err() when stopped, or an error
// when the root cannot be watched.
func (w *Watcher) Run(ctx context.Context, out chan<- Batch) error {
	hub := w.hub
	if hub == nil {
		h, err := NewHub(false, w.log)
		if err != nil {
			return fmt.Errorf("watch %s: %w", w.root, err)
		}
		defer h.Close()
		hub = h
	}
	sub := hub.subscribe(w.root)
	defer sub.Cancel()
	closed := sub.closed // nil, and never ready, without a close watch
	if _, err := w.addTree(sub, w.root, false); err != nil {
		return err
	}
	w.readyOnce.Do(func() { close(w.ready) })

	pending := map[string]struct{}{}
	rescan := false
	// burst says when the events gathered are over (see package debounce);
	// wake is its one timer.
	burst := debounce.NewBurst(w.debounce, w.maxDelay)
	wake := stoppedTimer()
	defer wake.Stop()
	// note records an event; complete: a file of the burst is complete
	// (see closeWatch), so the burst needs only the short quiet to end,
	// whatever events come meanwhile (fsnotify's own for that file may
	// come after the close): a lone file goes at once, a burst of files
	// renamed in one after another still goes together.
	note := func(complete bool) {
		burst.Note(time.Now(), complete)
		if at, ok := burst.Next(); ok {
			wake.Reset(time.Until(at))
		}
	}
	for {
		var (
			send chan<- Batch
			b    Batch
		)
		if burst.Ready() {
			send, b = out, w.batch(pending, rescan)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-sub.events:
			rel, keep := w.relative(ev.Name)
			if !keep {
				continue
			}
			w.events.Add(1)
			pending[rel] = struct{}{}
			complete := false
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				// A directory removed or moved away: its watch goes
				// (moved within the tree, its Create comes next).
				hub.forget(ev.Name)
			}
			if ev.Has(fsnotify.Create) {
				// A new directory may already hold files made before its
				// watch was added: report them too.
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					found, err := w.addTree(sub, ev.Name, true)
					if err != nil {
						w.log.Warn("cannot watch new directory; a full rescan will pick it up", "dir", ev.Name, "err", err)
						rescan = true
					}
					for _, p := range found {
						pending[p] = struct{}{}
					}
					// With closes watched, each file found is either
					// closed already or to be reported when it is:
					// nothing is gained by the quiet time.
					complete = closed != nil && len(found) > 0
				}
			}
			note(complete)
		case name := <-closed:
			rel, keep := w.relative(name)
			if !keep {
				continue
			}
			w.events.Add(1)
			pending[rel] = struct{}{}
			// Closed after writing, or renamed in: nothing more of it is
			// coming, so waiting for the events to go quiet gains nothing.
			note(true)
		case err := <-sub.errs:
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.overflows.Add(1)
				w.log.Warn("file-system event queue overflowed; rescanning the whole tree", "root", w.root)
			} else {
				w.log.Warn("watcher error; rescanning the whole tree", "root", w.root, "err", err)
			}
			rescan = true
			note(false)
		case <-wake.C:
			burst.Advance(time.Now())
			if at, ok := burst.Next(); ok {
				wake.Reset(time.Until(at))
			}
		case send <- b:
			pending = map[string]struct{}{}
			rescan = false
			burst.Sent()
			wake.Stop()
		}
	}
}

func (w *Watcher) batch(pending map[string]struct{}, rescan bool) Batch {
	b := Batch{Rescan: rescan, Paths: make([]string, 0, len(pending))}
	for p := range pending {
		b.Paths = append(b.Paths, p)
	}
	sort.Strings(b.Paths)
	return b
}

// relative maps an event's path to the slash-separated path below the
// root, and says whether it is to be reported at all.
func (w *Watcher) relative(name string) (string, bool) {
	rel, err := filepath.Rel(w.root, name)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	for _, part := range strings.Split(rel, "/") {
		if w.ignored(part) {
			return "", false
		}
	}
	return rel, true
}

// addTree watches dir and every directory below it that is not ignored, and
// returns the relative paths of everything it found there. made says dir
// appeared while watched.
func (w *Watcher) addTree(sub *Sub, dir string, made bool) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			// Vanished while walking: its removal arrives as an event.
			return nil
		}
		if p != w.root && w.ignored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if p != dir {
			if rel, keep := w.relative(p); keep {
				found = append(found, rel)
			}
		}
		if d.IsDir() {
			closeErr, err := sub.Add(p, made)
			if err != nil {
				return fmt.Errorf("watch %s: %w", p, err)
			}
			if closeErr != nil {
				// Only speed is lost: the quiet time reports its files.
				w.log.Info("closes not watched; files there wait for the quiet time", "dir", p, "err", closeErr)
			}
		}
		return nil
	})
	if err != nil {
		return found, fmt.Errorf("watch %s: %w", dir, err)
	}
	return found, nil
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
