package svn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/procgroup"
	"github.com/depsync/depsync/internal/svntest"
)

func TestVersionReal(t *testing.T) {
	requireSVN(t)
	c, err := New(Options{StateDir: t.TempDir()})
	require.NoError(t, err)
	v, err := c.Version(t.Context())
	require.NoError(t, err)
	assert.True(t, versionAtLeast(v, 1, 10), v)
	require.NoError(t, c.CheckVersion(t.Context()))
}

// Names that trip svn or shells: peg "@", "#", spaces, Unicode, a leading
// dash, shell metacharacters.
var trickyNames = []string{
	"plain.txt",
	"with space.txt",
	"at@sign.car",
	"trailing@",
	"hash#tag.xml",
	"ünïcödé-ファイル.txt",
	"-leading-dash",
	"semi;colon$dollar'quote\"",
	"percent%40.txt",
}

// binaryCar has CRLF line ends, a keyword and NULs: any eol-style or
// keywords property would change it on checkout.
const binaryCar = "PK\x03\x04\x00\x00line1\r\nline2\n$Id$\r\n\x00\xff\xfe$Revision$"

func TestRoundTrip(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		wc1 := checkout(t, c, s.URL)

		// A repository-dictated svn:auto-props must not apply.
		out, err := rawSVN(c, wc1, "propset", "svn:auto-props", "* = svn:eol-style=native;svn:keywords=Id Revision", ".").CombinedOutput()
		require.NoError(t, err, "%s", out)
		rev, err := c.Commit(ctx, wc1, "auto-props trap")
		require.NoError(t, err)
		require.Equal(t, int64(1), rev)

		for _, n := range trickyNames {
			writeFile(t, filepath.Join(wc1, "webapps", n), "content of "+n+"\n", 0o644)
		}
		writeFile(t, filepath.Join(wc1, "carbonapps", "app_1.0.0.car"), binaryCar, 0o644)
		writeFile(t, filepath.Join(wc1, "carbonapps", "empty.car"), "", 0o644)
		writeFile(t, filepath.Join(wc1, "bin", "run.sh"), "#!/bin/sh\necho hi\n", 0o755)
		writeFile(t, filepath.Join(wc1, "bin", "tool"), "tool\n", 0o644)
		writeFile(t, filepath.Join(wc1, "becomes-dir"), "I am a file\n", 0o644)
		writeFile(t, filepath.Join(wc1, "dir-becomes-file", "x"), "x\n", 0o644)
		writeFile(t, filepath.Join(wc1, "doomed", "a", "b.txt"), "bye\n", 0o644)
		require.NoError(t, os.MkdirAll(filepath.Join(wc1, "empty", "nested-empty"), 0o755))

		st, err := c.Status(ctx, wc1)
		require.NoError(t, err)
		byPath := statusMap(st)
		assert.Equal(t, "unversioned", byPath["webapps"].Item)
		assert.Equal(t, "dir", byPath["webapps"].Kind)
		assert.Equal(t, "unversioned", byPath["becomes-dir"].Item)
		assert.Equal(t, "file", byPath["becomes-dir"].Kind)

		rev, err = c.Commit(ctx, wc1, "initial import ✓")
		require.NoError(t, err)
		assert.Equal(t, int64(2), rev)
		st, err = c.Status(ctx, wc1)
		require.NoError(t, err)
		assert.Empty(t, st, "everything committed")

		wc2 := checkout(t, c, s.URL)
		assert.Equal(t, tree(t, wc1), tree(t, wc2))
		data, err := os.ReadFile(filepath.Join(wc2, "carbonapps", "app_1.0.0.car"))
		require.NoError(t, err)
		assert.Equal(t, binaryCar, string(data), "binary byte-identical")
		assert.True(t, tree(t, wc2)["bin/run.sh"].Exec)

		// Second round: deletions outside svn, kind changes, chmod-only
		// changes, modifications, new nested files.
		require.NoError(t, os.Remove(filepath.Join(wc1, "webapps", "hash#tag.xml")))
		require.NoError(t, os.RemoveAll(filepath.Join(wc1, "doomed")))
		require.NoError(t, os.Remove(filepath.Join(wc1, "becomes-dir")))
		writeFile(t, filepath.Join(wc1, "becomes-dir", "inner.txt"), "now a dir\n", 0o644)
		require.NoError(t, os.RemoveAll(filepath.Join(wc1, "dir-becomes-file")))
		writeFile(t, filepath.Join(wc1, "dir-becomes-file"), "now a file\n", 0o644)
		require.NoError(t, os.Chmod(filepath.Join(wc1, "bin", "tool"), 0o755))
		require.NoError(t, os.Chmod(filepath.Join(wc1, "bin", "run.sh"), 0o644))
		writeFile(t, filepath.Join(wc1, "webapps", "at@sign.car"), "changed\n", 0o644)
		writeFile(t, filepath.Join(wc1, "new", "deep", "er", "f@1.txt"), "deep\n", 0o644)
		require.NoError(t, os.MkdirAll(filepath.Join(wc1, "empty", "another"), 0o755))

		st, err = c.Status(ctx, wc1)
		require.NoError(t, err)
		byPath = statusMap(st)
		assert.Equal(t, "missing", byPath["webapps/hash#tag.xml"].Item)
		assert.Equal(t, "file", byPath["webapps/hash#tag.xml"].Kind, "kind of a missing file comes from svn info")
		assert.Equal(t, "missing", byPath["doomed"].Item)
		assert.Equal(t, "dir", byPath["doomed"].Kind)
		assert.Equal(t, "obstructed", byPath["becomes-dir"].Item)
		assert.Equal(t, "obstructed", byPath["dir-becomes-file"].Item)
		assert.Equal(t, "modified", byPath["webapps/at@sign.car"].Item)
		_, listed := byPath["bin/tool"]
		assert.False(t, listed, "svn itself does not see a chmod")

		rev, err = c.Commit(ctx, wc1, "second round")
		require.NoError(t, err)
		assert.Equal(t, int64(3), rev)
		st, err = c.Status(ctx, wc1)
		require.NoError(t, err)
		assert.Empty(t, st)

		res, err := c.Update(ctx, wc2)
		require.NoError(t, err)
		assert.Equal(t, int64(3), res.Revision)
		assert.Empty(t, res.Conflicts)
		actions := map[string]string{}
		for _, ch := range res.Changed {
			actions[ch.Path] = ch.Action
		}
		assert.Equal(t, "D", actions["webapps/hash#tag.xml"])
		assert.Equal(t, "D", actions["doomed"])
		assert.Equal(t, "U", actions["webapps/at@sign.car"])
		assert.Equal(t, "A", actions["new/deep/er/f@1.txt"])
		assert.Equal(t, "U", actions["bin/tool"], "property change (svn:executable)")
		assert.Contains(t, []string{"A", "R"}, actions["becomes-dir"])
		assert.Equal(t, tree(t, wc1), tree(t, wc2))
		assert.True(t, tree(t, wc2)["bin/tool"].Exec)
		assert.False(t, tree(t, wc2)["bin/run.sh"].Exec)

		info, err := c.Info(ctx, wc2)
		require.NoError(t, err)
		assert.Equal(t, int64(3), info.Revision)
		assert.Equal(t, "dir", info.Kind)
		assert.NotEmpty(t, info.RepoUUID)
		head, err := c.RemoteRevision(ctx, s.URL)
		require.NoError(t, err)
		assert.Equal(t, int64(3), head)

		// Nothing left to commit.
		rev, err = c.Commit(ctx, wc1, "noop")
		require.NoError(t, err)
		assert.Zero(t, rev)
	})
}

