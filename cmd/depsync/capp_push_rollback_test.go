package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
