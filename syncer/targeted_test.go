package syncer

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/manager"
	"github.com/depsync/depsync/syncer/internal/tenant"
	"github.com/depsync/depsync/syncer/internal/worker"
)

// realWorker is a worker of the manager's repository, its first update
// done.
func realWorker(t *testing.T, srv *svntest.Server) (*worker.Worker, *Daemon) {
	t.Helper()
	c := testConfig(t, config.RoleWorker)
	c.SVN.URL = srv.URL
	d, err := New(c, Deps{})
	require.NoError(t, err)
	w := newWorker(d.tenants.list[0])
	ctx := context.Background()
	require.NoError(t, w.Prepare(ctx))
	require.NoError(t, w.Sync(ctx, "start", 0))
	return w, d
}

// repoManager is a manager, through the daemon, on a real working copy of
// a file:// repository: the worker tests' source of commits.
type repoManager struct {
	t   *testing.T
	d   *Daemon
	m   *manager.Manager
	dir string
}

func realManager(t *testing.T) (*repoManager, *svntest.Server) {
	t.Helper()
	srv := svntest.New(t, svntest.File)
	c := testConfig(t, config.RoleManager)
	c.SVN.URL = srv.URL
	d, err := New(c, Deps{})
	require.NoError(t, err)
	ts := d.tenants.list[0]
	return &repoManager{t: t, d: d, m: newManager(ts), dir: ts.t.Dir}, srv
}

// commit has the manager commit everything its directory holds, and
// returns the revision it is at.
func (r *repoManager) commit() int64 {
	r.t.Helper()
	require.NoError(r.t, r.m.Once(context.Background()))
	return r.d.tenants.list[0].status().Revision
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

// TestTargetedUpdate: with a working copy costly to look at whole, a
// worker updates only what svn log says changed in its folder since its
// revision: changes, additions in new folders and deletions arrive; a local
// edit of a changed file is backed up and the repository wins; a local
// edit elsewhere is left for the next whole update, which reverts it (with
// its copy). Anything unusual goes whole.
func TestTargetedUpdate(t *testing.T) {
	m, srv := realManager(t)
	ctx := context.Background()
	// commit commits the paths (and whatever else changed: nothing).
	commit := func(...string) int64 {
		t.Helper()
		before := m.d.tenants.list[0].status().Revision
		rev := m.commit()
		require.Greater(t, rev, before)
		return rev
	}
	write(t, m.dir, "synapse-configs/default/api/a.xml", "<a1/>")
	write(t, m.dir, "synapse-configs/default/api/b.xml", "<b1/>")
	commit("synapse-configs/default/api/a.xml", "synapse-configs/default/api/b.xml")

	w, wd := realWorker(t, srv)
	dir := wd.tenants.list[0].t.Dir
	assert.Equal(t, "<a1/>", read(t, dir, "synapse-configs/default/api/a.xml"))
	w.SetWholeCost(time.Hour) // as if the tree were huge

	for _, step := range []struct {
		name     string
		manager  func() int64
		local    map[string]string // edits on the worker before the update
		want     map[string]string
		targeted bool
	}{
		{
			name: "a change, a file in a new folder, and a local edit elsewhere",
			manager: func() int64 {
				write(t, m.dir, "synapse-configs/default/api/a.xml", "<a2/>")
				write(t, m.dir, "synapse-configs/default/sequences/s.xml", "<s/>")
				return commit("synapse-configs/default/api/a.xml", "synapse-configs/default/sequences/s.xml")
			},
			local: map[string]string{"synapse-configs/default/api/b.xml": "<b-local/>"},
			want: map[string]string{
				"synapse-configs/default/api/a.xml":       "<a2/>",
				"synapse-configs/default/sequences/s.xml": "<s/>",
				"synapse-configs/default/api/b.xml":       "<b-local/>", // not this update's business
			},
			targeted: true,
		},
		{
			name: "a deletion, and a local edit of the changed file",
			manager: func() int64 {
				require.NoError(t, os.Remove(filepath.Join(m.dir, "synapse-configs/default/sequences/s.xml")))
				write(t, m.dir, "synapse-configs/default/api/a.xml", "<a3/>")
				return commit("synapse-configs/default/sequences/s.xml", "synapse-configs/default/api/a.xml")
			},
			local: map[string]string{"synapse-configs/default/api/a.xml": "<a-local/>"},
			want: map[string]string{
				"synapse-configs/default/api/a.xml":       "<a3/>",
				"synapse-configs/default/sequences/s.xml": "<gone>",
				"synapse-configs/default/api/b.xml":       "<b-local/>",
			},
			targeted: true,
		},
		{
			name: "the next whole update reverts the edit left alone",
			manager: func() int64 {
				w.SetWholeDue(time.Time{})
				write(t, m.dir, "synapse-configs/default/api/c.xml", "<c/>")
				return commit("synapse-configs/default/api/c.xml")
			},
			want: map[string]string{
				"synapse-configs/default/api/b.xml": "<b1/>",
				"synapse-configs/default/api/c.xml": "<c/>",
			},
			targeted: false,
		},
	} {
		t.Run(step.name, func(t *testing.T) {
			rev := step.manager()
			for rel, body := range step.local {
				write(t, dir, rel, body)
			}
			require.NoError(t, w.Sync(ctx, "notice", rev))
			targeted, relRoot := w.Targeted()
			assert.Equal(t, step.targeted, targeted, "targeted")
			assert.Equal(t, "/-1234", relRoot, "the folder's place, learnt when first needed")
			assert.Equal(t, rev, w.Rev())
			for rel, body := range step.want {
				assert.Equal(t, body, read(t, dir, rel), rel)
			}
			st, err := wd.svn.StatusWith(ctx, dir, svn.StatusOptions{})
			require.NoError(t, err)
			for _, e := range st {
				if _, edited := step.want[e.Path]; !edited || e.Item != "modified" {
					assert.Failf(t, "left changed", "%s is %s", e.Path, e.Item)
				}
			}
		})
	}
	// Every local edit overwritten has its copy.
	var copies []string
	require.NoError(t, filepath.Walk(filepath.Join(wd.cfg.StateDir, "overwritten"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && fi.Name() == ".objects" {
			return filepath.SkipDir // the content index of the copies
		}
		if err == nil && !fi.IsDir() {
			data, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			copies = append(copies, string(data))
		}
		return err
	}))
	assert.ElementsMatch(t, []string{"<a-local/>", "<b-local/>"}, copies)
}

// updateCounter counts the updates a worker asks svn for.
type updateCounter struct {
	SVN
	mu      sync.Mutex
	updates int
}

func (u *updateCounter) UpdateWith(ctx context.Context, dir string, opts svn.UpdateOptions, paths ...string) (*svn.UpdateResult, error) {
	u.mu.Lock()
	u.updates++
	u.mu.Unlock()
	return u.SVN.UpdateWith(ctx, dir, opts, paths...)
}

func (u *updateCounter) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.updates
}

