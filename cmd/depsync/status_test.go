package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
)

func TestStatusCmd(t *testing.T) {
	last := time.Now().Add(-3 * time.Second).UTC()
	node := httptest.NewServer(httpauth.Require("tok-0123456789abcdef0123456789abcdef", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/v1/status", r.URL.Path)
		api.WriteJSON(w, http.StatusOK, api.Status{
			Role: "worker", Node: "node2", Mode: "svn", Manager: "http://node1:9780", Ready: true,
			Tenants: []api.TenantStatus{{ID: -1234, Dir: "/opt/c/repository/deployment/server",
				URL: "http://svn/repo/-1234", Revision: 42, LastSync: &last,
				Rejected: []api.Rejection{{Path: "carbonapps/Bad.car", Reason: "not_zip", Error: "not a zip"}}}},
			Peers: []api.PeerStatus{{URL: "http://node1:9780", Up: true, LastSuccess: &last}},
		})
	})))
	defer node.Close()
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: worker\n"), 0o600))
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("tok-0123456789abcdef0123456789abcdef\n"), 0o600))

	tests := []struct {
		name   string
		token  string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"text", "tok-0123456789abcdef0123456789abcdef", []string{"--node", node.URL}, 0,
			[]string{"node2 (worker), mode svn, ready", "manager: http://node1:9780", "-1234", "42", "(3s ago)",
				"not committed (tenant -1234): carbonapps/Bad.car: not_zip: not a zip", "http://node1:9780  yes"}, ""},
		{"json", "tok-0123456789abcdef0123456789abcdef", []string{"--node", node.URL, "-o", "json"}, 0,
			[]string{`"revision": 42`, `"mode": "svn"`, `"reason": "not_zip"`}, ""},
		{"wrong token", "nope-0123456789abcdef0123456789abcdef", []string{"--node", node.URL}, 1, nil, "401 Unauthorized: missing or wrong bearer token"},
		{"down", "tok-0123456789abcdef0123456789abcdef", []string{"--node", "http://127.0.0.1:1"}, 1, nil, "connection refused"},
		{"bad output", "tok-0123456789abcdef0123456789abcdef", []string{"--node", node.URL, "-o", "yaml"}, 2, nil, `-o "yaml"`},
		{"token file", "", []string{"--node", node.URL, "--token-file", tokenFile}, 0, []string{"node2 (worker)"}, ""},
		{"no token", "", []string{"--node", node.URL}, 2, nil, "no API token: give --token-file, or set token_file or DEPSYNC_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DEPSYNC_TOKEN", tt.token)
			code, out, errOut := runCLI(t, append([]string{"status", "--config", cfg}, tt.args...)...)
			assert.Equal(t, tt.code, code, errOut)
			for _, s := range tt.stdout {
				assert.Contains(t, out, s)
			}
			assert.Contains(t, errOut, tt.stderr)
		})
	}
}

func TestRunBadConfigIsExit2(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: boss\n"), 0o600))
	code, _, errOut := runCLI(t, "run", "--config", cfg)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "role")
}

func TestPrintStatusHoldsAndBackups(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		st     api.Status
		want   []string
		absent []string
	}{
		{"a hold says what to do", api.Status{Role: "manager", HeldDeletions: []guard.Hold{{
			Scope: "tenant -1234", Reason: guard.ReasonDirGone, Count: 3, Paths: []string{"carbonapps/A.car"}, Since: now}}},
			[]string{"HELD: 3 deletion(s) in tenant -1234 (directory_gone) since 2026-12-01T10:00:00Z", "depsync approve"}, nil},
		{"a hold names its digest", api.Status{Role: "manager", HeldDeletions: []guard.Hold{{
			Scope: "peer https://node2:9780", Reason: guard.ReasonLimit, Count: 4, Paths: []string{"A.car"}, Digest: "sha256:abc", Since: now}}},
			[]string{`digest sha256:abc: to approve exactly these, depsync approve --scope "peer https://node2:9780" --digest sha256:abc`}, []string{"APPROVED"}},
		{"a pending approval", api.Status{Role: "manager", PendingApprovals: []guard.Approval{{
			Scope: "tenant -1234", Count: 4, Digest: "sha256:abc", ApprovedAt: now, ExpiresAt: now.Add(10 * time.Minute)}}},
			[]string{"APPROVED: 4 deletion(s) in tenant -1234 (digest sha256:abc) at 2026-12-01T10:00:00Z", "expires unused at 2026-12-01T10:10:00Z"}, nil},
		{"backups with their limits", api.Status{Role: "worker", Backups: backup.Stats{Bytes: 3 << 20, Copies: 4,
			MaxBytes: 1 << 30, MaxAge: 720 * time.Hour}},
			[]string{"backups: 3.1 MB in 4 copies (limit 1GiB, 720h0m0s)"}, []string{"HELD"}},
		{"no limit", api.Status{Role: "worker", Backups: backup.Stats{Copies: 1}},
			[]string{"(limit none, none)"}, nil},
		{"nothing to say", api.Status{Role: "worker"}, nil, []string{"HELD", "backups:", "svn:"}},
		{"the svn server in use", api.Status{Role: "worker", SVNURL: "http://replica:8080/svn/repo",
			Tenants: []api.TenantStatus{{ID: -1234, URL: "http://replica:8080/svn/repo/-1234"}}},
			[]string{"svn: http://replica:8080/svn/repo\n"}, []string{"svn.url does not answer"}},
		{"a fallback in use", api.Status{Role: "worker", SVNURL: "http://master/svn/repo",
			Tenants: []api.TenantStatus{{ID: -1234, URL: "http://replica:8080/svn/repo/-1234"}}},
			[]string{"svn: http://master/svn/repo (svn.fallback_urls: svn.url does not answer)\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printStatus(&b, "http://127.0.0.1:9780", &tt.st, now)
			for _, s := range tt.want {
				assert.Contains(t, b.String(), s)
			}
			for _, s := range tt.absent {
				assert.NotContains(t, b.String(), s)
			}
		})
	}
}

// TestStatusJSONIsTheNodes: -o json prints the node's reply whole, fields
// this CLI does not know included, with its URLs redacted; the call is made
// once, not retried.
func TestStatusJSONIsTheNodes(t *testing.T) {
	const tok = "tok-0123456789abcdef0123456789abcdef"
	var calls atomic.Int32
	fail := atomic.Bool{}
	node := httptest.NewServer(httpauth.Require(tok, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fail.Load() {
			api.WriteError(w, http.StatusServiceUnavailable, "busy")
			return
		}
		w.Write([]byte(`{"role":"worker","node":"n2","ready":true,"manager":"https://u:secretpw@n1:9780/?k=v",` +
			`"peers":[{"url":"https://u:secretpw@n1:9780"}],"field_of_a_newer_node":{"x":1}}`))
	})))
	defer node.Close()
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: worker\n"), 0o600))
	t.Setenv("DEPSYNC_TOKEN", tok)

	code, out, errOut := runCLI(t, "status", "--config", cfg, "--node", node.URL, "-o", "json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"field_of_a_newer_node"`)
	assert.Contains(t, out, `"manager": "https://n1:9780/"`)
	assert.NotContains(t, out, "secretpw")

	fail.Store(true)
	calls.Store(0)
	code, _, errOut = runCLI(t, "status", "--config", cfg, "--node", node.URL)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "503 Service Unavailable: busy")
	assert.EqualValues(t, 1, calls.Load(), "status asks once")
}
