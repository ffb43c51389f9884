package manager

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestManagerCatchUpKeepsTheManagersFiles(t *testing.T) {
	m, srv := realManager(t)
	dir := m.t.Dir
	put := func(root, rel, body string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	put(dir, "a.xml", "a1")
	put(dir, "d.xml", "d1")
	put(dir, "lib.bin", "\x00binary v1")
	quiet(m)
	_, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)

	// Someone else commits over the manager's folder (or the manager's own
	// commit landed while it was killed before recording it).
	other := t.TempDir()
	srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", other)
	put(other, "a.xml", "a from elsewhere")
	put(other, "d.xml", "d from elsewhere")
	put(other, "lib.bin", "\x00binary from elsewhere")
	put(other, "c.xml", "new from elsewhere")
	srv.SVN(t, "add", "-q", filepath.Join(other, "c.xml"))
	srv.SVN(t, "commit", "-q", "-m", "elsewhere", other)

	// Meanwhile, on the manager: a.xml and lib.bin changed, d.xml deleted.
	put(dir, "a.xml", "a2 from the manager")
	put(dir, "lib.bin", "\x00binary v2")
	require.NoError(t, os.Remove(filepath.Join(dir, "d.xml")))

	// A plain commit is out of date or conflicts: the pass catches up, and
	// the next passes commit the manager's state (files the catch-up
	// rewrote wait for the debounce like any change).
	todo := work{full: true}
	for i := 0; i < 4 && (todo.catchUp || !todo.empty()); i++ {
		quiet(m)
		todo = m.pass(context.Background(), todo).again
	}
	assert.False(t, todo.catchUp || !todo.empty(), "everything is committed")
	check := t.TempDir()
	srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", check)
	read := func(root, rel string) string {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(data)
	}
	assert.Equal(t, "a2 from the manager", read(check, "a.xml"))
	assert.Equal(t, "\x00binary v2", read(check, "lib.bin"))
	assert.Equal(t, "a2 from the manager", read(dir, "a.xml"))
	_, err = os.Stat(filepath.Join(dir, "d.xml"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a file the manager deleted stays deleted")
	_, err = os.Stat(filepath.Join(check, "d.xml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, "new from elsewhere", read(dir, "c.xml"), "what only the repository has comes in")
	out, err := exec.Command("svn", "status", dir).CombinedOutput()
	require.NoError(t, err)
	assert.Empty(t, strings.TrimSpace(string(out)), "the manager's working copy is clean")
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
	m := judgeAtOnce(testManager(t, c, ts))
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

// TestManagerCommitsWhatChangedDuringACommitThatFailedAfterTheServerTookIt:
// while the server runs the commit (a pre-commit hook holds it), one
// committed file is deleted and another rewritten with the same size. svn
// reports "Commit succeeded, but other errors follow" and, once its queued
// work runs, records the rewritten file as committed: without
// settleSuspects its new contents never reach the repository.
func TestManagerCommitsWhatChangedDuringACommitThatFailedAfterTheServerTookIt(t *testing.T) {
	srv := svntest.New(t, svntest.File)
	hookIn, hookGo := filepath.Join(t.TempDir(), "in"), filepath.Join(t.TempDir(), "go")
	hook := "#!/bin/sh\ntouch '" + hookIn + "'\ni=0\nwhile [ ! -e '" + hookGo + "' ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done\nexit 0\n"
	require.NoError(t, os.WriteFile(filepath.Join(srv.RepoPath, "hooks", "pre-commit"), []byte(hook), 0o755))

	c := testConfig(t, config.RoleManager)
	c.SVN.URL = srv.URL
	client, err := svn.New(svn.Options{StateDir: c.StateDir})
	require.NoError(t, err)
	m := testManager(t, c, client)
	ctx := context.Background()
	dir := m.t.Dir
	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	write("a.xml", "<a>1</a>")
	write("c.xml", "<c>1</c>")
	require.NoError(t, os.WriteFile(hookGo, nil, 0o644)) // the first commits go through
	require.NoError(t, m.prepare(ctx))
	quiet(m)
	m.pass(ctx, work{full: true})
	require.Equal(t, "<a>1</a>", srv.SVN(t, "cat", srv.URL+"/-1234/a.xml"))

	// The next commit waits in the hook while the files change.
	require.NoError(t, os.Remove(hookGo))
	require.NoError(t, os.Remove(hookIn))
	write("a.xml", "<a>2</a>")
	write("c.xml", "<c>2</c>")
	quiet(m)
	done := make(chan struct{})
	var todo work
	go func() { defer close(done); todo = m.pass(ctx, work{full: true}).again }()
	require.Eventually(t, func() bool { _, err := os.Stat(hookIn); return err == nil }, time.Minute, 10*time.Millisecond,
		"the commit reached the server's hook")
	require.NoError(t, os.Remove(filepath.Join(dir, "c.xml")))
	write("a.xml", "<a>3</a>") // the same size as what svn sent
	require.NoError(t, os.WriteFile(hookGo, nil, 0o644))
	<-done
	require.Equal(t, "<a>2</a>", srv.SVN(t, "cat", srv.URL+"/-1234/a.xml"), "the server took the commit")
	assert.Contains(t, stateOf(m).snapshot().lastError, "Can't change perms", "svn failed after the server took the commit")

	// The next looks commit the rewrite and the deletion.
	for i := 0; i < 3 && !todo.empty(); i++ {
		quiet(m)
		todo = m.pass(ctx, todo).again
	}
	assert.Equal(t, "<a>3</a>", srv.SVN(t, "cat", srv.URL+"/-1234/a.xml"), "the rewrite reached the repository")
	out, _ := srv.TrySVN("cat", srv.URL+"/-1234/c.xml")
	assert.True(t, strings.Contains(out, "E200009") || strings.Contains(out, "not found") || strings.Contains(out, "path not found"),
		"the deletion reached the repository: %s", out)
	st := srv.SVN(t, "status", dir)
	assert.Empty(t, strings.TrimSpace(st), "the working copy is clean")
}
