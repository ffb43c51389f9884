package failover

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
)

const (
	replica = "http://replica:8080/svn/repo"
	master  = "http://master/svn/repo"
	dr      = "http://dr/svn/repo"
	dir     = "/srv/carbon/repository/deployment/server"
)

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setup is a worker on replica with master (and dr) to fall back on, its
// working copy checked out from replica.
func setup(t *testing.T, fallbacks ...string) (*SVN, *fakeServers, *logBuffer, *clock) {
	t.Helper()
	f := newFake(map[string]string{replica: "uuid-1", master: "uuid-1", dr: "uuid-1", "http://other/svn/x": "uuid-2"})
	logs := &logBuffer{}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if len(fallbacks) == 0 {
		fallbacks = []string{master}
	}
	s := New(f, Options{URL: replica, Fallbacks: fallbacks, Threshold: 3, Hold: 10 * time.Second,
		Log: slog.New(slog.NewTextHandler(logs, nil)), Now: clk.now})
	_, err := s.Checkout(t.Context(), replica+"/-1234", dir, false)
	require.NoError(t, err)
	return s, f, logs, clk
}

// TestSwitchesAfterThresholdFailures: the server in use unreachable
// fail_threshold times in a row, the next that answers with the
// repository's UUID is used: the failures before the threshold are
// unreachable (the daemon counts them), the one at the threshold is made
// again on the new server, and the working copy is relocated, not checked
// out again, still seen below svn.url.
func TestSwitchesAfterThresholdFailures(t *testing.T) {
	s, f, logs, _ := setup(t)
	ctx := t.Context()
	f.setDown(replica, true)
	for i := range 2 {
		_, err := s.Info(ctx, replica)
		require.ErrorIs(t, err, svn.ErrUnreachable, "failure %d, below the threshold", i+1)
	}
	assert.Equal(t, replica, s.InUse())
	info, err := s.Info(ctx, replica)
	require.NoError(t, err, "the third failure switches, and the look is made again on the master")
	assert.Equal(t, replica, info.URL, "spelled below svn.url")
	assert.Equal(t, master, s.InUse())
	assert.Equal(t, 1, strings.Count(logs.String(), "using another server of the repository"), logs.String())

	res, err := s.UpdateWith(ctx, dir, svn.UpdateOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.Revision)
	calls := f.Calls()
	assert.Contains(t, calls, "relocate "+replica+" "+master)
	assert.Contains(t, calls, "update "+master+"/-1234")
	assert.Equal(t, 1, strings.Count(strings.Join(calls, "\n"), "checkout"), "never a new checkout")

	info, err = s.Info(ctx, dir)
	require.NoError(t, err)
	assert.Equal(t, replica+"/-1234", info.URL, "the working copy's URL as the roles know it")

	_, err = s.Log(ctx, replica, 1, 5)
	require.NoError(t, err)
	assert.Contains(t, f.Calls(), "log "+master)

	res, err = s.UpdateWith(ctx, dir, svn.UpdateOptions{})
	require.NoError(t, err)
	require.NotNil(t, res)
	assert.Equal(t, 1, strings.Count(strings.Join(f.Calls(), "\n"), "relocate"), "relocated once")
}

// TestACommitIsNotMadeTwice: a commit that failed at the threshold is not
// made again by the wrapper (it may have reached the server): it fails
// with ErrSwitched, which the daemon does not count as unreachable, and the
// next commit goes to the new server.
func TestACommitIsNotMadeTwice(t *testing.T) {
	s, f, _, _ := setup(t)
	ctx := t.Context()
	f.setDown(replica, true)
	for range 2 {
		_, err := s.CommitWith(ctx, dir, "m", svn.CommitOptions{}, "a.car")
		require.ErrorIs(t, err, svn.ErrUnreachable)
	}
	_, err := s.CommitWith(ctx, dir, "m", svn.CommitOptions{}, "a.car")
	require.ErrorIs(t, err, ErrSwitched)
	assert.False(t, errors.Is(err, svn.ErrUnreachable), "not counted towards direct mode: %v", err)
	assert.Equal(t, 3, strings.Count(strings.Join(f.Calls(), "\n"), "commit "+replica), "made once each")

	rev, err := s.CommitWith(ctx, dir, "m", svn.CommitOptions{}, "a.car")
	require.NoError(t, err)
	assert.Equal(t, int64(6), rev)
	assert.Contains(t, f.Calls(), "commit "+master+"/-1234")
}

