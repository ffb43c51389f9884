package manager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// The manager's tests build its Env themselves, as package syncer does for
// the daemon: the tenant's state, node and peers are recorders, the guard
// and the working copy are real (package syncer's tests check the wiring).

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

func unreachable() error {
	return &svn.Error{Op: "commit", Kind: svn.ErrUnreachable, Message: "svn: E170013: Unable to connect"}
}

// testState is the tenant's runtime state as the daemon keeps it, for the
// tests to read.
type testState struct {
	mu        sync.Mutex
	revision  int64
	ready     bool
	lastError string
	failures  int
	failed    []error
	waiting   string
	rejected  map[string]api.Rejection
	looked    atomic.Bool
}

func (s *testState) Succeeded(rev int64, synced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev > 0 {
		s.revision = rev
	}
	s.ready = s.ready || synced
	s.lastError, s.failures = "", 0
}

func (s *testState) Failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastError = err.Error()
	s.failures++
	s.failed = append(s.failed, err)
}

func (s *testState) Observe(string, string, time.Time) {}

func (s *testState) Waiting(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = ""
	if err != nil {
		s.waiting, s.lastError = err.Error(), err.Error()
	}
}

func (s *testState) Looked(b bool) { s.looked.Store(b) }

func (s *testState) Rejected(rel string, _, r *api.Rejection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r != nil {
		s.rejected[rel] = *r
	} else {
		delete(s.rejected, rel)
	}
}

func (s *testState) Rejections() []api.Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]api.Rejection, 0, len(s.rejected))
	for _, r := range s.rejected {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// snapshot is the state as /v1/status would show it.
func (s *testState) snapshot() testState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return testState{revision: s.revision, ready: s.ready, lastError: s.lastError, failures: s.failures,
		failed: append([]error(nil), s.failed...), waiting: s.waiting}
}

// testFiles is the tenant's working copy, asked of svn as the daemon does.
type testFiles struct {
	t     config.Tenant
	cfg   *config.Config
	svn   svnbatch.SVN
	files *tenant.Files
}

func (f *testFiles) HasFolder(ctx context.Context) (bool, error) {
	info, err := f.svn.Info(ctx, f.t.URL)
	if errors.Is(err, svn.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return info.Kind == "dir", nil
}

func (f *testFiles) CheckWorkingCopy(ctx context.Context) (*svn.Info, error) {
	info, err := f.svn.Info(ctx, f.t.Dir)
	if err != nil {
		return nil, fmt.Errorf("svn info %s: %w", f.t.Dir, err)
	}
	if strings.TrimSuffix(info.URL, "/") != strings.TrimSuffix(f.t.URL, "/") {
		return nil, &tenant.ConfigError{Err: fmt.Errorf("%s is a working copy of %s, not of %s", f.t.Dir, info.URL, f.t.URL)}
	}
	return info, nil
}

func (f *testFiles) Heal(ctx context.Context) bool { return f.files.Heal(ctx) }

func (f *testFiles) Ignored(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part != "." && f.cfg.Ignored(part) {
			return true
		}
	}
	return false
}

func (f *testFiles) Removable() bool {
	return f.cfg.Carbon.AllTenants && f.t.ID != config.SuperTenantID && f.cfg.SVN.AppendTenantID
}

// testNode is the daemon around the tenant: it retries the preparation
// until it succeeds or fails for the operator to fix, and records a
// removal.
type testNode struct {
	removed atomic.Bool
}

func (n *testNode) PrepareWithRetry(ctx context.Context, prepare func(context.Context) error) error {
	for {
		err := prepare(ctx)
		var ce *tenant.ConfigError
		if err == nil || errors.As(err, &ce) {
			return err
		}
		if !tenant.Sleep(ctx, 50*time.Millisecond) {
			return nil
		}
	}
}
func (n *testNode) StartSlot(context.Context) bool { return true }
func (n *testNode) StartDone()                     {}
func (n *testNode) OpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}
func (n *testNode) Watching(*fswatch.Watcher) {}
func (n *testNode) Changed()                  {}
func (n *testNode) Removed()                  { n.removed.Store(true) }

// testPeers records the notices the manager sends.
type testPeers struct {
	mu   sync.Mutex
	sent []int64
}

