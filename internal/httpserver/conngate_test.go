package httpserver

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/httpauth"
)

// TestIdleConnectionsDoNotLockOutTheAPI: 300 connections (more than
// DefaultMaxConns) each send one GET /healthz and stay idle; then a probe
// and a request with the token, on fresh connections, still answer at
// once. The server is NewWith's on a real loopback socket: with its
// default limits (the client's share closes its own idle connections), and
// without a per-client share (idle connections make room at the cap).
func TestIdleConnectionsDoNotLockOutTheAPI(t *testing.T) {
	t.Run("defaults", func(t *testing.T) { idleLockout(t, Options{}) })
	t.Run("no_share", func(t *testing.T) { idleLockout(t, Options{MaxConnsPerIP: DefaultMaxConns}) })
}

func idleLockout(t *testing.T, so Options) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("GET /v1/status", httpauth.Require(gateToken, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("{}\n"))
	})))
	srv := NewWith("127.0.0.1:0", mux, config.TLS{}, so)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := ln.Addr().String()

	const idle = 300
	answered := 0
	for i := range idle {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		require.NoError(t, err)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			// The server no longer serves new connections: what this
			// test is about; the probes below say so.
			t.Logf("connection %d got no reply: %v", i, err)
			break
		}
		resp.Body.Close()
		answered++
	}
	assert.Equal(t, idle, answered, "every connection got its reply")

	// Fresh clients: no connection of their own to reuse.
	get := func(path string, auth bool) (int, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			return 0, err
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+gateToken)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for range 3 {
		code, err := get("/healthz", false)
		require.NoError(t, err, "/healthz with %d idle connections open", idle)
		assert.Equal(t, http.StatusOK, code)
		code, err = get("/v1/status", true)
		require.NoError(t, err, "/v1/status with %d idle connections open", idle)
		assert.Equal(t, http.StatusOK, code)
	}
}

func TestAdmit(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l := connLimits{max: 4, perIP: 2, pressureIdle: 5 * time.Second}
	busy := func(ip string) connView { return connView{ip: ip} }
	idle := func(ip string, ago time.Duration) connView {
		return connView{ip: ip, idle: true, idleSince: now.Add(-ago)}
	}
	closing := func(ip string) connView { return connView{ip: ip, closing: true} }
	for _, tc := range []struct {
		name    string
		conns   []connView
		ip      string
		limits  connLimits
		verdict admission
		evict   []int
	}{
		{"room", []connView{busy("a")}, "b", l, admitNow, nil},
		{"full of busy: wait", []connView{busy("a"), busy("b"), busy("c"), busy("d")}, "e", l, admitWait, nil},
		{"full: the longest idle goes", []connView{busy("a"), idle("b", time.Second), idle("c", 2*time.Second), busy("d")}, "e", l,
			admitWait, []int{2}},
		{"full, one closing already: no second close", []connView{busy("a"), idle("b", time.Second), closing("c"), busy("d")}, "e", l,
			admitWait, nil},
		{"under pressure the long idle go", []connView{idle("a", 6*time.Second), idle("b", time.Second)}, "c", l,
			admitNow, []int{0}},
		{"no pressure below half", []connView{idle("a", time.Minute)}, "c", l, admitNow, nil},
		{"share reached: own idle goes", []connView{busy("a"), idle("a", time.Second), idle("b", time.Minute-time.Second)}, "a",
			connLimits{max: 4, perIP: 2}, admitNow, []int{1}},
		{"share reached, none idle: refused", []connView{busy("a"), busy("a"), idle("b", time.Second)}, "a", l, admitRefuse, nil},
		{"share not below max: no share", []connView{busy("a"), busy("a")}, "a", connLimits{max: 2, perIP: 2}, admitWait, nil},
		{"share counts no closing", []connView{busy("a"), closing("a")}, "a", l, admitNow, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verdict, evict := admit(tc.conns, tc.ip, now, tc.limits)
			assert.Equal(t, tc.verdict, verdict)
			assert.Equal(t, tc.evict, evict)
		})
	}
}

const gateToken = "0123456789abcdef0123456789abcdef"
