//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// tempFiles lists the upload temporary files (.depsync-*.tmp) in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".depsync-*.tmp"))
	require.NoError(t, err)
	return m
}

// putHead is the head of a PUT of a C-App of length bytes with SHA-256 sum.
func putHead(file string, length int, sum [32]byte) string {
	return fmt.Sprintf("PUT /v1/capps/%s HTTP/1.1\r\nHost: depsync\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: %d\r\nContent-Digest: sha-256=:%s:\r\n\r\n",
		file, daemontest.Token, length, base64.StdEncoding.EncodeToString(sum[:]))
}

// TestStopDuringSlowUpload: SIGTERM while a client trickles a 32 MiB
// C-App. The node exits 0 within the stop's budget, the upload's
// temporary file is gone from carbonapps, and a PUT sent after the stop
// began (on a connection opened before it, and on a new one) is refused.
func TestStopDuringSlowUpload(t *testing.T) {
	bin := daemontest.Binary(t)
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Settings: fast})
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	m.Start(t)
	addr := strings.TrimPrefix(m.URL, "http://")

	// The slow upload: 64 KiB every 100 ms (enough for the body guard),
	// of 32 MiB, until the node cuts it.
	slow, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer slow.Close()
	_, err = slow.Write([]byte(putHead("Slow_1.0.0.car", 32<<20, [32]byte{})))
	require.NoError(t, err)
	trickled := make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte{'x'}, 64<<10)
		for range 32 << 4 { // bounded: the whole body, at most
			_ = slow.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := slow.Write(chunk); err != nil {
				trickled <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		trickled <- nil
	}()
	daemontest.Eventually(t, 20*time.Second, "the upload's temporary file in carbonapps", func() bool {
		return len(tempFiles(t, apps)) > 0
	})

	// A connection opened before the stop, whose request comes after.
	early, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer early.Close()
	late := testcapp.Build(t, "Late", "1.0.0")

	start := time.Now()
	require.NoError(t, syscall.Kill(m.Pid(), syscall.SIGTERM))
	daemontest.Eventually(t, 30*time.Second, "the daemon to log its stop", func() bool {
		return strings.Contains(m.Logs(), "depsync stopped")
	})

	// On the early connection: refused, by a 503 or by closing it.
	_ = early.SetDeadline(time.Now().Add(30 * time.Second))
	code := 0
	if _, err := early.Write(append([]byte(putHead("Late_1.0.0.car", len(late), sha256.Sum256(late))), late...)); err == nil {
		if resp, err := http.ReadResponse(bufio.NewReader(early), nil); err == nil {
			code = resp.StatusCode
			resp.Body.Close()
		}
	}
	assert.Contains(t, []int{0, http.StatusServiceUnavailable}, code, "a PUT sent after the stop began")
	// On a new connection: not accepted, or refused.
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		code := 0
		if _, err := c.Write(append([]byte(putHead("Late_1.0.0.car", len(late), sha256.Sum256(late))), late...)); err == nil {
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
		}
		c.Close()
		assert.Contains(t, []int{0, http.StatusServiceUnavailable}, code, "a PUT on a connection opened after the stop began")
	}

	exit := m.Stop(t) // waits for the exit (its SIGTERM comes second)
	took := time.Since(start)
	assert.Equal(t, 0, exit, "exit status of a stop during an upload")
	assert.Less(t, took, httpserver.ShutdownBudget+10*time.Second, "the stop took %s", took)
	assert.Empty(t, tempFiles(t, apps), "temporary files left in carbonapps")
	assert.NoFileExists(t, filepath.Join(apps, "Late_1.0.0.car"), "a C-App taken after the stop began")
	assert.NoFileExists(t, filepath.Join(apps, "Slow_1.0.0.car"))
	select {
	case err := <-trickled:
		assert.Error(t, err, "the slow upload was cut")
	case <-time.After(40 * time.Second):
		t.Error("the slow upload was neither cut nor finished")
	}
}

// TestStopRefusesUploadsAtOnce: a worker's svn call hangs (its server
// accepts and never answers), so its stop waits for the grace period. From
// the SIGTERM on, the node takes no upload any more, although the daemon
// has not stopped yet.
func TestStopRefusesUploadsAtOnce(t *testing.T) {
	svntest.Require(t, "svn")
	// An svn server that accepts and never answers.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { hole.Close() })
	called := make(chan struct{}, 1)
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			select {
			case called <- struct{}{}:
			default:
			}
		}
	}()
	bin := daemontest.Binary(t)
	settings := map[string]any{"svn.url": "http://" + hole.Addr().String() + "/repo", "svn.username": "u"}
	for k, v := range fast {
		settings[k] = v
	}
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: settings})
	w.Start(t)
	select {
	case <-called:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker never called its svn server")
	}

	require.NoError(t, syscall.Kill(w.Pid(), syscall.SIGTERM))
	daemontest.Eventually(t, 10*time.Second, "the worker to log its stop", func() bool {
		return strings.Contains(w.Logs(), "stopping")
	})
	require.True(t, w.Running(), "the worker waits for its svn call")
	app := testcapp.Build(t, "Late", "1.0.0")
	code := 0
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(w.URL, "http://"), 5*time.Second); err == nil {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		head := strings.Replace(putHead("Late_1.0.0.car", len(app), sha256.Sum256(app)), ".car ", ".car?force=true ", 1)
		if _, err := c.Write(append([]byte(head), app...)); err == nil {
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
		}
	}
	assert.Contains(t, []int{0, http.StatusServiceUnavailable}, code, "a PUT after the stop began: refused (0: no connection)")
	assert.NoFileExists(t, filepath.Join(w.Dir, "carbonapps", "Late_1.0.0.car"), "a C-App taken after the stop began")
}
