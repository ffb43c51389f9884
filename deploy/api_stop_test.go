package deploy

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/sfv"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestServeCutsUploadsAtStop: a stop while a client trickles a large
// upload returns nil once the budget is spent, and by then the upload's
// handler has returned and its temporary file is gone.
func TestServeCutsUploadsAtStop(t *testing.T) {
	store := newStore(t)
	api := NewAPI(APIOptions{Store: store, Role: config.RoleManager, Token: hardToken})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps/", api)
	srv := httpserver.NewWith("127.0.0.1:0", mux, config.TLS{}, httpserver.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, srv, ln) }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "PUT /v1/capps/Slow_1.car HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Length: %d\r\nContent-Digest: %s\r\n\r\n", hardToken, 32<<20, sfv.ContentDigest(make([]byte, 32)))
	require.NoError(t, err)
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		chunk := bytes.Repeat([]byte{'x'}, 64<<10)
		for range 32 << 4 { // bounded: the whole body, at most
			_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := conn.Write(chunk); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	temps := func() []string {
		m, err := filepath.Glob(filepath.Join(store.Dir(), tempPrefix+"*"))
		require.NoError(t, err)
		return m
	}
	waitFor(t, func() bool { return len(temps()) > 0 })

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a stop that cut an upload is a clean stop")
	case <-time.After(httpserver.ShutdownBudget + httpserver.CutWait + 5*time.Second):
		t.Fatal("Serve did not return")
	}
	assert.Less(t, time.Since(start), httpserver.ShutdownBudget+httpserver.CutWait)
	assert.Empty(t, temps(), "the cut upload's temporary file, once Serve returned")
	<-trickled
}

// TestStoppingRefusesChanges: once the server stops, PUT and DELETE of a
// C-App get 503 and change nothing; reads still answer.
func TestStoppingRefusesChanges(t *testing.T) {
	store := newStore(t)
	p := testcapp.Write(t, store.Dir(), "A_1.car", "A", "1")
	app, err := os.ReadFile(p)
	require.NoError(t, err)
	api := NewAPI(APIOptions{Store: store, Role: config.RoleManager, Token: hardToken})
	stop := make(chan struct{})
	close(stop)
	do := func(method, path string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, bytes.NewReader(body))
		r = r.WithContext(httpserver.StoppingContext(r.Context(), stop))
		r.Header.Set("Authorization", "Bearer "+hardToken)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w
	}
	for _, w := range []*httptest.ResponseRecorder{do(http.MethodPut, "/v1/capps/B_1.car", app), do(http.MethodDelete, "/v1/capps/A_1.car", nil)} {
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Contains(t, w.Body.String(), "this node is stopping")
		assert.NotEmpty(t, w.Header().Get("Retry-After"))
	}
	assert.FileExists(t, filepath.Join(store.Dir(), "A_1.car"))
	assert.NoFileExists(t, filepath.Join(store.Dir(), "B_1.car"))
	assert.Equal(t, http.StatusOK, do(http.MethodGet, "/v1/capps", nil).Code)
}
