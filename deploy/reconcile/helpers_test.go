package reconcile

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/stretchr/testify/require"
)

// Copies of package deploy's test helpers (its _test files cannot be
// imported): a node serving the C-App API over a real Store, and the checks
// around it.

const (
	testToken = "test-token-0123456789"
	hardToken = "0123456789abcdef0123456789abcdef"
)

type testNode struct {
	dir   string
	store *deploy.Store
	srv   *httptest.Server
	url   string
}

type nodeOpt func(*deploy.APIOptions)

func newTestNode(t testing.TB, role string, opts ...nodeOpt) *testNode {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "carbonapps")
	s, err := deploy.NewStore(dir, 256<<10)
	require.NoError(t, err)
	o := deploy.APIOptions{Store: s, Role: role, Token: testToken,
		ManagerURL: func() string { return "http://manager.example:9780" }}
	for _, f := range opts {
		f(&o)
	}
	mux := http.NewServeMux()
	api := deploy.NewAPI(o)
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := httptest.NewServer(httpserver.New("", mux, config.TLS{}).Handler)
	t.Cleanup(srv.Close)
	return &testNode{dir: dir, store: s, srv: srv, url: srv.URL}
}

// serveNode runs the API of a store behind httpserver.NewWith on a real
// 127.0.0.1 socket and returns its base URL.
func serveNode(t *testing.T, store *deploy.Store, role string, tlsCfg config.TLS, so httpserver.Options, opts ...nodeOpt) string {
	t.Helper()
	o := deploy.APIOptions{Store: store, Role: role, Token: hardToken}
	for _, f := range opts {
		f(&o)
	}
	api := deploy.NewAPI(o)
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		// Large enough that a few unread replies fill the socket buffers.
		_, _ = w.Write([]byte(strings.Repeat("depsync_metric 1\n", 4096)))
	})
	srv := httpserver.NewWith("127.0.0.1:0", mux, tlsCfg, so)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, srv, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	scheme := "http"
	if tlsCfg.Enabled() {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String()
}

// smallFS mounts a tmpfs of size bytes for the test and returns it. It
// needs root on Linux; elsewhere the test is skipped, unless
// DEPSYNC_REQUIRE_INTEGRATION=1 makes that a failure.
func smallFS(t *testing.T, size int64) string {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("DEPSYNC_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("a small file system is required: %s", why)
		}
		t.Skip(why)
	}
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		skip("mounting a tmpfs needs root on Linux")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		skip(fmt.Sprintf("mount tmpfs: %v: %s", err, out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// waitFor polls cond for up to 20 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