func statusMap(st []StatusEntry) map[string]StatusEntry {
	m := map[string]StatusEntry{}
	for _, e := range st {
		m[e.Path] = e
	}
	return m
}

func TestCommitOnlyGivenPaths(t *testing.T) {
	s := svntest.New(t, svntest.File)
	// --trust-server-cert-failures is a global option every subcommand
	// accepts.
	c, _ := testClient(t, s, func(o *Options) { o.TrustServerCert = true })
	ctx := t.Context()
	wc := checkout(t, c, s.URL)
	writeFile(t, filepath.Join(wc, "keep", "a.txt"), "a\n", 0o644)
	writeFile(t, filepath.Join(wc, "keep", "b.txt"), "b\n", 0o644)
	_, err := c.Commit(ctx, wc, "base")
	require.NoError(t, err)

	writeFile(t, filepath.Join(wc, "keep", "a.txt"), "a2\n", 0o644)
	writeFile(t, filepath.Join(wc, "keep", "b.txt"), "b2\n", 0o644)
	writeFile(t, filepath.Join(wc, "n1", "n2", "n3.car"), "nested\n", 0o644)
	writeFile(t, filepath.Join(wc, "n1", "other.txt"), "not listed\n", 0o644)
	writeFile(t, filepath.Join(wc, "gone.txt"), "x", 0o644)
	_, err = c.Add(ctx, wc, "gone.txt")
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(wc, "gone.txt"))) // added, then deleted

	rev, err := c.Commit(ctx, wc, "only some",
		"keep/a.txt", filepath.Join(wc, "n1", "n2", "n3.car"), "gone.txt", "never-existed.txt")
	require.NoError(t, err)
	assert.Equal(t, int64(2), rev)

	logs, err := c.Log(ctx, s.URL, 2, 2)
	require.NoError(t, err)
	require.Len(t, logs, 1)
	slices.Sort(logs[0].Paths)
	assert.Equal(t, []string{"/keep/a.txt", "/n1", "/n1/n2", "/n1/n2/n3.car"}, logs[0].Paths)

	st, err := c.Status(ctx, wc)
	require.NoError(t, err)
	m := statusMap(st)
	assert.Equal(t, "modified", m["keep/b.txt"].Item)
	assert.Equal(t, "unversioned", m["n1/other.txt"].Item)
	_, listed := m["gone.txt"]
	assert.False(t, listed)

	// A directory deleted outside svn, listed with its children, deepest
	// first, as a watcher would report it.
	require.NoError(t, os.RemoveAll(filepath.Join(wc, "keep")))
	rev, err = c.Commit(ctx, wc, "rm -r keep", "keep/b.txt", "keep/a.txt", "keep")
	require.NoError(t, err)
	assert.Equal(t, int64(3), rev)
	logs, err = c.Log(ctx, s.URL, 3, 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"/keep"}, logs[0].Paths)

	// Nothing to commit for paths that are unchanged or gone.
	rev, err = c.Commit(ctx, wc, "nothing", "n1/n2/n3.car", "never-existed.txt")
	require.NoError(t, err)
	assert.Zero(t, rev)
}

