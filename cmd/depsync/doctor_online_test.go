package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/doctor"
	"github.com/depsync/depsync/internal/testcapp"
)

const doctorToken = "doctor-cli-token-0123456789abcdef0123"

// hostHas reports whether this machine has ip: the live part of
// clustering.local_member_host fails for the fixtures' 10.0.0.x otherwise.
func hostHas(t *testing.T, ip string) bool {
	as, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}

// onlineHomes are the fixture homes with a shared carbon.das.symbolic.link
// (their paths differ) and a carbonapps folder each.
func onlineHomes(t *testing.T) (string, string) {
	h1, h2 := doctorHomes(t)
	for _, h := range []string{h1, h2} {
		p := filepath.Join(h, "conf", "analytics", "spark", "spark-defaults.conf")
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, append(b, "\ncarbon.das.symbolic.link /opt/das\n"...), 0o644))
		require.NoError(t, os.MkdirAll(filepath.Join(h, "repository", "deployment", "server", "carbonapps"), 0o755))
	}
	return h1, h2
}

func nodeConfig(name, role, home string, peers ...string) *config.Config {
	return &config.Config{NodeName: name, Role: role, Token: config.Secret(doctorToken), Peers: peers,
		Carbon: config.Carbon{Home: home, DeploymentDir: filepath.Join(home, "repository", "deployment", "server")}}
}

// peerServer is node2's daemon side: its GET /v1/doctor on the store of
// its carbonapps, as depsync run mounts it.
func peerServer(t *testing.T, home string) *httptest.Server {
	store, err := deploy.NewStoreWith(filepath.Join(home, "repository", "deployment", "server", "carbonapps"),
		deploy.StoreOptions{NoCreate: true, MkdirOnPut: true})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mountDoctor(mux, nodeConfig("node2", "worker", home), store, nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func writeDoctorConfig(t *testing.T, home string, peers ...string) string {
	t.Helper()
	y := "role: manager\nnode_name: node1\ncarbon:\n  home: " + home + "\n"
	if len(peers) > 0 {
		y += "peers:\n"
		for _, p := range peers {
			y += "  - " + p + "\n"
		}
	}
	p := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(p, []byte(y), 0o600))
	return p
}

type jsonReport struct {
	Nodes  []string `json:"nodes"`
	Checks []struct {
		ID     string            `json:"id"`
		Status string            `json:"status"`
		Values map[string]string `json:"values"`
		Detail string            `json:"detail"`
		Fix    string            `json:"fix"`
	} `json:"checks"`
}

func (r jsonReport) failing() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status == "fail" {
			out = append(out, c.ID)
		}
	}
	return out
}

func (r jsonReport) check(id string) (c struct {
	ID     string            `json:"id"`
	Status string            `json:"status"`
	Values map[string]string `json:"values"`
	Detail string            `json:"detail"`
	Fix    string            `json:"fix"`
}) {
	for _, x := range r.Checks {
		if x.ID == id {
			return x
		}
	}
	return c
}

func runDoctorJSON(t *testing.T, args ...string) (int, jsonReport, string) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"doctor", "-o", "json"}, args...)...)
	var r jsonReport
	if code != 2 {
		require.NoError(t, json.Unmarshal([]byte(out), &r), "stdout: %s\nstderr: %s", out, errOut)
	}
	return code, r, errOut
}

func TestDoctorOnline(t *testing.T) {
	t.Setenv("DEPSYNC_TOKEN", doctorToken)
	h1, h2 := onlineHomes(t)
	testcapp.Write(t, filepath.Join(h1, "repository", "deployment", "server", "carbonapps"), "One_1.0.0.car", "One", "1.0.0")
	testcapp.Write(t, filepath.Join(h2, "repository", "deployment", "server", "carbonapps"), "One_1.0.0.car", "One", "1.0.0")
	peer := peerServer(t, h2)
	cfg := writeDoctorConfig(t, h1, peer.URL)

	code, r, errOut := runDoctorJSON(t, "--config", cfg)
	assert.Equal(t, []string{"node1", "node2"}, r.Nodes)
	assert.Equal(t, "nodes.reachable", r.Checks[0].ID)
	assert.Equal(t, map[string]string{"node1": "answered", "node2": "answered"}, r.Checks[0].Values)
	for _, id := range []string{"capps.same", "paths.symlink"} {
		assert.Equal(t, "ok", r.check(id).Status, "%s: %s", id, r.check(id).Detail)
	}
	assert.Contains(t, r.check("capps.same").Values["node2"], "One_1.0.0@")
	assert.Equal(t, "carbon:worker depsync:worker", r.check("deployment_sync.roles").Values["node2"])
	var want []string
	if !hostHas(t, "10.0.0.11") || !hostHas(t, "10.0.0.12") {
		// The live part: the fixtures' addresses are not this machine's.
		want = []string{"clustering.local_member_host"}
		assert.Contains(t, r.check("clustering.local_member_host").Detail, "is not an address of that host")
	}
	assert.Equal(t, want, r.failing())
	assert.Equal(t, map[bool]int{true: 1, false: 0}[len(want) > 0], code, errOut)

	// A C-App that differs shows in capps.same.
	testcapp.Write(t, filepath.Join(h2, "repository", "deployment", "server", "carbonapps"), "Two_1.0.0.car", "Two", "1.0.0")
	code, r, _ = runDoctorJSON(t, "--config", cfg)
	assert.Equal(t, 1, code)
	assert.Equal(t, "fail", r.check("capps.same").Status)
}

