package fswatch

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// Hub gives every Watcher of a daemon one fsnotify watcher and one
// close watch. inotify instances are a per-user resource that every program
// of the user shares (fs.inotify.max_user_instances, 128 by default): with
// one per tenant, a manager with more than about a hundred tenants could
// not watch the others ("too many open files"), whose changes then waited
// for the periodic rescan.
type Hub struct {
	fw     *fsnotify.Watcher
	closes *closeWatch // nil: files wait for the quiet time
	done   chan struct{}

	// mu guards subs, the subscriptions by root (a root has two while a
	// Watcher is replaced by another). dispatch takes it.
	mu   sync.Mutex
	subs map[string][]*Sub
	// wmu guards refs and the subscriptions' dirs, and is held across
	// fsnotify's Add and Remove, never by dispatch: fsnotify may wait for
	// dispatch to take an event. refs counts the subscriptions watching
	// each directory, so that one ending leaves the others' in place.
	wmu  sync.Mutex
	refs map[string]int
}

// Sub is one Watcher's share of the hub: the events below its root.
type Sub struct {
	hub  *Hub
	root string
	// shallow: only the events of root and of the entries right in it,
	// none from below them (SubscribeDir).
	shallow bool
	events  chan fsnotify.Event
	errs    chan error          // room for one: a pending error stands for any
	closed  chan string         // nil without a close watch
	dirs    map[string]struct{} // guarded by hub.wmu
}

// subQueue is how many events wait for a Watcher before the next one is
// lost (then it rescans its tree, as after a queue overflow).
const subQueue = 1024

// NewHub starts a hub; with closes it also watches closes (see
// closeWatch), where the system can. Close ends it.
func NewHub(closes bool, log *slog.Logger) (*Hub, error) {
	fw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	h := &Hub{fw: fw, done: make(chan struct{}), subs: map[string][]*Sub{}, refs: map[string]int{}}
	if closes {
		if h.closes, err = newCloseWatch(log); err != nil && log != nil {
			log.Info("closes not watched; changed files wait for a short quiet time", "err", err)
		}
	}
	go h.dispatch()
	return h, nil
}

// Close ends the hub; its Watchers must be done.
func (h *Hub) Close() {
	if h == nil {
		return
	}
	_ = h.fw.Close()
	<-h.done
	h.closes.close()
}

func (h *Hub) dispatch() {
	defer close(h.done)
	for {
		select {
		case ev, ok := <-h.fw.Events:
			if !ok {
				return
			}
			h.route(ev)
		case err, ok := <-h.fw.Errors:
			if !ok {
				return
			}
			// Which tree lost events is not known: every one rescans.
			h.mu.Lock()
			for _, subs := range h.subs {
				for _, s := range subs {
					s.fail(err)
				}
			}
			h.mu.Unlock()
		}
	}
}

// route hands ev to the subscriptions of every root above it (roots may
// nest: each Watcher keeps what is its own).
func (h *Hub) route(ev fsnotify.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := ev.Name; ; {
		for _, s := range h.subs[p] {
			if s.shallow && p != ev.Name && p != filepath.Dir(ev.Name) {
				continue
			}
			select {
			case s.events <- ev:
			default:
				s.fail(fsnotify.ErrEventOverflow)
			}
		}
		parent := filepath.Dir(p)
		if parent == p {
			return
		}
		p = parent
	}
}

// subscribe starts a subscription to the events below root.
func (h *Hub) subscribe(root string) *Sub {
	s := h.newSub(root, false)
	if h.closes != nil {
		s.closed = make(chan string, 256)
	}
	return h.register(s)
}

// SubscribeDir starts a subscription to the events of dir and of the
// entries right in it (made, removed, renamed), without closes: what the
// manager's look for new tenant folders needs of repository/tenants, whose
// tenants' own events, routed through it, it does not want.
func (h *Hub) SubscribeDir(dir string) *Sub {
	return h.register(h.newSub(dir, true))
}

func (h *Hub) newSub(root string, shallow bool) *Sub {
	return &Sub{hub: h, root: root, shallow: shallow, events: make(chan fsnotify.Event, subQueue),
		errs: make(chan error, 1), dirs: map[string]struct{}{}}
}

