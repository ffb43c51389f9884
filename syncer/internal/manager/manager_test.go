package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestManagerCommitsOnlyWhatIsReady(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	dir := c.Carbon.DeploymentDir
	f := &fakeSVN{commitRev: 7}
	m := judgeAtOnce(testManager(t, c, f))

	write := func(rel, body string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("synapse-configs/default/api/old.xml", "<api/>")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "Good_1.0.0.car", "Good", "1.0.0")
	write("carbonapps/Bad_1.0.0.car", "not a zip")
	write("new dir/deep/f.xml", "<f/>")
	write("new dir/skip.tmp", "ignored")
	now := quiet(m)
	write("synapse-configs/default/api/fresh.xml", "<api><resource")
	stamp(t, filepath.Join(dir, "synapse-configs", "default", "api", "fresh.xml"), now) // still being written: cut short
	f.status = []svn.StatusEntry{
		{Path: "synapse-configs/default/api/old.xml", Item: "modified", Kind: "file"},
		{Path: "synapse-configs/default/api/fresh.xml", Item: "unversioned", Kind: "file"},
		{Path: "carbonapps/Good_1.0.0.car", Item: "unversioned", Kind: "file"},
		{Path: "carbonapps/Bad_1.0.0.car", Item: "unversioned", Kind: "file"},
		{Path: "new dir", Item: "unversioned", Kind: "dir"},
		{Path: "Gone_1.0.0.car", Item: "missing", Kind: "file"},
		{Path: "synapse-configs/gone-dir", Item: "missing", Kind: "dir"},
		{Path: "synapse-configs/gone-dir/x.xml", Item: "missing", Kind: "file"},
		{Path: "editor.swp", Item: "unversioned", Kind: "file"},
	}

	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Equal(t, int64(7), res.rev)
	require.Len(t, f.committed, 1)
	assert.Equal(t, []string{"Gone_1.0.0.car", "carbonapps/Good_1.0.0.car", "new dir/deep/f.xml",
		"synapse-configs/default/api/old.xml", "synapse-configs/gone-dir"}, f.committed[0])
	assert.Equal(t, "depsync node1: -Gone_1.0.0.car +carbonapps/Good_1.0.0.car +new dir/deep/f.xml "+
		"~synapse-configs/default/api/old.xml -synapse-configs/gone-dir", f.messages[0])
	assert.Equal(t, []string{"synapse-configs/default/api/fresh.xml"}, res.waiting)
	assert.False(t, res.nextLook.IsZero())
	rej := stateOf(m).Rejections()
	require.Len(t, rej, 1)
	assert.Equal(t, "carbonapps/Bad_1.0.0.car", rej[0].Path)
	assert.Equal(t, "not_zip", rej[0].Reason)

	// Looked at again unchanged, the invalid C-App is not parsed or
	// logged again; once fixed, it is committed.
	f.status = []svn.StatusEntry{{Path: "carbonapps/Bad_1.0.0.car", Item: "unversioned", Kind: "file"}}
	res, err = m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Zero(t, res.rev)
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "Bad_1.0.0.car", "Bad", "1.0.0")
	quiet(m)
	_, err = m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"carbonapps/Bad_1.0.0.car"}, f.committed[len(f.committed)-1])
	assert.Empty(t, stateOf(m).Rejections())
}

func TestManagerFailureKeepsChangesAndBacksOff(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	f := &fakeSVN{commitErr: unreachable()}
	m := testManager(t, c, f)
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "a.xml"), []byte("<a/>"), 0o644))
	quiet(m)
	f.status = []svn.StatusEntry{{Path: "a.xml", Item: "unversioned", Kind: "file"}}

	before := time.Now()
	end := m.pass(context.Background(), work{paths: map[string]struct{}{"a.xml": {}}})
	assert.True(t, end.next.After(before.Add(tenant.BackoffMin/2)), "a failure backs off")
	assert.Contains(t, end.again.paths, "a.xml", "nothing is forgotten after a failure")
	st := stateOf(m).snapshot()
	assert.Contains(t, st.lastError, "Unable to connect")
	assert.Equal(t, 1, st.failures)

	// Each unreachable failure is reported as such: the daemon counts
	// them for its mode (svn.fail_threshold).
	end = m.pass(context.Background(), end.again)
	st = stateOf(m).snapshot()
	require.Len(t, st.failed, 2)
	for _, err := range st.failed {
		assert.ErrorIs(t, err, svn.ErrUnreachable)
	}
	assert.Greater(t, m.fails.Count(), 1)

	// The server is back: the hub's word ends the backoff, the change
	// goes in.
	require.True(t, end.backoff.until.After(time.Now()), "backing off")
	assert.Equal(t, end.next, end.backoff.until)
	f.commitErr, f.commitRev = nil, 3
	held, ended := end.backoff.answered()
	assert.True(t, ended)
	assert.Zero(t, held, "the server answered: no more waiting for it")
	end = m.pass(context.Background(), end.again)
	assert.True(t, end.again.empty())
	assert.Equal(t, int64(3), stateOf(m).snapshot().revision)
	assert.Equal(t, [][]string{{"a.xml"}}, f.committed)
}

