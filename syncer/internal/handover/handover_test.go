package handover

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/carbonproc"
)

// fakeProcRoot is a proc file system in a folder, booted at boot, with
// one process (pid 4242) running home since startedAt.
func fakeProcRoot(t *testing.T, boot time.Time, home string, startedAt time.Time) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "stat"), []byte("cpu 1 2 3\nbtime "+strconv.FormatInt(boot.Unix(), 10)+"\n"), 0o644))
	setProc(t, root, boot, 4242, home, startedAt)
	return root
}

// setProc writes (or rewrites) a process of the fake proc file system.
func setProc(t *testing.T, root string, boot time.Time, pid int, home string, startedAt time.Time) {
	t.Helper()
	dir := filepath.Join(root, strconv.Itoa(pid))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ticks := startedAt.Sub(boot) / (10 * time.Millisecond)
	stat := fmt.Sprintf("%d (java) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 %d 99 99\n", pid, ticks)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte("java\x00-Dcarbon.home="+home+"\x00"), 0o644))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// fakeDaemon records what await says through its Env.
type fakeDaemon struct {
	mu      sync.Mutex
	waiting []string
	over    []string
}

func (f *fakeDaemon) env(cfg *config.Config, log *slog.Logger) Env {
	return Env{
		Config:   cfg,
		Log:      log,
		CheckSVN: func(context.Context) error { return nil },
		Waiting:  func(err error) { f.mu.Lock(); f.waiting = append(f.waiting, err.Error()); f.mu.Unlock() },
		WaitOver: func(why string) { f.mu.Lock(); f.over = append(f.over, why); f.mu.Unlock() },
	}
}

func (f *fakeDaemon) said() (waiting, over []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.waiting...), append([]string(nil), f.over...)
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	home := t.TempDir()
	return &config.Config{
		Role:   config.RoleManager,
		Carbon: config.Carbon{Home: home, DeploymentDir: filepath.Join(home, "repository", "deployment", "server")},
		SVN:    config.SVN{URL: "http://svn.example/repo", AppendTenantID: true},
	}
}

func TestAwaitWaitsForTheOldJVM(t *testing.T) {
	c := testConfig(t)
	var logs syncBuffer
	var f fakeDaemon
	env := f.env(c, slog.New(slog.NewTextHandler(&logs, nil)))
	boot := time.Now().Add(-time.Hour).Truncate(time.Second)
	off := boot.Add(30 * time.Minute)
	root := fakeProcRoot(t, boot, c.Carbon.Home, off.Add(-10*time.Minute))
	h := handover{off: off, file: "carbon.xml", how: "depsync turned it off", proc: root}

	done := make(chan bool, 1)
	go func() { done <- await(context.Background(), env, h) }()
	require.Eventually(t, func() bool {
		waiting, _ := f.said()
		return len(waiting) == 1 && strings.Contains(waiting[0], "waiting for Carbon to restart: its JVM pid 4242 (found by -Dcarbon.home")
	}, 10*time.Second, 10*time.Millisecond)
	waiting, _ := f.said()
	assert.Contains(t, waiting[0], "depsync runs no svn command on the working copy")
	select {
	case <-done:
		t.Fatal("went on while the old JVM runs")
	default:
	}

	// Carbon restarts: pid 4242 is now a JVM started after the block was
	// turned off.
	setProc(t, root, boot, 4242, c.Carbon.Home, off.Add(time.Minute))
	select {
	case ok := <-done:
		assert.True(t, ok)
	case <-time.After(5 * time.Second):
		t.Fatal("did not go on within 5 s of Carbon restarting")
	}
	waiting, over := f.said()
	assert.Len(t, waiting, 1, "said once while it waited")
	assert.Equal(t, waiting, over, "what it said is taken back")
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
	assert.Contains(t, logs.String(), "the Carbon JVM that ran its own synchronizer is gone")
}

func TestAwaitStopsWithTheContext(t *testing.T) {
	c := testConfig(t)
	var f fakeDaemon
	boot := time.Now().Add(-time.Hour).Truncate(time.Second)
	root := fakeProcRoot(t, boot, c.Carbon.Home, boot.Add(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, await(ctx, f.env(c, slog.New(slog.DiscardHandler)), handover{off: time.Now(), file: "carbon.xml", how: "x", proc: root}))
}

func TestAwaitWithoutProcGoesOnWithAWarning(t *testing.T) {
	c := testConfig(t)
	var logs syncBuffer
	var f fakeDaemon
	h := handover{off: time.Now(), file: "carbon.xml", how: "x", proc: filepath.Join(t.TempDir(), "no-proc")}
	assert.True(t, await(context.Background(), f.env(c, slog.New(slog.NewTextHandler(&logs, nil))), h))
	assert.Contains(t, logs.String(), "level=WARN msg=\"cannot tell whether a Carbon JVM")
	waiting, over := f.said()
	assert.Empty(t, waiting)
	assert.Empty(t, over)
}

// TestHolding: whether the svn loop may start, and if not why, from the
// handover and the Carbon JVMs of the home found running.
func TestHolding(t *testing.T) {
	off := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	h := handover{off: off, file: "/c/carbon.xml", how: "depsync turned it off", proc: procRoot}
	before := carbonproc.Proc{PID: 11, Start: off.Add(-time.Minute), Via: carbonproc.ViaCmdline}
	after := carbonproc.Proc{PID: 12, Start: off.Add(time.Minute), Via: carbonproc.ViaCmdline}
	tests := []struct {
		name  string
		h     handover
		procs []carbonproc.Proc
		want  []string // in the reason; nil: may start
	}{
		{"no handover: nothing to wait for", handover{}, []carbonproc.Proc{before}, nil},
		{"no JVM", h, nil, nil},
		{"only a JVM started after the block was turned off", h, []carbonproc.Proc{after}, nil},
		{"a JVM started before", h, []carbonproc.Proc{before, after},
			[]string{"waiting for Carbon to restart: its JVM " + before.String() + " started before",
				"turned off in /c/carbon.xml (depsync turned it off, 2026-11-01T10:00:00Z)",
				"depsync runs no svn command on the working copy until it is gone or restarted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := holding(tt.h, tt.procs)
			if tt.want == nil {
				assert.Empty(t, why)
				return
			}
			for _, w := range tt.want {
				assert.Contains(t, why, w)
			}
			assert.NotContains(t, why, after.String())
		})
	}
}
