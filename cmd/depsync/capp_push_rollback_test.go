package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestCappPushRollbackFlags: --rollback without --wait, or with --replace,
// is bad input and sends nothing.
func TestCappPushRollbackFlags(t *testing.T) {
	cfg := noConfig(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	t.Cleanup(srv.Close)
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")
	for _, args := range [][]string{
		{"--rollback"},
		{"--rollback", "--wait", "10s", "--replace"},
	} {
		code, out, errOut := runCLI(t, append([]string{"--config", cfg, "capp", "push", a, "--node", srv.URL, "--via", "direct"}, args...)...)
		assert.Equal(t, 2, code, "%v: %s%s", args, out, errOut)
		assert.Contains(t, errOut, "--rollback")
	}
	assert.Zero(t, calls.Load(), "nothing sent")
}

// TestCappPushRollbackNeedsTheRecord: when what a node holds cannot be
// recorded, a push that could not be undone is not started.
func TestCappPushRollbackNeedsTheRecord(t *testing.T) {
	cfg := noConfig(t)
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			puts.Add(1)
		}
		http.Error(w, `{"error":"no"}`, http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")
	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", a, "--node", srv.URL, "--via", "direct", "--wait", "10s", "--rollback")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	assert.Contains(t, errOut, "nothing sent")
	assert.Zero(t, puts.Load())
}

// TestCappPushRollbackAfterAFailedDelivery: a delivery refused on one node
// rolls the push back on every node; a file that was not part of the push
// (here the one that made the refusal) is left alone.
func TestCappPushRollbackAfterAFailedDelivery(t *testing.T) {
	cfg := noConfig(t)
	n1 := newPushNode(t, config.RoleManager)
	n2 := newPushNode(t, config.RoleManager)
	src := t.TempDir()
	v1 := testcapp.Write(t, src, "A_1.0.0.car", "A", "1.0.0")
	v1Bytes, err := os.ReadFile(v1)
	require.NoError(t, err)
	code, out, errOut := runCLI(t, "--config", cfg, "capp", "push", v1, "--node", n1.url, "--node", n2.url, "--via", "direct")
	require.Equal(t, 0, code, "%s%s", out, errOut)
	// n2 holds B's id under another name: B is refused there.
	other := testcapp.Write(t, n2.dir, "Other_9.car", "B", "1.0.0")
	otherBytes, err := os.ReadFile(other)
	require.NoError(t, err)

	v2 := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0", testcapp.Extra(map[string][]byte{"notes.txt": []byte("v2")}))
	b := testcapp.Write(t, src, "B_1.0.0.car", "B", "1.0.0")
	code, out, errOut = runCLI(t, "--config", cfg, "capp", "push", v2, b, "--node", n1.url, "--node", n2.url, "--via", "direct",
		"--wait", "20s", "--until", "present", "--rollback", "-o", "json")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	var p struct {
		Rollback *rollbackReport `json:"rollback"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &p), out)
	require.NotNil(t, p.Rollback, out)
	assert.True(t, p.Rollback.Done, out)
	assert.Contains(t, errOut, "rolled back")
	for _, n := range []*pushNode{n1, n2} {
		assert.Equal(t, v1Bytes, n.read(t, "A_1.0.0.car"), "A is v1 again")
		_, err := os.Stat(filepath.Join(n.dir, "B_1.0.0.car"))
		assert.ErrorIs(t, err, os.ErrNotExist, "B, new, is removed")
	}
	assert.Equal(t, otherBytes, n2.read(t, "Other_9.car"), "a file not pushed is left alone")
}