// The manager lets a commit delete only the deletions its look found (and
// the guard let through): a file modified at the look and gone by the
// commit is not svn's to delete (with CommitOptions.Deletable, svn leaves
// it for the next look, where the guard sees it).
func TestManagerCommitMayDeleteOnlyItsDeletions(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	f := &fakeSVN{commitRev: 2}
	m := judgeAtOnce(testManager(t, c, f))
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "a.xml"), []byte("<a/>"), 0o644))
	quiet(m)
	f.status = []svn.StatusEntry{
		{Path: "a.xml", Item: "modified", Kind: "file"},
		{Path: "b.xml", Item: "missing", Kind: "file"},
	}
	_, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"a.xml", "b.xml"}}, f.committed)
	assert.Equal(t, [][]string{{"b.xml"}}, f.deletable)
}

// A failure that is not the server's (here a hook refusing the commit)
// keeps its backoff when the server answers.
func TestManagerBackoffOfARefusedCommitOutlivesTheServerAnswering(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	f := &fakeSVN{commitErr: &svn.Error{Op: "commit", Message: "svn: E165001: Commit blocked by pre-commit hook"}}
	m := testManager(t, c, f)
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "a.xml"), []byte("<a/>"), 0o644))
	quiet(m)
	f.status = []svn.StatusEntry{{Path: "a.xml", Item: "unversioned", Kind: "file"}}
	end := m.pass(context.Background(), work{paths: map[string]struct{}{"a.xml": {}}})
	require.True(t, end.backoff.until.After(time.Now()), "backing off")
	held, ended := end.backoff.answered()
	assert.False(t, ended)
	assert.Equal(t, end.backoff, held)
}

func TestCommitMessage(t *testing.T) {
	m := &Manager{env: Env{Config: &config.Config{NodeName: "node1"}}}
	assert.Equal(t, "depsync node1: +App_1.0.0.car ~synapse-configs/default/api/a.xml -Old_1.0.0.car",
		m.message([]string{"+App_1.0.0.car", "~synapse-configs/default/api/a.xml", "-Old_1.0.0.car"}))
	var many []string
	for i := 0; i < 25; i++ {
		many = append(many, "+f"+strings.Repeat("x", i))
	}
	msg := m.message(many)
	first, rest, _ := strings.Cut(msg, "\n")
	assert.True(t, strings.HasSuffix(first, "(+5 more)"), first)
	assert.Equal(t, 25, strings.Count(rest, "+f"))
}

func TestManagerFindsFilesInNewDirectoriesFromAnyPendingPath(t *testing.T) {
	m, srv := realManager(t)
	dir := m.t.Dir
	p := filepath.Join(dir, "a", "b", "c", "f.xml")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte("<f/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "b", "junk.tmp"), []byte("x"), 0o644))
	quiet(m)

	// Only the deepest path is pending (its directories' events were in
	// an earlier pass): svn status says nothing about it or its parent.
	res, err := m.sync(context.Background(), map[string]struct{}{"a/b/c/f.xml": {}}, false)
	require.NoError(t, err)
	assert.Positive(t, res.rev)
	assert.Equal(t, []string{"+a/b/c/f.xml"}, res.summary)
	out := srv.SVN(t, "ls", "-R", srv.URL+"/-1234")
	assert.Contains(t, out, "a/b/c/f.xml")
	assert.NotContains(t, out, "junk.tmp")

	// A clean versioned file touched without a change commits nothing.
	res, err = m.sync(context.Background(), map[string]struct{}{"a/b/c/f.xml": {}}, false)
	require.NoError(t, err)
	assert.Zero(t, res.rev)
}

// TestManagerSplitsHugeCommits: the first commit of a large tree goes in
// as commits of at most maxCommit paths (Apache's default request body
// limit refuses one commit of 50,000 paths), the rest waiting for the
// next pass at once.
func TestManagerSplitsHugeCommits(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	dir := c.Carbon.DeploymentDir
	f := &fakeSVN{commitRev: 3}
	m := testManager(t, c, f)
	n := maxCommit + 10
	for i := 0; i < n; i++ {
		rel := fmt.Sprintf("f%05d.xml", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), []byte("<x/>"), 0o644))
		f.status = append(f.status, svn.StatusEntry{Path: rel, Item: "unversioned", Kind: "file"})
	}
	now := quiet(m)
	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	require.Len(t, f.committed, 1)
	assert.Len(t, f.committed[0], maxCommit)
	assert.Len(t, res.waiting, 10)
	assert.False(t, res.nextLook.After(now), "the rest is looked at again at once")
}

