package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
)

func TestApproveCmd(t *testing.T) {
	const tok = "approve-token-0123456789abcdef0123456789"
	var held atomic.Bool
	var posts atomic.Int64
	node := httptest.NewServer(httpauth.Require(tok, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/v1/approve", r.URL.Path)
		require.Equal(t, http.MethodPost, r.Method)
		posts.Add(1)
		reply := api.ApproveReply{Approved: []guard.Hold{}}
		if held.Swap(false) {
			reply.Approved = append(reply.Approved, guard.Hold{Scope: "tenant -1234", Reason: guard.ReasonDirGone,
				Count: 12, Paths: []string{"carbonapps/A_1.0.0.car", "carbonapps/B_1.0.0.car"},
				Since: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)})
		}
		api.WriteJSON(w, http.StatusOK, reply)
	})))
	defer node.Close()
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\n"), 0o600))

	tests := []struct {
		name   string
		held   bool
		token  string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"approved", true, tok, []string{"--node", node.URL}, 0,
			[]string{"approved 12 held deletion(s)", "tenant -1234: 12 (directory_gone, held since 2026-12-01T10:00:00Z)",
				"carbonapps/A_1.0.0.car carbonapps/B_1.0.0.car (+10 more)"}, ""},
		{"nothing held", false, tok, []string{"--node", node.URL}, 0, []string{"no deletion held; nothing to approve"}, ""},
		{"json", true, tok, []string{"--node", node.URL, "-o", "json"}, 0,
			[]string{`"approved": [`, `"scope": "tenant -1234"`, `"count": 12`}, ""},
		{"json, nothing held", false, tok, []string{"--node", node.URL, "-o", "json"}, 0, []string{`"approved": []`}, ""},
		{"wrong token", true, "nope-nope-nope-nope-nope-nope-nope-nope", []string{"--node", node.URL}, 1, nil, "401"},
		{"down", false, tok, []string{"--node", "http://127.0.0.1:1"}, 1, nil, "connection refused"},
		{"credentials in --node", false, tok, []string{"--node", "http://u:p@127.0.0.1:1"}, 2, nil, "must not carry credentials"},
		{"bad output", false, tok, []string{"--node", node.URL, "-o", "yaml"}, 2, nil, `-o "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held.Store(tt.held)
			t.Setenv("DEPSYNC_TOKEN", tt.token)
			code, out, errOut := runCLI(t, append([]string{"approve", "--config", cfg}, tt.args...)...)
			assert.Equal(t, tt.code, code, errOut)
			for _, s := range tt.stdout {
				assert.Contains(t, out, s)
			}
			assert.Contains(t, errOut, tt.stderr)
			assert.NotContains(t, out+errOut, tok, "the token is never printed")
		})
	}
	assert.Positive(t, posts.Load())
}

// TestApproveCmdSelects: --scope and --digest go to the node, which
// approves exactly that hold or refuses (exit 1, its reason shown); the
// reply's digest and expiry are echoed; a malformed --digest is a bad flag.
func TestApproveCmdSelects(t *testing.T) {
	const tok = "approve-token-0123456789abcdef0123456789"
	const scope = "peer https://node2:9780"
	digest := guard.Digest([]string{"A.car", "B.car", "C.car", "D.car"})
	expires := time.Date(2026, 12, 1, 10, 10, 0, 0, time.UTC)
	var old atomic.Bool // answers as a node from before selections
	node := httptest.NewServer(httpauth.Require(tok, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sel api.ApproveRequest
		if r.ContentLength > 0 {
			require.NoError(t, json.NewDecoder(r.Body).Decode(&sel))
		}
		hold := guard.Hold{Scope: scope, Reason: guard.ReasonLimit, Count: 4, Paths: []string{"A.car", "B.car", "C.car", "D.car"},
			Digest: digest, Since: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
		switch {
		case old.Load():
			api.WriteJSON(w, http.StatusOK, api.ApproveReply{Approved: []guard.Hold{hold}})
		case len(sel.Scopes) > 0 && sel.Scopes[0] != scope:
			api.WriteError(w, http.StatusNotFound, fmt.Sprintf("scope %q: nothing held there", sel.Scopes[0]))
		case sel.Digest != "" && sel.Digest != digest:
			api.WriteError(w, http.StatusConflict, "the held deletions changed: 6 path(s) with digest sha256:... now")
		default:
			api.WriteJSON(w, http.StatusOK, api.ApproveReply{Approved: []guard.Hold{hold}, ExpiresAt: &expires})
		}
	})))
	defer node.Close()
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\n"), 0o600))
	t.Setenv("DEPSYNC_TOKEN", tok)
	other := guard.Digest([]string{"A.car"})
	tests := []struct {
		name   string
		old    bool
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"scope and digest", false, []string{"--scope", scope, "--digest", digest}, 0,
			[]string{"approved 4 held deletion(s)", "expires unused at 2026-12-01T10:10:00Z", "digest " + digest}, ""},
		{"digest changed", false, []string{"--scope", scope, "--digest", other}, 1, nil, "409 Conflict: the held deletions changed"},
		{"scope not held", false, []string{"--scope", "tenant 7"}, 1, nil, `scope "tenant 7": nothing held there`},
		{"malformed digest", false, []string{"--digest", "sha256:12"}, 2, nil, "64 hex digits"},
		{"empty scope", false, []string{"--scope", ""}, 2, nil, "--scope"},
		{"an older node approves all", true, []string{"--scope", scope}, 1, []string{"approved 4 held deletion(s)"},
			"older and approved every held deletion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old.Store(tt.old)
			code, out, errOut := runCLI(t, append([]string{"approve", "--config", cfg, "--node", node.URL}, tt.args...)...)
			assert.Equal(t, tt.code, code, errOut)
			for _, s := range tt.stdout {
				assert.Contains(t, out, s)
			}
			assert.Contains(t, errOut, tt.stderr)
		})
	}
}
