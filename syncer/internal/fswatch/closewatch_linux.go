package fswatch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// closeWatch reports, to the watchers of one daemon, the files closed after
// writing (IN_CLOSE_WRITE) and the files renamed into a watched folder
// (IN_MOVED_TO): the two moments the kernel knows a file is as its writer
// left it. fsnotify reports neither (a rename in is a Create to it, and
// closes are not reported at all), so this inotify instance runs beside it,
// watching the same folders for these two events only. There is one per
// daemon whatever the number of tenants: inotify instances are a scarce
// per-user resource (fs.inotify.max_user_instances, 128 by default).
//
// Its events only hasten a batch: a watcher that misses them (no watch to
// spare, a full queue) still reports the file after its quiet time.
type closeWatch struct {
	f   *os.File
	log *slog.Logger
	// limit is how many folders it watches at most, a quarter of
	// fs.inotify.max_user_watches: fsnotify's watches come first (and it
	// gives them all up when fsnotify runs out: see shed).
	limit int

	mu     sync.Mutex
	fd     int
	closed bool
	dirs   map[int32]*closeDir
	said   bool // a folder could not be added: said once, not per folder
	done   chan struct{}
}

// closeDir is one watched folder and the channels of the watchers it is
// for: more than one while a watcher replaces another, or roots nest.
type closeDir struct {
	dir string
	to  []chan<- string
}

// closeMask is what the close watch asks of each folder.
const closeMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_ONLYDIR

var (
	// errCloseWatchFull says the close watch has as many folders as it may.
	errCloseWatchFull = errors.New("close watch: no more folders (a quarter of fs.inotify.max_user_watches)")
	// errCloseWatchShed says it gave its folders up for fsnotify's.
	errCloseWatchShed = errors.New("close watch given up: fsnotify needs every inotify watch there is (raise fs.inotify.max_user_watches)")
)

// newCloseWatch starts a close watch; close ends it.
func newCloseWatch(log *slog.Logger) (*closeWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &closeWatch{
		// Non-blocking, so Go's poller waits for it and close ends a read.
		f:     os.NewFile(uintptr(fd), "inotify"),
		log:   log,
		fd:    fd,
		limit: maxUserWatches() / 4,
		dirs:  map[int32]*closeDir{},
		done:  make(chan struct{}),
	}
	go c.read()
	return c, nil
}

func maxUserWatches() int {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_user_watches")
	if err != nil {
		return 8192 // the kernel's old default
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return 8192
	}
	return n
}

// add watches dir for closes and renames in, each sent to to as an
// absolute path. It never blocks on to: an event that finds it full is
// dropped (the watcher's quiet time covers it). Of the folders it cannot
// watch it returns an error for the first only, to be logged once.
func (c *closeWatch) add(dir string, to chan<- string) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err := errCloseWatchFull
	if c.closed {
		return nil // the daemon is stopping
	}
	if len(c.dirs) < c.limit {
		var wd int
		if wd, err = unix.InotifyAddWatch(c.fd, dir, closeMask); err == nil {
			d := c.dirs[int32(wd)]
			if d == nil {
				d = &closeDir{}
				c.dirs[int32(wd)] = d
			}
			d.dir = dir // the folder's path now, if it moved
			if !slices.Contains(d.to, to) {
				d.to = append(d.to, to)
			}
			return nil
		}
		err = fmt.Errorf("close watch %s: %w", dir, err)
	}
	if c.said {
		return nil
	}
	c.said = true
	return err
}

// drop stops watching for to; a folder no other channel needs is dropped.
func (c *closeWatch) drop(to chan<- string) {
	c.forget("", to)
}

// forget is drop for dir and the folders below it only ("": every one).
func (c *closeWatch) forget(dir string, to chan<- string) {
	if c == nil || to == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for wd, d := range c.dirs {
		if dir != "" && d.dir != dir && !strings.HasPrefix(d.dir, dir+string(filepath.Separator)) {
			continue
		}
		d.to = slices.DeleteFunc(d.to, func(x chan<- string) bool { return x == to })
		if len(d.to) == 0 {
			delete(c.dirs, wd)
			if !c.closed {
				// Gone already if the folder was: nothing to undo then.
				_, _ = unix.InotifyRmWatch(c.fd, uint32(wd))
			}
		}
	}
}

// shed gives every folder up, and takes no more: fsnotify needs the
// watches.
func (c *closeWatch) shed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for wd := range c.dirs {
		_, _ = unix.InotifyRmWatch(c.fd, uint32(wd))
	}
	clear(c.dirs)
	c.limit, c.said = 0, true
}

// close ends the watch and waits for its reader.
func (c *closeWatch) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	_ = c.f.Close()
	<-c.done
}

func (c *closeWatch) read() {
	defer close(c.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.f.Read(buf)
		if err != nil {
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if !closed {
				c.log.Warn("close watch stopped; changed files wait for a short quiet time", "err", err)
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			size := int(binary.NativeEndian.Uint32(buf[off+12:]))
			start := off + unix.SizeofInotifyEvent
			if start+size > n {
				break
			}
			name := strings.TrimRight(string(buf[start:start+size]), "\x00")
			off = start + size
			c.event(wd, mask, name)
		}
	}
}

func (c *closeWatch) event(wd int32, mask uint32, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if mask&unix.IN_IGNORED != 0 {
		delete(c.dirs, wd) // the folder is gone
		return
	}
	// A folder renamed in is fsnotify's to walk; a lost event (queue
	// overflow) is covered by the quiet time.
	if mask&(unix.IN_ISDIR|unix.IN_Q_OVERFLOW) != 0 || name == "" {
		return
	}
	d, ok := c.dirs[wd]
	if !ok {
		return
	}
	for _, to := range d.to {
		select {
		case to <- filepath.Join(d.dir, name):
		default:
		}
	}
}
