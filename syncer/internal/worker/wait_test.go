package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestDecideWait: how a worker waits for a noticed revision its server
// does not have yet, with an injected clock.
func TestDecideWait(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const patience = time.Minute
	tests := []struct {
		name  string
		s     waitState
		head  int64
		have  int64
		now   time.Time
		step  waitStep
		after waitState
	}{
		{"the server has it: take", waitState{wanted: 9, since: t0}, 9, 7, t0, waitStep{take: true}, waitState{}},
		{"the server has a newer one: take", waitState{wanted: 9, since: t0, backoff: time.Second}, 12, 7, t0,
			waitStep{take: true}, waitState{}},
		{"the worker has it already: nothing", waitState{wanted: 9, since: t0}, 5, 9, t0, waitStep{}, waitState{}},
		{"behind: first look after 100ms", waitState{wanted: 9, since: t0}, 8, 7, t0,
			waitStep{next: 100 * time.Millisecond}, waitState{wanted: 9, since: t0, backoff: 100 * time.Millisecond}},
		{"still behind: doubles", waitState{wanted: 9, since: t0, backoff: 200 * time.Millisecond}, 8, 7, t0.Add(time.Second),
			waitStep{next: 400 * time.Millisecond}, waitState{wanted: 9, since: t0, backoff: 400 * time.Millisecond}},
		{"capped at 1s", waitState{wanted: 9, since: t0, backoff: 800 * time.Millisecond}, 8, 7, t0.Add(2 * time.Second),
			waitStep{next: time.Second}, waitState{wanted: 9, since: t0, backoff: time.Second}},
		{"no answer: looks again the same way", waitState{wanted: 9, since: t0, backoff: time.Second}, -1, 7, t0.Add(time.Second),
			waitStep{next: time.Second}, waitState{wanted: 9, since: t0, backoff: time.Second}},
		{"a poll interval without it: says so", waitState{wanted: 9, since: t0, backoff: time.Second}, 8, 7, t0.Add(patience),
			waitStep{next: time.Second, overdue: true}, waitState{wanted: 9, since: t0, backoff: time.Second, told: true}},
		{"said so: not again, keeps waiting", waitState{wanted: 9, since: t0, backoff: time.Second, told: true}, 8, 7,
			t0.Add(2 * patience), waitStep{next: time.Second}, waitState{wanted: 9, since: t0, backoff: time.Second, told: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, after := decideWait(tt.s, tt.head, tt.have, tt.now, patience)
			assert.Equal(t, tt.step, step)
			assert.Equal(t, tt.after, after)
		})
	}
}

// TestWaitNoticed: a newer notice replaces the wanted revision and keeps
// the wait's clock; an older one changes nothing.
func TestWaitNoticed(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Second)
	waiting := waitState{wanted: 9, since: t0, backoff: 400 * time.Millisecond}
	tests := []struct {
		name string
		s    waitState
		rev  int64
		have int64
		want waitState
	}{
		{"first notice starts a wait", waitState{}, 9, 7, waitState{wanted: 9, since: t1}},
		{"a revision the worker has: nothing", waitState{}, 7, 7, waitState{}},
		{"a newer notice replaces the wanted one", waiting, 11, 7,
			waitState{wanted: 11, since: t0, backoff: 400 * time.Millisecond}},
		{"an older notice: nothing", waiting, 8, 7, waiting},
		{"after a wait that ended: a new wait", waitState{wanted: 9, since: t0, told: true}, 12, 9, waitState{wanted: 12, since: t1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.s.noticed(tt.rev, tt.have, t1))
		})
	}
}
