package syncer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
)

const testToken = "secret-token-0123456789abcdef0123456789"

// repoFiles lists what the repository folder holds.
func repoFiles(t *testing.T, m *manager) string {
	t.Helper()
	out, err := osexec.Command("svn", "ls", "-R", m.t.URL).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

// gauge reads a metric without labels from the daemon's registry.
func gauge(t *testing.T, d *Daemon, name string) float64 {
	t.Helper()
	mfs, err := d.Registry().Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// commitAll runs passes until nothing is left to commit.
func commitAll(t *testing.T, m *manager) syncResult {
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

func holdsOf(m *manager) []guard.Hold { return m.d.deletions.Holds() }

func TestManagerHoldsMassDeletions(t *testing.T) {
	m, _ := realManager(t)
	dir := m.t.Dir
	apps := filepath.Join(dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for _, n := range []string{"One", "Two", "Three"} {
		testcapp.Write(t, apps, n+"_1.0.0.car", n, "1.0.0")
	}
	api := filepath.Join(dir, "synapse-configs", "default", "api")
	require.NoError(t, os.MkdirAll(api, 0o755))
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		require.NoError(t, os.WriteFile(filepath.Join(api, n+".xml"), []byte("<api name=\""+n+"\"/>"), 0o644))
	}
	require.Positive(t, commitAll(t, m).rev)

	// carbonapps moved away: the deletion is held, another change goes.
	aside := filepath.Join(t.TempDir(), "aside")
	require.NoError(t, os.Rename(apps, aside))
	require.NoError(t, os.WriteFile(filepath.Join(api, "g.xml"), []byte("<api/>"), 0o644))
	res := commitAll(t, m)
	assert.Equal(t, []string{"+synapse-configs/default/api/g.xml"}, res.summary, "everything else is committed")
	assert.Contains(t, repoFiles(t, m), "carbonapps/One_1.0.0.car")
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, "tenant -1234", holds[0].Scope)
	assert.Equal(t, guard.ReasonDirGone, holds[0].Reason)
	assert.Equal(t, 3, holds[0].Count)
	assert.Contains(t, holds[0].Paths, "carbonapps/Two_1.0.0.car")
	assert.Equal(t, 3.0, gauge(t, m.d, "depsync_deletions_held"))
	ready, why := m.d.Ready()
	assert.False(t, ready)
	assert.Contains(t, why, "depsync approve")
	assert.True(t, m.holding())

	// A file deleted by hand meanwhile is not held with the folder.
	require.NoError(t, os.Remove(filepath.Join(api, "g.xml")))
	res = commitAll(t, m)
	assert.Equal(t, []string{"-synapse-configs/default/api/g.xml"}, res.summary)
	holds = holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, 3, holds[0].Count, "still the three C-Apps")

	// Back again: the hold clears by itself, nothing deleted.
	require.NoError(t, os.Rename(aside, apps))
	res = commitAll(t, m)
	assert.Zero(t, res.rev)
	assert.Empty(t, holdsOf(m))

	// One C-App deleted by hand goes at once.
	require.NoError(t, os.Remove(filepath.Join(apps, "One_1.0.0.car")))
	res = commitAll(t, m)
	assert.Equal(t, []string{"-carbonapps/One_1.0.0.car"}, res.summary)
	assert.Empty(t, holdsOf(m))

	// Two files of eight deleted go; four of six are held (50%).
	for _, n := range []string{"a", "b"} {
		require.NoError(t, os.Remove(filepath.Join(api, n+".xml")))
	}
	assert.Len(t, commitAll(t, m).summary, 2)
	for _, n := range []string{"c", "d", "e", "f"} {
		require.NoError(t, os.Remove(filepath.Join(api, n+".xml")))
	}
	assert.Zero(t, commitAll(t, m).rev)
	holds = holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonLimit, holds[0].Reason)
	assert.Equal(t, 4, holds[0].Count)

	// Approved: the next pass lets them through, once.
	require.Len(t, m.d.deletions.Approve(), 1)
	res = commitAll(t, m)
	assert.Len(t, res.summary, 4)
	assert.Empty(t, holdsOf(m))
	assert.NotContains(t, repoFiles(t, m), "api/c.xml")

	// The last two C-Apps deleted: carbonapps would be empty; held even
	// below the limit.
	for _, n := range []string{"Two", "Three"} {
		require.NoError(t, os.Remove(filepath.Join(apps, n+"_1.0.0.car")))
	}
	assert.Zero(t, commitAll(t, m).rev)
	holds = holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonEmptied, holds[0].Reason)
	assert.Contains(t, repoFiles(t, m), "carbonapps/Two_1.0.0.car")
}

