package debounce

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// step is one thing that happens to a burst at t0+at: an event (note), a
// complete file's event (closed), the burst handed over (sent), or, when
// none is set, the time moving there.
type step struct {
	at     int // ms after t0
	note   bool
	closed bool
	sent   bool
	// what the burst says after the step
	ready bool
	next  int // ms after t0; -1: nothing armed
}

func TestBurst(t *testing.T) {
	tests := []struct {
		name         string
		quiet, bound time.Duration
		steps        []step
	}{
		{"one event goes after the quiet", ms(10), ms(100), []step{
			{at: 0, note: true, next: 10},
			{at: 9, next: 10},
			{at: 10, ready: true, next: 100},
		}},
		{"each event restarts the quiet", ms(10), ms(100), []step{
			{at: 0, note: true, next: 10},
			{at: 8, note: true, next: 18},
			{at: 10, next: 18},
			{at: 18, ready: true, next: 100},
		}},
		{"a stream that never goes quiet goes at the bound", ms(10), ms(100), []step{
			{at: 0, note: true, next: 10},
			{at: 95, note: true, next: 100},
			{at: 100, ready: true, next: 105},
		}},
		{"an event after ready waits for the quiet again", ms(10), ms(100), []step{
			{at: 0, note: true, next: 10},
			{at: 10, ready: true, next: 100},
			{at: 12, note: true, next: 22},
			{at: 22, ready: true, next: 100},
		}},
		{"the bound fires once per burst", ms(10), ms(100), []step{
			{at: 0, note: true, next: 10},
			{at: 95, note: true, next: 100},
			{at: 100, ready: true, next: 105},
			{at: 101, note: true, next: 111},
			{at: 105, next: 111},
			{at: 111, ready: true, next: -1},
		}},
		{"a closed file shortens the quiet for the whole burst", ms(10), ms(100), []step{
			{at: 0, note: true, next: 10},
			{at: 1, closed: true, next: 3},
			{at: 2, note: true, next: 4},
			{at: 4, ready: true, next: 100},
		}},
		{"a quiet shorter than CloseQuiet stays", ms(1), ms(100), []step{
			{at: 0, closed: true, next: 1},
			{at: 1, ready: true, next: 100},
		}},
		{"sent ends the burst: the next starts its own bound", ms(10), ms(100), []step{
			{at: 0, closed: true, next: 2},
			{at: 2, ready: true, next: 100},
			{at: 3, sent: true, next: -1},
			{at: 50, note: true, next: 60},
			{at: 149, note: true, next: 150},
			{at: 150, ready: true, next: 159},
		}},
		{"nothing happens without an event", ms(10), ms(100), []step{
			{at: 0, next: -1},
			{at: 1000, next: -1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBurst(tt.quiet, tt.bound)
			for i, s := range tt.steps {
				now := t0.Add(ms(s.at))
				switch {
				case s.note || s.closed:
					b.Note(now, s.closed)
				case s.sent:
					b.Sent()
				}
				assert.Equal(t, s.ready, b.Advance(now), "step %d: ready", i)
				assert.Equal(t, s.ready, b.Ready(), "step %d: Ready", i)
				next, armed := b.Next()
				if s.next < 0 {
					assert.False(t, armed, "step %d: armed at %v", i, next)
					continue
				}
				if assert.True(t, armed, "step %d: armed", i) {
					assert.Equal(t, ms(s.next), next.Sub(t0), "step %d: next", i)
				}
			}
		})
	}
}

func TestQuiet(t *testing.T) {
	d := ms(100)
	tests := []struct {
		name      string
		changed   int // ms after t0
		sameSince int // ms after t0; -1: not seen the same
		now       int
		quiet     bool
		next      int // ms after t0, when not quiet
	}{
		{"changed long ago", 0, -1, 100, true, 0},
		{"changed just now", 90, -1, 100, false, 195},
		{"changed a moment ago, seen since long enough", 90, 0, 100, true, 0},
		{"changed a moment ago, seen since not long enough", 90, 50, 100, false, 195},
		{"changed in the future: a whole quiet time", 500, -1, 100, false, 205},
		{"changed in the future, the same for long enough", 500, 0, 100, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var since time.Time
			if tt.sameSince >= 0 {
				since = t0.Add(ms(tt.sameSince))
			}
			next, ok := Quiet(t0.Add(ms(tt.now)), t0.Add(ms(tt.changed)), since, d)
			assert.Equal(t, tt.quiet, ok)
			if tt.quiet {
				assert.True(t, next.IsZero())
			} else {
				assert.Equal(t, ms(tt.next), next.Sub(t0))
			}
		})
	}
}

func TestManagerWindows(t *testing.T) {
	q, b := ManagerWindows(time.Second, time.Minute)
	assert.Equal(t, Coalesce, q)
	assert.Equal(t, MaxCoalesce, b)
	q, b = ManagerWindows(ms(3), ms(50))
	assert.Equal(t, ms(3), q)
	assert.Equal(t, ms(50), b)
}
