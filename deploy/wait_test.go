package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/internal/testcapp"
)

// statusNode is a node serving the C-App API and a /v1/status that names
// its peers and manager, which the test may change.
type statusNode struct {
	dir  string
	url  string
	mu   sync.Mutex
	st   map[string]any
	hits atomic.Int32
}

func newStatusNode(t *testing.T) *statusNode {
	t.Helper()
	n := &statusNode{dir: filepath.Join(t.TempDir(), "carbonapps"), st: map[string]any{"role": "manager"}}
	store, err := NewStore(n.dir, 0)
	require.NoError(t, err)
	api := NewAPI(APIOptions{Store: store, Role: config.RoleManager, Token: testToken})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	mux.Handle("/v1/status", httpauth.Require(testToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		require.NoError(t, json.NewEncoder(w).Encode(n.st))
	})))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

func (n *statusNode) set(key string, v any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.st[key] = v
}

// waitC is a C-App file and what WaitForCluster wants of it.
func waitC(t *testing.T, file, name string) (string, client.Want) {
	t.Helper()
	p := testcapp.Write(t, t.TempDir(), file, name, "1.0.0")
	app, err := carbonapp.ParseFile(p)
	require.NoError(t, err)
	return p, client.Want{File: file, SHA256: app.SHA256}
}

// once runs one round of WaitForCluster and then waits out the deadline,
// so that what it reports does not depend on how fast the machine is.
func once(t *testing.T, c *client.Client, o client.WaitOptions) *client.WaitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	o.Interval = time.Hour
	return c.WaitForCluster(ctx, o)
}

// TestWaitForClusterFindsPeers: the cluster is the nodes and the peers
// they list; the wait fails at the deadline naming who lacks what, and
// succeeds once every node holds the C-Apps with their bytes.
func TestWaitForClusterFindsPeers(t *testing.T) {
	mgr, w := newStatusNode(t), newStatusNode(t)
	mgr.set("peers", []map[string]any{{"url": w.url + "/", "up": true}})
	pa, a := waitC(t, "A_1.0.0.car", "A")
	pb, b := waitC(t, "B_1.0.0.car", "B")
	c := testClient(t)
	for _, p := range []string{pa, pb} {
		_, err := c.Put(context.Background(), mgr.url, p, client.PutRequest{})
		require.NoError(t, err)
	}
	_, err := c.Put(context.Background(), w.url, pa, client.PutRequest{})
	require.NoError(t, err)

	start := time.Now()
	res := once(t, c, client.WaitOptions{Nodes: []string{mgr.url}, Want: []client.Want{a, b}})
	assert.Less(t, time.Since(start), 5*time.Second)
	require.False(t, res.OK)
	require.Equal(t, []string{mgr.url, w.url}, res.Nodes)
	require.Equal(t, []client.Lack{{Node: w.url, File: "B_1.0.0.car"}}, res.Lacking)

	// B reaches the worker once the wait has polled it: the next round
	// sees it.
	polled := w.hits.Load()
	go func() {
		for w.hits.Load() < polled+2 { // its status and its list
			time.Sleep(time.Millisecond)
		}
		_, err := c.Put(context.Background(), w.url, pb, client.PutRequest{})
		assert.NoError(t, err)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res = c.WaitForCluster(ctx, client.WaitOptions{Nodes: []string{mgr.url}, Want: []client.Want{a, b}, Interval: 10 * time.Millisecond})
	require.True(t, res.OK, "%+v", res.Lacking)
	require.Empty(t, res.Lacking)
	require.Equal(t, []string{mgr.url, w.url}, res.Nodes)

	// Other bytes under the same name are not the C-App.
	res = once(t, c, client.WaitOptions{Nodes: []string{w.url}, Want: []client.Want{{File: a.File, SHA256: b.SHA256}}})
	require.False(t, res.OK)
	require.Equal(t, []client.Lack{{Node: w.url, File: a.File}}, res.Lacking)
}

// TestWaitForClusterPollsOnlyWhereAllowed: a worker's manager is polled
// only when known, a peer only when Check lets it through; the others never
// receive a request (so never the token).
func TestWaitForClusterPollsOnlyWhereAllowed(t *testing.T) {
	w, planted, refused, known := newStatusNode(t), newStatusNode(t), newStatusNode(t), newStatusNode(t)
	_, a := waitC(t, "A_1.0.0.car", "A")
	var logs bytes.Buffer
	c := testClient(t, func(o *client.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	check := func(n string) error {
		if n == refused.url {
			return errors.New("refused")
		}
		return nil
	}

	w.set("manager", planted.url)
	w.set("peers", []map[string]any{{"url": refused.url}})
	res := once(t, c, client.WaitOptions{Nodes: []string{w.url}, Want: []client.Want{a}, Known: []string{known.url}, Check: check})
	require.False(t, res.OK)
	assert.Equal(t, []string{w.url}, res.Nodes)
	assert.Zero(t, planted.hits.Load(), "a manager that is not known was polled")
	assert.Zero(t, refused.hits.Load(), "a peer Check refused was polled")
	assert.Contains(t, logs.String(), "not polling a node a peer names")

	w.set("manager", known.url+"/")
	res = once(t, c, client.WaitOptions{Nodes: []string{w.url}, Want: []client.Want{a}, Known: []string{known.url}, Check: check})
	assert.Equal(t, []string{w.url, known.url}, res.Nodes)
	assert.NotZero(t, known.hits.Load())
}

// TestWaitForClusterUnreachable: a node that cannot be read lacks
// everything, with the error, and the wait ends at the deadline.
func TestWaitForClusterUnreachable(t *testing.T) {
	_, a := waitC(t, "A_1.0.0.car", "A")
	c := testClient(t, func(o *client.Options) { o.RetryMax = -1 })
	res := once(t, c, client.WaitOptions{Nodes: []string{"http://127.0.0.1:1"}, Want: []client.Want{a}})
	require.False(t, res.OK)
	require.Len(t, res.Lacking, 1)
	assert.Equal(t, "http://127.0.0.1:1", res.Lacking[0].Node)
	assert.Empty(t, res.Lacking[0].File)
	assert.Error(t, res.Lacking[0].Err)
}
