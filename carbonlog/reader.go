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
	file   *os.File
	offset int64
	split  *splitter

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
	return &Reader{path: path, opts: opts, split: newSplitter(), tr: tr, changed: make(chan struct{})}
}

// Path returns the file the reader follows.
func (r *Reader) Path() string { return r.path }

// Run reads the file from its start (state resets at each server start in
// it, so what remains is what the last start did), then follows it until ctx
// ends: new lines, a new file under the same name (log4j's daily roll-over
// renames the old one), and truncation. A missing or unreadable file is
// retried at each poll; Readable tells whether there is one. Run returns
// nil when ctx ends.
func (r *Reader) Run(ctx context.Context) error {
	defer r.closeFile()
	t := time.NewTicker(r.opts.PollInterval)
	defer t.Stop()
	for {
		r.Poll()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll reads whatever is new once. Run calls it at each interval; tests may
// call it directly instead of running Run. It must not be called while Run
// runs.
func (r *Reader) Poll() {
	changed := r.poll()
	if changed {
		r.notify()
	}
}

func (r *Reader) poll() bool {
	changed := false
	if r.file == nil {
		if !r.open() {
			return r.setReadable(false)
		}
		changed = r.setReadable(true)
	}
	changed = r.drain() || changed
	// What the file held when first opened is history; whatever comes
	// after (new lines, a truncated or rolled-over file) is read live.
	r.goLive()

	// Truncated in place: start again from its beginning.
	if fi, err := r.file.Stat(); err == nil && fi.Size() < r.offset {
		r.opts.Logger.Info("carbon log truncated; reading it again from its start", "path", r.path)
		if _, err := r.file.Seek(0, io.SeekStart); err == nil {
			r.offset = 0
			r.split.reset()
			changed = r.drain() || changed
		}
	}

	// Rolled over: a new file holds the name. The old one was drained
	// above (log4j closes it before the rename, so nothing more arrives).
	cur, err1 := r.file.Stat()
	named, err2 := os.Stat(r.path)
	if err1 == nil && err2 == nil && !os.SameFile(cur, named) {
		r.opts.Logger.Info("carbon log rolled over; following the new file", "path", r.path)
		changed = r.drain() || changed
		changed = r.flush() || changed
		r.closeFile()
		if r.open() {
			changed = r.drain() || changed
		}
	}
	return changed
}

func (r *Reader) open() bool {
	f, err := os.Open(r.path)
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

// drain reads the open file to its end and applies every complete line.
func (r *Reader) drain() bool {
	changed := false
	n, err := r.split.readFrom(r.file, func(b []byte) { changed = r.line(b) || changed })
	r.offset += n
	if err != nil {
		r.noteErr(fmt.Errorf("read %s: %w", r.path, err))
	}
	return changed
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
