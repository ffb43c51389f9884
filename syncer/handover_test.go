package syncer

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

func TestAwaitCarbonWaitsForTheOldJVM(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	var logs syncBuffer
	d, err := New(c, Deps{SVN: &fakeSVN{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	boot := time.Now().Add(-time.Hour).Truncate(time.Second)
	off := boot.Add(30 * time.Minute)
	root := fakeProcRoot(t, boot, c.Carbon.Home, off.Add(-10*time.Minute))
	h := handover{off: off, file: "carbon.xml", how: "depsync turned it off", proc: root}

	done := make(chan bool, 1)
	go func() { done <- d.awaitCarbon(context.Background(), h) }()
	require.Eventually(t, func() bool {
		ok, why := d.Ready()
		return !ok && strings.Contains(why, "waiting for Carbon to restart: its JVM pid 4242 (found by -Dcarbon.home")
	}, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, d.Status().Reason, "depsync runs no svn command on the working copy")
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
	_, why := d.Ready()
	assert.NotContains(t, why, "waiting for Carbon")
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
	assert.Contains(t, logs.String(), "the Carbon JVM that ran its own synchronizer is gone")
}

func TestAwaitCarbonStopsWithTheContext(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	d := newTestDaemon(t, c, &fakeSVN{})
	boot := time.Now().Add(-time.Hour).Truncate(time.Second)
	root := fakeProcRoot(t, boot, c.Carbon.Home, boot.Add(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, d.awaitCarbon(ctx, handover{off: time.Now(), file: "carbon.xml", how: "x", proc: root}))
}

func TestAwaitCarbonWithoutProcGoesOnWithAWarning(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	var logs syncBuffer
	d, err := New(c, Deps{SVN: &fakeSVN{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	h := handover{off: time.Now(), file: "carbon.xml", how: "x", proc: filepath.Join(t.TempDir(), "no-proc")}
	assert.True(t, d.awaitCarbon(context.Background(), h))
	assert.Contains(t, logs.String(), "level=WARN msg=\"cannot tell whether a Carbon JVM")
}

func TestPrepareCarbonKnowsWhenTheBlockWasTurnedOff(t *testing.T) {
	block := func(enabled string) string {
		return `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <DeploymentSynchronizer>
        <Enabled>` + enabled + `</Enabled>
        <AutoCommit>true</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
    </DeploymentSynchronizer>
</Server>
`
	}
	const noBlock = `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Name>x</Name></Server>`
	mtime := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		xml         string
		writeConfig bool
		noSVN       bool
		want        string // "now", "mtime" or "" (nothing to wait for)
	}{
		{"write_config turns an enabled block off: now", block("true"), true, false, "now"},
		{"write_config, block already off: since carbon.xml changed", block("false"), true, false, "mtime"},
		{"write_config, no block before", noBlock, true, false, ""},
		{"block off: since carbon.xml changed", block("false"), false, false, "mtime"},
		{"no block", noBlock, false, false, ""},
		{"no SVN: no working copy to guard", block("true"), true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, config.RoleManager)
			if tt.noSVN {
				c.SVN.URL = ""
			}
			c.Carbon.WriteConfig = tt.writeConfig
			c.Carbon.ConfigFile = filepath.Join(c.Carbon.Home, "repository", "conf", "carbon.xml")
			require.NoError(t, os.MkdirAll(filepath.Dir(c.Carbon.ConfigFile), 0o755))
			require.NoError(t, os.WriteFile(c.Carbon.ConfigFile, []byte(tt.xml), 0o644))
			require.NoError(t, os.Chtimes(c.Carbon.ConfigFile, mtime, mtime))
			d := newTestDaemon(t, c, &fakeSVN{})
			before := time.Now()
			h, err := d.prepareCarbon()
			require.NoError(t, err)
			switch tt.want {
			case "":
				assert.True(t, h.off.IsZero(), "%v", h.off)
			case "now":
				assert.False(t, h.off.Before(before), "%v", h.off)
				assert.Equal(t, "depsync turned it off", h.how)
			case "mtime":
				assert.True(t, h.off.Equal(mtime), "%v", h.off)
				assert.Equal(t, "carbon.xml last changed", h.how)
			}
			if !h.off.IsZero() {
				assert.Equal(t, procRoot, h.proc)
				assert.Equal(t, c.Carbon.ConfigFile, h.file)
			}
		})
	}
}
