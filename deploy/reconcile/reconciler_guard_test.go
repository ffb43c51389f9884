package reconcile

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/backoff"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// runReconciler starts r until the test ends.
func runReconciler(t *testing.T, r *Reconciler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func fastReconciler(t *testing.T, store *deploy.Store, g *guard.Guard, peers ...string) *Reconciler {
	t.Helper()
	r, err := New(Options{
		Store: store, Peers: peers, Client: testClient(t), Prune: true, NodeName: "mgr",
		Interval: time.Hour, CheckInterval: 30 * time.Millisecond,
		Retry: backoff.Range{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}, Guard: g,
		AttemptTimeout: 2 * time.Second, DeleteSettle: 200 * time.Millisecond,
	})
	require.NoError(t, err)
	return r
}

// stays checks that cond holds throughout d.
func stays(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		require.True(t, cond(), what)
	}
}

// TestReconcilerHoldsEmptiedCarbonapps: the manager's carbonapps moved away
// (or emptied) takes nothing off the peer; the guard shows the hold; moving
// it back clears the hold with nothing deleted; an approval lets an
// emptying through once.
func TestReconcilerHoldsEmptiedCarbonapps(t *testing.T) {
	home := t.TempDir()
	mgrDir := filepath.Join(home, "carbonapps")
	require.NoError(t, os.MkdirAll(mgrDir, 0o755))
	for _, n := range []string{"A", "B", "C"} {
		testcapp.Write(t, mgrDir, n+"_1.car", n, "1")
	}
	mgr, err := deploy.NewStoreWith(mgrDir, deploy.StoreOptions{NoCreate: true})
	require.NoError(t, err)
	w := newTestNode(t, config.RoleWorker)
	reg := prometheus.NewRegistry()
	g := guard.New(guard.Options{Registerer: reg})
	r := fastReconciler(t, mgr, g, w.url)
	runReconciler(t, r)
	waitFor(t, r.InSync)
	want := manifest(t, mgrDir)
	require.Len(t, manifest(t, w.dir), 3)

	for _, tc := range []struct {
		name         string
		away, back   func()
		checkMissing bool
	}{
		{"moved away", func() { require.NoError(t, os.Rename(mgrDir, mgrDir+".moved")) },
			func() { require.NoError(t, os.Rename(mgrDir+".moved", mgrDir)) }, true},
		{"emptied", func() {
			require.NoError(t, os.Rename(mgrDir, mgrDir+".moved"))
			require.NoError(t, os.Mkdir(mgrDir, 0o755))
		}, func() {
			require.NoError(t, os.Remove(mgrDir))
			require.NoError(t, os.Rename(mgrDir+".moved", mgrDir))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.away()
			r.Trigger()
			waitFor(t, func() bool { return len(g.Holds()) == 1 })
			h := g.Holds()[0]
			assert.Equal(t, "peer "+w.url, h.Scope)
			assert.Equal(t, guard.ReasonEmptied, h.Reason)
			assert.Equal(t, 3, h.Count)
			assert.Equal(t, 3.0, gather(t, reg, "depsync_deletions_held", nil))
			assert.Equal(t, 3, r.Status()[0].Held)
			assert.False(t, r.InSync())
			stays(t, time.Second, "the worker keeps every C-App", func() bool { return len(manifest(t, w.dir)) == 3 })
			if tc.checkMissing {
				_, err := os.Stat(mgrDir)
				assert.True(t, os.IsNotExist(err), "the manager's carbonapps is not made up empty")
			}
			tc.back()
			r.Trigger()
			waitFor(t, func() bool { return len(g.Holds()) == 0 && r.InSync() })
			assert.Equal(t, want, manifest(t, w.dir), "nothing deleted")
			assert.Equal(t, 0.0, gather(t, reg, "depsync_deletions_held", nil))
		})
	}

	// A person empties carbonapps on purpose and approves.
	for _, n := range []string{"A", "B", "C"} {
		require.NoError(t, os.Remove(filepath.Join(mgrDir, n+"_1.car")))
	}
	r.Trigger()
	waitFor(t, func() bool { return len(g.Holds()) == 1 })
	require.Len(t, manifest(t, w.dir), 3)
	g.Approve()
	r.Trigger()
	waitFor(t, func() bool { return len(manifest(t, w.dir)) == 0 })
	waitFor(t, func() bool { return len(g.Holds()) == 0 && r.InSync() })
}