func TestManagerOnAFullDiskReportsRetriesAndCleansUp(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	f := &fakeSVN{commitRev: 5,
		commitErr: &svn.Error{Op: "commit", Message: "svn: E200030: sqlite[S13]: database or disk is full"},
		status:    []svn.StatusEntry{{Path: "a.xml", Item: "modified", Kind: "file"}}}
	require.NoError(t, os.WriteFile(filepath.Join(c.Carbon.DeploymentDir, "a.xml"), []byte("<a/>"), 0o644))
	m := testManager(t, c, f)
	quiet(m)
	end := m.pass(context.Background(), work{full: true})
	assert.False(t, end.next.IsZero(), "retried with backoff")
	assert.True(t, tenant.NoSpace(errors.New(stateOf(m).snapshot().lastError)), "the full disk is reported")
	assert.True(t, end.again.full, "the change is kept for the next try")

	f.commitErr = nil
	before := len(f.Calls())
	m.pass(context.Background(), end.again)
	calls := f.Calls()[before:]
	require.GreaterOrEqual(t, len(calls), 2)
	// After a look (svn status) that svn cleanup can run (see heal).
	assert.Equal(t, []string{"status", "cleanup"}, calls[:2], "the next try starts with svn cleanup")
	assert.Contains(t, calls, "commit")
	st := stateOf(m).snapshot()
	assert.Empty(t, st.lastError)
	assert.True(t, st.ready)
}

// TestManagerShipsProvenFilesAtOnce: a closed, well-formed XML file and a
// closed, valid C-App written an instant ago go into the next commit
// without the quiet time (sync.debounce is an hour here).
func TestManagerShipsProvenFilesAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the proof of no writer is a Linux file lease")
	}
	c := testConfig(t, config.RoleManager)
	c.Sync.Debounce, c.Sync.MaxDelay = time.Hour, time.Hour
	dir := c.Carbon.DeploymentDir
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "synapse-configs"), 0o755))
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "A_1.0.0.car", "A", "1.0.0")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "synapse-configs", "a.xml"), []byte("<api/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "synapse-configs", "b.xml"), []byte("<api>"), 0o644))
	f := &fakeSVN{commitRev: 5, status: []svn.StatusEntry{
		{Path: "carbonapps/A_1.0.0.car", Item: "unversioned", Kind: "file"},
		{Path: "synapse-configs/a.xml", Item: "unversioned", Kind: "file"},
		{Path: "synapse-configs/b.xml", Item: "unversioned", Kind: "file"},
	}}
	m := testManager(t, c, f)

	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.rev)
	assert.Equal(t, [][]string{{"carbonapps/A_1.0.0.car", "synapse-configs/a.xml"}}, f.committed)
	assert.Equal(t, []string{"synapse-configs/b.xml"}, res.waiting, "an XML cut short waits for the quiet time")
}

// watcherGoroutines counts the goroutines running a Watcher.
func watcherGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "fswatch.(*Watcher).Run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestManagerRunJoinsItsWatcher(t *testing.T) {
	require.Zero(t, watcherGoroutines(), "another test's watcher is still running")
	c := testConfig(t, config.RoleManager)
	m := testManager(t, c, &fakeSVN{commitRev: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	require.Eventually(t, func() bool { return watcherGoroutines() == 1 }, 10*time.Second, time.Millisecond,
		"the manager watches its directory")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	assert.Zero(t, watcherGoroutines(), "the watcher ended before run returned")
}