func TestDoctorOnlineUnreachable(t *testing.T) {
	h1, h2 := onlineHomes(t)
	peer := peerServer(t, h2)
	stuck := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(stuck)
	old := httptest.NewServer(http.NotFoundHandler())
	defer old.Close()

	for _, c := range []struct {
		name  string
		token string
		peers []string
		down  string
		why   string
	}{
		{"refused", doctorToken, []string{peer.URL, "http://127.0.0.1:1"}, "http://127.0.0.1:1", "connection refused"},
		{"stuck", doctorToken, []string{peer.URL, slow.URL}, slow.URL, "no answer within --timeout 300ms"},
		{"old depsync", doctorToken, []string{peer.URL, old.URL}, old.URL, "does not serve GET /v1/doctor"},
		{"wrong token", "wrong-token-0123456789abcdef0123456789", []string{peer.URL}, peer.URL, "refused the API token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DEPSYNC_TOKEN", c.token)
			code, r, errOut := runDoctorJSON(t, "--config", writeDoctorConfig(t, h1, c.peers...), "--timeout", "300ms")
			assert.Equal(t, 1, code, errOut)
			got := r.check("nodes.reachable")
			assert.Equal(t, "fail", got.Status)
			assert.Equal(t, "unreachable", got.Values[c.down])
			assert.Contains(t, got.Detail, c.why)
			assert.Contains(t, got.Fix, c.down)
			assert.Contains(t, r.Nodes, c.down)
			assert.NotContains(t, got.Detail, c.token)
		})
	}

	// The table names the node too.
	t.Setenv("DEPSYNC_TOKEN", doctorToken)
	code, out, _ := runCLI(t, "doctor", "--config", writeDoctorConfig(t, h1, "http://127.0.0.1:1"))
	assert.Equal(t, 1, code)
	assert.Regexp(t, `(?m)^nodes\.reachable\s+answered\s+unreachable\s+fail\s+make depsync run and answer on http://127\.0\.0\.1:1`, out)
}

func TestDoctorOnlineBadUsage(t *testing.T) {
	h1, _ := onlineHomes(t)
	noHome := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(noHome, []byte("role: manager\n"), 0o600))
	t.Setenv("DEPSYNC_TOKEN", "")
	for name, c := range map[string]struct {
		args []string
		msg  string
	}{
		"no carbon.home": {[]string{"--config", noHome}, "carbon.home is not set"},
		"no conf":        {[]string{"--config", writeDoctorConfig(t, t.TempDir())}, "no conf folder"},
		"bad timeout":    {[]string{"--config", writeDoctorConfig(t, h1), "--timeout", "0s"}, "--timeout"},
		"no token":       {[]string{"--config", writeDoctorConfig(t, h1, "http://127.0.0.1:1")}, "no API token"},
		"bad peer":       {[]string{"--config", writeDoctorConfig(t, h1, "http://u:p@10.1.1.1:9780")}, "must not carry credentials"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"doctor"}, c.args...)...)
			assert.Equal(t, 2, code, errOut)
			assert.Contains(t, errOut, c.msg)
			assert.NotContains(t, errOut, "u:p@")
		})
	}

	// No peers: no token needed, this node alone.
	code, r, errOut := runDoctorJSON(t, "--config", writeDoctorConfig(t, h1))
	assert.Equal(t, []string{"node1"}, r.Nodes, errOut)
	assert.NotEqual(t, 2, code)
	assert.Equal(t, doctor.IDNodesReachable, r.Checks[0].ID)
	assert.Equal(t, "ok", r.Checks[0].Status)
}
