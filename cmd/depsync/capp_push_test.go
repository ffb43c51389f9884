package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/deploy/reconcile"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

const cliToken = "cli-test-token-0123456789abcdef0123"

// pushNode is an in-process depsync node serving the C-App API and a
// minimal /v1/status.
type pushNode struct {
	dir     string
	url     string
	srv     *httptest.Server
	puts    atomic.Int32
	peers   []string
	manager string
}

func newPushNode(t *testing.T, role string) *pushNode {
	t.Helper()
	n := &pushNode{dir: filepath.Join(t.TempDir(), "carbonapps")}
	store, err := deploy.NewStore(n.dir, 0)
	require.NoError(t, err)
	api := deploy.NewAPI(deploy.APIOptions{Store: store, Role: role, Token: cliToken,
		ManagerURL: func() string { return n.manager }})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			n.puts.Add(1)
		}
		api.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/v1/status", func(w http.ResponseWriter, r *http.Request) {
		var peers []map[string]string // as /v1/status lists them (api.PeerStatus)
		for _, p := range n.peers {
			peers = append(peers, map[string]string{"url": p})
		}
		json.NewEncoder(w).Encode(map[string]any{"role": role, "mode": "direct", "peers": peers, "manager": n.manager})
	})
	n.srv = httptest.NewServer(httpserver.New("", mux, config.TLS{}).Handler)
	t.Cleanup(n.srv.Close)
	n.url = n.srv.URL
	return n
}

func (n *pushNode) read(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, file))
	require.NoError(t, err)
	return b
}

type pushJSON struct {
	Via     string       `json:"via"`
	Results []pushResult `json:"results"`
	Wait    *waitReport  `json:"wait"`
}

func parsePush(t *testing.T, out string) pushJSON {
	t.Helper()
	var p pushJSON
	require.NoError(t, json.Unmarshal([]byte(out), &p), out)
	return p
}

// noConfig keeps the tests from reading a depsync.yaml of the machine.
func noConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(p, []byte("role: manager\n"), 0o600))
	t.Setenv("DEPSYNC_TOKEN", cliToken)
	return p
}

func TestCappPushDirect(t *testing.T) {
	cfg := noConfig(t)
	n1 := newPushNode(t, config.RoleManager)
	n2 := newPushNode(t, config.RoleManager)
	src := t.TempDir()
	a := testcapp.Write(t, src, "A_1.0.0.car", "A", "1.0.0")
	b := testcapp.Write(t, src, "B_2.0.0.car", "B", "2.0.0", testcapp.Pad(100<<10))

	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", a, b, "--node", n1.url, "--node", n2.url+"/", "--via", "direct", "-o", "json")
	require.Equal(t, 0, code, "%s\n%s", out, errOut)
	p := parsePush(t, out)
	require.Equal(t, "direct", p.Via)
	require.Len(t, p.Results, 4)
	for _, r := range p.Results {
		assert.Equal(t, "created", r.Status)
		assert.Empty(t, r.Error)
		assert.Len(t, r.SHA256, 64)
		assert.Contains(t, []string{"A_1.0.0", "B_2.0.0"}, r.ID)
	}
	for _, n := range []*pushNode{n1, n2} {
		for _, f := range []string{a, b} {
			want, err := os.ReadFile(f)
			require.NoError(t, err)
			require.Equal(t, want, n.read(t, filepath.Base(f)))
		}
	}
	// Same push again: unchanged everywhere, files not rewritten.
	fi1, err := os.Stat(filepath.Join(n1.dir, "A_1.0.0.car"))
	require.NoError(t, err)
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", a, b, "--node", n1.url, "--node", n2.url, "--via", "direct", "-o", "json")
	require.Equal(t, 0, code, out)
	for _, r := range parsePush(t, out).Results {
		assert.Equal(t, "unchanged", r.Status)
	}
	fi2, err := os.Stat(filepath.Join(n1.dir, "A_1.0.0.car"))
	require.NoError(t, err)
	require.True(t, os.SameFile(fi1, fi2))

	// Text output.
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", a, "--node", n1.url, "--via", "direct")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "NODE")
	require.Contains(t, out, "unchanged")
	require.Contains(t, out, "A_1.0.0")

	// list and rm.
	code, out, _ = runCLI(t, "--config", cfg, "capp", "list", "--node", n2.url, "-o", "json")
	require.Equal(t, 0, code, out)
	var list []deploy.Entry
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 2)
	require.Equal(t, "A_1.0.0.car", list[0].File)
	code, out, _ = runCLI(t, "--config", cfg, "capp", "list", "--node", n2.url)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "B_2.0.0.car")

	code, out, _ = runCLI(t, "--config", cfg, "capp", "rm", "A_1.0.0.car", "--node", n1.url, "--node", n2.url, "-o", "json")
	require.Equal(t, 0, code, out)
	require.NoFileExists(t, filepath.Join(n2.dir, "A_1.0.0.car"))
	code, out, _ = runCLI(t, "--config", cfg, "capp", "rm", "A_1.0.0.car", "--node", n1.url)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "not_found")
	code, _, errOut = runCLI(t, "--config", cfg, "capp", "rm", "../A.car", "--node", n1.url)
	require.Equal(t, 2, code, errOut)
}