func TestCommitManyPaths(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, _ := testClient(t, s)
	wc := checkout(t, c, s.URL)
	var paths []string
	for i := range 3*maxArgPaths + 7 {
		p := fmt.Sprintf("d%d/file @%03d é.txt", i%5, i)
		writeFile(t, filepath.Join(wc, p), p, 0o644)
		paths = append(paths, p)
	}
	rev, err := c.Commit(t.Context(), wc, "many", paths...)
	require.NoError(t, err)
	assert.Equal(t, int64(1), rev)
	st, err := c.Status(t.Context(), wc)
	require.NoError(t, err)
	assert.Empty(t, st)
	for i, p := range paths {
		require.NoError(t, os.Remove(filepath.Join(wc, p)))
		if i%2 == 0 {
			writeFile(t, filepath.Join(wc, p), "again", 0o755)
		}
	}
	rev, err = c.Commit(t.Context(), wc, "many again", paths...)
	require.NoError(t, err)
	assert.Equal(t, int64(2), rev)
	st, err = c.Status(t.Context(), wc)
	require.NoError(t, err)
	assert.Empty(t, st)
}

func TestCommitMessages(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, _ := testClient(t, s)
	ctx := t.Context()
	wc := checkout(t, c, s.URL)
	msgs := []string{"-m", "file.txt", "héllo ✓ 日本語", "line1\r\nline2\rline3", "--force", ""}
	writeFile(t, filepath.Join(wc, "file.txt"), "", 0o644)
	for i, m := range msgs {
		writeFile(t, filepath.Join(wc, "file.txt"), strings.Repeat("x", i+1), 0o644)
		_, err := c.Commit(ctx, wc, m)
		require.NoError(t, err, "message %q", m)
	}
	logs, err := c.Log(ctx, s.URL, 1, -1)
	require.NoError(t, err)
	require.Len(t, logs, len(msgs))
	for i, m := range msgs {
		assert.Equal(t, cleanMessage(m), logs[i].Message)
		assert.Equal(t, int64(i+1), logs[i].Revision)
	}
	newest, err := c.Log(ctx, s.URL, -1, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(len(msgs)), newest[0].Revision)
}