func TestManagerWaitsForAMissingDeploymentDirectory(t *testing.T) {
	m, _ := realManager(t)
	dir := m.t.Dir
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.xml"), []byte("<a/>"), 0o644))
	require.Positive(t, commitAll(t, m).rev)

	aside := dir + ".aside"
	require.NoError(t, os.Rename(dir, aside))
	m.full = true
	next := m.pass(context.Background())
	assert.False(t, next.IsZero(), "retried with backoff")
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "never created anew")
	assert.Contains(t, repoFiles(t, m), "a.xml")
	ready, why := m.d.Ready()
	assert.False(t, ready)
	assert.Contains(t, why, "missing")

	// A manager starting without it waits too.
	m2 := newManager(m.tenantSync)
	err = m2.prepare(context.Background())
	require.Error(t, err)
	assert.False(t, IsConfigError(err), "retried, not fatal")
	_, statErr := os.Stat(dir)
	assert.ErrorIs(t, statErr, os.ErrNotExist)

	require.NoError(t, os.Rename(aside, dir))
	m.notBefore = time.Time{}
	m.full = true
	m.pass(context.Background())
	ready, why = m.d.Ready()
	assert.True(t, ready, why)
}

func TestApproveEndpoint(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	c.Token = testToken
	d := newTestDaemon(t, c, &fakeSVN{})
	h := d.Handler()
	post := func(auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/approve", nil)
		req.RemoteAddr = "127.0.0.1:1234"
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	assert.Equal(t, http.StatusUnauthorized, post("").Code, "no token, even from loopback")
	rec := post(testToken)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"approved":[]}`, rec.Body.String())

	d.Guard().Check(guard.Pass{Scope: "tenant -1234", Deleted: []string{"carbonapps/A_1.0.0.car"}, Total: 1,
		Reason: guard.ReasonEmptied})
	st := d.Status()
	require.Len(t, st.HeldDeletions, 1)
	assert.False(t, st.Ready)
	assert.Contains(t, st.Reason, "held")
	rec = post(testToken)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"scope": "tenant -1234"`)
	assert.Contains(t, rec.Body.String(), `"reason": "carbonapps_emptied"`)
	assert.Len(t, d.tenants.list[0].wake, 1, "the manager looks again at once")
}

func TestGuardFromDepsIsShared(t *testing.T) {
	g := guard.New(guard.Options{})
	d, err := New(testConfig(t, config.RoleManager), Deps{SVN: &fakeSVN{}, Guard: g})
	require.NoError(t, err)
	assert.Same(t, g, d.Guard())
	d2 := newTestDaemon(t, testConfig(t, config.RoleManager), &fakeSVN{})
	require.NotNil(t, d2.Guard())
	mfs, err := d2.Registry().Gather()
	require.NoError(t, err)
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	assert.Contains(t, strings.Join(names, " "), "depsync_deletions_held")
}

// A manager that restarts has held nothing yet: its carbonapps may have
// been moved away while it was down. Until it has looked at its whole
// tree, /v1/status says its holds are not known, and a worker asking
// then keeps what only it holds (TestWorkerKeepsStraysUnlessTheManagerLacksThem).
func TestManagerSaysWhenItsHoldsAreKnown(t *testing.T) {
	m, _ := realManager(t)
	known := func() bool {
		t.Helper()
		st := m.d.Status()
		require.NotNil(t, st.HoldsKnown, "a manager says")
		return *st.HoldsKnown
	}
	assert.False(t, known(), "not looked yet")
	assert.Equal(t, -1, m.d.heldForNotices(), "notices say so too")
	m.pending["a.xml"] = struct{}{}
	m.pass(context.Background())
	assert.False(t, known(), "a look at some paths says nothing of the others")
	m.full = true
	m.pass(context.Background())
	assert.True(t, known(), "looked at the whole tree")
	assert.Equal(t, 0, m.d.heldForNotices())
	st, ok := m.d.StatusOf(m.t.ID)
	require.True(t, ok)
	require.NotNil(t, st.HoldsKnown)
	assert.True(t, *st.HoldsKnown, "and says so of the tenant asked about")

	// A look whose commit fails still looked: its deletions went to the
	// guard (a commit refused by a hook must not keep every worker's
	// strays forever).
	c := testConfig(t, config.RoleManager)
	f := &fakeSVN{commitErr: errors.New("svn: E165001: Commit blocked by pre-commit hook"),
		status: []svn.StatusEntry{{Path: "a.xml", Item: "unversioned", Kind: "file"}}}
	d := newTestDaemon(t, c, f)
	refused := newManager(d.tenants.list[0])
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "a.xml"), []byte("<a/>"), 0o644))
	quiet(refused)
	refused.full = true
	refused.pass(context.Background())
	assert.Contains(t, f.Calls(), "commit", "the commit was tried")
	require.NotNil(t, d.Status().HoldsKnown)
	assert.True(t, *d.Status().HoldsKnown)

	wd, err := New(testConfig(t, config.RoleWorker), Deps{SVN: &fakeSVN{}})
	require.NoError(t, err)
	assert.Nil(t, wd.Status().HoldsKnown, "a worker holds nothing")
}
