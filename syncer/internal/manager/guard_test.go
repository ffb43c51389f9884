package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	require.Len(t, guardOf(m).Approve(), 1)
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
	next := m.pass(context.Background(), work{full: true}).next
	assert.False(t, next.IsZero(), "retried with backoff")
	_, err := os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "never created anew")
	assert.Contains(t, repoFiles(t, m), "a.xml")
	assert.Contains(t, stateOf(m).snapshot().waiting, "missing", "readyz says what the tenant waits for")

	// A manager starting without it waits too.
	m2 := New(m.env)
	err = m2.prepare(context.Background())
	require.Error(t, err)
	var ce *tenant.ConfigError
	assert.False(t, errors.As(err, &ce), "retried, not fatal")
	_, statErr := os.Stat(dir)
	assert.ErrorIs(t, statErr, os.ErrNotExist)

	require.NoError(t, os.Rename(aside, dir))
	m.pass(context.Background(), work{full: true})
	st := stateOf(m).snapshot()
	assert.Empty(t, st.waiting)
	assert.Empty(t, st.lastError)
	assert.True(t, st.ready)
}

// A manager that restarts has held nothing yet: its carbonapps may have
// been moved away while it was down. Until it has looked at its whole
// tree, /v1/status says its holds are not known, and a worker asking
// then keeps what only it holds (TestWorkerKeepsStraysUnlessTheManagerLacksThem).
func TestManagerSaysWhenItsHoldsAreKnown(t *testing.T) {
	m, _ := realManager(t)
	known := stateOf(m).looked.Load
	assert.False(t, known(), "not looked yet")
	m.pass(context.Background(), work{paths: map[string]struct{}{"a.xml": {}}})
	assert.False(t, known(), "a look at some paths says nothing of the others")
	m.pass(context.Background(), work{full: true})
	assert.True(t, known(), "looked at the whole tree")

	// A look whose commit fails still looked: its deletions went to the
	// guard (a commit refused by a hook must not keep every worker's
	// strays forever).
	c := testConfig(t, config.RoleManager)
	f := &fakeSVN{commitErr: errors.New("svn: E165001: Commit blocked by pre-commit hook"),
		status: []svn.StatusEntry{{Path: "a.xml", Item: "unversioned", Kind: "file"}}}
	refused := testManager(t, c, f)
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "a.xml"), []byte("<a/>"), 0o644))
	quiet(refused)
	refused.pass(context.Background(), work{full: true})
	assert.Contains(t, f.Calls(), "commit", "the commit was tried")
	assert.True(t, stateOf(refused).looked.Load())
}

// Carbon deploys only names ending in ".car" in lower case (see
// carbonapp.IsCApp): an App.CAR left in carbonapps does not keep it from
// being emptied, so deleting the last real C-Apps is held.
func TestManagerEmptiedGuardIgnoresUpperCaseCAR(t *testing.T) {
	m, _ := realManager(t)
	apps := filepath.Join(m.t.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	for _, n := range []string{"One", "Two"} {
		testcapp.Write(t, apps, n+"_1.0.0.car", n, "1.0.0")
	}
	testcapp.Write(t, apps, "Old_1.0.0.CAR", "Old", "1.0.0")
	api := filepath.Join(m.t.Dir, "synapse-configs", "default", "api")
	require.NoError(t, os.MkdirAll(api, 0o755))
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		require.NoError(t, os.WriteFile(filepath.Join(api, n+".xml"), []byte("<api name=\""+n+"\"/>"), 0o644))
	}
	require.Positive(t, commitAll(t, m).rev)
	require.Contains(t, repoFiles(t, m), "carbonapps/Old_1.0.0.CAR")

	for _, n := range []string{"One", "Two"} {
		require.NoError(t, os.Remove(filepath.Join(apps, n+"_1.0.0.car")))
	}
	assert.Zero(t, commitAll(t, m).rev, "the last C-Apps Carbon deploys are not deleted without approval")
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonEmptied, holds[0].Reason)
	assert.Equal(t, 2, holds[0].Count)
}

// TestManagerApprovalIsNoBlankCheque: SVN mode, the repro. 4 of 6
// C-Apps held, approved, the last 2 removed before the next pass: the
// approval covered 4, so nothing is committed and the 6 are held anew.
// Approved again, the 6 go.
func TestManagerApprovalIsNoBlankCheque(t *testing.T) {
	m, _ := realManager(t)
	apps := filepath.Join(m.t.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	var names []string
	for i := 1; i <= 6; i++ {
		names = append(names, fmt.Sprintf("App%d_1.0.0.car", i))
		testcapp.Write(t, apps, names[i-1], fmt.Sprintf("App%d", i), "1.0.0")
	}
	require.Positive(t, commitAll(t, m).rev)
	remove := func(names ...string) {
		for _, n := range names {
			require.NoError(t, os.Remove(filepath.Join(apps, n)))
		}
	}
	remove(names[:4]...)
	assert.Zero(t, commitAll(t, m).rev)
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	require.Equal(t, 4, holds[0].Count)

	require.Len(t, guardOf(m).Approve(), 1)
	remove(names[4:]...)
	assert.Zero(t, commitAll(t, m).rev, "an approval of 4 deletions let 6 through")
	holds = holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, 6, holds[0].Count)
	assert.Equal(t, guard.ReasonEmptied, holds[0].Reason)
	assert.Empty(t, guardOf(m).Pending(), "the approval is dropped")
	assert.Equal(t, 6, strings.Count(repoFiles(t, m), ".car"), "nothing deleted in the repository")

	require.Len(t, guardOf(m).Approve(), 1)
	assert.Len(t, commitAll(t, m).summary, 6)
	assert.Empty(t, holdsOf(m))
	assert.NotContains(t, repoFiles(t, m), ".car")
}