func TestMkdirImportInfo(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		u := JoinURL(s.URL, "tenants", "-1234", "has space#h@1", "été")
		require.NoError(t, c.Mkdir(ctx, u, true, "mkdir -p"))
		require.NoError(t, c.Mkdir(ctx, u, true, "again"), "mkdir -p of an existing dir is fine")
		err := c.Mkdir(ctx, u, false, "again")
		require.ErrorIs(t, err, ErrExists)
		t.Logf("%s: existing dir: codes %v: %v", s.Kind, err.(*Error).Codes, err)
		info, err := c.Info(ctx, u)
		require.NoError(t, err)
		assert.Equal(t, "dir", info.Kind)
		assert.Equal(t, u, info.URL)

		src := t.TempDir()
		writeFile(t, filepath.Join(src, "a b@c", "x#y.car"), binaryCar, 0o644)
		writeFile(t, filepath.Join(src, "exec.sh"), "#!/bin/sh\n", 0o755)
		require.NoError(t, os.Mkdir(filepath.Join(src, "emptydir"), 0o755))
		rev, err := c.Import(ctx, src, JoinURL(u, "imported"), "import")
		require.NoError(t, err)
		assert.Equal(t, int64(2), rev)
		wc := filepath.Join(t.TempDir(), "co@1")
		_, err = c.Checkout(ctx, JoinURL(u, "imported"), wc, false)
		require.NoError(t, err)
		assert.Equal(t, tree(t, src), tree(t, wc))
		info, err = c.Info(ctx, wc)
		require.NoError(t, err)
		assert.Equal(t, JoinURL(u, "imported"), info.URL)

		_, err = c.Info(ctx, JoinURL(s.URL, "nope"))
		require.ErrorIs(t, err, ErrNotFound)
		t.Logf("%s: missing URL: codes %v", s.Kind, err.(*Error).Codes)
	})
}

func TestRevertDeleteCleanup(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, _ := testClient(t, s)
	ctx := t.Context()
	wc := checkout(t, c, s.URL)
	writeFile(t, filepath.Join(wc, "a.txt"), "a\n", 0o644)
	writeFile(t, filepath.Join(wc, "b.txt"), "b\n", 0o644)
	_, err := c.Commit(ctx, wc, "base")
	require.NoError(t, err)

	writeFile(t, filepath.Join(wc, "a.txt"), "changed\n", 0o644)
	require.NoError(t, c.Delete(ctx, wc, "b.txt"))
	_, err = os.Stat(filepath.Join(wc, "b.txt"))
	assert.True(t, errors.Is(err, os.ErrNotExist))
	st, err := c.Status(ctx, wc)
	require.NoError(t, err)
	m := statusMap(st)
	assert.Equal(t, "deleted", m["b.txt"].Item)
	assert.Equal(t, "file", m["b.txt"].Kind)
	require.NoError(t, c.Revert(ctx, wc))
	st, err = c.Status(ctx, wc)
	require.NoError(t, err)
	assert.Empty(t, st)
	data, err := os.ReadFile(filepath.Join(wc, "a.txt"))
	require.NoError(t, err)
	assert.Equal(t, "a\n", string(data))
	require.NoError(t, c.Cleanup(ctx, wc))

	// Not a working copy.
	plain := t.TempDir()
	_, err = c.Status(ctx, plain)
	require.ErrorIs(t, err, ErrNotWorkingCopy)
	_, err = c.Update(ctx, plain)
	require.ErrorIs(t, err, ErrNotWorkingCopy)
	t.Logf("not a working copy: %v", err)
	_, err = c.Commit(ctx, plain, "x")
	require.ErrorIs(t, err, ErrNotWorkingCopy)
	_, err = c.Info(ctx, plain)
	require.ErrorIs(t, err, ErrNotWorkingCopy)
}