// TestNoServerAnswers: with every server down the failures stay
// unreachable (a manager goes to direct mode), and it is said once.
func TestNoServerAnswers(t *testing.T) {
	s, f, logs, _ := setup(t, master, dr)
	ctx := t.Context()
	for _, u := range []string{replica, master, dr} {
		f.setDown(u, true)
	}
	for i := range 6 {
		_, err := s.Info(ctx, replica)
		require.ErrorIs(t, err, svn.ErrUnreachable, "failure %d", i+1)
	}
	assert.Equal(t, replica, s.InUse())
	assert.Equal(t, 1, strings.Count(logs.String(), "no server of the repository answers"), logs.String())
	assert.Equal(t, 2, strings.Count(strings.Join(f.Calls(), "\n"), "info "+dr),
		"the others are asked at every threshold failures, not at each")

	f.setDown(dr, false)
	for range 2 {
		_, err := s.Info(ctx, replica)
		require.ErrorIs(t, err, svn.ErrUnreachable)
	}
	_, err := s.Info(ctx, replica)
	require.NoError(t, err)
	assert.Equal(t, dr, s.InUse(), "the first that answers, svn.url and the master being down")
}

// TestAnotherRepositoryIsNotUsed: a fallback URL that answers with another
// UUID is never switched to.
func TestAnotherRepositoryIsNotUsed(t *testing.T) {
	s, f, logs, _ := setup(t, "http://other/svn/x", master)
	ctx := t.Context()
	_, err := s.Info(ctx, replica) // the repository's UUID
	require.NoError(t, err)
	f.setDown(replica, true)
	for range 3 {
		_, _ = s.Info(ctx, replica)
	}
	assert.Equal(t, master, s.InUse(), "the next one, of the same repository")
	assert.Contains(t, logs.String(), "serves another repository")
	assert.Contains(t, logs.String(), "uuid-2")
}

// TestGoesBackOnceSvnURLAnsweredForAHold: on a fallback, svn.url is asked
// again; it is used again once it has answered for a whole poll interval,
// every time asked; the working copy follows it back.
func TestGoesBackOnceSvnURLAnsweredForAHold(t *testing.T) {
	s, f, logs, clk := setup(t)
	ctx := t.Context()
	f.setDown(replica, true)
	for range 3 {
		_, _ = s.Info(ctx, replica)
	}
	_, err := s.UpdateWith(ctx, dir, svn.UpdateOptions{})
	require.NoError(t, err)
	require.Equal(t, master, s.InUse())

	s.lookBack(ctx)
	assert.Equal(t, master, s.InUse(), "svn.url still down")
	f.setDown(replica, false)
	s.lookBack(ctx) // answers from now on
	clk.add(6 * time.Second)
	f.setDown(replica, true)
	s.lookBack(ctx) // ...not any more: it starts again
	f.setDown(replica, false)
	clk.add(6 * time.Second)
	s.lookBack(ctx)
	assert.Equal(t, master, s.InUse(), "it answered 12 s ago, but not all along")
	clk.add(9 * time.Second)
	s.lookBack(ctx)
	assert.Equal(t, master, s.InUse(), "9 s of a 10 s hold")
	clk.add(time.Second)
	s.lookBack(ctx)
	assert.Equal(t, replica, s.InUse(), "a whole hold")
	assert.Contains(t, logs.String(), "svn.url answers again")

	_, err = s.UpdateWith(ctx, dir, svn.UpdateOptions{})
	require.NoError(t, err)
	calls := f.Calls()
	assert.Equal(t, "relocate "+master+" "+replica, calls[len(calls)-2])
	assert.Equal(t, "update "+replica+"/-1234", calls[len(calls)-1])
}