func (p *testPeers) NotifyTenant(_ int, rev int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, rev)
}

// testManager is the manager of c's super tenant over s (a real svn
// client when nil), batched as the daemon batches it.
func testManager(t *testing.T, c *config.Config, s svnbatch.SVN) *Manager {
	t.Helper()
	require.NoError(t, c.Validate())
	return tenantManager(t, c, s, c.Tenants()[0])
}

// tenantManager is the manager of tenant tn of c over s.
func tenantManager(t *testing.T, c *config.Config, s svnbatch.SVN, tn config.Tenant) *Manager {
	t.Helper()
	require.NoError(t, c.Validate())
	if s == nil {
		client, err := svn.New(svn.Options{StateDir: c.StateDir})
		require.NoError(t, err)
		s = client
	}
	s = svnbatch.Wrap(s)
	log := slogDiscard()
	files := &testFiles{t: tn, cfg: c, svn: s,
		files: &tenant.Files{Dir: tn.Dir, ID: tn.ID, StateDir: c.StateDir, Log: log, SVN: s, Kept: func() {}}}
	return New(Env{
		Tenant:    tn,
		Config:    c,
		Log:       log,
		SVN:       s,
		Signals:   Signals{Wake: make(chan struct{}, 1), Tick: make(chan struct{}, 1), Changed: new(atomic.Int64)},
		State:     &testState{rejected: map[string]api.Rejection{}},
		Files:     files,
		Node:      &testNode{},
		Deletions: guard.New(guard.Options{Limit: c.Sync.DeleteLimit(), ApprovalTTL: c.Sync.ApprovalTimeout()}),
		Peers:     &testPeers{},
	})
}

// realManager is a manager on a real working copy of a file:// repository.
func realManager(t *testing.T) (*Manager, *svntest.Server) {
	t.Helper()
	srv := svntest.New(t, svntest.File)
	c := testConfig(t, config.RoleManager)
	c.SVN.URL = srv.URL
	m := testManager(t, c, nil)
	m.del.settleWindow = 0 // one pass judges its deletions (see judgeAtOnce)
	require.NoError(t, m.prepare(context.Background()))
	return m, srv
}

// judgeAtOnce has the manager put deletions to the guard in the pass that
// finds them, for tests of a single pass: sync.delete_settle is tested in
// TestManagerJudgesAFolderEmptiedInSlicesWhole.
func judgeAtOnce(m *Manager) *Manager {
	m.del.settleWindow = 0
	return m
}

// stateOf is what m reported to its tenant's state.
func stateOf(m *Manager) *testState { return m.env.State.(*testState) }

// guardOf is m's guard.
func guardOf(m *Manager) *guard.Guard { return m.env.Deletions.(*guard.Guard) }

// nodeOf is what m told the daemon around it.
func nodeOf(m *Manager) *testNode { return m.env.Node.(*testNode) }

func holdsOf(m *Manager) []guard.Hold { return m.env.Deletions.Holds() }

// quiet stops the manager's gate clock twice the debounce after the wall
// clock, as if the test had waited that long: every file written so far has
// been left alone long enough to be committed. It returns the clock's time;
// a file stamped with it (stamp) is one being written right now.
func quiet(m *Manager) time.Time {
	at := time.Now().Add(2 * m.times.debounce)
	m.gate.Now = func() time.Time { return at }
	return at
}

// stamp sets a file's times to at.
func stamp(t *testing.T, p string, at time.Time) {
	t.Helper()
	require.NoError(t, os.Chtimes(p, at, at))
}

// repoFiles lists what the repository folder holds.
func repoFiles(t *testing.T, m *Manager) string {
	t.Helper()
	out, err := osexec.Command("svn", "ls", "-R", m.t.URL).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

// commitAll runs passes until nothing is left to commit.
func commitAll(t *testing.T, m *Manager) syncResult {
	t.Helper()
	quiet(m)
	var last syncResult
	for i := 0; i < 5; i++ {
		res, err := m.sync(context.Background(), nil, true)
		require.NoError(t, err)
		last = res
		if len(res.waiting) == 0 {
			return res
		}
		quiet(m)
	}
	return last
}

func write(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		return "<gone>"
	}
	require.NoError(t, err)
	return string(data)
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logBuffer is a slog destination safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
