package syncer

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
)

// TestManagerReportsReachTheDaemon: what the manager reports through its
// Env (package manager tests what it reports) is what the daemon's mode,
// /readyz, /v1/status, notices and metrics show.
func TestManagerReportsReachTheDaemon(t *testing.T) {
	d := newTestDaemon(t, testConfig(t, config.RoleManager), &fakeSVN{})
	ts := d.tenants.list[0]
	side := ts // what newManager lends the manager as its State

	// Unreachable failures: direct mode from svn.fail_threshold on.
	side.Failed(unreachable())
	assert.Equal(t, ModeSVN, d.Mode())
	side.Failed(unreachable())
	assert.Equal(t, ModeDirect, d.Mode(), "fail_threshold unreachable failures switch to direct mode")
	side.Succeeded(3, true)
	assert.Equal(t, ModeSVN, d.Mode())
	assert.Equal(t, int64(3), ts.Status().Revision)

	// A full disk, then a missing directory: /readyz says so.
	side.Failed(&svn.Error{Op: "commit", Message: "svn: E200030: sqlite[S13]: database or disk is full"})
	st := d.Status()
	assert.False(t, st.Ready)
	assert.Contains(t, st.Reason, "no space left on device")
	side.Succeeded(0, true)
	side.Waiting(fmt.Errorf("%w: gone", errors.New("deployment directory missing")))
	ready, why := d.Ready()
	assert.False(t, ready)
	assert.Contains(t, why, "missing")
	side.Waiting(nil)
	ready, why = d.Ready()
	assert.True(t, ready, why)

	// Held deletions are known once the tenant was looked at whole.
	require.NotNil(t, d.Status().HoldsKnown)
	assert.False(t, *d.Status().HoldsKnown)
	assert.Equal(t, -1, d.heldForNotices(), "notices say so too")
	side.Looked(true)
	assert.True(t, *d.Status().HoldsKnown)
	assert.Equal(t, 0, d.heldForNotices())
	st2, ok := d.StatusOf(ts.ID())
	require.True(t, ok)
	require.NotNil(t, st2.HoldsKnown)
	assert.True(t, *st2.HoldsKnown, "and says so of the tenant asked about")
	wd := newTestDaemon(t, testConfig(t, config.RoleWorker), &fakeSVN{})
	assert.Nil(t, wd.Status().HoldsKnown, "a worker holds nothing")

	// What the guard holds keeps /readyz failing and shows in the
	// metrics.
	require.False(t, d.deletions.Check(guard.Pass{Scope: "tenant -1234", Deleted: []string{"a", "b", "c"}, Total: 3,
		Reason: guard.ReasonDirGone}))
	ready, why = d.Ready()
	assert.False(t, ready)
	assert.Contains(t, why, "depsync approve")
	assert.Equal(t, 3.0, gauge(t, d, "depsync_deletions_held"))

	// Rejections show in /v1/status.
	r := &api.Rejection{Path: "carbonapps/Bad_1.0.0.car", Reason: "not_zip"}
	side.Rejected(r.Path, nil, r)
	require.Len(t, ts.Rejections(), 1)
	assert.Equal(t, side.Rejections(), ts.Rejections())
	side.Rejected(r.Path, r, nil)
	assert.Empty(t, ts.Rejections())
}
