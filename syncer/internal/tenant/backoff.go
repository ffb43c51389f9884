package tenant

import (
	"context"
	"log/slog"
	"time"

	"github.com/depsync/depsync/internal/backoff"
)

// Backoff bounds after failed sync operations.
const (
	BackoffMin = 500 * time.Millisecond
	backoffMax = time.Minute
	// summaryEvery is how often a failure that goes on is logged again.
	summaryEvery = time.Minute
)

// Jitter spreads d by ±20% so that nodes started together do not poll the
// server in lockstep.
func Jitter(d time.Duration) time.Duration { return backoff.Spread(d, 0.2) }

// Sleep waits d or until ctx is done; it reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Failures tracks consecutive failures of one loop: it computes the backoff
// and keeps the log readable. The first failure is logged with its error;
// while it goes on only a summary is logged, once a minute (or when the
// error changes), and the recovery is logged once.
type Failures struct {
	n          int
	since      time.Time
	lastLogged time.Time
	lastMsg    string
}

// Fail records a failure and returns how long to wait before the next try.
func (f *Failures) Fail(log *slog.Logger, what string, err error) time.Duration {
	now := time.Now()
	f.n++
	msg := err.Error()
	switch {
	case f.n == 1:
		f.since = now
		log.Warn(what+" failed; retrying with backoff", "error", err)
		f.lastLogged, f.lastMsg = now, msg
	case msg != f.lastMsg || now.Sub(f.lastLogged) >= summaryEvery:
		log.Warn(what+" still failing", "attempts", f.n, "since", f.since.UTC().Format(time.RFC3339), "error", err)
		f.lastLogged, f.lastMsg = now, msg
	default:
		log.Debug(what+" failed again", "attempts", f.n, "error", err)
	}
	return Jitter(backoff.Exponential(BackoffMin, backoffMax, f.n-1))
}

// Count is how many failures in a row there were.
func (f *Failures) Count() int { return f.n }

// OK records a success, logging the recovery after failures.
func (f *Failures) OK(log *slog.Logger, what string) {
	if f.n > 0 {
		log.Info(what+" recovered", "failed_attempts", f.n, "after", time.Since(f.since).Round(time.Millisecond))
	}
	*f = Failures{}
}
