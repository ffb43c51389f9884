// Package backoff is depsync's one way of spacing retries: an exponential
// delay, bounded, spread at random so that nodes started together do not
// retry in lockstep.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Exponential returns lo doubled attempt times (attempt 0: lo), capped at
// hi.
func Exponential(lo, hi time.Duration, attempt int) time.Duration {
	d := lo << min(max(attempt, 0), 30)
	if d <= 0 || d > hi {
		d = hi
	}
	return d
}

// Spread returns d scaled by a random factor in [1-frac, 1+frac] (0.2:
// ±20%), for periodic work.
func Spread(d time.Duration, frac float64) time.Duration {
	if d <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - frac + 2*frac*rand.Float64()))
}

// Equal returns a random duration between d/2 and d ("equal jitter"): a
// retry waits at least half its backoff, and retries spread out.
func Equal(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Range bounds an exponential backoff: the first wait and the longest.
type Range struct{ Min, Max time.Duration }

// After is the wait before the attempt after failures consecutive failures
// (Exponential over the range).
func (r Range) After(attempt int) time.Duration { return Exponential(r.Min, r.Max, attempt) }
