package mode

import (
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/svn"
)

// Modes, as /v1/status and notices say them.
const (
	SVN    = api.ModeSVN
	Direct = api.ModeDirect
	// Unknown is a worker's manager_mode while it cannot tell: after a
	// start, until a notice or the manager's /v1/status says.
	Unknown = "unknown"
)

// Of is the mode given the facts: direct when there is no SVN server
// (hasServer false: svn.url is empty) or when unreachable, the svn results
// in a row that did not reach it, is at threshold (svn.fail_threshold) or
// more; else svn.
func Of(hasServer bool, unreachable int64, threshold int) string {
	if !hasServer || unreachable >= int64(threshold) {
		return Direct
	}
	return SVN
}

// Count is the run of unreachable results after one more svn result, err,
// when it was run before it. Only a failure to reach the server (or a
// time-out) lengthens the run; a success, or any error the server
// answered with, ends it. A failure the failover wrapper recovered from
// by switching servers (failover.ErrSwitched) does not unwrap to
// svn.ErrUnreachable, so it ends the run too: some server answers.
func Count(run int64, err error) int64 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, svn.ErrUnreachable) || errors.Is(err, svn.ErrTimeout):
		return run + 1
	default:
		// The server answered: it is reachable, whatever went wrong.
		return 0
	}
}

// Options are what a State needs of the daemon.
type Options struct {
	// HasServer is whether svn.url is set.
	HasServer bool
	// FailThreshold is svn.fail_threshold.
	FailThreshold int
	// Log receives "mode changed" and the direct syncer's records.
	Log *slog.Logger
	// Changed, when set, is called when a result changes the mode: a
	// manager tells its workers at once.
	Changed func()
}

// State is a daemon's mode as the results of its svn operations, of every
// tenant, have made it. It is safe for concurrent use.
type State struct {
	opts Options
	// unreachable counts consecutive svn results that did not reach the
	// server (see Count).
	unreachable atomic.Int64
	changed     chan struct{} // signalled when the mode may have changed
}

// New returns the State of a daemon that has had no svn result yet.
func New(o Options) *State {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &State{opts: o, changed: make(chan struct{}, 1)}
}

// Mode is svn, or direct when there is no SVN server or it has been
// unreachable for svn.fail_threshold consecutive results.
func (s *State) Mode() string {
	return Of(s.opts.HasServer, s.unreachable.Load(), s.opts.FailThreshold)
}

// Fallback reports whether svn.url is set but the mode is direct: the
// server failed, as opposed to a node configured without one.
func (s *State) Fallback() bool {
	return s.opts.HasServer && s.Mode() == Direct
}

// Result records the outcome of an svn operation, nil for a success.
func (s *State) Result(err error) {
	var before, after int64
	for {
		before = s.unreachable.Load()
		after = Count(before, err)
		if s.unreachable.CompareAndSwap(before, after) {
			break
		}
	}
	from := Of(s.opts.HasServer, before, s.opts.FailThreshold)
	to := Of(s.opts.HasServer, after, s.opts.FailThreshold)
	if from == to {
		return
	}
	s.opts.Log.Warn("mode changed", "from", from, "to", to, "fail_threshold", s.opts.FailThreshold)
	if s.opts.Changed != nil {
		s.opts.Changed()
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
}
