package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// fakeSVN records calls and returns canned results, so that the daemon's
// error paths can be forced without a server.
type fakeSVN struct {
	mu        sync.Mutex
	calls     []string
	status    []svn.StatusEntry
	statusErr error
	commitRev int64
	commitErr error
	deletable [][]string // each commit's CommitOptions.Deletable
	committed [][]string
	messages  []string
	update    *svn.UpdateResult
	updateErr []error // returned by successive updates, then nil
	revertErr error
	reverted  [][]string
	info      *svn.Info
	infoErr   error
	log       []svn.LogEntry
	dirs      []string
}

func (f *fakeSVN) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeSVN) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeSVN) CheckVersion(context.Context) error { f.record("version"); return nil }
func (f *fakeSVN) Info(_ context.Context, target string) (*svn.Info, error) {
	f.record("info " + target)
	if f.infoErr != nil {
		return nil, f.infoErr
	}
	if f.info != nil {
		return f.info, nil
	}
	if !svn.IsURL(target) {
		target = "http://svn.example/repo/-1234" // the working copy of the super tenant
	}
	return &svn.Info{URL: target, Kind: "dir", Revision: 1}, nil
}
func (f *fakeSVN) Mkdir(_ context.Context, url string, _ bool, _ string) error {
	f.record("mkdir " + url)
	return nil
}
func (f *fakeSVN) Checkout(_ context.Context, url, dir string, force bool) (int64, error) {
	f.record("checkout")
	return 1, nil
}
func (f *fakeSVN) UpdateWith(context.Context, string, svn.UpdateOptions, ...string) (*svn.UpdateResult, error) {
	f.record("update")
	if len(f.updateErr) > 0 {
		err := f.updateErr[0]
		f.updateErr = f.updateErr[1:]
		if err != nil {
			return nil, err
		}
	}
	if f.update != nil {
		return f.update, nil
	}
	return &svn.UpdateResult{Revision: 2}, nil
}
func (f *fakeSVN) StatusWith(context.Context, string, svn.StatusOptions, ...string) ([]svn.StatusEntry, error) {
	f.record("status")
	return f.status, f.statusErr
}
func (f *fakeSVN) CommitWith(_ context.Context, _, message string, opts svn.CommitOptions, paths ...string) (int64, error) {
	f.record("commit")
	f.deletable = append(f.deletable, opts.Deletable)
	if f.commitErr != nil {
		return 0, f.commitErr
	}
	f.committed = append(f.committed, paths)
	f.messages = append(f.messages, message)
	return f.commitRev, nil
}
func (f *fakeSVN) Revert(_ context.Context, _ string, paths ...string) error {
	f.record("revert")
	if f.revertErr != nil {
		return f.revertErr
	}
	f.reverted = append(f.reverted, paths)
	return nil
}
func (f *fakeSVN) Resolve(context.Context, string, string, ...string) error {
	f.record("resolve")
	return nil
}
func (f *fakeSVN) Log(_ context.Context, url string, from, to int64) ([]svn.LogEntry, error) {
	f.record(fmt.Sprintf("log %s %d:%d", url, from, to))
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log, nil
}
func (f *fakeSVN) ListDirs(_ context.Context, url string) ([]string, error) {
	f.record("list " + url)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirs, nil
}

// errFakeCannot is what fakeSVN answers where it has nothing to fake: a
// question about a folder goes to Info (a failed cheap look falls back to
// it), and a tenant's removal fails (see removerSVN for one that works).
var errFakeCannot = errors.New("fakeSVN: not faked")

func (f *fakeSVN) HasFolder(_ context.Context, url string) (bool, error) {
	f.record("has " + url)
	return false, errFakeCannot
}
func (f *fakeSVN) ListFiles(_ context.Context, url string, _ int) (int, []string, error) {
	f.record("list -R " + url)
	return 0, nil, errFakeCannot
}
func (f *fakeSVN) Relocate(_ context.Context, dir, from, to string) error {
	f.record("relocate " + dir + " " + from + " " + to)
	return errFakeCannot
}
func (f *fakeSVN) Upgrade(_ context.Context, dir string) error {
	f.record("upgrade " + dir)
	return errFakeCannot
}
func (f *fakeSVN) DeleteURL(_ context.Context, url, _ string) error {
	f.record("delete " + url)
	return errFakeCannot
}
func (f *fakeSVN) Cleanup(context.Context, string) error {
	f.record("cleanup")
	return nil
}

