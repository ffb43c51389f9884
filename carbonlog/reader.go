package carbonlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/depsync/depsync/internal/regfile"
)

// Options tune a Reader. The zero value is usable.
type Options struct {
	// Now is the clock stamped on CAppState.Seen (default time.Now).
	Now func() time.Time
	// PollInterval is how often the file is checked for new lines, a new
	// file under its name, or truncation (default 500ms).
	PollInterval time.Duration
	// Location is the time zone of Carbon's JVM, in which the log's
	// timestamps are written (default time.Local).
	Location *time.Location
	// Logger receives the reader's own notices (default slog.Default()).
	Logger *slog.Logger
	// OnDisk lists the C-Apps present in a tenant's carbonapps: their
	// states are kept however many other names the log holds. Of the
	// others only the most recent are kept (see maxRecent). Nil: only the
	// most recent are kept.
	OnDisk OnDisk
}

// Reader follows one Carbon log file and keeps the state of each C-App.
// Its methods are safe for concurrent use.
type Reader struct {
	path string
	opts Options

	// Run's own, touched by one goroutine only.
	file       *os.File
	offset     int64
	split      *splitter
	maxPerPoll int64 // bytes read at most by one poll (maxReadPerPoll)

	mu       sync.Mutex
	tr       *tracker
	readable bool
	lastErr  string
	changed  chan struct{}
}

// New returns a Reader of the log at path. Nothing is read until Run.
func New(path string, opts Options) *Reader {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	tr := newTracker(opts.Now)
	tr.onDisk = opts.OnDisk
	return &Reader{path: path, opts: opts, split: newSplitter(), maxPerPoll: maxReadPerPoll, tr: tr, changed: make(chan struct{})}
}

// Path returns the file the reader follows.
func (r *Reader) Path() string { return r.path }

