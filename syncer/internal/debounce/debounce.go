// Package debounce is the manager's debounce in one place: how long a burst
// of file-system events is gathered before the watcher hands it over
// (Burst, Coalesce, MaxCoalesce, CloseQuiet), and how long a changed file
// must stay unchanged before the readiness gate takes it as written whole
// (Quiet, sync.debounce). Deletions that keep coming are settled apart, by
// internal/settling (sync.delete_settle).
//
// Nothing here reads a clock or starts a timer: the time comes in as an
// argument and the next moment to look goes out as a result, so that the
// caller owns the one timer and tests step the time by hand.
package debounce

import "time"

// Coalesce is how long the manager's watcher waits for more events before
// it hands a batch over. It only groups the events of one operation (a cp
// writes in many syscalls); the quiet time (sync.debounce) is the gate's,
// and only for files it cannot prove complete.
const Coalesce = 10 * time.Millisecond

// MaxCoalesce bounds how long a stream of events that never goes quiet for
// Coalesce holds a batch back (sync.max_delay is the gate's, for files it
// cannot prove complete): files already complete go into the next commit
// while others are still arriving, and what arrives while a commit is in
// flight gathers for the one after it.
const MaxCoalesce = 100 * time.Millisecond

// CloseQuiet is how long a burst that holds a closed file waits for more
// events: long enough for the next of many files renamed in one after
// another, short against the coalescing quiet (Coalesce) it replaces.
const CloseQuiet = 2 * time.Millisecond

// margin is added to the moment a file's quiet time ends, so that a look
// then finds it over rather than a hair short.
const margin = 5 * time.Millisecond

// ManagerWindows returns the quiet and the bound of a manager's watcher
// (see Burst) for its sync.debounce and sync.max_delay: never longer than
// Coalesce and MaxCoalesce, since the gate waits for what needs waiting.
func ManagerWindows(debounce, maxDelay time.Duration) (quiet, bound time.Duration) {
	return min(Coalesce, debounce), min(MaxCoalesce, maxDelay)
}

// Burst gathers the events of one burst. It is ready once no event has
// come for the quiet, or once the bound has passed since its first event,
// whichever is first. An event after it is ready makes it wait for the
// quiet again (the bound fires once per burst). A burst that holds a
// complete file (closed after writing, or renamed in) waits only
// CloseQuiet for more: nothing more of that file is coming.
//
// The zero value is not usable; see NewBurst.
type Burst struct {
	quiet, bound time.Duration

	active   bool      // a burst is under way
	complete bool      // it holds a complete file
	ready    bool      // it is over: hand it over as soon as it is taken
	quietAt  time.Time // when the quiet ends; zero: passed or not armed
	boundAt  time.Time // when the bound ends; zero: passed or not armed
}

// NewBurst returns an empty burst with the given quiet and bound.
func NewBurst(quiet, bound time.Duration) Burst {
	return Burst{quiet: quiet, bound: bound}
}

// Note records an event at now; complete says it is of a file nothing
// more is coming of, which shortens the quiet for the rest of the burst.
func (b *Burst) Note(now time.Time, complete bool) {
	b.complete = b.complete || complete
	b.ready = false
	q := b.quiet
	if b.complete {
		q = min(CloseQuiet, b.quiet)
	}
	b.quietAt = now.Add(q)
	if !b.active {
		b.active = true
		b.boundAt = now.Add(b.bound)
	}
}

// Advance moves the burst to now and reports whether it is ready.
func (b *Burst) Advance(now time.Time) bool {
	if !b.quietAt.IsZero() && !now.Before(b.quietAt) {
		b.ready, b.quietAt = true, time.Time{}
	}
	if !b.boundAt.IsZero() && !now.Before(b.boundAt) {
		b.ready, b.boundAt = true, time.Time{}
	}
	return b.ready
}

// Ready reports whether the burst is over and waits to be handed over.
func (b *Burst) Ready() bool { return b.ready }

// Next returns when Advance is next due to change something, and false
// when nothing is armed.
func (b *Burst) Next() (time.Time, bool) {
	switch {
	case b.quietAt.IsZero() && b.boundAt.IsZero():
		return time.Time{}, false
	case b.quietAt.IsZero():
		return b.boundAt, true
	case b.boundAt.IsZero() || b.quietAt.Before(b.boundAt):
		return b.quietAt, true
	default:
		return b.boundAt, true
	}
}

// Sent ends the burst: it was handed over.
func (b *Burst) Sent() { *b = NewBurst(b.quiet, b.bound) }

// Quiet reports whether a file has been quiet for d at now: its last change
// (changed) is at least d old, or it has looked the same at every look
// since sameSince (zero: it has not) and that is at least d ago, for clocks
// that disagree with the file system's. When it has not, Quiet returns when
// to look again.
func Quiet(now, changed, sameSince time.Time, d time.Duration) (time.Time, bool) {
	age := now.Sub(changed)
	if age >= d {
		return time.Time{}, true
	}
	if !sameSince.IsZero() && now.Sub(sameSince) >= d {
		return time.Time{}, true
	}
	// A change in the future (age < 0): trust our own looks, a whole d.
	return now.Add(d - max(age, 0)).Add(margin), false
}
