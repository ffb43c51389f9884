//go:build linux

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// tlsSVNCluster is a manager (127.0.0.1) and a worker (localhost) over
// HTTPS, syncing over svnserve, with two C-Apps on the manager; pki holds
// the cluster's CA and token.
type tlsSVNCluster struct {
	m, w   *tlsNode
	pki    string
	bin    string
	client *http.Client
}

func newTLSSVNCluster(t *testing.T) *tlsSVNCluster {
	return newTLSClusterOver(t, svntest.New(t, svntest.SVNServe))
}

// newTLSClusterOver is newTLSSVNCluster over srv; without one (nil), the
// manager pushes its C-Apps directly.
func newTLSClusterOver(t *testing.T, srv *svntest.Server) *tlsSVNCluster {
	bin := daemontest.Binary(t)
	pki := filepath.Join(t.TempDir(), "pki")
	out, err := exec.Command(bin, "tls", "init", "--out", pki,
		"--host", "manager,127.0.0.1", "--host", "worker,localhost").CombinedOutput()
	require.NoError(t, err, "%s", out)
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	client := &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}

	w := newTLSNodeSVN(t, bin, "worker", "worker", pki, nil, srv)
	w.url = strings.Replace(w.url, "://127.0.0.1:", "://localhost:", 1)
	m := newTLSNodeSVN(t, bin, "manager", "manager", pki, []string{w.url}, srv)
	w.SetPeers(t, m.url)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "A_1.0.0.car", "A", "1.0.0")
	testcapp.Write(t, apps, "B_1.0.0.car", "B", "1.0.0")
	m.start(t, client)
	w.start(t, client)
	return &tlsSVNCluster{m: m, w: w, pki: pki, bin: bin, client: client}
}

// cli runs depsync with the cluster's CA and token, no config file, and
// returns its exit code and stdout (stderr apart).
func (c *tlsSVNCluster) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(c.bin, append(args, "--ca-file", filepath.Join(c.pki, "ca.crt"),
		"--token-file", filepath.Join(c.pki, "token"))...)
	cmd.Dir = t.TempDir() // no ./depsync.yaml
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out), stderr.String()
	}
	require.NoError(t, err, "%s %s", out, stderr.String())
	return 0, string(out), stderr.String()
}

