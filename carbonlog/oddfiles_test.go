//go:build linux

package carbonlog

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pollOrHang runs one Poll and fails the test, instead of hanging it, when
// it does not return.
func pollOrHang(t *testing.T, r *Reader) {
	t.Helper()
	done := make(chan struct{})
	go func() { r.Poll(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Poll of %s did not return", r.Path())
	}
}

// TestReaderRefusesOddLogFile: carbon.log_file naming a FIFO or /dev/zero
// is not readable (said once, naming what it is), costs one open per poll
// and no read; once a regular file takes the name, it is read.
func TestReaderRefusesOddLogFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.log")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	zero := filepath.Join(dir, "zero.log")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	for _, tc := range []struct{ path, kind string }{{fifo, "a FIFO"}, {zero, "a device"}} {
		var logs bytes.Buffer
		r := New(tc.path, Options{Location: time.UTC, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		pollOrHang(t, r)
		pollOrHang(t, r)
		assert.False(t, r.Readable(), tc.path)
		assert.Equal(t, 1, strings.Count(logs.String(), "not a regular file ("+tc.kind+")"), logs.String())
	}

	require.NoError(t, os.Remove(fifo))
	appendFile(t, fifo, render(layoutTID, base, []ev{start, deploying(su, "a.car"), deployed(su, "A_1")}))
	r := quietReader(fifo)
	pollOrHang(t, r)
	assert.True(t, r.Readable())
	assert.Equal(t, Deployed, mustState(t, r, su, "A_1").State)
}

// TestReaderBoundsEachPoll: a big log is read a bounded slice per poll,
// so that Run sees its context between slices; what it held when first
// opened stays history until the reader has caught up.
func TestReaderBoundsEachPoll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	var b strings.Builder
	b.WriteString(render(layoutTID, base, []ev{start}))
	for b.Len() < 4*chunkSize {
		b.WriteString(render(layoutTID, base, []ev{deploying(su, "a.car"), deployed(su, "A_1")}))
	}
	b.WriteString(render(layoutTID, base, []ev{deploying(su, "b.car"), deployed(su, "B_1")}))
	appendFile(t, path, b.String())
	r := quietReader(path)
	r.maxPerPoll = chunkSize
	polls := 0
	for {
		polls++
		pollOrHang(t, r)
		if _, ok := r.State(su, "B_1"); ok || polls > 10 {
			break
		}
	}
	assert.GreaterOrEqual(t, polls, 4, "read a slice per poll")
	assert.False(t, mustState(t, r, su, "B_1").Live, "history until caught up")
	appendFile(t, path, render(layoutTID, base, []ev{deploying(su, "c.car"), deployed(su, "C_1")}))
	pollOrHang(t, r)
	assert.True(t, mustState(t, r, su, "C_1").Live)
}
