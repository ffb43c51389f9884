package syncer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/svn"
)

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
	d, err := New(c, Deps{SVN: client})
	require.NoError(t, err)
	m := newManager(d.tenants.list[0])
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
	m.full = true
	m.pass(ctx)
	require.Equal(t, "<a>1</a>", srv.SVN(t, "cat", srv.URL+"/-1234/a.xml"))

	// The next commit waits in the hook while the files change.
	require.NoError(t, os.Remove(hookGo))
	require.NoError(t, os.Remove(hookIn))
	write("a.xml", "<a>2</a>")
	write("c.xml", "<c>2</c>")
	quiet(m)
	m.full = true
	done := make(chan struct{})
	go func() { defer close(done); m.pass(ctx) }()
	require.Eventually(t, func() bool { _, err := os.Stat(hookIn); return err == nil }, time.Minute, 10*time.Millisecond,
		"the commit reached the server's hook")
	require.NoError(t, os.Remove(filepath.Join(dir, "c.xml")))
	write("a.xml", "<a>3</a>") // the same size as what svn sent
	require.NoError(t, os.WriteFile(hookGo, nil, 0o644))
	<-done
	require.Equal(t, "<a>2</a>", srv.SVN(t, "cat", srv.URL+"/-1234/a.xml"), "the server took the commit")
	assert.Contains(t, m.status().LastError, "Can't change perms", "svn failed after the server took the commit")

	// The next looks commit the rewrite and the deletion.
	for i := 0; i < 3 && (len(m.pending) > 0 || m.full); i++ {
		m.notBefore = time.Time{}
		quiet(m)
		m.pass(ctx)
	}
	assert.Equal(t, "<a>3</a>", srv.SVN(t, "cat", srv.URL+"/-1234/a.xml"), "the rewrite reached the repository")
	out, _ := srv.TrySVN("cat", srv.URL+"/-1234/c.xml")
	assert.True(t, strings.Contains(out, "E200009") || strings.Contains(out, "not found") || strings.Contains(out, "path not found"),
		"the deletion reached the repository: %s", out)
	st := srv.SVN(t, "status", dir)
	assert.Empty(t, strings.TrimSpace(st), "the working copy is clean")
}