// TestConflictsAndOutOfDate: two working copies commit the same file.
func TestConflictsAndOutOfDate(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, logs := testClient(t, s)
		ctx := t.Context()
		wc1 := checkout(t, c, s.URL)
		writeFile(t, filepath.Join(wc1, "app.xml"), "1\n2\n3\n4\n5\n", 0o644)
		_, err := c.Commit(ctx, wc1, "base")
		require.NoError(t, err)
		wc2 := checkout(t, c, s.URL)

		// Different lines: the second commit is out of date, the client
		// updates (clean merge) and retries.
		writeFile(t, filepath.Join(wc1, "app.xml"), "one\n2\n3\n4\n5\n", 0o644)
		_, err = c.Commit(ctx, wc1, "wc1")
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc2, "app.xml"), "1\n2\n3\n4\nfive\n", 0o644)
		rev, err := c.Commit(ctx, wc2, "wc2")
		require.NoError(t, err)
		assert.Equal(t, int64(3), rev)
		assert.Contains(t, logs.String(), "commit out of date")
		data, err := os.ReadFile(filepath.Join(wc2, "app.xml"))
		require.NoError(t, err)
		assert.Equal(t, "one\n2\n3\n4\nfive\n", string(data))

		// The raw codes of out of date, as svn prints them.
		_, err = c.Update(ctx, wc1)
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc2, "app.xml"), "one\n2\nthree\n4\nfive\n", 0o644)
		_, err = c.Commit(ctx, wc2, "wc2 again")
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc1, "app.xml"), "ONE\n2\n3\n4\nfive\n", 0o644)
		_, err = c.commit(ctx, wc1, "raw", []string{"app.xml"})
		require.ErrorIs(t, err, ErrOutOfDate)
		t.Logf("%s: out of date: codes %v: %v", s.Kind, err.(*Error).Codes, err)

		// Same line: Commit's own update keeps the committer's text
		// (mine-full), never conflict markers, and the commit goes in.
		_, err = c.Update(ctx, wc1)
		require.NoError(t, err)
		_, err = c.Update(ctx, wc2)
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc1, "app.xml"), "mine\n", 0o644)
		_, err = c.Commit(ctx, wc1, "wc1 same line")
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc2, "app.xml"), "theirs\n", 0o644)
		_, err = c.Commit(ctx, wc2, "wc2 same line")
		require.NoError(t, err)
		data, err = os.ReadFile(filepath.Join(wc2, "app.xml"))
		require.NoError(t, err)
		assert.Equal(t, "theirs\n", string(data), "the committer's text wins")

		// A conflict left by a plain update: the commit fails typed.
		_, err = c.Update(ctx, wc1)
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc1, "app.xml"), "x1\n", 0o644)
		_, err = c.Commit(ctx, wc1, "wc1 x1")
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc2, "app.xml"), "x2\n", 0o644)
		_, err = c.Update(ctx, wc2)
		require.NoError(t, err)
		st, err := c.Status(ctx, wc2)
		require.NoError(t, err)
		assert.Equal(t, "conflicted", statusMap(st)["app.xml"].Item)
		// The raw commit code of a conflict.
		_, err = c.commit(ctx, wc2, "raw", []string{"app.xml"})
		require.ErrorIs(t, err, ErrConflict)
		t.Logf("%s: commit of a conflicted file: codes %v", s.Kind, err.(*Error).Codes)
		// A second Commit refuses before touching anything.
		_, err = c.Commit(ctx, wc2, "still conflicted")
		require.ErrorIs(t, err, ErrConflict)
		assert.Contains(t, err.Error(), "app.xml")

		require.NoError(t, c.Resolve(ctx, wc2, "mine-full", "app.xml"))
		rev, err = c.Commit(ctx, wc2, "resolved")
		require.NoError(t, err)
		assert.Equal(t, int64(8), rev)
		st, err = c.Status(ctx, wc2)
		require.NoError(t, err)
		assert.Empty(t, st, "conflict files removed by resolve")

		// Tree conflict: wc1 edits a file that wc2 deletes.
		res, err := c.Update(ctx, wc1)
		require.NoError(t, err)
		assert.Empty(t, res.Conflicts)
		require.NoError(t, os.Remove(filepath.Join(wc2, "app.xml")))
		_, err = c.Commit(ctx, wc2, "delete")
		require.NoError(t, err)
		writeFile(t, filepath.Join(wc1, "app.xml"), "edited\n", 0o644)
		res, err = c.Update(ctx, wc1)
		require.NoError(t, err)
		assert.Equal(t, []string{"app.xml"}, res.Conflicts)
		st, err = c.Status(ctx, wc1)
		require.NoError(t, err)
		assert.True(t, statusMap(st)["app.xml"].TreeConflict)
		_, err = c.Commit(ctx, wc1, "tree conflict")
		require.ErrorIs(t, err, ErrConflict)
	})
}

func TestWrongPassword(t *testing.T) {
	forEachServer(t, authKinds, func(t *testing.T, s *svntest.Server) {
		const wrong = "definitely-Wrong-pw"
		c, logs := testClient(t, s, func(o *Options) { o.Password = wrong })
		_, err := c.RemoteRevision(t.Context(), s.URL)
		require.ErrorIs(t, err, ErrAuth)
		t.Logf("%s: wrong password: codes %v: %v", s.Kind, err.(*Error).Codes, err)
		_, err = c.Checkout(t.Context(), s.URL, filepath.Join(t.TempDir(), "wc"), false)
		require.ErrorIs(t, err, ErrAuth)
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), logs.String()} {
			assert.NotContains(t, text, wrong)
			assert.NotContains(t, text, s.Password)
		}

		nopw, _ := testClient(t, s, func(o *Options) { o.Password = "" })
		_, err = nopw.RemoteRevision(t.Context(), s.URL)
		require.ErrorIs(t, err, ErrAuth)
		t.Logf("%s: no password: codes %v", s.Kind, err.(*Error).Codes)
	})
}