// TestWorkerFreshCheckoutNeedsNoUpdate: a folder checked out into an empty
// directory is the repository's as it stands, with nothing local to
// protect: the worker is ready with it without a first update (one svn
// update per tenant less when a hundred start); into a directory that
// holds files, the first update still runs.
func TestWorkerFreshCheckoutNeedsNoUpdate(t *testing.T) {
	m, srv := realManager(t)
	write(t, m.dir, "carbonapps/a.txt", "a")
	require.Positive(t, m.commit())

	for _, tc := range []struct {
		name    string
		local   bool
		updates int
	}{
		{"empty directory", false, 0},
		{"directory with files", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, config.RoleWorker)
			c.SVN.URL = srv.URL
			if tc.local {
				write(t, c.Carbon.DeploymentDir, "local.xml", "<local/>")
			}
			client, err := svn.New(svn.Options{StateDir: c.StateDir})
			require.NoError(t, err)
			counter := &updateCounter{SVN: client}
			d, err := New(c, Deps{SVN: counter})
			require.NoError(t, err)
			w := newWorker(d.tenants.list[0])
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			require.Eventually(t, func() bool { return d.tenants.list[0].status().Ready }, 30*time.Second, 10*time.Millisecond)
			cancel()
			require.NoError(t, <-done)
			assert.Equal(t, "a", read(t, c.Carbon.DeploymentDir, "carbonapps/a.txt"))
			assert.Equal(t, tc.updates, counter.count(), "updates at start")
		})
	}
}

// TestWorkerNoticesDoNotPushTheRetryAway: while a worker backs off after a
// failed update, a notice still makes it try at once; that try failing
// (the outage goes on) leaves the backoff as it was. Otherwise the notices
// of an outage push the next retry further away than the outage lasts,
// and the worker stays behind long after it ended (seen in chaos: a full
// disk, then a minute to catch up).
func TestWorkerNoticesDoNotPushTheRetryAway(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	require.NoError(t, os.MkdirAll(filepath.Join(c.Carbon.DeploymentDir, ".svn"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, ".svn", "wc.db"), nil, 0o644))
	full := &svn.Error{Op: "update", Kind: nil, Message: "svn: E200030: sqlite[S13]: database or disk is full"}
	f := &fakeSVN{updateErr: []error{full, full, full, full, full, full}}
	d := newTestDaemon(t, c, f)
	w := newWorker(d.tenants.list[0])
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	updates := func() int { return countCalls(f, "update") }
	require.Eventually(t, func() bool { return updates() == 1 }, 10*time.Second, time.Millisecond, "the first update")
	for i := range 3 {
		d.notified(Notice{Revision: int64(10 + i)})
		require.Eventually(t, func() bool { return updates() == 2+i }, 10*time.Second, time.Millisecond, "a try on the notice")
	}
	cancel()
	require.NoError(t, <-done)
	// The first failure, and at most one retry on its timer: not one more
	// step of backoff per notice.
	assert.LessOrEqual(t, w.Failures(), 2, "each notice pushed the retry further away")
}

// TestTargetedUpdateOnAFullDiskSaysSo: a targeted update that runs out of
// space is not followed by a whole update, whose error (the working copy
// locked by the first) would hide the full disk the worker must report and
// heal from.
func TestTargetedUpdateOnAFullDiskSaysSo(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	full := &svn.Error{Op: "update", Message: "svn: E200030: sqlite[S13]: database or disk is full"}
	f := &fakeSVN{updateErr: []error{full}, log: []svn.LogEntry{{Revision: 3, Paths: []string{"/-1234/carbonapps/Big_1.0.0.car"}}}}
	d := newTestDaemon(t, c, f)
	w := newWorker(d.tenants.list[0])
	w.SetRev(2)
	w.SetWholeCost(time.Hour)
	w.SetWholeDue(time.Now().Add(time.Hour))
	w.SetRelRoot("/-1234")

	_, err := w.Update(context.Background(), 3)
	require.Error(t, err)
	assert.True(t, tenant.NoSpace(err), "the full disk is the error: %v", err)
	assert.Equal(t, 1, countCalls(f, "update"), "no whole update after it")
}
