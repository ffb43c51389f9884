//go:build linux

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// requireRoot skips a test that must mount a file system, unless
// DEPSYNC_REQUIRE_INTEGRATION=1 says it must run.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("DEPSYNC_REQUIRE_INTEGRATION") == "1" {
		t.Fatal("this test mounts a small tmpfs and needs root (DEPSYNC_REQUIRE_INTEGRATION=1)")
	}
	t.Skip("needs root to mount a small tmpfs; run as root to test a full disk")
}

// mountTmpfs mounts a tmpfs of size (e.g. "4m") at dir until the test ends;
// stop runs first (to end the processes using it).
func mountTmpfs(t *testing.T, dir, size string, stop func()) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "mount tmpfs: %s", out)
	t.Cleanup(func() {
		stop()
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fill writes path until the file system is full, then frees leave bytes.
func fill(t *testing.T, path string, leave int64) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte{0xa5}, 32<<10)
	var n int64
	for {
		k, err := f.Write(chunk)
		n += int64(k)
		if err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling: %v", err)
			break
		}
	}
	require.NoError(t, f.Truncate(max(n-leave, 0)))
	require.NoError(t, f.Close())
}

// TestWorkerDiskFullConverges: the worker's deployment directory sits on
// a small tmpfs that fills up while a large C-App arrives. The worker
// never shows a half-written C-App, reports the error in /v1/status and
// /readyz, and converges by itself with a clean working copy once space
// returns.
func TestWorkerDiskFullConverges(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	requireRoot(t)
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	// The tmpfs holds the deployment directory and, beside it, the
	// filler: nothing of the test inside the live tree.
	vol := filepath.Dir(w.Dir)
	mountTmpfs(t, vol, "6m", func() { w.Kill(t) })

	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Small_1.0.0.car", "Small", "1.0.0")
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 60*time.Second, "first sync", converged(t, m, w))
	daemontest.WaitReady(t, w, 30*time.Second)

	filler := filepath.Join(vol, "filler")
	fill(t, filler, 256<<10)
	big := testcapp.Write(t, apps, "Big_1.0.0.car", "Big", "1.0.0", testcapp.Pad(2<<20))
	want, err := os.ReadFile(big)
	require.NoError(t, err)

	// Every 50 ms: Big on the worker is absent or whole, never partial.
	var partial atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			got, err := os.ReadFile(filepath.Join(w.Dir, "carbonapps", "Big_1.0.0.car"))
			if err == nil && !bytes.Equal(got, want) {
				partial.Add(1)
			}
		}
	}()
	defer func() { close(done); wg.Wait() }()

	daemontest.Eventually(t, 60*time.Second, "the worker to report the full disk", func() bool {
		var s struct {
			Ready   bool   `json:"ready"`
			Reason  string `json:"reason"`
			Tenants []struct {
				LastError string `json:"last_error"`
			} `json:"tenants"`
		}
		if _, err := w.Get("/v1/status", &s); err != nil || len(s.Tenants) == 0 {
			return false
		}
		code, err := w.Get("/readyz", nil)
		return err == nil && !s.Ready && code == 503 && bytes.Contains([]byte(s.Reason), []byte("no space left on device")) &&
			s.Tenants[0].LastError != ""
	})
	time.Sleep(3 * time.Second) // a few retries on the full disk

	require.NoError(t, os.Remove(filler))
	daemontest.Eventually(t, 90*time.Second, "the worker to converge once space returns", func() bool {
		if !converged(t, m, w)() {
			return false
		}
		clean, _ := cleanWC(w.Dir)
		return clean
	})
	daemontest.WaitReady(t, w, 60*time.Second)
	assert.Zero(t, partial.Load(), "a partial C-App was visible on the worker")
	logs := w.Logs()
	assert.Regexp(t, `database or disk is full|No space left on device`, logs, "the fault happened")
	assert.Contains(t, logs, "update recovered")
}