func testConfig(t *testing.T, role string) *config.Config {
	t.Helper()
	home := t.TempDir()
	c := &config.Config{
		Role:     role,
		NodeName: "node1",
		StateDir: filepath.Join(home, "state"),
		Listen:   "127.0.0.1:9780",
		Token:    "secret-token-0123456789abcdef0123456789",
		Carbon:   config.Carbon{Home: home, DeploymentDir: filepath.Join(home, "repository", "deployment", "server")},
		SVN: config.SVN{URL: "http://svn.example/repo", AppendTenantID: true, PollInterval: time.Second,
			FailThreshold: 2},
		// Deletions are judged at the look after the one that found them
		// (see TestManagerJudgesAFolderEmptiedInSlicesWhole for the window).
		Sync: config.Sync{Debounce: 50 * time.Millisecond, MaxDelay: time.Second, RescanInterval: time.Minute,
			MaxDelete: config.DefaultMaxDelete, DeleteSettle: 100 * time.Millisecond},
	}
	require.NoError(t, os.MkdirAll(c.Carbon.DeploymentDir, 0o755))
	return c
}

func newTestDaemon(t *testing.T, c *config.Config, f *fakeSVN) *Daemon {
	t.Helper()
	d, err := New(c, withParts(t, c, Deps{SVN: f}))
	require.NoError(t, err)
	return d
}

// withParts is deps with the parts New requires and deps leaves out, made
// from c as cmd/depsync makes them (a new registry, the backups keeper and
// the guard on it, the peer client); a test gives its own svn.
func withParts(t *testing.T, c *config.Config, deps Deps) Deps {
	t.Helper()
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Backups == nil {
		deps.Backups = backup.New(backup.Root(c.StateDir), backup.Options{MaxAge: c.Backups.MaxAge,
			MaxBytes: int64(c.Backups.MaxBytes), Logger: deps.Logger, Registerer: deps.Registry})
	}
	if deps.Guard == nil {
		deps.Guard = guard.New(guard.Options{Limit: c.Sync.DeleteLimit(), ApprovalTTL: c.Sync.ApprovalTimeout(),
			Logger: deps.Logger, Registerer: deps.Registry})
	}
	if deps.HTTPClient == nil {
		hc, err := PeerClient(c.TLS)
		require.NoError(t, err)
		deps.HTTPClient = hc
	}
	return deps
}

func unreachable() error {
	return &svn.Error{Op: "commit", Kind: svn.ErrUnreachable, Message: "svn: E170013: Unable to connect"}
}

func TestWorkerBacksUpBeforeReverting(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	dir := c.Carbon.DeploymentDir
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "api"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "api", "a.xml"), []byte("hot fix"), 0o644))
	f := &fakeSVN{
		status: []svn.StatusEntry{
			{Path: "api/a.xml", Item: "modified", Kind: "file"},
			{Path: "gone.xml", Item: "missing", Kind: "file"},
			{Path: "mine.txt", Item: "unversioned", Kind: "file"},
		},
		update: &svn.UpdateResult{Revision: 5, Changed: []svn.Change{{Path: "api/a.xml", Action: "U"}}},
	}
	d := newTestDaemon(t, c, f)
	w := d.newWorker(d.tenants.list[0])
	res, err := w.Update(context.Background(), 0)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.Revision)
	assert.Equal(t, [][]string{{"api/a.xml", "gone.xml"}}, f.reverted, "unversioned files are left alone")
	assert.Equal(t, []string{"status", "revert", "update"}, f.Calls())

	matches, err := filepath.Glob(filepath.Join(c.StateDir, "overwritten", "*", "api", "a.xml"))
	require.NoError(t, err)
	require.Len(t, matches, 1)
	data, err := os.ReadFile(matches[0])
	require.NoError(t, err)
	assert.Equal(t, "hot fix", string(data))
}

