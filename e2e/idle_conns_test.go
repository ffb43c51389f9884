//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
)

// TestIdleConnectionsDoNotLockOutTheNode: 300 connections each send one
// GET /healthz and stay idle. The node's /healthz, its /v1/status with the
// token and `depsync status` still answer.
func TestIdleConnectionsDoNotLockOutTheNode(t *testing.T) {
	bin := daemontest.Binary(t)
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Settings: fast})
	m.Start(t)
	addr := strings.TrimPrefix(m.URL, "http://")

	for i := range 300 {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: depsync\r\n\r\n"))
		require.NoError(t, err)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Logf("idle connection %d got no reply: %v", i, err)
			break // the node serves no more: the probes below say so
		}
		resp.Body.Close()
	}

	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get(m.URL + "/healthz")
	require.NoError(t, err, "/healthz with 300 idle connections open")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	code, err := m.Get("/v1/status", nil)
	require.NoError(t, err, "/v1/status with 300 idle connections open")
	assert.Equal(t, http.StatusOK, code)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "status", "--config", m.ConfigFile, "--timeout", "10s", "-o", "json")
	cmd.Env = m.Env()
	out, _ := cmd.Output() // its exit status says whether the node is in step, not whether it answered
	var st struct {
		Role string `json:"role"`
	}
	require.NoError(t, json.Unmarshal(out, &st), "depsync status with 300 idle connections open: %s", out)
	assert.Equal(t, "manager", st.Role)
}
