package carbonlog

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func quietReader(path string) *Reader {
	return New(path, Options{Location: time.UTC, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func mustState(t *testing.T, r *Reader, tenant int, id string) CAppState {
	t.Helper()
	s, ok := r.State(tenant, id)
	require.True(t, ok, "no state for %d/%s; have %+v", tenant, id, r.States())
	return s
}

func TestReaderFollowsAppendsAndPartialLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	r := quietReader(path)
	r.Poll()
	assert.False(t, r.Readable(), "no file yet")

	ch := r.Changed()
	appendFile(t, path, render(layoutTID, base, []ev{start, deploying(su, "a.car")}))
	r.Poll()
	assert.True(t, r.Readable())
	select {
	case <-ch:
	default:
		t.Fatal("Changed not closed after a change")
	}
	s, ok := r.StateOfFile(su, "a.car")
	require.True(t, ok)
	assert.Equal(t, Deploying, s.State)
	assert.Empty(t, s.ID, "the id is not known before Carbon logs it")

	// A line written in two pieces is applied once complete.
	full := render(layoutTID, base.Add(time.Second), []ev{deployed(su, "A_1")})
	appendFile(t, path, full[:40])
	r.Poll()
	s, _ = r.StateOfFile(su, "a.car")
	assert.Equal(t, Deploying, s.State)
	ch = r.Changed()
	appendFile(t, path, full[40:])
	r.Poll()
	<-ch
	assert.Equal(t, Deployed, mustState(t, r, su, "A_1").State)
	s, ok = r.StateOfFile(su, "a.car")
	require.True(t, ok)
	assert.Equal(t, "A_1", s.ID)

	// No change, no wake-up.
	ch = r.Changed()
	r.Poll()
	select {
	case <-ch:
		t.Fatal("Changed closed without a change")
	default:
	}
}

// TestReaderRollOver: log4j renames wso2carbon.log and opens a new one; the
// lines written to the old file before the rename and to the new one after
// are all read, and no verdict is lost.
func TestReaderRollOver(t *testing.T) {
	for _, l := range []layout{layoutTID, layoutBracket} {
		t.Run(l.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "wso2carbon.log")
			appendFile(t, path, render(l, base, []ev{start, started, deploying(su, "a.car")}))
			r := quietReader(path)
			r.Poll()
			// The verdict is written to the old file after the last poll,
			// just before the roll-over.
			appendFile(t, path, render(l, base.Add(time.Second), []ev{deployed(su, "A_1"), deploying(su, "b.car")}))
			require.NoError(t, os.Rename(path, path+".2019-03-05"))
			appendFile(t, path, render(l, base.Add(24*time.Hour), []ev{
				errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
				info(su, am, "Reverting successfully deployed artifcats in this CApp : B_1"),
				deploying(su, "c.car"),
			}))
			r.Poll()
			assert.Equal(t, Deployed, mustState(t, r, su, "A_1").State)
			b := mustState(t, r, su, "B_1")
			assert.Equal(t, Faulty, b.State)
			assert.Equal(t, trace[0], b.Error)
			// The new file keeps being followed.
			appendFile(t, path, render(l, base.Add(25*time.Hour), []ev{deployed(su, "C_1")}))
			r.Poll()
			assert.Equal(t, Deployed, mustState(t, r, su, "C_1").State)
			assert.True(t, r.Readable())
		})
	}
}

// TestReaderRollOverNewFileLate: between the rename and the new file's
// creation the name does not exist; the reader waits for it.
func TestReaderRollOverNewFileLate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	appendFile(t, path, render(layoutTID, base, []ev{start, deploying(su, "a.car"), deployed(su, "A_1")}))
	r := quietReader(path)
	r.Poll()
	require.NoError(t, os.Rename(path, path+".2019-03-05"))
	r.Poll()
	assert.True(t, r.Readable())
	appendFile(t, path, render(layoutTID, base.Add(time.Hour), []ev{undeploying(su, "A_1"), undeployed(su, "A_1")}))
	r.Poll()
	assert.Equal(t, Undeployed, mustState(t, r, su, "A_1").State)
}

func TestReaderTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	appendFile(t, path, render(layoutTID, base, []ev{start, deploying(su, "a.car"), deployed(su, "A_1"), deploying(su, "b.car"), deployed(su, "B_1")}))
	r := quietReader(path)
	r.Poll()
	require.NoError(t, os.Truncate(path, 0))
	appendFile(t, path, render(layoutTID, base.Add(time.Hour), []ev{undeploying(su, "A_1"), undeployed(su, "A_1")}))
	r.Poll()
	assert.Equal(t, Undeployed, mustState(t, r, su, "A_1").State)
	assert.Equal(t, Deployed, mustState(t, r, su, "B_1").State, "truncation is not a server restart")
}

func TestReaderRunStopsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	r := New(path, Options{PollInterval: 10 * time.Millisecond, Location: time.UTC, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	ch := r.Changed()
	appendFile(t, path, render(layoutBracket, base, []ev{start, deploying(4, "t.car"), deployed(4, "T_1")}))
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no change seen by Run")
	}
	require.Eventually(t, func() bool { s, ok := r.State(4, "T_1"); return ok && s.State == Deployed }, 10*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// TestReaderHugeRecord: a 10 MB single record (one line, then a long stack
// trace) keeps at most maxKept bytes of it and the next record is read.
func TestReaderHugeRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	huge := strings.Repeat("x", 10<<20)
	appendFile(t, path, render(layoutTID, base, []ev{start, deploying(su, "a.car"),
		errorEv(su, "org.apache.synapse.deployers.AbstractSynapseArtifactDeployer", huge, strings.Repeat("\tat a.B.c(D.java:1)\n", 100000)),
		errorEv(su, am, "Error occurred while deploying Carbon Application"),
		info(su, am, "Reverting successfully deployed artifcats in this CApp : A_1"),
	}))
	r := quietReader(path)
	r.Poll()
	s := mustState(t, r, su, "A_1")
	assert.Equal(t, Faulty, s.State)
	assert.LessOrEqual(t, len(s.Error), maxKept)
	assert.True(t, strings.HasPrefix(s.Error, "xxxx"))
}

// TestReaderHistoryIsNotLive: what the log held when the reader first opened
// it (a daemon restart reads it all again) is history, not live: its Seen is
// the restart, not when Carbon wrote it. What comes after, in the same
// file, after a truncation or after a roll-over, is live.
func TestReaderHistoryIsNotLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	appendFile(t, path, render(layoutTID, base, []ev{start, deploying(su, "a.car"), deployed(su, "A_1")}))
	r := quietReader(path)
	r.Poll()
	assert.False(t, mustState(t, r, su, "A_1").Live, "re-read from history")

	appendFile(t, path, render(layoutTID, base.Add(time.Minute), []ev{deploying(su, "b.car"), deployed(su, "B_1")}))
	r.Poll()
	assert.True(t, mustState(t, r, su, "B_1").Live, "appended while following")
	assert.False(t, mustState(t, r, su, "A_1").Live)

	require.NoError(t, os.Rename(path, path+".2024-05-01"))
	appendFile(t, path, render(layoutTID, base.Add(time.Hour), []ev{deploying(su, "a.car"), deployed(su, "A_1")}))
	r.Poll()
	assert.True(t, mustState(t, r, su, "A_1").Live, "the new file after a roll-over")

	// A missing file at the first poll: what appears later is still the
	// first read of that file; it counts as history (the safe side).
	other := filepath.Join(t.TempDir(), "wso2carbon.log")
	r2 := quietReader(other)
	r2.Poll()
	appendFile(t, other, render(layoutTID, base, []ev{start, deploying(su, "a.car"), deployed(su, "A_1")}))
	r2.Poll()
	assert.False(t, mustState(t, r2, su, "A_1").Live)
	appendFile(t, other, render(layoutTID, base.Add(time.Minute), []ev{deploying(su, "b.car"), deployed(su, "B_1")}))
	r2.Poll()
	assert.True(t, mustState(t, r2, su, "B_1").Live)
}