func TestWorkerDoesNotRevertWithoutABackup(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	dir := c.Carbon.DeploymentDir
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.xml"), []byte("hot fix"), 0o644))
	// The state directory cannot be created: it is a file.
	require.NoError(t, os.WriteFile(c.StateDir, []byte("in the way"), 0o644))
	f := &fakeSVN{status: []svn.StatusEntry{{Path: "a.xml", Item: "modified", Kind: "file"}}}
	d := newTestDaemon(t, c, f)
	_, err := d.newWorker(d.tenants.list[0]).Update(context.Background(), 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "back up")
	assert.Equal(t, []string{"status"}, f.Calls(), "no revert, no update after a failed backup")
}

func TestWorkerAfterForcedUpdateBacksUpObstructions(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "n.xml"), []byte("worker's"), 0o644))
	f := &fakeSVN{update: &svn.UpdateResult{Revision: 3, Changed: []svn.Change{{Path: "n.xml", Action: "E"}}}}
	d := newTestDaemon(t, c, f)
	w := d.newWorker(d.tenants.list[0])
	// Before the update nothing is local; after it, n.xml (which existed)
	// shows as modified and is backed up and reverted.
	// The fake's status says n.xml is modified both times: before the
	// update (a local edit) and after it (the unversioned file svn took
	// over with --force, "E").
	f.status = []svn.StatusEntry{{Path: "n.xml", Item: "modified", Kind: "file"}}
	_, err := w.Update(context.Background(), 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"status", "revert", "update", "status", "revert"}, f.Calls())
	matches, err := filepath.Glob(filepath.Join(c.StateDir, "overwritten", "*", "n.xml"))
	require.NoError(t, err)
	assert.NotEmpty(t, matches)
}