func TestCappPushBadInputSendsNothing(t *testing.T) {
	cfg := noConfig(t)
	n := newPushNode(t, config.RoleManager)
	src := t.TempDir()
	good := testcapp.Write(t, src, "A_1.0.0.car", "A", "1.0.0")
	bad := filepath.Join(src, "Bad_1.0.0.car")
	require.NoError(t, os.WriteFile(bad, []byte("not a zip"), 0o644))
	badName := filepath.Join(src, "bad name.car")
	require.NoError(t, os.WriteFile(badName, testcapp.Build(t, "C", "1"), 0o644))
	dupID := testcapp.Write(t, src, "Other.car", "A", "1.0.0")

	for _, args := range [][]string{
		{good, bad},
		{badName},
		{good, dupID},
		{good, "--via", "ftp"},
		{good, "-o", "yaml"},
		{filepath.Join(src, "missing.car")},
	} {
		code, out, errOut := runCLI(t, append([]string{"--config", cfg, "capp", "push", "--node", n.url}, args...)...)
		assert.Equal(t, 2, code, "%v: %s %s", args, out, errOut)
	}
	require.Zero(t, n.puts.Load())
	require.NoFileExists(t, filepath.Join(n.dir, "A_1.0.0.car"))

	// No token anywhere.
	t.Setenv("DEPSYNC_TOKEN", "")
	code, _, errOut := runCLI(t, "--config", cfg, "capp", "push", good, "--node", n.url, "--via", "direct")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "token")
}

func TestCappPushWorkerFollowsToManager(t *testing.T) {
	cfg := noConfig(t)
	mgr := newPushNode(t, config.RoleManager)
	w := newPushNode(t, config.RoleWorker)
	w.manager = mgr.url
	// The manager is a configured peer: the worker's 409 may lead there.
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\npeers: ['"+mgr.url+"']\n"), 0o600))
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")
	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", a, "--node", w.url, "--via", "direct", "-o", "json")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	r := parsePush(t, out).Results[0]
	require.Equal(t, w.url, r.Node)
	require.Equal(t, mgr.url, r.Manager)
	require.FileExists(t, filepath.Join(mgr.dir, "A_1.0.0.car"))
	require.NoFileExists(t, filepath.Join(w.dir, "A_1.0.0.car"))

	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", a, "--node", w.url, "--via", "direct", "--force")
	require.Equal(t, 0, code, out)
	require.FileExists(t, filepath.Join(w.dir, "A_1.0.0.car"))
}

func TestCappPushNodeDownAndDuplicate(t *testing.T) {
	cfg := noConfig(t)
	up := newPushNode(t, config.RoleManager)
	down := newPushNode(t, config.RoleManager)
	down.srv.Close()
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")
	code, out, _ := runCLI(t, "--config", cfg, "capp", "push", a, "--node", up.url, "--node", down.url, "--via", "direct", "-o", "json")
	require.Equal(t, 1, code, out)
	p := parsePush(t, out)
	require.Equal(t, "created", p.Results[0].Status)
	require.Equal(t, "failed", p.Results[1].Status)
	require.NotEmpty(t, p.Results[1].Error)
	require.NotContains(t, out, cliToken)

	// The same C-App id under another file name: 409 unless --replace.
	other := testcapp.Write(t, t.TempDir(), "A-renamed.car", "A", "1.0.0", testcapp.Artifacts("api_z"))
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", other, "--node", up.url, "--via", "direct")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "duplicate ids")
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", other, "--node", up.url, "--via", "direct", "--replace")
	require.Equal(t, 0, code, out)
	require.NoFileExists(t, filepath.Join(up.dir, "A_1.0.0.car"))
	require.FileExists(t, filepath.Join(up.dir, "A-renamed.car"))
}