// TestReconcilerMaxDelete: more deletions at once than sync.max_delete are
// held while the rest is pushed; one deletion goes through at once.
func TestReconcilerMaxDelete(t *testing.T) {
	mgrDir := t.TempDir()
	names := []string{"A", "B", "C", "D", "E", "F"}
	for _, n := range names {
		testcapp.Write(t, mgrDir, n+"_1.car", n, "1")
	}
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	w := newTestNode(t, config.RoleWorker)
	limit, err := config.ParseDeleteLimit("50%")
	require.NoError(t, err)
	g := guard.New(guard.Options{Limit: limit})
	r := fastReconciler(t, mgr, g, w.url)
	runReconciler(t, r)
	waitFor(t, r.InSync)

	// One deletion: within seconds.
	require.NoError(t, os.Remove(filepath.Join(mgrDir, "F_1.car")))
	r.Trigger()
	waitFor(t, func() bool { _, ok := manifest(t, w.dir)["F_1.car"]; return !ok })
	waitFor(t, r.InSync)

	// Four of five at once, and a new C-App: the new one goes, the
	// deletions wait.
	for _, n := range names[:4] {
		require.NoError(t, os.Remove(filepath.Join(mgrDir, n+"_1.car")))
	}
	testcapp.Write(t, mgrDir, "New_1.car", "New", "1")
	r.Trigger()
	waitFor(t, func() bool { _, ok := manifest(t, w.dir)["New_1.car"]; return ok })
	waitFor(t, func() bool { return len(g.Holds()) == 1 })
	assert.Equal(t, guard.ReasonLimit, g.Holds()[0].Reason)
	assert.Equal(t, 4, g.Holds()[0].Count)
	stays(t, 500*time.Millisecond, "deletions held", func() bool { return len(manifest(t, w.dir)) == 6-1+1 })
	g.Approve()
	r.Trigger()
	waitFor(t, func() bool { return len(manifest(t, w.dir)) == 2 })
}

// blackHole accepts connections and never answers.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestReconcilerPeerThatNeverAnswers: a peer that accepts and never
// answers, on its list or on a push, is marked down with an error that
// says so, and the other peer is served meanwhile.
func TestReconcilerPeerThatNeverAnswers(t *testing.T) {
	mgrDir := t.TempDir()
	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	hole := blackHole(t)
	// Lists an empty manifest, then hangs on every PUT.
	hang := httpServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, "[]")
			return
		}
		<-r.Context().Done()
	}))
	good := newTestNode(t, config.RoleWorker)
	r, err := New(Options{
		Store: mgr, Peers: []string{hole, hang, good.url}, Client: testClient(t, func(o *client.Options) { o.RetryMax = -1 }),
		Prune: true, NodeName: "mgr", Interval: time.Hour, Retry: backoff.Range{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond},
		AttemptTimeout: 300 * time.Millisecond,
	})
	require.NoError(t, err)
	start := time.Now()
	runReconciler(t, r)
	waitFor(t, func() bool { _, ok := manifest(t, good.dir)["A_1.car"]; return ok })
	assert.Less(t, time.Since(start), 5*time.Second, "the good peer is not held up")
	waitFor(t, func() bool {
		st := r.Status()
		return st[0].LastError != "" && st[1].LastError != ""
	})
	for _, st := range r.Status()[:2] {
		assert.False(t, st.Up, st.URL)
		assert.False(t, st.InSync, st.URL)
		assert.Contains(t, st.LastError, "not answered within", st.URL)
	}
	assert.Contains(t, r.Status()[1].LastError, "PUT A_1.car")
	assert.True(t, r.Status()[2].Up)
}

func httpServe(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		srv.Close()
	})
	return "http://" + ln.Addr().String()
}