// deletions lists the deletions of a pass's summary.
func deletions(res syncResult) []string {
	var out []string
	for _, s := range res.summary {
		if strings.HasPrefix(s, "-") {
			out = append(out, s)
		}
	}
	return out
}

// TestManagerJudgesAFolderEmptiedInSlicesWhole: on the manager's clock,
// a folder emptied a slice per look has none of its deletions committed
// while new ones keep coming, nor until the folder has been quiet for
// sync.delete_settle; other changes go meanwhile. Then the deletions are
// judged together: over the limit, all held; the folder gone, held at once
// as directory_gone. A single deletion elsewhere goes once its window is
// over.
func TestManagerJudgesAFolderEmptiedInSlicesWhole(t *testing.T) {
	m, _ := realManager(t)
	dir := m.t.Dir
	many := filepath.Join(dir, "many")
	var files []string
	for i := range 60 {
		p := filepath.Join(many, fmt.Sprintf("d%d", i/20), fmt.Sprintf("f%02d.xml", i))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("<f/>"), 0o644))
		files = append(files, p)
	}
	api := filepath.Join(dir, "api")
	require.NoError(t, os.MkdirAll(api, 0o755))
	for _, n := range []string{"a", "b"} {
		require.NoError(t, os.WriteFile(filepath.Join(api, n+".xml"), []byte("<api/>"), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "App_1.0.0.car", "App", "1.0.0")
	require.Positive(t, commitAll(t, m).rev)

	const window = 2 * time.Second
	m.del.settleWindow = window
	clock := time.Now()
	m.gate.Now = func() time.Time { return clock }
	look := func() syncResult {
		t.Helper()
		res, err := m.sync(context.Background(), nil, true)
		require.NoError(t, err)
		return res
	}
	remove := func(ps []string) {
		for _, p := range ps {
			require.NoError(t, os.Remove(p))
		}
	}

	// A single deletion waits its window, then goes.
	require.NoError(t, os.Remove(filepath.Join(api, "b.xml")))
	res := look()
	assert.Empty(t, deletions(res), "judged once quiet, not at first sight")
	assert.True(t, res.lookWhole)
	assert.Equal(t, clock.Add(window), res.nextLook)
	clock = clock.Add(window)
	res = look()
	assert.Equal(t, []string{"-api/b.xml"}, deletions(res))
	assert.Empty(t, holdsOf(m))

	// Slices of the folder, a look after each: nothing of it goes; a
	// file written meanwhile does.
	for i, n := range []int{10, 10, 15} {
		remove(files[:n])
		files = files[n:]
		if i == 1 {
			p := filepath.Join(api, "new.xml")
			require.NoError(t, os.WriteFile(p, []byte("<api/>"), 0o644))
			stamp(t, p, clock.Add(-time.Minute))
		}
		clock = clock.Add(time.Second)
		res = look()
		assert.Empty(t, deletions(res), "slice %d: no deletion while the folder is being emptied", i)
		assert.Equal(t, clock.Add(window), res.nextLook, "slice %d: looked at again once the folder has been quiet", i)
		assert.Empty(t, holdsOf(m))
		assert.False(t, stateOf(m).looked.Load(), "slice %d: what the manager holds is not known while deletions wait", i)
		if i == 1 {
			assert.Contains(t, res.summary, "+api/new.xml", "other changes go on")
		}
	}
	// Quiet, but not for long enough: still waits.
	clock = clock.Add(window - time.Millisecond)
	res = look()
	assert.Empty(t, deletions(res))
	assert.Empty(t, holdsOf(m))
	// Quiet for the window: 35 of 63 files, judged as one, over the limit.
	clock = clock.Add(time.Millisecond)
	res = look()
	assert.Empty(t, deletions(res))
	holds := holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonLimit, holds[0].Reason)
	assert.Equal(t, 35, holds[0].Count)
	assert.True(t, stateOf(m).looked.Load())

	// The rest of the folder, and the folder itself: gone whole, it can
	// lose no more, and is held at once.
	require.NoError(t, os.RemoveAll(many))
	clock = clock.Add(100 * time.Millisecond)
	res = look()
	assert.Empty(t, deletions(res))
	assert.False(t, res.lookWhole, "judged at once")
	holds = holdsOf(m)
	require.Len(t, holds, 1)
	assert.Equal(t, guard.ReasonDirGone, holds[0].Reason)
	assert.Equal(t, 60, holds[0].Count)
	kept := 0
	for _, l := range strings.Split(repoFiles(t, m), "\n") {
		if strings.HasPrefix(l, "many/") && strings.HasSuffix(l, ".xml") {
			kept++
		}
	}
	assert.Equal(t, 60, kept, "every file of the folder is still in the repository")

	// Deletions that keep coming for a minute: one WARN says so.
	var logs logBuffer
	m.log = slog.New(slog.NewTextHandler(&logs, nil))
	for _, p := range []string{filepath.Join(api, "a.xml"), filepath.Join(api, "new.xml"),
		filepath.Join(dir, "carbonapps", "App_1.0.0.car")} {
		require.NoError(t, os.Remove(p))
		res = look()
		assert.Empty(t, deletions(res))
		assert.True(t, res.lookWhole)
		clock = clock.Add(40 * time.Second)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "deletions keep coming"), logs.String())
}
