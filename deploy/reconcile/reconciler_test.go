package reconcile

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/backoff"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

func testClient(t testing.TB, opts ...func(*client.Options)) *client.Client {
	t.Helper()
	o := client.Options{Token: testToken, RetryMax: 2, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	c, err := client.New(o)
	require.NoError(t, err)
	return c
}

// manifest maps file -> sha256 of a directory's C-Apps.
func manifest(t testing.TB, dir string) map[string]string {
	t.Helper()
	s, err := deploy.NewStore(dir, 0)
	require.NoError(t, err)
	l, err := s.List()
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range l {
		out[e.File] = e.SHA256
	}
	return out
}

func gather(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metrics
				}
			}
			if m.Counter != nil {
				total += m.Counter.GetValue()
			} else if m.Gauge != nil {
				total += m.Gauge.GetValue()
			}
		}
	}
	return total
}

func TestReconcilerTwoPeers(t *testing.T) {
	mgrDir := t.TempDir()
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	w1 := newTestNode(t, config.RoleWorker)
	w2 := newTestNode(t, config.RoleWorker)

	// w2 holds a stale C-App the manager does not have, and an old copy of
	// one it has under another file name (same id).
	testcapp.Write(t, w2.dir, "Stale_1.car", "Stale", "1")
	testcapp.Write(t, w2.dir, "old-name.car", "B", "1", testcapp.Artifacts("api_old"))

	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	testcapp.Write(t, mgrDir, "B_1.car", "B", "1")
	// Not a C-App (yet): neither pushed nor a reason to delete.
	require.NoError(t, os.WriteFile(filepath.Join(mgrDir, "Copying_1.car"), []byte("PK\x03\x04 half"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(w1.dir, "Copying_1.car"), testcapp.Build(t, "Copying", "1"), 0o644))

	reg := prometheus.NewRegistry()
	r, err := New(Options{
		Store: mgr, Peers: []string{w1.url, w2.url}, Client: testClient(t), Prune: true, NodeName: "mgr",
		Interval: time.Hour, Retry: backoff.Range{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		Metrics: deploy.NewMetrics(reg),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()

	want := manifest(t, mgrDir)
	delete(want, "Copying_1.car")
	waitFor(t, r.InSync)
	w1m := manifest(t, w1.dir)
	require.Contains(t, w1m, "Copying_1.car")
	delete(w1m, "Copying_1.car")
	require.Equal(t, want, w1m)
	require.Equal(t, want, manifest(t, w2.dir))
	for _, f := range []string{"A_1.car", "B_1.car"} {
		a, _ := os.ReadFile(filepath.Join(mgrDir, f))
		b, _ := os.ReadFile(filepath.Join(w2.dir, f))
		require.Equal(t, a, b)
	}

	// A change, then a trigger.
	require.NoError(t, os.Remove(filepath.Join(mgrDir, "A_1.car")))
	testcapp.Write(t, mgrDir, "C_1.car", "C", "1")
	r.Trigger()
	want = manifest(t, mgrDir)
	delete(want, "Copying_1.car")
	waitFor(t, func() bool {
		m := manifest(t, w2.dir)
		return len(m) == len(want) && m["C_1.car"] == want["C_1.car"]
	})
	require.Equal(t, want, manifest(t, w2.dir))

	st := r.Status()
	require.Len(t, st, 2)
	for _, s := range st {
		require.True(t, s.Up)
		require.False(t, s.LastSuccess.IsZero())
	}
	require.Equal(t, 1.0, gather(t, reg, "depsync_peer_up", map[string]string{"peer": w1.url}))
	require.GreaterOrEqual(t, gather(t, reg, "depsync_push_total", map[string]string{"peer": w2.url, "result": "created"}), 3.0)
	// Stale_1.car, then A_1.car (old-name.car was replaced by B's push).
	waitFor(t, func() bool {
		return gather(t, reg, "depsync_push_total", map[string]string{"peer": w2.url, "result": "deleted"}) == 2
	})
	require.Greater(t, gather(t, reg, "depsync_push_bytes_total", map[string]string{"peer": w1.url}), 0.0)
	require.Greater(t, gather(t, reg, "depsync_peer_last_success_timestamp_seconds", map[string]string{"peer": w1.url}), 1e9)

	cancel()
	<-done
}

// flakyNode is a peer whose listener can be closed and reopened on the same
// address, as a node restart would.
type flakyNode struct {
	*testNode
	addr string
	srv  *http.Server
}

func newFlakyNode(t *testing.T) *flakyNode {
	n := newTestNode(t, config.RoleWorker)
	n.srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &flakyNode{testNode: n, addr: ln.Addr().String()}
	f.url = "http://" + f.addr
	f.serve(t, ln)
	return f
}

func (f *flakyNode) serve(t *testing.T, ln net.Listener) {
	api := deploy.NewAPI(deploy.APIOptions{Store: f.store, Role: config.RoleWorker, Token: testToken})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	f.srv = httpserver.New(f.addr, mux, config.TLS{})
	go f.srv.Serve(ln)
	t.Cleanup(func() { f.srv.Close() })
}

func (f *flakyNode) stop() { f.srv.Close() }

func (f *flakyNode) start(t *testing.T) {
	var ln net.Listener
	var err error
	waitFor(t, func() bool { ln, err = net.Listen("tcp", f.addr); return err == nil })
	f.serve(t, ln)
}

func TestReconcilerPeerDownThenBack(t *testing.T) {
	mgrDir := t.TempDir()
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	up := newTestNode(t, config.RoleWorker)
	down := newFlakyNode(t)

	reg := prometheus.NewRegistry()
	r, err := New(Options{
		Store: mgr, Peers: []string{down.url, up.url}, Client: testClient(t), Prune: true, NodeName: "mgr",
		Interval: time.Hour, Retry: backoff.Range{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		Metrics: deploy.NewMetrics(reg),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)

	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	r.Trigger()
	waitFor(t, r.InSync)

	// The peer goes down; a change happens meanwhile.
	down.stop()
	testcapp.Write(t, mgrDir, "B_1.car", "B", "1", testcapp.Pad(100<<10))
	r.Trigger()
	// The other peer is not held up.
	waitFor(t, func() bool { _, ok := manifest(t, up.dir)["B_1.car"]; return ok })
	waitFor(t, func() bool { return !r.Status()[0].Up })
	require.Equal(t, 0.0, gather(t, reg, "depsync_peer_up", map[string]string{"peer": down.url}))
	require.NotEmpty(t, r.Status()[0].LastError)
	time.Sleep(300 * time.Millisecond) // a few probes fail

	// Back: it receives the change without a new trigger.
	down.start(t)
	waitFor(t, func() bool { return r.Status()[0].InSync })
	require.Equal(t, manifest(t, mgrDir), manifest(t, down.dir))
	require.Equal(t, 1.0, gather(t, reg, "depsync_peer_up", map[string]string{"peer": down.url}))
}

func TestReconcilerNoPrune(t *testing.T) {
	mgrDir := t.TempDir()
	mgr, _ := deploy.NewStore(mgrDir, 0)
	w := newTestNode(t, config.RoleWorker)
	testcapp.Write(t, w.dir, "Extra_1.car", "Extra", "1")
	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	r, err := New(Options{Store: mgr, Peers: []string{w.url}, Client: testClient(t), NodeName: "mgr"})
	require.NoError(t, err)
	require.NoError(t, r.SyncOnce(context.Background()))
	got := []string{}
	for f := range manifest(t, w.dir) {
		got = append(got, f)
	}
	sort.Strings(got)
	require.Equal(t, []string{"A_1.car", "Extra_1.car"}, got)
	require.True(t, r.InSync())
}

func TestReconcilerWrongToken(t *testing.T) {
	mgrDir := t.TempDir()
	mgr, _ := deploy.NewStore(mgrDir, 0)
	w := newTestNode(t, config.RoleWorker)
	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	r, err := New(Options{Store: mgr, Peers: []string{w.url}, NodeName: "mgr",
		Client: testClient(t, func(o *client.Options) { o.Token = "wrong-secret-value" })})
	require.NoError(t, err)
	err = r.SyncOnce(context.Background())
	require.Error(t, err)
	require.Contains(t, err.Error(), "401")
	require.NotContains(t, err.Error(), "wrong-secret-value")
	st := r.Status()[0]
	require.True(t, st.Up, "a peer that answers 401 is up, and misconfigured")
	require.False(t, st.InSync)
	require.Empty(t, manifest(t, w.dir))
	require.False(t, strings.Contains(st.LastError, "wrong-secret-value"))
}

// TestReconcilerDuplicateIDOnManager: two files of the manager hold one
// C-App id; only the first is pushed, and passes do not flip the peer
// between them.
func TestReconcilerDuplicateIDOnManager(t *testing.T) {
	mgrDir := t.TempDir()
	mgr, _ := deploy.NewStore(mgrDir, 0)
	w := newTestNode(t, config.RoleWorker)
	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	testcapp.Write(t, mgrDir, "A_1-copy.car", "A", "1", testcapp.Artifacts("api_z"))
	r, err := New(Options{Store: mgr, Peers: []string{w.url}, Client: testClient(t), NodeName: "mgr", Prune: true})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, r.SyncOnce(context.Background()))
	}
	m := manifest(t, w.dir)
	require.Len(t, m, 1)
	require.Contains(t, m, "A_1-copy.car") // sorted first
	require.Equal(t, 1, r.Status()[0].Pushed)
}