func TestCappPushWait(t *testing.T) {
	cfg := noConfig(t)
	mgr := newPushNode(t, config.RoleManager)
	w := newPushNode(t, config.RoleWorker)
	mgr.peers = []string{w.url}
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")

	// Nobody brings the file to the worker: the wait fails, naming it.
	start := time.Now()
	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", a, "--node", mgr.url, "--via", "direct", "--wait", "700ms", "-o", "json")
	require.Equal(t, 1, code, out)
	require.Less(t, time.Since(start), 10*time.Second)
	p := parsePush(t, out)
	require.NotNil(t, p.Wait)
	require.False(t, p.Wait.OK)
	require.Equal(t, []waitLacking{{Node: w.url, File: "A_1.0.0.car"}}, p.Wait.Lacking)
	require.Contains(t, errOut, w.url)

	// A reconciler in step: the wait succeeds.
	store, err := deploy.NewStore(mgr.dir, 0)
	require.NoError(t, err)
	c, err := client.New(client.Options{Token: cliToken})
	require.NoError(t, err)
	r, err := reconcile.New(reconcile.Options{Store: store, Peers: []string{w.url}, Client: c, NodeName: "mgr",
		Interval: 100 * time.Millisecond})
	require.NoError(t, err)
	ctx := t.Context()
	go r.Run(ctx)
	b := testcapp.Write(t, t.TempDir(), "B_1.0.0.car", "B", "1.0.0")
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", b, "--node", mgr.url, "--via", "direct", "--wait", "20s", "-o", "json")
	require.Equal(t, 0, code, out)
	p = parsePush(t, out)
	require.True(t, p.Wait.OK)
	require.ElementsMatch(t, []string{mgr.url, w.url}, p.Wait.Nodes)
}

func TestCappPushSVN(t *testing.T) {
	srv := svntest.New(t, svntest.SVNServe)
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte(srv.Password), 0o600))
	cfg := filepath.Join(dir, "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("svn:\n  url: "+srv.URL+"\n  username: "+srv.Username+"\n  password_file: "+pw+"\n"), 0o600))
	t.Setenv("DEPSYNC_TOKEN", "")

	src := t.TempDir()
	a := testcapp.Write(t, src, "A_1.0.0.car", "A", "1.0.0")
	b := testcapp.Write(t, src, "B_1.0.0.car", "B", "1.0.0")
	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", a, b, "-o", "json") // auto: svn is up
	require.Equal(t, 0, code, "%s %s", out, errOut)
	p := parsePush(t, out)
	require.Equal(t, "svn", p.Via)
	require.Len(t, p.Results, 2)
	for _, r := range p.Results {
		require.Equal(t, "created", r.Status)
		require.Equal(t, srv.URL+"/-1234/carbonapps", r.Node)
		require.Positive(t, r.Revision)
	}
	ls := srv.SVN(t, "ls", srv.URL+"/-1234/carbonapps")
	require.Contains(t, ls, "A_1.0.0.car")
	require.Contains(t, ls, "B_1.0.0.car")
	want, err := os.ReadFile(a)
	require.NoError(t, err)
	require.Equal(t, string(want), srv.SVN(t, "cat", srv.URL+"/-1234/carbonapps/A_1.0.0.car"))
	require.NotContains(t, out+errOut, srv.Password)

	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", a, "--via", "svn", "-o", "json")
	require.Equal(t, 0, code, out)
	require.Equal(t, "unchanged", parsePush(t, out).Results[0].Status)

	renamed := testcapp.Write(t, src, "A-new.car", "A", "1.0.0", testcapp.Artifacts("api_q"))
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", renamed, "--via", "svn")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "duplicate ids")
	code, out, _ = runCLI(t, "--config", cfg, "capp", "push", renamed, "--via", "svn", "--replace")
	require.Equal(t, 0, code, out)
	ls = srv.SVN(t, "ls", srv.URL+"/-1234/carbonapps")
	require.NotContains(t, ls, "A_1.0.0.car")
	require.Contains(t, ls, "A-new.car")

	// SVN down: auto falls back to direct.
	n := newPushNode(t, config.RoleManager)
	t.Setenv("DEPSYNC_TOKEN", cliToken)
	srv.Stop(t)
	code, out, errOut = runCLI(t, "--config", cfg, "capp", "push", a, "--node", n.url, "-o", "json")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	require.Equal(t, "direct", parsePush(t, out).Via)
	require.True(t, strings.Contains(errOut, "unreachable"), errOut)
	code, _, _ = runCLI(t, "--config", cfg, "capp", "push", a, "--via", "svn")
	require.Equal(t, 1, code)
}

