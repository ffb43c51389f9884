package worker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

func TestWorkerPollTakesOnlyNotifiedOrSettledRevisions(t *testing.T) {
	f := &fakeSVN{info: &svn.Info{Kind: "dir", Revision: 9, LastChangedRev: 9}}
	w := newTestWorker(t, testConfig(t, "http://svn.example/repo"), f)
	settle := 100 * time.Millisecond
	w.rev = 7
	w.settle = settle
	var got []int64
	update := func(_ string, rev int64) { got = append(got, rev) }

	w.Poll(context.Background(), update)
	assert.Empty(t, got, "a fresh revision nobody notified waits: it may hold a C-App committed half-written")
	w.notified.Store(8)
	w.Poll(context.Background(), update)
	assert.Equal(t, []int64{8}, got, "the notified revision is taken")
	w.seen.at = w.seen.at.Add(-settle) // as if settle had passed since the first poll saw 9
	w.Poll(context.Background(), update)
	assert.Equal(t, []int64{8, 9}, got, "a revision that stayed the newest for the settle time is taken")
}

// TestWorkerNoticesDoNotPushTheRetryAway: while a worker backs off after a
// failed update, a notice still makes it try at once; that try failing
// (the outage goes on) leaves the backoff as it was. Otherwise the notices
// of an outage push the next retry further away than the outage lasts,
// and the worker stays behind long after it ended (seen in chaos: a full
// disk, then a minute to catch up).
func TestWorkerNoticesDoNotPushTheRetryAway(t *testing.T) {
	c := testConfig(t, "http://svn.example/repo")
	require.NoError(t, os.MkdirAll(filepath.Join(c.Carbon.DeploymentDir, ".svn"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, ".svn", "wc.db"), nil, 0o644))
	full := &svn.Error{Op: "update", Kind: nil, Message: "svn: E200030: sqlite[S13]: database or disk is full"}
	f := &fakeSVN{updateErr: []error{full, full, full, full, full, full}}
	w := newTestWorker(t, c, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	updates := func() int { return f.count("update") }
	require.Eventually(t, func() bool { return updates() == 1 }, 10*time.Second, time.Millisecond, "the first update")
	for i := range 3 {
		w.notice(int64(10 + i))
		require.Eventually(t, func() bool { return updates() == 2+i }, 10*time.Second, time.Millisecond, "a try on the notice")
	}
	cancel()
	require.NoError(t, <-done)
	// The first failure, and at most one retry on its timer: not one more
	// step of backoff per notice.
	assert.LessOrEqual(t, w.fails.Count(), 2, "each notice pushed the retry further away")
}

// TestTargetedUpdateOnAFullDiskSaysSo: a targeted update that runs out of
// space is not followed by a whole update, whose error (the working copy
// locked by the first) would hide the full disk the worker must report and
// heal from.
func TestTargetedUpdateOnAFullDiskSaysSo(t *testing.T) {
	c := testConfig(t, "http://svn.example/repo")
	full := &svn.Error{Op: "update", Message: "svn: E200030: sqlite[S13]: database or disk is full"}
	f := &fakeSVN{updateErr: []error{full}, log: []svn.LogEntry{{Revision: 3, Paths: []string{"/-1234/carbonapps/Big_1.0.0.car"}}}}
	w := newTestWorker(t, c, f)
	w.rev = 2
	w.plan.wholeCost = time.Hour
	w.plan.wholeDue = time.Now().Add(time.Hour)
	w.plan.relRoot, w.plan.relKnown = "/-1234", true

	_, err := w.Update(context.Background(), 3)
	require.Error(t, err)
	assert.True(t, tenant.NoSpace(err), "the full disk is the error: %v", err)
	assert.Equal(t, 1, f.count("update"), "no whole update after it")
}

// TestWorkerSaysWhenItsServerLacksTheNoticedRevisionForLong: a wait that
// has lasted svn.poll_interval is reported (State.Wanted with why), once,
// and taken back once the server has the revision.
func TestWorkerReportsALongWaitForTheNoticedRevision(t *testing.T) {
	f := &fakeSVN{info: &svn.Info{Kind: "dir", Revision: 7, LastChangedRev: 7}}
	c := testConfig(t, "http://svn.example/repo")
	w := newTestWorker(t, c, f)
	w.rev = 7
	long := time.Now().Add(-c.SVN.PollInterval)
	look := func(since time.Time, told bool) bool {
		step, _ := w.lookForWanted(context.Background(), waitState{wanted: 9, since: since, told: told})
		return step.take
	}

	assert.False(t, look(time.Now(), false), "the server has 7")
	assert.Empty(t, w.state.wants(), "not a poll interval yet")

	assert.False(t, look(long, false))
	require.Len(t, w.state.wants(), 1)
	assert.Contains(t, w.state.wants()[0], "9 http://svn.example/repo/-1234 has lacked revision 9 for 1s (it has 7)")

	f.setInfo(&svn.Info{Kind: "dir", Revision: 9, LastChangedRev: 9})
	assert.True(t, look(long, true), "the server has it now")
	assert.Equal(t, "9 ", w.state.wants()[1], "what was said is taken back")
}
