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
)

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
	client, err := svn.New(svn.Options{StateDir: c.StateDir})
	require.NoError(t, err)
	d, err := New(c, withParts(t, c, Deps{SVN: client}))
	require.NoError(t, err)
	ts := d.tenants.list[0]
	return &repoManager{t: t, d: d, m: d.newManager(ts), dir: ts.Tenant().Dir}, srv
}

// commit has the manager commit everything its directory holds, and
// returns the revision it is at.
func (r *repoManager) commit() int64 {
	r.t.Helper()
	require.NoError(r.t, r.m.Once(context.Background()))
	return r.d.tenants.list[0].Status().Revision
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
			d, err := New(c, withParts(t, c, Deps{SVN: counter}))
			require.NoError(t, err)
			w := d.newWorker(d.tenants.list[0])
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			require.Eventually(t, func() bool { return d.tenants.list[0].Status().Ready }, 30*time.Second, 10*time.Millisecond)
			cancel()
			require.NoError(t, <-done)
			assert.Equal(t, "a", read(t, c.Carbon.DeploymentDir, "carbonapps/a.txt"))
			assert.Equal(t, tc.updates, counter.count(), "updates at start")
		})
	}
}