func TestStoppedServer(t *testing.T) {
	forEachServer(t, authKinds, func(t *testing.T, s *svntest.Server) {
		const timeout = 20 * time.Second
		c, _ := testClient(t, s, func(o *Options) { o.ProbeTimeout = timeout; o.Timeout = timeout })
		ctx := t.Context()
		wc := checkout(t, c, s.URL)
		writeFile(t, filepath.Join(wc, "f"), "1", 0o644)

		s.Stop(t)
		start := time.Now()
		_, err := c.RemoteRevision(ctx, s.URL)
		require.ErrorIs(t, err, ErrUnreachable)
		assert.Less(t, time.Since(start), timeout)
		t.Logf("%s: stopped server: codes %v in %v: %v", s.Kind, err.(*Error).Codes, time.Since(start), err)
		_, err = c.Update(ctx, wc)
		require.ErrorIs(t, err, ErrUnreachable)
		_, err = c.Commit(ctx, wc, "offline")
		require.ErrorIs(t, err, ErrUnreachable)

		s.Start(t)
		rev, err := c.Commit(ctx, wc, "back online")
		require.NoError(t, err)
		assert.Equal(t, int64(1), rev)
	})
}

// TestHungServer: a server that accepts connections and never answers. The
// client must kill svn at its timeout and return promptly.
func TestHungServer(t *testing.T) {
	requireSVN(t)
	l, err := netListen(t)
	require.NoError(t, err)
	for _, scheme := range []string{"svn", "http"} {
		t.Run(scheme, func(t *testing.T) {
			url := fmt.Sprintf("%s://%s/repo", scheme, l)
			c, _ := testClient(t, &svntest.Server{Username: "u", Password: "hung-pw"}, func(o *Options) {
				o.ProbeTimeout = time.Second
				o.Timeout = time.Second
				o.KillGrace = 300 * time.Millisecond
				o.HTTPTimeout = time.Minute
			})
			start := time.Now()
			_, err := c.RemoteRevision(t.Context(), url)
			elapsed := time.Since(start)
			require.ErrorIs(t, err, ErrTimeout)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, elapsed, 3*time.Second)
			t.Logf("%s: hung server: %v after %v", scheme, err, elapsed)
			assert.Empty(t, svnProcesses(t, c.ConfigDir), "svn's process group is gone")

			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(200*time.Millisecond, cancel)
			start = time.Now()
			_, err = c.Checkout(ctx, url, filepath.Join(t.TempDir(), "wc"), false)
			require.ErrorIs(t, err, ErrCanceled)
			require.ErrorIs(t, err, context.Canceled)
			assert.Less(t, time.Since(start), 2*time.Second)
			assert.Empty(t, svnProcesses(t, c.ConfigDir))
		})
	}
}

// TestKilledSVNLeavesLock: an svn killed with SIGKILL in the middle of a
// commit leaves the working copy locked; the client cleans up and succeeds.
func TestKilledSVNLeavesLock(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, logs := testClient(t, s)
		ctx := t.Context()
		wc := checkout(t, c, s.URL)
		writeFile(t, filepath.Join(wc, "f.txt"), "1\n", 0o644)
		_, err := c.Commit(ctx, wc, "base")
		require.NoError(t, err)

		// A pre-commit hook that signals it runs, then stalls and
		// rejects the commit.
		shared, err := os.MkdirTemp("", "svn-hook-")
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, os.RemoveAll(shared)) })
		require.NoError(t, os.Chmod(shared, 0o777))
		marker := filepath.Join(shared, "running")
		hook := filepath.Join(s.RepoPath, "hooks", "pre-commit")
		writeFile(t, hook, fmt.Sprintf("#!/bin/sh\n/usr/bin/touch %s\n/bin/sleep 5\nexit 1\n", marker), 0o755)

		writeFile(t, filepath.Join(wc, "f.txt"), "2\n", 0o644)
		cmd := rawSVN(c, wc, "commit", "-m", "to be killed")
		cmd.SysProcAttr = procgroup.Attr(syscall.SIGKILL)
		require.NoError(t, cmd.Start())
		require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 30*time.Second, 10*time.Millisecond)
		procgroup.Kill(cmd.Process.Pid)
		var killed *exec.ExitError
		require.ErrorAs(t, cmd.Wait(), &killed, "svn was killed")
		require.NoError(t, os.Remove(hook))

		st, err := c.Status(ctx, wc)
		require.NoError(t, err)
		assert.True(t, statusMap(st)["."].Locked, "the killed svn left a lock")
		var locked *Error
		err = c.exec(ctx, &call{op: "update", paths: []string{"."}, dir: wc, auth: true})
		require.ErrorAs(t, err, &locked)
		require.ErrorIs(t, err, ErrLocked)
		t.Logf("%s: locked: codes %v: %v", s.Kind, locked.Codes, err)

		rev, err := c.Commit(ctx, wc, "after the kill")
		require.NoError(t, err)
		assert.Equal(t, int64(2), rev)
		assert.Contains(t, logs.String(), "working copy locked; running cleanup")
		st, err = c.Status(ctx, wc)
		require.NoError(t, err)
		assert.Empty(t, st)
	})
}

