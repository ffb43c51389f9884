package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/drift"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// testConfig is a worker's config with the super tenant's directory
// made.
func testConfig(t *testing.T, url string) *config.Config {
	t.Helper()
	home := t.TempDir()
	c := &config.Config{
		Role:     config.RoleWorker,
		NodeName: "w",
		StateDir: filepath.Join(home, "state"),
		Carbon:   config.Carbon{Home: home, DeploymentDir: filepath.Join(home, "repository", "deployment", "server")},
		SVN:      config.SVN{URL: url, AppendTenantID: true, PollInterval: time.Second, FailThreshold: 2},
		Sync:     config.Sync{Debounce: 50 * time.Millisecond, MaxDelay: time.Second, RescanInterval: time.Minute},
	}
	require.NoError(t, os.MkdirAll(c.Carbon.DeploymentDir, 0o755))
	return c
}

// testWorker is a worker of c's super tenant over s, with its Env of
// small fakes around a real tenant.Files (its copies go to state_dir).
type testWorker struct {
	*Worker
	state    *fakeState
	manager  *fakeManager
	wake     chan struct{}
	notified *atomic.Int64
	dir      string
}

func newTestWorker(t *testing.T, c *config.Config, s svnbatch.SVN) *testWorker {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	ten := c.Tenants()[0]
	files := &tenant.Files{Dir: ten.Dir, ID: ten.ID, StateDir: c.StateDir, Log: log, SVN: s,
		Backups: backup.New(backup.Root(c.StateDir), backup.Options{Logger: log}), Kept: func() {}}
	tw := &testWorker{state: &fakeState{}, manager: &fakeManager{}, wake: make(chan struct{}, 1),
		notified: &atomic.Int64{}, dir: ten.Dir}
	tw.Worker = New(Env{
		Tenant:  ten,
		Config:  c,
		Log:     log,
		SVN:     s,
		Signals: Signals{Wake: tw.wake, Tick: make(chan struct{}), Notified: tw.notified, Changed: &atomic.Int64{}},
		State:   tw.state,
		Files:   testFiles{Files: files, svn: s, t: ten},
		Node:    testNode{},
		Manager: tw.manager,
	})
	return tw
}

// notice is what a manager's notice of rev does to the worker.
func (tw *testWorker) notice(rev int64) {
	tw.notified.Store(rev)
	select {
	case tw.wake <- struct{}{}:
	default:
	}
}

// fakeState records what the worker reports (State).
type fakeState struct {
	mu     sync.Mutex
	rev    int64
	failed []error
	wanted []string // "rev behind" of each Wanted
}

func (s *fakeState) Succeeded(rev int64, _ bool)       { s.mu.Lock(); s.rev = rev; s.mu.Unlock() }
func (s *fakeState) Failed(err error)                  { s.mu.Lock(); s.failed = append(s.failed, err); s.mu.Unlock() }
func (s *fakeState) Probed()                           {}
func (s *fakeState) Observe(string, string, time.Time) {}
func (s *fakeState) ShowDrift(drift.Set)               {}
func (s *fakeState) SetBackingOff(bool)                {}
func (s *fakeState) Wanted(rev int64, behind string) {
	s.mu.Lock()
	s.wanted = append(s.wanted, fmt.Sprintf("%d %s", rev, behind))
	s.mu.Unlock()
}

func (s *fakeState) wants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.wanted...)
}

// testFiles is the tenant's working copy (Files): the real copies and
// heal of package tenant, the folder's checks asked of svn.
type testFiles struct {
	*tenant.Files
	svn svnbatch.SVN
	t   config.Tenant
}

func (f testFiles) HasFolder(ctx context.Context) (bool, error) {
	_, err := f.svn.Info(ctx, f.t.URL)
	if errors.Is(err, svn.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
func (f testFiles) CheckWorkingCopy(ctx context.Context) (*svn.Info, error) {
	return f.svn.Info(ctx, f.t.Dir)
}
func (f testFiles) BackedUp()           {}
func (f testFiles) Ignored(string) bool { return false }
func (f testFiles) Removable() bool     { return false }

// testNode is the daemon around the tenant (Node), with no limits.
type testNode struct{}

func (testNode) PrepareWithRetry(ctx context.Context, prepare func(context.Context) error) error {
	return prepare(ctx)
}
func (testNode) StartSlot(context.Context) bool { return true }
func (testNode) StartDone()                     {}
func (testNode) OpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}
func (testNode) SVNResult(error) {}
func (testNode) Removed()        {}

// fakeManager is the worker's view of its manager (Manager): in svn mode
// with no deletions held and no C-Apps unless told otherwise; while down
// it does not answer.
type fakeManager struct {
	mu    sync.Mutex
	down  bool
	holds int // < 0: it cannot tell yet
	capps map[string]bool
	asked int
}

func (m *fakeManager) set(down bool, holds int) {
	m.mu.Lock()
	m.down, m.holds = down, holds
	m.mu.Unlock()
}

func (m *fakeManager) URL() string { return "" }
func (m *fakeManager) Ask(_ context.Context, candidates []string, _ int) (string, string, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked++
	if m.down || len(candidates) == 0 {
		return "", "", 0
	}
	return "svn", candidates[0], m.holds
}
func (m *fakeManager) Last() (string, int) { return "svn", 0 }
func (m *fakeManager) CApps(context.Context, string) (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.capps, nil
}

// fakeSVN is the svn a worker calls, with canned results, to force its
// paths without a server; a call it does not fake panics (the embedded
// interface is nil).
type fakeSVN struct {
	svnbatch.SVN
	mu        sync.Mutex
	calls     []string
	info      *svn.Info
	status    []svn.StatusEntry
	updateErr []error // returned by successive updates, then nil
	log       []svn.LogEntry
}

func (f *fakeSVN) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// count is how many calls of op the worker made.
func (f *fakeSVN) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == op || strings.HasPrefix(c, op+" ") {
			n++
		}
	}
	return n
}

func (f *fakeSVN) setInfo(info *svn.Info) { f.mu.Lock(); f.info = info; f.mu.Unlock() }

func (f *fakeSVN) Info(_ context.Context, target string) (*svn.Info, error) {
	f.record("info " + target)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.info != nil {
		return f.info, nil
	}
	if !svn.IsURL(target) {
		target = "http://svn.example/repo/-1234" // the working copy of the super tenant
	}
	return &svn.Info{URL: target, Kind: "dir", Revision: 1}, nil
}
func (f *fakeSVN) UpdateWith(context.Context, string, svn.UpdateOptions, ...string) (*svn.UpdateResult, error) {
	f.record("update")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.updateErr) > 0 {
		err := f.updateErr[0]
		f.updateErr = f.updateErr[1:]
		if err != nil {
			return nil, err
		}
	}
	return &svn.UpdateResult{Revision: 2}, nil
}
func (f *fakeSVN) StatusWith(context.Context, string, svn.StatusOptions, ...string) ([]svn.StatusEntry, error) {
	f.record("status")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status, nil
}
func (f *fakeSVN) Log(_ context.Context, url string, from, to int64) ([]svn.LogEntry, error) {
	f.record(fmt.Sprintf("log %s %d:%d", url, from, to))
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log, nil
}
func (f *fakeSVN) Cleanup(context.Context, string) error { f.record("cleanup"); return nil }