func TestWorkerMovesObstructionsAside(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	require.NoError(t, os.MkdirAll(filepath.Join(c.Carbon.DeploymentDir, "x.car", "sub"), 0o755))
	obstructed := &svn.Error{Op: "update", Kind: svn.ErrObstructed, Message: "svn: E155000: obstructed"}
	f := &fakeSVN{
		status:    []svn.StatusEntry{{Path: "x.car", Item: "unversioned", Kind: "dir"}},
		updateErr: []error{obstructed, nil},
	}
	d := newTestDaemon(t, c, f)
	w := d.newWorker(d.tenants.list[0])
	f.status = nil // nothing local before the update
	_, err := w.Update(context.Background(), 0)
	require.Error(t, err, "without anything in the way, the error stands")

	f.updateErr = []error{obstructed, nil}
	f.status = []svn.StatusEntry{{Path: "x.car", Item: "unversioned", Kind: "dir"}}
	_, err = w.Update(context.Background(), 0)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(c.Carbon.DeploymentDir, "x.car"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	matches, err := filepath.Glob(filepath.Join(c.StateDir, "overwritten", "*", "x.car", "sub"))
	require.NoError(t, err)
	assert.Len(t, matches, 1, "the directory in the way is kept in the backup folder")
}

func TestNotifyEndpoint(t *testing.T) {
	tests := []struct {
		name, role, auth, body string
		code                   int
		woken                  bool
	}{
		{"no token", config.RoleWorker, "", `{"revision":3}`, http.StatusUnauthorized, false},
		{"wrong token", config.RoleWorker, "Bearer nope", `{"revision":3}`, http.StatusUnauthorized, false},
		{"bad body", config.RoleWorker, "Bearer secret-token-0123456789abcdef0123456789", `{`, http.StatusBadRequest, false},
		{"no revision", config.RoleWorker, "Bearer secret-token-0123456789abcdef0123456789", `{}`, http.StatusBadRequest, false},
		{"negative revision", config.RoleWorker, "Bearer secret-token-0123456789abcdef0123456789", `{"revision":-1}`, http.StatusBadRequest, false},
		{"manager refuses", config.RoleManager, "Bearer secret-token-0123456789abcdef0123456789", `{"revision":3}`, http.StatusConflict, false},
		{"accepted", config.RoleWorker, "Bearer secret-token-0123456789abcdef0123456789",
			`{"revision":3,"node":"m","url":"http://m:9780"}`, http.StatusAccepted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDaemon(t, testConfig(t, tt.role), &fakeSVN{})
			req := httptest.NewRequest(http.MethodPost, "/v1/notify", strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			d.Handler().ServeHTTP(rec, req)
			assert.Equal(t, tt.code, rec.Code, rec.Body.String())
			assert.Equal(t, tt.woken, len(d.tenants.list[0].Wake()) == 1)
			if tt.woken {
				assert.Empty(t, d.ManagerURL(), "a worker without peers cannot check the URL: it does not take it")
			}
		})
	}
}

func TestReadyAndStatus(t *testing.T) {
	d := newTestDaemon(t, testConfig(t, config.RoleWorker), &fakeSVN{})
	h := d.Handler()
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer secret-token-0123456789abcdef0123456789")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	assert.Equal(t, http.StatusOK, get("/healthz").Code)
	rec := get("/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.JSONEq(t, `{"status":"not ready"}`, rec.Body.String(), "the probe says only its status word")
	assert.Contains(t, d.Status().Reason, "first sync not done")

	ts := d.tenants.list[0]
	ts.Failed(errors.New("svn update: boom http://svn.example/repo"))
	assert.JSONEq(t, `{"status":"not ready"}`, get("/readyz").Body.String(), "no error text or URL")
	assert.Contains(t, d.Status().Reason, "boom")
	ts.Succeeded(9, true)
	assert.Equal(t, http.StatusOK, get("/readyz").Code)
	assert.JSONEq(t, `{"status":"ready"}`, get("/readyz").Body.String())
	assert.JSONEq(t, `{"status":"ok"}`, get("/healthz").Body.String())
	// The same success an hour ago (the tenant's clock, tenantrun.Env.Now).
	env := d.tenantEnv(ts.Tenant(), 0)
	env.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	ts = tenantrun.New(env)
	d.tenants.list[0], d.tenants.byID[ts.ID()] = ts, ts
	ts.Succeeded(9, true)
	assert.Equal(t, http.StatusServiceUnavailable, get("/readyz").Code, "an old last success is not ready")

	rec = get("/v1/status")
	require.Equal(t, http.StatusOK, rec.Code)
	for _, key := range []string{`"role": "worker"`, `"node": "node1"`, `"mode": "svn"`, `"revision": 9`,
		`"id": -1234`, `"url": "http://svn.example/repo/-1234"`, `"rejected": []`, `"last_sync": "`, `"peers": []`} {
		assert.Contains(t, rec.Body.String(), key)
	}
	assert.NotContains(t, rec.Body.String(), "secret-token-0123456789abcdef0123456789")

	req := httptest.NewRequest(http.MethodGet, "/v1/status", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	rec = get("/metrics")
	assert.Contains(t, rec.Body.String(), `depsync_revision{tenant="-1234"} 9`)
	assert.Contains(t, rec.Body.String(), `depsync_consecutive_failures{tenant="-1234"} 0`)
}

func TestNotifierDoesNotWaitForSlowPeers(t *testing.T) {
	got := make(chan Notice, 10)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer secret-token-0123456789abcdef0123456789", r.Header.Get("Authorization"))
		var n Notice
		assert.NoError(t, jsonDecode(r, &n))
		got <- n
		w.WriteHeader(http.StatusAccepted)
	}))
	defer good.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer slow.Close()
	defer close(release)

	c := testConfig(t, config.RoleManager)
	c.Peers = []string{slow.URL, good.URL}
	d := newTestDaemon(t, c, &fakeSVN{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.peers.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	start := time.Now()
	d.peers.Notify(5)
	assert.Less(t, time.Since(start), 50*time.Millisecond, "notify returns at once")
	select {
	case n := <-got:
		assert.Equal(t, int64(5), n.Revision)
		assert.Equal(t, "node1", n.Node)
		assert.Equal(t, "http://127.0.0.1:9780", n.URL)
	case <-time.After(time.Second):
		t.Fatal("the good peer was held up by the slow one")
	}
	// Notices to the slow peer coalesce while it hangs.
	// The good peer may get 6 on its way to 7 (it is quick enough to take
	// 6 before 7 is asked for), but 7 must come, and nothing after it.
	d.peers.Notify(6)
	d.peers.Notify(7)
	deadline := time.After(time.Second)
	for last := int64(0); last != 7; {
		select {
		case n := <-got:
			require.Greater(t, n.Revision, last, "notices come in order")
			last = n.Revision
		case <-deadline:
			t.Fatal("notice 7 did not reach the good peer")
		}
	}
}

func TestCarbonXMLWithCarbonSyncEnabledIsRefused(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	c.Carbon.ConfigFile = filepath.Join(c.Carbon.Home, "repository", "conf", "carbon.xml")
	require.NoError(t, os.MkdirAll(filepath.Dir(c.Carbon.ConfigFile), 0o755))
	xml := `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <DeploymentSynchronizer>
        <Enabled>true</Enabled>
        <AutoCheckout>true</AutoCheckout>
    </DeploymentSynchronizer>
</Server>
`
	require.NoError(t, os.WriteFile(c.Carbon.ConfigFile, []byte(xml), 0o644))
	f := &fakeSVN{}
	err := newTestDaemon(t, c, f).Run(context.Background())
	require.Error(t, err)
	assert.True(t, IsConfigError(err))
	assert.Contains(t, err.Error(), "enables Carbon's own DeploymentSynchronizer")
	assert.Empty(t, f.Calls(), "svn is not touched")

	// write_config turns it off, and then the daemon runs.
	c.Carbon.WriteConfig = true
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.NoError(t, newTestDaemon(t, c, f).Run(ctx))
	data, err := os.ReadFile(c.Carbon.ConfigFile)
	require.NoError(t, err)
	assert.Contains(t, string(data), "<Enabled>false</Enabled>")
}

func jsonDecode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }

func TestOpContextOutlivesShutdownByTheGrace(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	d, err := New(c, withParts(t, c, Deps{SVN: &fakeSVN{}, Grace: 100 * time.Millisecond}))
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	op, cancel := d.opContext(ctx)
	defer cancel()
	stop()
	select {
	case <-op.Done():
		t.Fatal("the operation in flight was cut at once")
	case <-time.After(50 * time.Millisecond):
	}
	select {
	case <-op.Done():
	case <-time.After(time.Second):
		t.Fatal("the grace period is not bounded")
	}
}

// TestWorkerPollTakesTheNotifiedRevision: a manager's notice reaches the
// tenant's worker, whose poll takes the notified revision at once rather
// than wait for a fresh one to settle (the worker's choice itself:
// worker.TestWorkerPollTakesOnlyNotifiedOrSettledRevisions); an older
// notice does not go back.
func TestWorkerPollTakesTheNotifiedRevision(t *testing.T) {
	f := &fakeSVN{info: &svn.Info{Kind: "dir", Revision: 9, LastChangedRev: 9}}
	d := newTestDaemon(t, testConfig(t, config.RoleWorker), f)
	w := d.newWorker(d.tenants.list[0])
	var got []int64
	update := func(_ string, rev int64) { got = append(got, rev) }

	w.Poll(context.Background(), update)
	assert.Empty(t, got, "a fresh revision nobody notified waits: it may hold a C-App committed half-written")
	d.notified(Notice{Revision: 8})
	w.Poll(context.Background(), update)
	assert.Equal(t, []int64{8}, got, "the notified revision is taken")
	d.notified(Notice{Revision: 5})
	assert.Equal(t, int64(8), d.tenants.list[0].NotifiedRev().Load(), "an old notice does not go back")
}
