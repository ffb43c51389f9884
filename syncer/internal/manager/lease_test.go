package manager

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// duringCommit runs a check while the fake svn commits.
type duringCommit struct {
	*fakeSVN
	check func()
}

func (d *duringCommit) CommitWith(ctx context.Context, dir, message string, opts svn.CommitOptions, paths ...string) (int64, error) {
	d.check()
	return d.fakeSVN.CommitWith(ctx, dir, message, opts, paths...)
}

// openForWrite is what a writer copying a C-App in place does; O_NONBLOCK
// makes an open that would wait for a lease fail at once (EWOULDBLOCK)
// instead, so the test needs no timing.
func openForWrite(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
}

func TestCommitHoldsWritersOffTheCAppsItReads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("file leases are Linux's")
	}
	c := testConfig(t, config.RoleManager)
	apps := filepath.Join(c.Carbon.DeploymentDir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "A_1.0.0.car", "A", "1.0.0")
	car := filepath.Join(apps, "A_1.0.0.car")

	var during error
	f := &fakeSVN{commitRev: 3, status: []svn.StatusEntry{{Path: "carbonapps/A_1.0.0.car", Item: "unversioned", Kind: "file"}}}
	fake := &duringCommit{fakeSVN: f, check: func() {
		w, err := openForWrite(car)
		if err == nil {
			w.Close()
		}
		during = err
	}}
	m := testManager(t, c, fake)
	settle(m)

	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	require.Equal(t, int64(3), res.rev, "committed")
	require.Error(t, during, "a writer could open the C-App while svn read it")
	assert.True(t, errors.Is(during, syscall.EWOULDBLOCK), "the writer waits for the lease: %v", during)

	w, err := openForWrite(car)
	require.NoError(t, err, "after the commit the writer goes on")
	require.NoError(t, w.Close())
}

func TestCAppOpenForWritingIsNotCommitted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("file leases are Linux's")
	}
	c := testConfig(t, config.RoleManager)
	apps := filepath.Join(c.Carbon.DeploymentDir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "A_1.0.0.car", "A", "1.0.0")
	car := filepath.Join(apps, "A_1.0.0.car")
	f := &fakeSVN{commitRev: 3, status: []svn.StatusEntry{{Path: "carbonapps/A_1.0.0.car", Item: "unversioned", Kind: "file"}}}
	m := testManager(t, c, f)
	settle(m)

	// A writer that has the whole, valid C-App open, not yet closed (a copy
	// that will go on, a tool that rewrites in place).
	w, err := os.OpenFile(car, os.O_WRONLY, 0)
	require.NoError(t, err)
	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Zero(t, res.rev, "nothing committed while the C-App is open for writing")
	assert.Empty(t, f.committed)
	assert.Equal(t, []string{"carbonapps/A_1.0.0.car"}, res.waiting)

	require.NoError(t, w.Close())
	res, err = m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.rev, "closed: committed")
	assert.Equal(t, [][]string{{"carbonapps/A_1.0.0.car"}}, f.committed)
}

// settle lets the quiet time pass so the gate takes the C-App as stable.
func settle(m *Manager) { time.Sleep(2 * m.times.debounce) }
