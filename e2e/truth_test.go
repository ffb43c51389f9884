//go:build linux

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// metricsOf returns a node's /metrics text ("" when it does not answer).
func metricsOf(n *daemontest.Node) string {
	resp, err := http.Get(n.URL + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// statusCLI runs `depsync status` against n with the cluster token and
// returns its exit code and output.
func statusCLI(t *testing.T, bin string, n *daemontest.Node, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"status", "--config", n.ConfigFile, "--node", n.URL}, args...)...)
	cmd.Env = n.Env()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

// TestStatusTellsTheTruth: `depsync status` exits 0 only while the node is
// ready and in step, 1 while the manager holds deletions (in text and in
// json); once SVN stops, the worker's /v1/status and depsync_mode say its
// manager pushes directly within 15 s, also after the worker restarts;
// every node exports its build.
func TestStatusTellsTheTruth(t *testing.T) {
	srv := svntest.New(t, svntest.SVNServe)
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for _, name := range []string{"A", "B", "C", "D"} {
		testcapp.Write(t, apps, name+"_1.0.0.car", name, "1.0.0")
	}
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 60*time.Second, "first sync", converged(t, m, w))
	managerMode := func() string {
		var s struct {
			ManagerMode string `json:"manager_mode"`
		}
		if _, err := w.Get("/v1/status", &s); err != nil {
			return err.Error()
		}
		return s.ManagerMode
	}
	daemontest.Eventually(t, 15*time.Second, "the worker to know its manager is in svn mode", func() bool {
		return managerMode() == "svn"
	})
	for _, n := range []*daemontest.Node{m, w} {
		daemontest.Eventually(t, 15*time.Second, n.Name+": status exit 0 once ready and in step", func() bool {
			code, _ := statusCLI(t, bin, n)
			return code == 0
		})
		assert.Contains(t, metricsOf(n), `depsync_mode{mode="svn"} 1`, n.Name)
		assert.Contains(t, metricsOf(n), `depsync_build_info{commit="`, n.Name)
	}

	// Deletions held: not ready, exit 1, whatever the output format.
	aside := filepath.Join(m.Home, "carbonapps.aside")
	require.NoError(t, os.Rename(apps, aside))
	daemontest.Eventually(t, 20*time.Second, "the manager to hold the deletions", func() bool {
		return len(held(t, m).HeldDeletions) == 1
	})
	code, out := statusCLI(t, bin, m)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "NOT READY")
	assert.Contains(t, out, "deletion(s) held")
	code, out = statusCLI(t, bin, m, "-o", "json")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `"held_deletions": [`)
	require.NoError(t, os.Rename(aside, apps))
	daemontest.Eventually(t, 20*time.Second, "the hold to clear and status to exit 0", func() bool {
		code, _ := statusCLI(t, bin, m)
		return code == 0
	})

	// SVN stops: the manager pushes directly, and the worker says so.
	srv.Stop(t)
	start := time.Now()
	daemontest.Eventually(t, 15*time.Second, "the worker's status and depsync_mode to say direct", func() bool {
		return managerMode() == "direct" && strings.Contains(metricsOf(w), `depsync_mode{mode="direct"} 1`)
	})
	t.Logf("the worker knew its manager was in direct mode %s after SVN stopped", time.Since(start).Round(time.Millisecond))
	assert.Contains(t, metricsOf(w), `depsync_mode{mode="svn"} 0`)
	assert.Contains(t, metricsOf(m), `depsync_mode{mode="direct"} 1`)
	_, out = statusCLI(t, bin, w)
	assert.Contains(t, out, "manager's mode direct", out)

	// A worker restarted meanwhile has had no notice: it asks.
	w.Stop(t)
	w.Start(t)
	daemontest.Eventually(t, 15*time.Second, "the restarted worker to learn its manager is in direct mode", func() bool {
		return managerMode() == "direct"
	})
}

// TestCLIContextOverTLS: a TLS node run with --log-format json. The CLI
// lists its C-Apps and removes one by its id with only --node, --ca-file
// and --token-file, no config file; a client that fails the TLS handshake
// is logged as a JSON line like every other.
func TestCLIContextOverTLS(t *testing.T) {
	bin := daemontest.Binary(t)
	pki := filepath.Join(t.TempDir(), "pki")
	out, err := exec.Command(bin, "tls", "init", "--out", pki, "--host", "manager,127.0.0.1,localhost").CombinedOutput()
	require.NoError(t, err, "%s", out)
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	client := &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	m := newTLSNode(t, bin, "manager", "manager", pki, nil)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "HelloWorld_1.0.0.car", "HelloWorld", "1.0.0")

	cmd := exec.Command(bin, "run", "--config", m.ConfigFile, "--log-format", "json")
	cmd.Env = os.Environ()
	var logs strings.Builder
	var mu sync.Mutex
	cmd.Stdout, cmd.Stderr = syncWriter{&mu, &logs}, syncWriter{&mu, &logs}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if t.Failed() {
			mu.Lock()
			t.Logf("--- manager log ---\n%s", logs.String())
			mu.Unlock()
		}
	})
	daemontest.Eventually(t, 30*time.Second, "/healthz over https", func() bool {
		resp, err := client.Get(m.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// The CLI from a folder without a depsync.yaml, no --config.
	cli := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, bin, args...)
		c.Dir = t.TempDir()
		c.Env = append(os.Environ(), "DEPSYNC_TOKEN=", "DEPSYNC_TLS_CA_FILE=")
		b, err := c.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(b)
		}
		require.NoError(t, err, "%s", b)
		return 0, string(b)
	}
	token := filepath.Join(pki, "token")
	code, got := cli("capp", "list", "--node", m.url, "--ca-file", filepath.Join(pki, "ca.crt"), "--token-file", token)
	require.Equal(t, 0, code, got)
	assert.Contains(t, got, "HelloWorld_1.0.0.car")
	code, got = cli("capp", "list", "--node", m.url, "--token-file", token)
	assert.Equal(t, 1, code, got)
	assert.Contains(t, got, "give --ca-file")
	code, got = cli("capp", "rm", "HelloWorld_1.0.0", "--node", m.url, "--ca-file", filepath.Join(pki, "ca.crt"),
		"--token-file", token)
	require.Equal(t, 0, code, got)
	assert.Contains(t, got, "HelloWorld_1.0.0.car (HelloWorld_1.0.0)")
	assert.NoFileExists(t, filepath.Join(apps, "HelloWorld_1.0.0.car"))

	// A handshake that fails: Go's own line, in the daemon's JSON.
	conn, err := net.DialTimeout("tcp", m.Listen, 5*time.Second)
	require.NoError(t, err)
	_, err = conn.Write([]byte("\x16\x03\x01\x00\x05not-a-client-hello"))
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	daemontest.Eventually(t, 10*time.Second, "the handshake error in the log", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(logs.String(), "TLS handshake error")
	})
	mu.Lock()
	all := logs.String()
	mu.Unlock()
	sc := bufio.NewScanner(strings.NewReader(all))
	for sc.Scan() {
		var rec map[string]any
		assert.NoError(t, json.Unmarshal(sc.Bytes(), &rec), "not a JSON line: %s", sc.Text())
	}
}