func (h *Hub) register(s *Sub) *Sub {
	h.mu.Lock()
	h.subs[s.root] = append(h.subs[s.root], s)
	h.mu.Unlock()
	return s
}

// Watched returns how many directories the hub's fsnotify watcher
// watches: a watch in place is the only sign a test has of it.
func (h *Hub) Watched() int { return len(h.fw.WatchList()) }

// Events are the file-system events of the subscription's tree.
func (s *Sub) Events() <-chan fsnotify.Event { return s.events }

// Errs carries the hub's errors, and an event lost for a full queue: the
// subscriber looks at its whole tree again.
func (s *Sub) Errs() <-chan error { return s.errs }

// fail hands the subscription an error unless one is pending already.
func (s *Sub) fail(err error) {
	select {
	case s.errs <- err:
	default:
	}
}

// Add watches dir, and asks the close watch for it too. closeErr, which
// costs only speed, is for the log. made says dir appeared while watched
// (a Create): it may be a directory moved in from another watched tree,
// whose watch fsnotify keeps under the old path (see unstale).
func (s *Sub) Add(dir string, made bool) (closeErr, err error) {
	h := s.hub
	h.wmu.Lock()
	defer h.wmu.Unlock()
	// Added again even when counted: a directory removed and made anew
	// lost its watch with the old one.
	err = h.fw.Add(dir)
	if errors.Is(err, syscall.ENOSPC) && h.closes != nil {
		// fsnotify's watches come first: the close watch gives its up.
		h.closes.shed()
		closeErr = errCloseWatchShed
		err = h.fw.Add(dir)
	}
	if err != nil {
		return closeErr, err
	}
	if made && !slices.Contains(h.fw.WatchList(), dir) {
		if err := h.unstale(dir); err != nil {
			return closeErr, err
		}
	}
	if _, ok := s.dirs[dir]; !ok {
		s.dirs[dir] = struct{}{}
		h.refs[dir]++
	}
	if s.closed != nil && closeErr == nil {
		closeErr = h.closes.add(dir, s.closed)
	}
	return closeErr, nil
}

// unstale is for a directory fsnotify watches under another path: moved
// from one watched tree to another, its inotify watch stayed, and events
// in it would go to the tree it left. Every watched path that is no longer
// on disk is stale: it is forgotten, and dir watched anew. Called with wmu.
func (h *Hub) unstale(dir string) error {
	for p := range h.refs {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			h.forgetLocked(p)
		}
	}
	return h.fw.Add(dir)
}

// forget stops watching dir and the directories below it, for every
// subscription: they were removed or moved away (a directory moved within
// a tree is watched anew at its new path when its Create comes).
func (h *Hub) forget(dir string) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if _, watched := h.refs[dir]; watched {
		h.forgetLocked(dir)
	}
}

func (h *Hub) forgetLocked(dir string) {
	h.mu.Lock()
	var subs []*Sub
	for _, ss := range h.subs {
		subs = append(subs, ss...)
	}
	h.mu.Unlock()
	below := func(p string) bool { return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) }
	for p := range h.refs {
		if !below(p) {
			continue
		}
		delete(h.refs, p)
		_ = h.fw.Remove(p) // gone already if the directory is
		for _, s := range subs {
			if _, ok := s.dirs[p]; ok {
				delete(s.dirs, p)
				h.closes.forget(p, s.closed)
			}
		}
	}
}

// Cancel ends the subscription and drops the watches no other one needs.
func (s *Sub) Cancel() {
	h := s.hub
	h.mu.Lock()
	subs := h.subs[s.root]
	for i, x := range subs {
		if x == s {
			subs = append(subs[:i:i], subs[i+1:]...)
			break
		}
	}
	if len(subs) == 0 {
		delete(h.subs, s.root)
	} else {
		h.subs[s.root] = subs
	}
	h.mu.Unlock()

	h.wmu.Lock()
	defer h.wmu.Unlock()
	for dir := range s.dirs {
		if h.refs[dir]--; h.refs[dir] <= 0 {
			delete(h.refs, dir)
			_ = h.fw.Remove(dir) // gone already if the directory is
		}
	}
	h.closes.drop(s.closed)
}
