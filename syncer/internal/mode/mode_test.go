package mode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/failover"
)

func TestOf(t *testing.T) {
	for _, c := range []struct {
		name        string
		hasServer   bool
		unreachable int64
		threshold   int
		want        string
	}{
		{"no svn.url is direct by configuration", false, 0, 3, Direct},
		{"no failure", true, 0, 3, SVN},
		{"fewer failures than the threshold", true, 2, 3, SVN},
		{"the threshold reached", true, 3, 3, Direct},
		{"past the threshold", true, 9, 3, Direct},
		{"a threshold of one", true, 1, 1, Direct},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Of(c.hasServer, c.unreachable, c.threshold))
		})
	}
}

func TestCount(t *testing.T) {
	unreachable := &svn.Error{Op: "update", Kind: svn.ErrUnreachable, Message: "svn: E170013: Unable to connect"}
	for _, c := range []struct {
		name string
		run  int64
		err  error
		want int64
	}{
		{"a success ends the run", 4, nil, 0},
		{"unreachable lengthens it", 0, unreachable, 1},
		{"unreachable, wrapped", 2, fmt.Errorf("tenant 1: %w", unreachable), 3},
		{"a time-out lengthens it", 1, &svn.Error{Op: "commit", Kind: svn.ErrTimeout}, 2},
		{"the server answered with an error: it is reachable", 5, &svn.Error{Op: "commit", Kind: svn.ErrConflict}, 0},
		{"any other error", 5, errors.New("disk full"), 0},
		{"a failure failover recovered from does not count", 5,
			&failover.SwitchedError{From: "https://a/r", To: "https://b/r", Err: unreachable}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Count(c.run, c.err))
		})
	}
}

func TestOfManager(t *testing.T) {
	for _, c := range []struct {
		name      string
		isManager bool
		own       string
		heard     string
		want      string
	}{
		{"a manager's is its own", true, Direct, SVN, Direct},
		{"a worker's is what it heard", false, SVN, Direct, Direct},
		{"a worker that heard nothing cannot tell", false, SVN, "", Unknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, OfManager(c.isManager, c.own, c.heard))
		})
	}
}

// TestStateSaysEachChangeOnce: results move the mode at the threshold and
// back at the first answer; each change is logged and told once.
func TestStateSaysEachChangeOnce(t *testing.T) {
	var logs bytes.Buffer
	var told atomic.Int32
	s := New(Options{HasServer: true, FailThreshold: 2, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Changed: func() { told.Add(1) }})
	unreachable := &svn.Error{Kind: svn.ErrUnreachable}
	assert.Equal(t, SVN, s.Mode())
	s.Result(unreachable)
	assert.Equal(t, SVN, s.Mode())
	assert.False(t, s.Fallback())
	s.Result(unreachable)
	assert.Equal(t, Direct, s.Mode())
	assert.True(t, s.Fallback())
	s.Result(unreachable)
	assert.Equal(t, int32(1), told.Load(), "direct once")
	s.Result(nil)
	assert.Equal(t, SVN, s.Mode())
	assert.Equal(t, int32(2), told.Load(), "and back once")
	assert.Equal(t, 2, strings.Count(logs.String(), `msg="mode changed"`), logs.String())
	assert.Contains(t, logs.String(), `msg="mode changed" from=svn to=direct fail_threshold=2`)

	none := New(Options{FailThreshold: 2, Changed: func() { t.Error("no server: the mode never changes") }})
	none.Result(nil)
	none.Result(unreachable)
	none.Result(unreachable)
	assert.Equal(t, Direct, none.Mode())
	assert.False(t, none.Fallback(), "direct by configuration is not a fallback")
}

// fakeSyncer counts its runs; Run blocks until its context ends.
type fakeSyncer struct {
	running  atomic.Int32
	runs     atomic.Int32
	triggers atomic.Int32
}

func (f *fakeSyncer) Run(ctx context.Context) error {
	f.runs.Add(1)
	f.running.Add(1)
	defer f.running.Add(-1)
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeSyncer) Trigger() { f.triggers.Add(1) }

// TestRunDirectFollowsTheMode: the direct syncer runs while the mode is
// direct, stops when SVN is back, and RunDirect returns when its context
// ends.
func TestRunDirectFollowsTheMode(t *testing.T) {
	s := New(Options{HasServer: true, FailThreshold: 1})
	ds := &fakeSyncer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.RunDirect(ctx, ds) }()

	s.Result(&svn.Error{Kind: svn.ErrUnreachable})
	require.Eventually(t, func() bool { return ds.running.Load() == 1 }, 10*time.Second, time.Millisecond)
	assert.Positive(t, ds.triggers.Load(), "a reconcile at once")
	s.Result(nil)
	require.Eventually(t, func() bool { return ds.running.Load() == 0 }, 10*time.Second, time.Millisecond)
	s.Result(&svn.Error{Kind: svn.ErrTimeout})
	require.Eventually(t, func() bool { return ds.running.Load() == 1 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, int32(2), ds.runs.Load())
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunDirect did not return when its context ended")
	}
	assert.Zero(t, ds.running.Load(), "the direct syncer stopped with it")
}

// TestLearnAsksAtEachPollWhileUnknown: while the manager's mode is not
// known, Learn asks again after the poll interval, not askEvery.
func TestLearnAsksAtEachPollWhileUnknown(t *testing.T) {
	var asks atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Learn(ctx, time.Second, func(context.Context) bool { return asks.Add(1) >= 3 })
	}()
	// Three asks within ~3 s: far less than askEvery (30 s).
	require.Eventually(t, func() bool { return asks.Load() >= 3 }, 10*time.Second, 10*time.Millisecond)
	cancel()
	<-done
}

func TestCollector(t *testing.T) {
	cluster, fallback := Unknown, false
	c := Collector(func() string { return cluster }, func() bool { return fallback })
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(c))
	expect := func(svnV, directV, fallbackV int) string {
		return fmt.Sprintf(`# HELP depsync_mode The cluster's mode: 1 for the current one (svn, or direct when the manager pushes C-Apps itself), 0 for the other. On a worker, its manager's mode as its notices and answers said (both 0 while it cannot tell).
# TYPE depsync_mode gauge
depsync_mode{mode="direct"} %d
depsync_mode{mode="svn"} %d
# HELP depsync_svn_fallback 1 while svn.url is set but the SVN server is unreachable (svn.fail_threshold failures in a row) and C-Apps are pushed straight to peers; else 0.
# TYPE depsync_svn_fallback gauge
depsync_svn_fallback %d
`, directV, svnV, fallbackV)
	}
	assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expect(0, 0, 0))), "a worker that cannot tell")
	cluster = SVN
	assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expect(1, 0, 0))))
	cluster, fallback = Direct, true
	assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expect(0, 1, 1))))
}