// TestReconcilerRechecksPeers: a worker that lost a C-App gets it back
// within a few checks, whether it lost it while running or while down,
// restarted with a new boot id; Interval alone (an hour) would not do it.
func TestReconcilerRechecksPeers(t *testing.T) {
	mgrDir := t.TempDir()
	testcapp.Write(t, mgrDir, "A_1.car", "A", "1")
	testcapp.Write(t, mgrDir, "B_1.car", "B", "1")
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	wDir := filepath.Join(t.TempDir(), "carbonapps")
	wStore, err := deploy.NewStore(wDir, 0)
	require.NoError(t, err)

	// The worker runs on a fixed address so that it can restart there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	start := func(ln net.Listener) func() {
		api := deploy.NewAPI(deploy.APIOptions{Store: wStore, Role: config.RoleWorker, Token: testToken})
		mux := http.NewServeMux()
		mux.Handle("/v1/capps", api)
		mux.Handle("/v1/capps/", api)
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
		srv := httpserver.New(addr, mux, config.TLS{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = httpserver.Serve(ctx, srv, ln); close(done) }()
		return func() { cancel(); <-done }
	}
	stop := start(ln)
	defer func() { stop() }()

	r := fastReconciler(t, mgr, nil, "http://"+addr)
	runReconciler(t, r)
	waitFor(t, r.InSync)
	want := manifest(t, mgrDir)

	// Lost while running.
	require.NoError(t, os.Remove(filepath.Join(wDir, "A_1.car")))
	waitFor(t, func() bool { return len(manifest(t, wDir)) == 2 })
	assert.Equal(t, want, manifest(t, wDir))

	// Lost while down; back with a new boot id.
	stop()
	require.NoError(t, os.Remove(filepath.Join(wDir, "B_1.car")))
	time.Sleep(200 * time.Millisecond)
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	stop = start(ln)
	waitFor(t, func() bool { return len(manifest(t, wDir)) == 2 })
	assert.Equal(t, want, manifest(t, wDir))
}

// TestReconcilerConvergesAfterFullDisk: a peer whose disk is full answers
// 507; the reconciler retries with backoff and converges once space
// returns, and the peer's carbonapps never holds a partial file.
func TestReconcilerConvergesAfterFullDisk(t *testing.T) {
	fsDir := smallFS(t, 3<<20)
	filler := filepath.Join(fsDir, "filler")
	require.NoError(t, os.WriteFile(filler, make([]byte, 2<<20+512<<10), 0o644))
	wDir := filepath.Join(fsDir, "carbonapps")
	wStore, err := deploy.NewStore(wDir, 0)
	require.NoError(t, err)
	wURL := serveNode(t, wStore, config.RoleWorker, config.TLS{}, httpserver.Options{})

	mgrDir := t.TempDir()
	testcapp.Write(t, mgrDir, "Big_1.car", "Big", "1", testcapp.Pad(1<<20))
	mgr, err := deploy.NewStore(mgrDir, 0)
	require.NoError(t, err)
	c, err := client.New(client.Options{Token: hardToken, RetryMax: -1})
	require.NoError(t, err)
	r, err := New(Options{
		Store: mgr, Peers: []string{wURL}, Client: c, Prune: true, NodeName: "mgr",
		Interval: time.Hour, CheckInterval: 30 * time.Millisecond,
		Retry: backoff.Range{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
	})
	require.NoError(t, err)
	runReconciler(t, r)
	waitFor(t, func() bool { return strings.Contains(r.Status()[0].LastError, "507") })
	stays(t, 500*time.Millisecond, "nothing partial in the full carbonapps", func() bool {
		names := dirNames(t, wDir)
		return len(names) == 0 || (len(names) == 1 && deploy.IsTemp(names[0]))
	})
	assert.True(t, r.Status()[0].Up, "a full disk is not a down peer")
	require.NoError(t, os.Remove(filler))
	waitFor(t, func() bool { return r.Status()[0].InSync })
	assert.Equal(t, manifest(t, mgrDir), manifest(t, wDir))
}