// TestCappNeverFollowsToUnlistedManager: a worker naming a manager that is
// neither a --node, a peer nor this config's node: that URL receives no
// request at all (so neither the token nor the C-App), push and rm exit 1
// naming it and saying to pass it with --node; with --node it is followed.
func TestCappNeverFollowsToUnlistedManager(t *testing.T) {
	cfg := noConfig(t)
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(evil.Close)
	w := newPushNode(t, config.RoleWorker)
	w.manager = evil.URL
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")

	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", a, "--node", w.url, "--via", "direct")
	assert.Equal(t, 1, code, "%s %s", out, errOut)
	assert.Contains(t, out, "names its manager "+evil.URL+", which is not a known node")
	assert.Contains(t, out, "pass it with --node "+evil.URL)

	code, out, errOut = runCLI(t, "--config", cfg, "capp", "rm", "A_1.0.0.car", "--node", w.url)
	assert.Equal(t, 1, code, "%s %s", out, errOut)
	assert.Contains(t, out, "pass it with --node "+evil.URL)
	assert.Zero(t, hits.Load(), "the unlisted manager received a request")

	// Named with --node, it is a known node: followed (the recorder is no
	// real node, so the delivery itself fails; that it arrived is the point).
	runCLI(t, "--config", cfg, "capp", "push", a, "--node", w.url, "--node", evil.URL, "--via", "direct")
	assert.NotZero(t, hits.Load())
}

// TestCappPushTimeout: a node that accepts the connection and never answers
// costs an error naming it, exit 1, within the --timeout.
func TestCappPushTimeout(t *testing.T) {
	cfg := noConfig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var held sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held.Add(1)
			go func() { // read and never answer
				defer held.Done()
				io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
	node := "http://" + ln.Addr().String()
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")
	for _, tt := range []struct {
		timeout string
		within  time.Duration
		args    []string
	}{
		{"5s", 10 * time.Second, []string{"capp", "push", a, "--node", node, "--via", "direct"}},
		{"2s", 6 * time.Second, []string{"capp", "rm", "A_1.0.0.car", "--node", node}},
		{"2s", 6 * time.Second, []string{"capp", "list", "--node", node}},
		{"2s", 6 * time.Second, []string{"status", "--node", node}},
	} {
		t.Run(tt.args[0]+" "+tt.args[1], func(t *testing.T) {
			start := time.Now()
			code, out, errOut := runCLI(t, append(append([]string{"--config", cfg}, tt.args...), "--timeout", tt.timeout)...)
			assert.Equal(t, 1, code, "%s %s", out, errOut)
			assert.Less(t, time.Since(start), tt.within)
			assert.Contains(t, out+errOut, node+": no answer within --timeout "+tt.timeout)
		})
	}
	code, _, errOut := runCLI(t, "--config", cfg, "capp", "push", a, "--node", node, "--timeout", "0s")
	assert.Equal(t, 2, code, errOut)
}

// TestNodeURLRules: --node with credentials, a query or a fragment, or plain
// http off loopback, is bad input for every command, and no password is
// ever printed.
func TestNodeURLRules(t *testing.T) {
	cfg := noConfig(t)
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")
	n := newPushNode(t, config.RoleManager)
	host := strings.TrimPrefix(n.url, "http://")
	for _, tt := range []struct{ url, want string }{
		{"http://user:hunter2@" + host, "must not carry credentials"},
		{"http://:hunter2@" + host, "must not carry credentials"},
		{n.url + "/?token=hunter2", "without a query or fragment"},
		{n.url + "#hunter2", "without a query or fragment"},
		{"http://10.0.0.2:9780", "insecure_http: true"},
		{"ftp://" + host, "base URL"},
	} {
		for _, cmd := range [][]string{
			{"status", "--node", tt.url},
			{"capp", "list", "--node", tt.url},
			{"capp", "push", a, "--via", "direct", "--node", tt.url},
			{"capp", "rm", "A_1.0.0.car", "--node", tt.url},
		} {
			t.Run(cmd[0]+" "+cmd[1]+" "+tt.want, func(t *testing.T) {
				code, out, errOut := runCLI(t, append([]string{"--config", cfg}, cmd...)...)
				assert.Equal(t, 2, code, "%s %s", out, errOut)
				assert.Contains(t, errOut, tt.want)
				assert.NotContains(t, out+errOut, "hunter2")
			})
		}
	}
	assert.Zero(t, n.puts.Load())

	// insecure_http lets plain http off loopback through (here to a
	// closed port: exit 1, not 2).
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\ninsecure_http: true\n"), 0o600))
	code, _, errOut := runCLI(t, "--config", cfg, "status", "--node", "http://192.0.2.1:9", "--timeout", "200ms")
	assert.Equal(t, 1, code, errOut)
}
