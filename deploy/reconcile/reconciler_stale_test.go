package reconcile

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestReconcilerJudgesCAppsAsTheyAreAfterTheManifest: 4 of 6 C-Apps
// held and approved; while the next pass waits for the peer's manifest
// (a peer coming back is retried for seconds), the last 2 are moved away
// too. The pass judges the C-Apps as they are once the manifest is in:
// none left, the 6 are held anew, and the approval of 4 deletes nothing.
// Judged on the listing from before the wait, the approved 4 went.
func TestReconcilerJudgesCAppsAsTheyAreAfterTheManifest(t *testing.T) {
	mgrDir := filepath.Join(t.TempDir(), "carbonapps")
	require.NoError(t, os.MkdirAll(mgrDir, 0o755))
	aside := t.TempDir()
	names := []string{"A_1.car", "B_1.car", "C_1.car", "D_1.car", "E_1.car", "F_1.car"}
	for _, n := range names {
		testcapp.Write(t, mgrDir, n, n[:1], "1")
	}
	mgr, err := deploy.NewStoreWith(mgrDir, deploy.StoreOptions{NoCreate: true})
	require.NoError(t, err)
	w := newTestNode(t, config.RoleWorker)
	target, err := url.Parse(w.url)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var moveOnList atomic.Bool
	peer := httpServe(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v1/capps" && moveOnList.CompareAndSwap(true, false) {
			for _, n := range names[4:] {
				require.NoError(t, os.Rename(filepath.Join(mgrDir, n), filepath.Join(aside, n)))
			}
		}
		proxy.ServeHTTP(rw, r)
	}))
	g := guard.New(guard.Options{Registerer: prometheus.NewRegistry()})
	r := fastReconciler(t, mgr, g, peer)
	runReconciler(t, r)
	waitFor(t, r.InSync)
	require.Len(t, manifest(t, w.dir), 6)

	for _, n := range names[:4] {
		require.NoError(t, os.Rename(filepath.Join(mgrDir, n), filepath.Join(aside, n)))
	}
	waitFor(t, func() bool { h := g.Holds(); return len(h) == 1 && h[0].Count == 4 })
	moveOnList.Store(true)
	require.Len(t, g.Approve(), 1)
	waitFor(t, func() bool { h := g.Holds(); return len(h) == 1 && h[0].Count == 6 })
	require.False(t, moveOnList.Load(), "the pass after the approval asked for the manifest")
	stays(t, 500*time.Millisecond, "the worker keeps its 6 C-Apps", func() bool { return len(manifest(t, w.dir)) == 6 })
}
