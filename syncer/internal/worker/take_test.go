package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestDecideTake: which revision a poll takes, with no svn, no HTTP and
// no Daemon.
func TestDecideTake(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const settle = 2 * time.Second
	tests := []struct {
		name     string
		changed  int64
		have     int64
		notified int64
		seen     sighting
		take     int64
		seenNow  sighting
	}{
		{"nothing new", 7, 7, 7, sighting{}, 0, sighting{}},
		{"older than the working copy", 6, 7, 0, sighting{rev: 5, at: now}, 0, sighting{rev: 5, at: now}},
		{"notified: at once", 9, 7, 9, sighting{}, 9, sighting{}},
		{"notified past it: at once", 9, 7, 10, sighting{}, 9, sighting{}},
		{"fresh, nobody notified: waits", 9, 7, 0, sighting{}, 0, sighting{rev: 9, at: now}},
		{"fresh, an older one notified: that one", 9, 7, 8, sighting{}, 8, sighting{rev: 9, at: now}},
		{"notified no newer than the working copy: waits", 9, 7, 7, sighting{}, 0, sighting{rev: 9, at: now}},
		{"seen, not settled yet: waits", 9, 7, 0, sighting{rev: 9, at: now.Add(-settle + time.Millisecond)},
			0, sighting{rev: 9, at: now.Add(-settle + time.Millisecond)}},
		{"settled: taken", 9, 7, 0, sighting{rev: 9, at: now.Add(-settle)}, 9, sighting{rev: 9, at: now.Add(-settle)}},
		{"a newer one seen: waits anew", 10, 7, 0, sighting{rev: 9, at: now.Add(-time.Hour)}, 0, sighting{rev: 10, at: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			take, seen := decideTake(tt.changed, tt.have, tt.notified, tt.seen, now, settle)
			assert.Equal(t, tt.take, take)
			assert.Equal(t, tt.seenNow, seen)
		})
	}
}
