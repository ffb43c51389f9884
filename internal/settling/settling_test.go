package settling

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	const w = 2 * time.Second
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name      string
		prev      State
		looks     map[string]Look
		now       time.Time
		wantState State
		wantUntil time.Time // zero: judged now
	}{
		{"nothing deleted", nil, nil, at(0), State{}, time.Time{}},
		{"a first deletion waits the window", nil, map[string]Look{"many": {Count: 1}},
			at(0), State{"many": {1, at(0)}}, at(w)},
		{"more deletions in the folder: the window starts again",
			State{"many": {1127, at(0)}}, map[string]Look{"many": {Count: 2300}},
			at(time.Second), State{"many": {2300, at(time.Second)}}, at(time.Second + w)},
		{"no more deletions, window not over: still waits",
			State{"many": {2300, at(0)}}, map[string]Look{"many": {Count: 2300}},
			at(time.Second), State{"many": {2300, at(0)}}, at(w)},
		{"quiet for the window: judged",
			State{"many": {2300, at(0)}}, map[string]Look{"many": {Count: 2300}},
			at(w), State{"many": {2300, at(0)}}, time.Time{}},
		{"fewer (some came back): no growth",
			State{"many": {2300, at(0)}}, map[string]Look{"many": {Count: 10}},
			at(3 * time.Second), State{"many": {10, at(0)}}, time.Time{}},
		{"the folder itself gone: judged at once",
			State{"many": {2300, at(0)}}, map[string]Look{"many": {Count: 100000, Complete: true}},
			at(100 * time.Millisecond), State{"many": {100000, at(100 * time.Millisecond)}}, time.Time{}},
		{"a folder gone waits for another still growing",
			State{"b": {5, at(0)}},
			map[string]Look{"a": {Count: 40, Complete: true}, "b": {Count: 6}},
			at(time.Second), State{"a": {40, at(time.Second)}, "b": {6, at(time.Second)}}, at(time.Second + w)},
		{"a quiet held folder and a new deletion elsewhere: both wait for the new one",
			State{"a": {40, at(0)}},
			map[string]Look{"a": {Count: 40}, "b": {Count: 1}},
			at(time.Minute), State{"a": {40, at(0)}, "b": {1, at(time.Minute)}}, at(time.Minute + w)},
		{"a group without deletions is forgotten",
			State{"a": {40, at(0)}}, map[string]Look{"a": {Count: 0}, "b": {Count: 3}},
			at(time.Minute), State{"b": {3, at(time.Minute)}}, at(time.Minute + w)},
		{"the latest window wins",
			State{"a": {1, at(0)}, "b": {1, at(time.Second)}},
			map[string]Look{"a": {Count: 1}, "b": {Count: 1}},
			at(1500 * time.Millisecond), State{"a": {1, at(0)}, "b": {1, at(time.Second)}}, at(time.Second + w)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			state, until := Decide(tc.prev, tc.looks, tc.now, w)
			assert.Equal(t, tc.wantState, state)
			assert.Equal(t, tc.wantUntil, until)
		})
	}
}