// TestPasswordNotInProc: while a long checkout runs, no process's command
// line or environment holds the password.
func TestPasswordNotInProc(t *testing.T) {
	forEachServerInTurn(t, authKinds, func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		src := t.TempDir()
		for i := range 1500 {
			writeFile(t, filepath.Join(src, fmt.Sprintf("d%02d", i%30), fmt.Sprintf("f%04d.car", i)), strings.Repeat("x", 2000), 0o644)
		}
		_, err := c.Import(ctx, src, s.URL, "many files")
		require.NoError(t, err)

		done := make(chan error, 1)
		go func() {
			_, err := c.Checkout(ctx, s.URL, filepath.Join(t.TempDir(), "wc"), false)
			done <- err
		}()
		pw := []byte(s.Password)
		seen, scans := map[string]bool{}, 0
		for running := true; running; {
			select {
			case err := <-done:
				require.NoError(t, err)
				running = false
			default:
			}
			scans++
			ents, err := os.ReadDir("/proc")
			require.NoError(t, err)
			for _, e := range ents {
				if e.Name()[0] < '0' || e.Name()[0] > '9' {
					continue
				}
				for _, f := range []string{"cmdline", "environ"} {
					data, err := os.ReadFile(filepath.Join("/proc", e.Name(), f))
					if err != nil {
						continue
					}
					require.NotContains(t, string(data), string(pw), "/proc/%s/%s", e.Name(), f)
					if f == "cmdline" && strings.Contains(string(data), c.ConfigDir) && strings.Contains(string(data), "checkout") {
						seen[e.Name()] = true
						require.Contains(t, string(data), "--password-from-stdin")
					}
				}
			}
		}
		assert.NotEmpty(t, seen, "the checkout's svn process was observed (%d scans)", scans)
		t.Logf("%s: %d scans of /proc saw the checkout's svn", s.Kind, scans)
	})
}

// TestKilledCheckout: a checkout killed halfway leaves a locked, incomplete
// working copy; Update cleans it up and completes it.
func TestKilledCheckout(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, logs := testClient(t, s)
	ctx := t.Context()
	src := t.TempDir()
	for i := range 2000 {
		writeFile(t, filepath.Join(src, fmt.Sprintf("d%02d", i%40), fmt.Sprintf("f%04d.car", i)), strings.Repeat("y", 1000), 0o644)
	}
	_, err := c.Import(ctx, src, s.URL, "many files")
	require.NoError(t, err)

	wc := filepath.Join(t.TempDir(), "wc")
	cmd := rawSVN(c, "", "checkout", "--", s.URL, wc)
	cmd.SysProcAttr = procgroup.Attr(syscall.SIGKILL)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool {
		ents, err := os.ReadDir(filepath.Join(wc, "d01"))
		return err == nil && len(ents) > 0
	}, 30*time.Second, time.Millisecond)
	procgroup.Kill(cmd.Process.Pid)
	if err := cmd.Wait(); err == nil {
		svntest.Unsupported(t, "checkout finished before it could be killed")
	} else {
		var killed *exec.ExitError
		require.ErrorAs(t, err, &killed)
	}

	res, err := c.Update(ctx, wc)
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Revision)
	assert.Contains(t, logs.String(), "working copy locked; running cleanup")
	assert.Equal(t, tree(t, src), tree(t, wc))
	st, err := c.Status(ctx, wc)
	require.NoError(t, err)
	assert.Empty(t, st)
}