// Run reads the file from its start (state resets at each server start in
// it, so what remains is what the last start did), then follows it until ctx
// ends: new lines, a new file under the same name (log4j's daily roll-over
// renames the old one), and truncation. A missing or unreadable file is
// retried at each poll; Readable tells whether there is one. Only a regular
// file is read: a FIFO or a device (/dev/zero) under that name is not
// readable, and is never waited on or read. A big log is read a slice at a
// time (maxReadPerPoll), the next one at once, so that ctx is seen between
// slices. Run returns nil when ctx ends.
func (r *Reader) Run(ctx context.Context) error {
	defer r.closeFile()
	t := time.NewTicker(r.opts.PollInterval)
	defer t.Stop()
	for {
		changed, more := r.poll()
		if changed {
			r.notify()
		}
		if more {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll reads whatever is new once, at most a slice of a big log (see Run).
// Run does the same at each interval; tests may call it directly instead
// of running Run. It must not be called while Run runs.
func (r *Reader) Poll() {
	changed, _ := r.poll()
	if changed {
		r.notify()
	}
}

// poll reads what is new, at most maxPerPoll bytes of it; more says that
// the file holds more already.
func (r *Reader) poll() (changed, more bool) {
	if r.file == nil {
		if !r.open() {
			return r.setReadable(false), false
		}
		changed = r.setReadable(true)
	}
	c, more := r.drain()
	changed = c || changed
	if more {
		return changed, true
	}
	// What the file held when first opened is history; whatever comes
	// after (new lines, a truncated or rolled-over file) is read live.
	r.goLive()

	// Truncated in place: start again from its beginning.
	if fi, err := r.file.Stat(); err == nil && fi.Size() < r.offset {
		r.opts.Logger.Info("carbon log truncated; reading it again from its start", "path", r.path)
		if _, err := r.file.Seek(0, io.SeekStart); err == nil {
			r.offset = 0
			r.split.reset()
			c, more := r.drain()
			return c || changed, more
		}
	}

	// Rolled over: a new file holds the name. The old one was drained
	// above (log4j closes it before the rename, so nothing more arrives).
	cur, err1 := r.file.Stat()
	named, err2 := os.Stat(r.path)
	if err1 == nil && err2 == nil && !os.SameFile(cur, named) {
		c, more := r.drain()
		if changed = c || changed; more {
			return changed, true
		}
		r.opts.Logger.Info("carbon log rolled over; following the new file", "path", r.path)
		changed = r.flush() || changed
		r.closeFile()
		if r.open() {
			c, more := r.drain()
			return c || changed, more
		}
	}
	return changed, false
}

// maxReadPerPoll is the most one poll reads: a big log is read in slices
// (Run goes on at once), so that a stop is seen between them.
const maxReadPerPoll = 64 << 20

// open opens the log if it is a regular file: a FIFO, a device or a
// directory under its name is not readable (regfile.OpenFollowing neither waits for
// a FIFO's writer nor reads a device).
func (r *Reader) open() bool {
	f, _, err := regfile.OpenFollowing(r.path)
	if err != nil {
		r.noteErr(err)
		return false
	}
	r.file, r.offset = f, 0
	r.split.reset()
	r.noteErr(nil)
	return true
}

func (r *Reader) closeFile() {
	if r.file != nil {
		_ = r.file.Close()
		r.file = nil
	}
}

// noteErr logs a failure to open the log once, not at every poll.
func (r *Reader) noteErr(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	r.mu.Lock()
	same := msg == r.lastErr
	r.lastErr = msg
	r.mu.Unlock()
	if err != nil && !same {
		level := slog.LevelWarn
		if errors.Is(err, fs.ErrNotExist) {
			level = slog.LevelInfo
		}
		r.opts.Logger.Log(context.Background(), level, "carbon log not readable; C-App states unknown until it is", "path", r.path, "err", err)
	}
}

// drain reads the open file to its end, or maxPerPoll bytes of it, and
// applies every complete line; more says the limit was reached.
func (r *Reader) drain() (changed, more bool) {
	n, err := r.split.readFrom(io.LimitReader(r.file, r.maxPerPoll), func(b []byte) { changed = r.line(b) || changed })
	r.offset += n
	if err != nil {
		r.noteErr(fmt.Errorf("read %s: %w", r.path, err))
	}
	return changed, n >= r.maxPerPoll
}

func (r *Reader) flush() bool {
	changed := false
	r.split.flush(func(b []byte) { changed = r.line(b) || changed })
	return changed
}

// line applies one line under the lock.
func (r *Reader) line(b []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tr.line(b, r.opts.Location)
}

func (r *Reader) goLive() {
	r.mu.Lock()
	r.tr.live = true
	r.mu.Unlock()
}

func (r *Reader) setReadable(v bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.readable == v {
		return false
	}
	r.readable = v
	return true
}

// notify wakes every waiter of Changed.
func (r *Reader) notify() {
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Changed returns a channel closed at the next change of any C-App's state
// or of Readable. Take a new one after each wake-up:
//
//	for { ch := r.Changed(); if done(r.State(...)) { break }; <-ch }
func (r *Reader) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// Readable reports whether the log file could be opened at the last poll.
func (r *Reader) Readable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readable
}

// State returns what the log says about the C-App id of a tenant
// (SuperTenant for the super tenant). ok is false when the log never named
// it since the last server start, or named it long ago and its .car is no
// longer on disk (Options.OnDisk).
func (r *Reader) State(tenant int, id string) (CAppState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tr.lookup(tenant, id)
}

// StateOfFile returns what the log says about the C-App deployed from the
// .car of that base name: for callers that know the file, and for C-Apps
// whose id Carbon never logged (a corrupt archive).
func (r *Reader) StateOfFile(tenant int, file string) (CAppState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tr.lookupFile(tenant, file)
}

// States returns the C-Apps the log named since the last server start,
// by tenant then id (or file, when the id is not known): those on disk
// (Options.OnDisk) and the most recent others, never more.
func (r *Reader) States() []CAppState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tr.list()
}

// ReadAll parses a whole log (e.g. a rolled file) and returns the end state
// of each C-App, as States would after reading it.
func ReadAll(in io.Reader, loc *time.Location, now func() time.Time) ([]CAppState, error) {
	if loc == nil {
		loc = time.Local
	}
	if now == nil {
		now = time.Now
	}
	tr := newTracker(now)
	sp := newSplitter()
	apply := func(b []byte) { tr.line(b, loc) }
	if _, err := sp.readFrom(in, apply); err != nil {
		return nil, fmt.Errorf("read carbon log: %w", err)
	}
	sp.flush(apply)
	return tr.list(), nil
}
