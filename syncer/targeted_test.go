package syncer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
)

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
	quiet(m)
	write(t, m.t.Dir, "carbonapps/a.txt", "a")
	_, err := m.sync(context.Background(), map[string]struct{}{"carbonapps/a.txt": {}}, false)
	require.NoError(t, err)

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

// TestCatchUpLeavesAMissingFolderMissing: the manager's catch-up update
// restores what is missing in its working copy; a folder the person moved
// away (a held deletion) must be gone again right after, not left behind
// empty, where it would read as "every C-App deleted" and stand in the
// way of the person moving the folder back.
func TestCatchUpLeavesAMissingFolderMissing(t *testing.T) {
	m, srv := realManager(t)
	quiet(m)
	ctx := context.Background()
	require.NoError(t, os.MkdirAll(filepath.Join(m.t.Dir, "carbonapps"), 0o755))
	for _, name := range []string{"A", "B"} {
		testcapp.Write(t, filepath.Join(m.t.Dir, "carbonapps"), name+"_1.0.0.car", name, "1.0.0")
	}
	write(t, m.t.Dir, "synapse-configs/default/api/a.xml", "<a/>")
	_, err := m.sync(ctx, nil, true)
	require.NoError(t, err)

	// Someone else commits (the manager's next commit would be out of
	// date), and the manager's carbonapps is moved away.
	other := t.TempDir()
	srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", other)
	write(t, other, "synapse-configs/default/api/b.xml", "<b/>")
	srv.SVN(t, "add", "-q", filepath.Join(other, "synapse-configs/default/api/b.xml"))
	srv.SVN(t, "commit", "-q", "-m", "elsewhere", other)
	// One C-App scheduled for addition, its commit not made (as when the
	// server went away mid-pass).
	testcapp.Write(t, filepath.Join(m.t.Dir, "carbonapps"), "C_1.0.0.car", "C", "1.0.0")
	srv.SVN(t, "add", "-q", filepath.Join(m.t.Dir, "carbonapps/C_1.0.0.car"))
	apps := filepath.Join(m.t.Dir, "carbonapps")
	aside := filepath.Join(t.TempDir(), "carbonapps")
	require.NoError(t, os.Rename(apps, aside))

	_, err = m.catchUp(ctx)
	require.NoError(t, err)
	_, err = os.Stat(apps)
	assert.ErrorIs(t, err, os.ErrNotExist, "carbonapps made again by the catch-up")
	assert.Equal(t, "<b/>", read(t, m.t.Dir, "synapse-configs/default/api/b.xml"), "the catch-up brought the other commit")
	require.NoError(t, os.Rename(aside, apps), "the person moves the folder back")
}

func TestDisagrees(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"out of date", &svn.Error{Codes: []string{"E155011"}, Kind: svn.ErrOutOfDate}, true},
		{"gone from the repository", &svn.Error{Codes: []string{"E160013"}, Kind: svn.ErrNotFound}, true},
		{"a file deleted between the look and the commit", &svn.Error{Codes: []string{"E155010"}, Kind: svn.ErrNotFound}, false},
		{"unreachable", &svn.Error{Codes: []string{"E170013"}, Kind: svn.ErrUnreachable}, false},
	} {
		assert.Equal(t, tc.want, disagrees(fmt.Errorf("commit: %w", tc.err)), tc.name)
	}
}

// TestDeletedFileWrittenAgainDuringTheCommitIsLookedAtAgain: a file
// deleted at the look and written again while its deletion is committed
// (svn deletes with --keep-local, so the new one stays) is unversioned
// after the commit; the manager looks at it again at once rather than at
// the next full reconcile, and commits it.
func TestDeletedFileWrittenAgainDuringTheCommitIsLookedAtAgain(t *testing.T) {
	srv := svntest.New(t, svntest.File)
	c := testConfig(t, config.RoleManager)
	c.SVN.URL = srv.URL
	client, err := svn.New(svn.Options{StateDir: c.StateDir})
	require.NoError(t, err)
	rel := "synapse-configs/default/sequences/s.xml"
	ts := &timedSVN{SVN: client, started: make(chan []string, 1)}
	d, err := New(c, Deps{SVN: ts})
	require.NoError(t, err)
	m := judgeAtOnce(newManager(d.tenants.list[0]))
	ctx := context.Background()
	require.NoError(t, m.prepare(ctx))
	quiet(m)
	write(t, m.t.Dir, rel, "<sequence name=\"s\"/>")
	_, err = m.sync(ctx, map[string]struct{}{rel: {}}, false)
	require.NoError(t, err)

	require.NoError(t, os.Remove(filepath.Join(m.t.Dir, rel)))
	ts.during = func([]string) { write(t, m.t.Dir, rel, "<sequence name=\"s2\"/>") }
	res, err := m.sync(ctx, map[string]struct{}{rel: {}}, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"-" + rel}, res.summary)
	assert.Contains(t, res.waiting, rel, "the file written again is looked at again at once")

	ts.during = nil
	quiet(m)
	res, err = m.sync(ctx, map[string]struct{}{rel: {}}, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"+" + rel}, res.summary)
	assert.Equal(t, "<sequence name=\"s2\"/>", srv.SVN(t, "cat", srv.URL+"/-1234/"+rel))
}