func TestCanceledBeforeStart(t *testing.T) {
	requireSVN(t)
	c, err := New(Options{StateDir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, c.CheckVersion(t.Context()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Status(ctx, t.TempDir())
	require.ErrorIs(t, err, ErrCanceled)
	require.ErrorIs(t, err, context.Canceled)
}

func TestCheckoutForceAndUpdateOptions(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, _ := testClient(t, s)
	ctx := t.Context()
	wc1 := checkout(t, c, s.URL)
	writeFile(t, filepath.Join(wc1, "same.txt"), "same\n", 0o644)
	writeFile(t, filepath.Join(wc1, "differs.txt"), "repo\n", 0o644)
	writeFile(t, filepath.Join(wc1, "conf.xml"), "base\n", 0o644)
	_, err := c.Commit(ctx, wc1, "base")
	require.NoError(t, err)

	// Checkout over existing files: without force they become tree
	// conflicts, with force they join the working copy ("E").
	dir := filepath.Join(t.TempDir(), "deploy")
	writeFile(t, filepath.Join(dir, "same.txt"), "same\n", 0o644)
	writeFile(t, filepath.Join(dir, "differs.txt"), "local\n", 0o644)
	writeFile(t, filepath.Join(dir, "local-only.txt"), "mine\n", 0o644)
	rev, err := c.Checkout(ctx, s.URL, dir, true)
	require.NoError(t, err)
	assert.Equal(t, int64(1), rev)
	st, err := c.Status(ctx, dir)
	require.NoError(t, err)
	m := statusMap(st)
	assert.Equal(t, "modified", m["differs.txt"].Item, "local content kept")
	assert.Equal(t, "unversioned", m["local-only.txt"].Item)
	_, listed := m["same.txt"]
	assert.False(t, listed)

	dir2 := filepath.Join(t.TempDir(), "deploy")
	writeFile(t, filepath.Join(dir2, "differs.txt"), "local\n", 0o644)
	_, err = c.Checkout(ctx, s.URL, dir2, false)
	require.NoError(t, err)
	st, err = c.Status(ctx, dir2)
	require.NoError(t, err)
	assert.True(t, statusMap(st)["differs.txt"].TreeConflict)

	// Accept theirs-full: a conflicting update takes the repository's text.
	writeFile(t, filepath.Join(wc1, "conf.xml"), "theirs\n", 0o644)
	_, err = c.Commit(ctx, wc1, "theirs")
	require.NoError(t, err)
	writeFile(t, filepath.Join(dir, "conf.xml"), "mine\n", 0o644)
	res, err := c.UpdateWith(ctx, dir, UpdateOptions{Accept: "theirs-full"}, "conf.xml")
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Revision)
	assert.Empty(t, res.Conflicts)
	data, err := os.ReadFile(filepath.Join(dir, "conf.xml"))
	require.NoError(t, err)
	assert.Equal(t, "theirs\n", string(data))

	// Files deleted outside svn are restored by an update.
	require.NoError(t, os.Remove(filepath.Join(dir, "same.txt")))
	res, err = c.Update(ctx, dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"same.txt"}, res.Restored)

	// Update to an older revision.
	res, err = c.UpdateWith(ctx, dir, UpdateOptions{Revision: 1}, "conf.xml")
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Revision)
	assert.Equal(t, []Change{{Path: "conf.xml", Action: "U", Raw: "U   "}}, res.Changed)
}

// TestCommitAddsOnlyNamedPaths: a directory target is added alone; a file
// below it that the caller did not name (not yet checked: still copying,
// or invalid) is not committed with it. With no paths, everything is.
func TestCommitAddsOnlyNamedPaths(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, _ := testClient(t, s)
	ctx := t.Context()
	wc := checkout(t, c, s.URL)
	writeFile(t, filepath.Join(wc, "carbonapps", "checked.xml"), "ok\n", 0o644)
	writeFile(t, filepath.Join(wc, "carbonapps", "half-copied.car"), "PK\x03\x04", 0o644)
	writeFile(t, filepath.Join(wc, "other", "unchecked.xml"), "x\n", 0o644)

	_, err := c.Commit(ctx, wc, "named only", "carbonapps/checked.xml", "other")
	require.NoError(t, err)
	st, err := c.Status(ctx, wc)
	require.NoError(t, err)
	got := statusMap(st)
	assert.Equal(t, "unversioned", got["carbonapps/half-copied.car"].Item)
	assert.Equal(t, "unversioned", got["other/unchecked.xml"].Item)
	_, listed := got["carbonapps/checked.xml"]
	assert.False(t, listed, "the named file is committed")

	_, err = c.Commit(ctx, wc, "whole tree")
	require.NoError(t, err)
	st, err = c.Status(ctx, wc)
	require.NoError(t, err)
	assert.Empty(t, st)
}