// TestStatusCluster: `depsync status --cluster`, asked of the worker, finds
// the manager through it and prints a row for each: in step once the
// worker holds the manager's C-Apps at its revision (exit 0, "in_step":
// true); with the worker gone, the manager asked still lists it, not
// answering, and the cluster is not in step (exit 1).
func TestStatusCluster(t *testing.T) {
	c := newTLSSVNCluster(t)
	type row struct {
		Node, URL, Role, Mode string
		Revisions             []struct{ Tenant, Revision int64 }
		CApps                 *int `json:"capps"`
		Drift                 *int
		HeldDeletions         int `json:"held_deletions"`
		Answered, Ready       bool
		InStep                bool `json:"in_step"`
		Why                   string
	}
	var view struct {
		Nodes  []row
		InStep bool `json:"in_step"`
	}
	var code int
	var out, errOut string
	daemontest.Eventually(t, 60*time.Second, "status --cluster to say in step", func() bool {
		code, out, errOut = c.cli(t, "status", "--cluster", "--node", c.w.url, "-o", "json", "--timeout", "5s")
		return code == 0
	})
	require.NoError(t, json.Unmarshal([]byte(out), &view), out)
	assert.True(t, view.InStep)
	require.Len(t, view.Nodes, 2, out)
	byRole := map[string]row{}
	for _, r := range view.Nodes {
		byRole[r.Role] = r
	}
	mgr, wrk := byRole["manager"], byRole["worker"]
	assert.Equal(t, c.w.url, wrk.URL, "the node asked comes first")
	assert.Equal(t, c.w.url, view.Nodes[0].URL)
	assert.Equal(t, c.m.url, mgr.URL)
	for _, r := range []row{mgr, wrk} {
		assert.True(t, r.Answered && r.Ready && r.InStep, "%+v", r)
		assert.Equal(t, "svn", r.Mode)
		require.NotNil(t, r.CApps)
		assert.Equal(t, 2, *r.CApps)
		if r.Role == "worker" && assert.NotNil(t, r.Drift, "a worker says its drift") {
			assert.Zero(t, *r.Drift, "no drift")
		}
		require.Len(t, r.Revisions, 1)
	}
	assert.Equal(t, mgr.Revisions[0].Revision, wrk.Revisions[0].Revision)
	assert.Positive(t, mgr.Revisions[0].Revision)

	code, out, errOut = c.cli(t, "status", "--cluster", "--node", c.m.url)
	assert.Equal(t, 0, code, out+errOut)
	for _, s := range []string{"NODE", "IN STEP", c.m.url, c.w.url, "cluster in step"} {
		assert.Contains(t, out, s)
	}

	c.w.kill()
	code, out, errOut = c.cli(t, "status", "--cluster", "--node", c.m.url, "-o", "json", "--timeout", "5s")
	assert.Equal(t, 1, code, out+errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &view), out)
	assert.False(t, view.InStep)
	require.Len(t, view.Nodes, 2, out)
	assert.Equal(t, c.w.url, view.Nodes[1].URL)
	assert.False(t, view.Nodes[1].Answered)
	assert.Contains(t, view.Nodes[1].Why, "no answer")
	assert.Contains(t, errOut, "not answering, not ready or not in step")

	code, _, errOut = c.cli(t, "status", "--cluster", "--tenant", "3", "--node", c.m.url)
	assert.Equal(t, 2, code, errOut)
}

// peerUp reads node's /v1/status through the CLI and says whether it has
// peer up.
func (c *tlsSVNCluster) peerUp(t *testing.T, node, peer string) bool {
	_, out, _ := c.cli(t, "status", "--node", node, "-o", "json", "--timeout", "3s")
	var st struct {
		Peers []struct {
			URL string
			Up  bool
		}
	}
	if json.Unmarshal([]byte(out), &st) != nil {
		return false
	}
	for _, p := range st.Peers {
		if p.URL == peer {
			return p.Up
		}
	}
	return false
}

// TestPeerDownWithin10s: a worker killed shows down in its manager's
// /v1/status within 10 s, and a manager killed in its worker's; in direct
// mode too, where the manager's peer table is its pushes'.
func TestPeerDownWithin10s(t *testing.T) {
	t.Run("svn", func(t *testing.T) { peerDownWithin10s(t, newTLSSVNCluster(t)) })
	t.Run("direct", func(t *testing.T) { peerDownWithin10s(t, newTLSClusterOver(t, nil)) })
}

func peerDownWithin10s(t *testing.T, c *tlsSVNCluster) {
	daemontest.Eventually(t, 30*time.Second, "the manager to see its worker up", func() bool {
		return c.peerUp(t, c.m.url, c.w.url)
	})
	c.w.kill()
	start := time.Now()
	daemontest.Eventually(t, 10*time.Second, "the manager to see its worker down", func() bool {
		return !c.peerUp(t, c.m.url, c.w.url)
	})
	t.Logf("the manager saw its worker down %s after it died", time.Since(start).Round(time.Millisecond))

	c.w.start(t, c.client)
	daemontest.Eventually(t, 30*time.Second, "the worker to see its manager up", func() bool {
		return c.peerUp(t, c.w.url, c.m.url)
	})
	c.m.kill()
	start = time.Now()
	daemontest.Eventually(t, 10*time.Second, "the worker to see its manager down", func() bool {
		return !c.peerUp(t, c.w.url, c.m.url)
	})
	t.Logf("the worker saw its manager down %s after it died", time.Since(start).Round(time.Millisecond))
}