// TestAReplicaBehindIsNotGoneBackTo: svn.url back but without the
// revisions the node has (svnsync not run since) is not used again until it
// has them: the node's files would go back to an older revision.
func TestAReplicaBehindIsNotGoneBackTo(t *testing.T) {
	s, f, _, clk := setup(t)
	ctx := t.Context()
	f.setDown(replica, true)
	for range 3 {
		_, _ = s.Info(ctx, replica)
	}
	require.Equal(t, master, s.InUse())
	f.setHead(master, 9)
	_, err := s.Info(ctx, replica) // the hub's look: HEAD 9
	require.NoError(t, err)

	f.setDown(replica, false) // back, at 5
	for range 3 {
		s.lookBack(ctx)
		clk.add(10 * time.Second)
	}
	assert.Equal(t, master, s.InUse(), "svn.url lacks revisions 6 to 9")
	f.setHead(replica, 9)
	s.lookBack(ctx)
	clk.add(10 * time.Second)
	s.lookBack(ctx)
	assert.Equal(t, replica, s.InUse(), "synced, for a whole hold")
}

// TestASwitchPrefersAServerWithEveryRevision: of the fallbacks, the first
// with every revision seen is used, not one behind before it.
func TestASwitchPrefersAServerWithEveryRevision(t *testing.T) {
	s, f, _, _ := setup(t, dr, master)
	ctx := t.Context()
	_, err := s.Info(ctx, replica) // HEAD 5
	require.NoError(t, err)
	f.setHead(dr, 4)
	f.setDown(replica, true)
	for range 3 {
		_, _ = s.Info(ctx, replica)
	}
	assert.Equal(t, master, s.InUse())

	// None with every revision: the first that answers, rather than none.
	s2, f2, _, _ := setup(t, dr)
	_, err = s2.Info(ctx, replica)
	require.NoError(t, err)
	f2.setHead(dr, 4)
	f2.setDown(replica, true)
	for range 3 {
		_, _ = s2.Info(ctx, replica)
	}
	assert.Equal(t, dr, s2.InUse())
}

// TestARestartOnAFallbackFindsItsWorkingCopies: a working copy left on a
// fallback by the last run is seen below svn.url, and goes back to svn.url
// when next updated.
func TestARestartOnAFallbackFindsItsWorkingCopies(t *testing.T) {
	f := newFake(map[string]string{replica: "uuid-1", master: "uuid-1"})
	f.wcs[dir] = master + "/-1234"
	s := New(f, Options{URL: replica, Fallbacks: []string{master}, Threshold: 3, Hold: time.Second})
	ctx := t.Context()
	info, err := s.Info(ctx, dir)
	require.NoError(t, err)
	assert.Equal(t, replica+"/-1234", info.URL)
	_, err = s.UpdateWith(ctx, dir, svn.UpdateOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"info " + dir, "relocate " + master + " " + replica, "update " + replica + "/-1234"}, f.Calls())
}

// TestConcurrentFailuresSwitchOnce: many calls failing at once switch once,
// and none of those past the threshold is counted as unreachable.
func TestConcurrentFailuresSwitchOnce(t *testing.T) {
	s, f, logs, _ := setup(t)
	ctx := t.Context()
	f.setDown(replica, true)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = s.HasFolder(ctx, replica+"/-1234") }()
	}
	wg.Wait()
	unreachable := 0
	for _, err := range errs {
		if errors.Is(err, svn.ErrUnreachable) {
			unreachable++
		}
	}
	assert.Less(t, unreachable, 3, "fewer than fail_threshold reach the daemon as unreachable")
	assert.Equal(t, master, s.InUse())
	assert.Equal(t, 1, strings.Count(logs.String(), "using another server of the repository"), logs.String())
}
