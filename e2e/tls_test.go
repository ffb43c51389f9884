//go:build linux

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
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

// tlsNode is a daemontest node run over HTTPS: daemontest writes its config
// and directories, this file runs its process (daemontest's Start probes
// plain http).
type tlsNode struct {
	*daemontest.Node
	url string
	// kill kills the process start ran and waits for it to end.
	kill func()
}

func newTLSNode(t *testing.T, bin, name, role, pki string, peers []string) *tlsNode {
	return newTLSNodeSVN(t, bin, name, role, pki, peers, nil)
}

// newTLSNodeSVN is newTLSNode syncing over srv (none when nil).
func newTLSNodeSVN(t *testing.T, bin, name, role, pki string, peers []string, srv *svntest.Server) *tlsNode {
	settings := map[string]any{
		"token_file":    filepath.Join(pki, "token"),
		"tls.cert_file": filepath.Join(pki, name+".crt"),
		"tls.key_file":  filepath.Join(pki, name+".key"),
		"tls.ca_file":   filepath.Join(pki, "ca.crt"),
	}
	for k, v := range fast {
		settings[k] = v
	}
	n := daemontest.NewNode(t, bin, daemontest.Config{Name: name, Role: role, Peers: peers, Settings: settings, SVN: srv})
	return &tlsNode{Node: n, url: "https://" + n.Listen}
}

// start runs the node and waits until its /healthz answers over HTTPS,
// verified with the cluster CA.
func (n *tlsNode) start(t *testing.T, client *http.Client) {
	t.Helper()
	cmd := exec.Command(n.Bin, "run", "--config", n.ConfigFile, "--log-level", "debug")
	cmd.Env = os.Environ() // the token comes from token_file
	if n.SVN != nil && n.SVN.Password != "" {
		cmd.Env = append(cmd.Env, "DEPSYNC_SVN_PASSWORD="+n.SVN.Password)
	}
	var logs strings.Builder
	var mu sync.Mutex
	cmd.Stdout, cmd.Stderr = syncWriter{&mu, &logs}, syncWriter{&mu, &logs}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	var waitErr error // read after done is closed
	go func() { waitErr = cmd.Wait(); close(done) }()
	n.kill = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	t.Cleanup(func() {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill %s: %v", n.Name, err)
		}
		<-done
		if t.Failed() {
			t.Logf("--- %s log (%v) ---\n%s", n.Name, waitErr, logs.String())
		}
	})
	daemontest.Eventually(t, 30*time.Second, n.Name+" /healthz over https", func() bool {
		select {
		case <-done:
			t.Fatalf("%s exited at start:\n%s", n.Name, logs.String())
		default:
		}
		resp, err := client.Get(n.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestTLSCluster: certificates made by `depsync tls init`, a manager and a
// worker on 127.0.0.1 over HTTPS with https:// peers and tls.ca_file. A
// C-App propagates; `capp push --node https://...` works with the CA and
// fails without it, naming the certificate problem. Each name and IP is one
// node's (tls init refuses to share them), so the manager is reached as
// 127.0.0.1 and the worker as localhost.
func TestTLSCluster(t *testing.T) {
	bin := daemontest.Binary(t)
	pki := filepath.Join(t.TempDir(), "pki")
	out, err := exec.Command(bin, "tls", "init", "--out", pki,
		"--host", "manager,127.0.0.1", "--host", "worker,localhost").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "ca_file: "+filepath.Join(pki, "ca.crt"))

	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	client := &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}

	w := newTLSNode(t, bin, "worker", "worker", pki, nil)
	w.url = strings.Replace(w.url, "://127.0.0.1:", "://localhost:", 1)
	m := newTLSNode(t, bin, "manager", "manager", pki, []string{w.url})
	w.SetPeers(t, m.url)
	w.start(t, client)
	m.start(t, client)

	// Plain http to a TLS listener gets nowhere.
	resp, err := http.Get("http://" + m.Listen + "/healthz")
	if err == nil {
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		resp.Body.Close()
	}

	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "One_1.0.0.car", "One", "1.0.0")
	daemontest.Eventually(t, 30*time.Second, "the worker to hold One over https", func() bool {
		ok, _ := daemontest.SameTree(apps, filepath.Join(w.Dir, "carbonapps"))
		return ok
	})

	// capp push over https, with the CA from a config, the token from a file.
	withCA := filepath.Join(t.TempDir(), "cli.yaml")
	require.NoError(t, os.WriteFile(withCA, []byte("role: manager\ntls: {ca_file: "+filepath.Join(pki, "ca.crt")+"}\n"), 0o600))
	noCA := filepath.Join(t.TempDir(), "cli.yaml")
	require.NoError(t, os.WriteFile(noCA, []byte("role: manager\n"), 0o600))
	src := testcapp.Write(t, t.TempDir(), "Two_1.0.0.car", "Two", "1.0.0")
	push := func(cfg string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--config", cfg, "capp", "push", src, "--node", m.url,
			"--via", "direct", "--token-file", filepath.Join(pki, "token"))
		cmd.Env = append(os.Environ(), "DEPSYNC_TOKEN=")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}

	out2, err := push(noCA)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, out2)
	assert.Equal(t, 1, ee.ExitCode(), out2)
	assert.Contains(t, out2, "certificate signed by unknown authority")
	assert.Contains(t, out2, "set tls.ca_file")
	assert.NoFileExists(t, filepath.Join(apps, "Two_1.0.0.car"))

	out2, err = push(withCA)
	require.NoError(t, err, out2)
	assert.Contains(t, out2, "created")
	daemontest.Eventually(t, 30*time.Second, "Two on the worker", func() bool {
		_, err := os.Stat(filepath.Join(w.Dir, "carbonapps", "Two_1.0.0.car"))
		return err == nil
	})
}

// syncWriter lets a process's stdout and stderr share a builder.
type syncWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
