package svn

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stderr captured from svn 1.14.2 (see TestErrorCodes for the live check).
var stderrSamples = []struct {
	name   string
	stderr string
	kind   error
	code   string
}{
	{"svnserve wrong password", "svn: E170013: Unable to connect to a repository at URL 'svn://127.0.0.1:34319/repo'\nsvn: E170001: Authentication error from server: Password incorrect\n", ErrAuth, "E170001"},
	{"http wrong password", "svn: E170013: Unable to connect to a repository at URL 'http://127.0.0.1:39867/svn/repo'\nsvn: E215004: No more credentials or we tried too many times.\nAuthentication failed\n", ErrAuth, "E215004"},
	{"connection refused", "svn: E170013: Unable to connect to a repository at URL 'svn://127.0.0.1:1/repo'\nsvn: E000111: Can't connect to host '127.0.0.1': Connection refused\n", ErrUnreachable, "E170013"},
	{"unknown host", "svn: E170013: Unable to connect to a repository at URL 'http://nonexistent.invalid/repo'\nsvn: E670002: Name or service not known\n", ErrUnreachable, "E170013"},
	{"http timeout", "svn: E170013: Unable to connect to a repository at URL 'http://127.0.0.1:45999/repo'\nsvn: E175012: Connection timed out\n", ErrUnreachable, "E170013"},
	{"locked", "svn: E155004: Run 'svn cleanup' to remove locks (type 'svn help cleanup' for details)\nsvn: E155004: Working copy '/tmp/ex/w2' locked.\nsvn: E155004: '/tmp/ex/w2' is already locked.\n", ErrLocked, "E155004"},
	{"out of date file://", "svn: E155011: Commit failed (details follow):\nsvn: E155011: File '/tmp/ex/w2/f.txt' is out of date\nsvn: E160028: File '/f.txt' is out of date\n", ErrOutOfDate, "E155011"},
	{"out of date http", "svn: E155011: Commit failed (details follow):\nsvn: E155011: File '/tmp/ex/b/f' is out of date\nsvn: E170004: While preparing '/tmp/ex/b/f' for commit\nsvn: E170004: File '/f' is out of date\n", ErrOutOfDate, "E155011"},
	{"conflict", "svn: E155015: Commit failed (details follow):\nsvn: E155015: Aborting commit: '/tmp/ex/w2/f.txt' remains in conflict\n", ErrConflict, "E155015"},
	{"not a wc", "svn: E155007: '/tmp' is not a working copy\n", ErrNotWorkingCopy, "E155007"},
	{"not a wc warning", "svn: warning: W155007: '/tmp' is not a working copy\n", ErrNotWorkingCopy, "W155007"},
	{"url not found", "svn: warning: W170000: URL 'file:///tmp/r/nope' non-existent in revision 0\n\nsvn: E200009: Could not display info for all targets because some targets don't exist\n", ErrNotFound, "W170000"},
	{"repo missing", "svn: E170013: Unable to connect to a repository at URL 'file:///tmp/nope'\nsvn: E180001: Unable to open repository 'file:///tmp/nope'\n", ErrNotFound, "E180001"},
	{"obstructed", "svn: E145001: Commit failed (details follow):\nsvn: E145001: Node '/tmp/ex/w1/f.txt' has unexpectedly changed kind\n", ErrObstructed, "E145001"},
	{"exists", "svn: E160020: File already exists: filesystem 'x', transaction '4-6', path '/x/y'\n", ErrExists, "E160020"},
	{"unknown", "svn: E999999: Something else\n", nil, "E999999"},
}

func TestClassify(t *testing.T) {
	for _, s := range stderrSamples {
		t.Run(s.name, func(t *testing.T) {
			e := newError("info", "/x", nil, s.stderr, 1, nil)
			assert.Equal(t, s.kind, e.Kind)
			if s.kind != nil {
				assert.ErrorIs(t, e, s.kind)
			}
			assert.Equal(t, s.code, e.Code())
			assert.NotEmpty(t, e.Codes)
			msg := e.Error()
			assert.True(t, strings.HasPrefix(msg, "svn info /x: "), msg)
			if s.kind != nil {
				assert.Contains(t, msg, s.kind.Error())
			}
			t.Log(msg)
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := newError("update", "/srv/wc", []string{"."}, "svn: E155004: Run 'svn cleanup' to remove locks (type 'svn help cleanup' for details)\nsvn: E155004: Working copy '/srv/wc' locked.\n", 1, nil)
	assert.Equal(t, "svn update /srv/wc: E155004: Working copy '/srv/wc' locked. (working copy locked: run svn cleanup)", e.Error())
	assert.True(t, e.HasCode("E155004"))
	assert.True(t, e.HasCode("155004"))
	assert.False(t, e.HasCode("E155011"))

	var target *Error
	wrapped := fmt.Errorf("sync: %w", e)
	require.ErrorAs(t, wrapped, &target)
	assert.Equal(t, "update", target.Op)
	assert.ErrorIs(t, wrapped, ErrLocked)
	assert.NotErrorIs(t, wrapped, ErrOutOfDate)

	// "details follow" wrappers are skipped for the summary.
	e = newError("commit", "/w", nil, stderrSamples[6].stderr, 1, nil)
	assert.Contains(t, e.Error(), "E155011: File '/tmp/ex/w2/f.txt' is out of date (out of date")
}

func TestParseDiagnosticsContinuation(t *testing.T) {
	d := parseDiagnostics("svn: E215004: No more credentials or we tried too many times.\nAuthentication failed\n")
	require.Len(t, d, 1)
	assert.Equal(t, "No more credentials or we tried too many times. Authentication failed", d[0].text)
}

func TestScrub(t *testing.T) {
	assert.Equal(t, "pw <redacted> here", scrub("pw s3cret here", "s3cret"))
	assert.Equal(t, "http://bob:<redacted>@host/repo and svn://a:<redacted>@h/r", scrub("http://bob:hunter2@host/repo and svn://a:b@h/r", ""))
	assert.Equal(t, "http://host:8080/repo", scrub("http://host:8080/repo", ""))
}

func TestPegEscape(t *testing.T) {
	assert.Equal(t, "a.txt", pegEscape("a.txt"))
	assert.Equal(t, "a@2.txt@", pegEscape("a@2.txt"))
	assert.Equal(t, "svn://u@h/r@", pegEscape("svn://u@h/r"))
	assert.Equal(t, "svn://h/r/a%401@", pegEscape("svn://h/r/a%401"))
	assert.Equal(t, "dir/a%401", pegEscape("dir/a%401"))
}

func TestJoinURL(t *testing.T) {
	assert.Equal(t, "svn://h/r/has%20space%23h@1/%C3%A9t%C3%A9/x", JoinURL("svn://h/r/", "has space#h@1", "été/x"))
	assert.Equal(t, "file:///r/a/b", JoinURL("file:///r", "/a//b/", ""))
}

func TestParseChangeLine(t *testing.T) {
	for _, tc := range []struct {
		line   string
		ok     bool
		action string
		path   string
	}{
		{"A    d/e", true, "A", "d/e"},
		{"U    f.txt", true, "U", "f.txt"},
		{"D    gone", true, "D", "gone"},
		{" U   .", true, "U", "."},
		{"   C g", true, "C", "g"},
		{"C    f", true, "C", "f"},
		{"E    c/f.txt", true, "E", "c/f.txt"},
		{"  B  locked", false, "", ""},
		{"A     leading space", true, "A", " leading space"},
		{"Updated to revision 4.", false, "", ""},
		{"Updating '.':", false, "", ""},
		{"  Text conflicts: 1", false, "", ""},
		{"Summary of conflicts:", false, "", ""},
	} {
		ch, ok := parseChangeLine(tc.line)
		assert.Equal(t, tc.ok, ok, tc.line)
		if ok {
			assert.Equal(t, tc.action, ch.Action, tc.line)
			assert.Equal(t, tc.path, ch.Path, tc.line)
		}
	}
}

func TestParseUpdate(t *testing.T) {
	out := "Updating '.':\nRestored 'sp ace é@2#x.txt'\nA    new\nA    new/f\nU    a.txt\n   C k.txt\nC    f\n U   .\nSkipped 'x' -- Node remains in conflict\nUpdated to revision 7.\nSearching tree conflict details for 'k.txt' in repository:\nChecking r7... done\nSummary of conflicts:\n  Text conflicts: 1\n  Tree conflicts: 1\n"
	var res UpdateResult
	require.NoError(t, parseUpdate(strings.NewReader(out), "/wc", &res))
	assert.Equal(t, int64(7), res.Revision)
	assert.Equal(t, []string{"sp ace é@2#x.txt"}, res.Restored)
	assert.Equal(t, []string{"x"}, res.Skipped)
	assert.Equal(t, []string{"k.txt", "f"}, res.Conflicts)
	require.Len(t, res.Changed, 6)
	assert.Equal(t, Change{Path: ".", Action: "U", Raw: " U  "}, res.Changed[5])
}

// TestParseUpdateOfMany: svn takes HEAD for each target in turn, so a
// commit made meanwhile leaves them at different revisions; each target's
// own is kept.
func TestParseUpdateOfMany(t *testing.T) {
	out := "Updating '7':\nAt revision 9.\nUpdating '18':\nA    18/carbonapps\nA    18/carbonapps/A.car\nUpdated to revision 12.\n" +
		"Summary of updates:\n  Updated '7' to r9.\n  Updated '18' to r12.\n"
	var res UpdateResult
	require.NoError(t, parseUpdate(strings.NewReader(out), "/h/tenants", &res))
	assert.Equal(t, map[string]int64{"7": 9, "18": 12}, res.Targets)
	assert.Equal(t, int64(12), res.Revision)
	assert.Len(t, res.Changed, 2, "the summary lines are not changes")
}

func TestParseUpdateResolved(t *testing.T) {
	out := "Updating '.':\nC    f.txt\n   C t\nUpdated to revision 13.\nMerge conflicts in 'f.txt' marked as resolved.\nTree conflict at 't' marked as resolved.\nSummary of conflicts:\n  Text conflicts: 0 remaining (and 1 already resolved)\n"
	var res UpdateResult
	require.NoError(t, parseUpdate(strings.NewReader(out), "/wc", &res))
	assert.Empty(t, res.Conflicts)
	assert.Len(t, res.Changed, 2)
}

func TestParseAdd(t *testing.T) {
	added, err := parseAdd(strings.NewReader("A         new\nA  (bin)  new/a.car\nA          sp\n"), "/wc")
	require.NoError(t, err)
	assert.Equal(t, []string{"new", "new/a.car", " sp"}, added)
}

func TestParseStatusXML(t *testing.T) {
	x := `<?xml version="1.0" encoding="UTF-8"?>
<status>
<target path=".">
<entry path=".">
<wc-status props="none" wc-locked="true" item="normal" revision="2">
<commit revision="2"><author>root</author><date>2026-11-24T18:35:56.958586Z</date></commit>
</wc-status>
</entry>
<entry path="f.txt"><wc-status item="conflicted" revision="2" props="normal"></wc-status></entry>
<entry path="n"><wc-status item="missing" props="none" revision="-1"></wc-status></entry>
<entry path="u"><wc-status item="unversioned" props="none"></wc-status></entry>
<entry path="g"><wc-status item="added" props="none" copied="true" tree-conflicted="true" revision="-1"><lock><token>x</token><owner>bob</owner></lock></wc-status></entry>
</target>
<changelist name="cl"><entry path="c"><wc-status item="modified" props="modified" revision="3"></wc-status></entry></changelist>
</status>`
	es, err := parseStatus(strings.NewReader(x))
	require.NoError(t, err)
	require.Len(t, es, 6)
	assert.True(t, es[0].Locked)
	assert.Equal(t, int64(2), es[0].LastChangedRev)
	assert.True(t, es[1].Conflicted())
	assert.Equal(t, int64(-1), es[2].Revision)
	assert.Equal(t, int64(-1), es[3].Revision)
	assert.True(t, es[4].TreeConflict)
	assert.Equal(t, "bob", es[4].LockOwner)
	assert.Equal(t, "c", es[5].Path)
	assert.Equal(t, "modified", es[5].Props)
}

func TestParseInfoAndLog(t *testing.T) {
	infos, err := parseInfo(strings.NewReader(`<?xml version="1.0"?><info><entry kind="dir" path="repo" revision="9"><url>file:///r</url><relative-url>^/</relative-url><repository><root>file:///r</root><uuid>u-1</uuid></repository><commit revision="7"><author>a</author><date>2026-11-24T18:36:08.993072Z</date></commit></entry></info>`))
	require.NoError(t, err)
	require.Len(t, infos, 1)
	in := infos[0]
	assert.Equal(t, Info{Path: "repo", URL: "file:///r", RelativeURL: "^/", RepoRoot: "file:///r", RepoUUID: "u-1", Revision: 9,
		LastChangedRev: 7, LastChangedAuthor: "a", LastChangedDate: in.LastChangedDate, Kind: "dir"}, in)
	assert.Equal(t, 2026, in.LastChangedDate.Year())

	logs, err := parseLog(strings.NewReader(`<log><logentry revision="2"><author>x</author><date>2026-11-24T18:35:56.900144Z</date><paths><path action="A" kind="dir">/d</path><path action="M" kind="file">/f é</path></paths><msg>héllo
world</msg></logentry></log>`))
	require.NoError(t, err)
	require.Len(t, logs, 1)
	assert.Equal(t, []string{"/d", "/f é"}, logs[0].Paths)
	assert.Equal(t, "héllo\nworld", logs[0].Message)
	assert.Equal(t, LogChange{Path: "/f é", Action: "M", Kind: "file"}, logs[0].Changes[1])
}

func TestWCTargets(t *testing.T) {
	abs, ts, err := wcTargets("x", "/wc", nil)
	require.NoError(t, err)
	assert.Equal(t, "/wc", abs)
	assert.Equal(t, []string{"."}, ts)

	_, ts, err = wcTargets("x", "/wc", []string{"a/b", "/wc/c", "a/b", "./d/../e"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a/b", "c", "e"}, ts)

	for _, bad := range []string{"../x", "/elsewhere/x", "", "a\nb"} {
		_, _, err = wcTargets("x", "/wc", []string{bad})
		assert.Error(t, err, bad)
	}
}

func TestChunkPaths(t *testing.T) {
	var ps []string
	for i := range 1000 {
		ps = append(ps, fmt.Sprintf("p%04d", i))
	}
	chunks := chunkPaths(ps)
	n := 0
	for _, c := range chunks {
		assert.LessOrEqual(t, len(c), maxArgPaths)
		n += len(c)
	}
	assert.Equal(t, 1000, n)
	assert.Nil(t, chunkPaths(nil))
}

func TestCleanMessage(t *testing.T) {
	assert.Equal(t, "a\nb\nc\td", cleanMessage("a\r\nb\rc\td\x00\x1b"))
	assert.Equal(t, "x\uFFFDy", cleanMessage("x\xffy"))
}

func TestBoundedBuffer(t *testing.T) {
	var b boundedBuffer
	big := bytes.Repeat([]byte("x"), maxStderr*3)
	for _, p := range [][]byte{big, []byte("svn: E155004: last line\n")} {
		n, err := b.Write(p)
		require.NoError(t, err)
		assert.Equal(t, len(p), n, "a write is never short: svn would get EPIPE")
	}
	s := b.String()
	assert.Less(t, len(s), maxStderr+200)
	assert.True(t, strings.HasSuffix(s, "svn: E155004: last line\n"))
	assert.Contains(t, s, "bytes of svn's stderr dropped")
}

func TestVersionAtLeast(t *testing.T) {
	assert.True(t, versionAtLeast("1.14.2", 1, 10))
	assert.True(t, versionAtLeast("1.10.0", 1, 10))
	assert.True(t, versionAtLeast("2.0.0", 1, 10))
	assert.False(t, versionAtLeast("1.9.7", 1, 10))
	assert.False(t, versionAtLeast("garbage", 1, 10))
}

func TestIsURL(t *testing.T) {
	assert.True(t, IsURL("svn://h/r"))
	assert.True(t, IsURL("svn+ssh://h/r"))
	assert.True(t, IsURL("file:///r"))
	assert.False(t, IsURL("/tmp/a://b"))
	assert.False(t, IsURL("relative/path"))
}

// fakeSVN writes an executable script standing in for svn.
func fakeSVN(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "svn")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755))
	return p
}

func TestNewValidatesAndWritesConfig(t *testing.T) {
	bin := fakeSVN(t, "echo 1.14.2\n")
	_, err := New(Options{Binary: bin})
	assert.Error(t, err, "config dir required")
	_, err = New(Options{Binary: bin, StateDir: t.TempDir(), Username: "u", Password: "a\nb"})
	assert.Error(t, err)
	_, err = New(Options{Binary: bin, StateDir: t.TempDir(), Password: "p"})
	assert.Error(t, err, "password without username")
	_, err = New(Options{Binary: filepath.Join(t.TempDir(), "nope"), StateDir: t.TempDir()})
	assert.ErrorIs(t, err, ErrNotInstalled)

	state := t.TempDir()
	c, err := New(Options{Binary: bin, StateDir: state, HTTPTimeout: 1500 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(state, ConfigDirName), c.ConfigDir)
	fi, err := os.Stat(c.ConfigDir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	cfg, err := os.ReadFile(filepath.Join(c.ConfigDir, "config"))
	require.NoError(t, err)
	assert.Contains(t, string(cfg), "enable-auto-props = no")
	assert.Contains(t, string(cfg), "global-ignores =\n")
	srv, err := os.ReadFile(filepath.Join(c.ConfigDir, "servers"))
	require.NoError(t, err)
	assert.Contains(t, string(srv), "http-timeout = 2\n")
	assert.Equal(t, DefaultTimeout, c.Timeout)
	assert.Equal(t, DefaultProbeTimeout, c.ProbeTimeout)
}

func TestClientNeverPrintsPassword(t *testing.T) {
	const pw = "Sup3r-Secret-pw"
	c, err := New(Options{Binary: fakeSVN(t, "echo 1.14.2\n"), StateDir: t.TempDir(), Username: "bob", Password: pw})
	require.NoError(t, err)
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	logger.Info("client", "svn", c, "ptr", *c)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("client", "svn", c)
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprint(*c), fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c),
		fmt.Sprintf("%+v %#v", *c, *c), c.String(), logBuf.String(),
	} {
		assert.NotContains(t, s, pw)
	}
	assert.Contains(t, c.String(), "<redacted>")
	assert.Contains(t, logBuf.String(), `"password_set":true`)
}

func TestVersionCheck(t *testing.T) {
	c, err := New(Options{Binary: fakeSVN(t, "echo 1.9.7\n"), StateDir: t.TempDir()})
	require.NoError(t, err)
	err = c.CheckVersion(t.Context())
	require.ErrorIs(t, err, ErrNotInstalled)
	assert.Contains(t, err.Error(), "1.9.7")
	assert.Contains(t, err.Error(), "1.10 or later")
	// Operations refuse to run too.
	_, err = c.Status(t.Context(), t.TempDir())
	assert.ErrorIs(t, err, ErrNotInstalled)
}

func TestArgvShape(t *testing.T) {
	c, err := New(Options{Binary: fakeSVN(t, "echo 1.14.2\n"), StateDir: t.TempDir(), Username: "bob", Password: "pw", TrustServerCert: true})
	require.NoError(t, err)
	argv, done, err := c.argv(&call{op: "update", args: []string{"--force"}, paths: []string{"a@b", "-rf"}, auth: true})
	require.NoError(t, err)
	done()
	assert.Equal(t, []string{"update", "--non-interactive", "--no-auth-cache", "--config-dir", c.ConfigDir,
		"--username", "bob", "--password-from-stdin", "--trust-server-cert-failures=" + trustFailures,
		"--force", "--", "a@b@", "-rf"}, argv)
	for _, a := range argv {
		assert.NotEqual(t, "pw", a)
	}

	// Long path lists go into a --targets file.
	var many []string
	for i := range maxArgPaths + 1 {
		many = append(many, fmt.Sprintf("f%d@x", i))
	}
	argv, done, err = c.argv(&call{op: "add", paths: many, targets: true})
	require.NoError(t, err)
	require.Equal(t, "--targets", argv[len(argv)-2])
	data, err := os.ReadFile(argv[len(argv)-1])
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "f0@x@\nf1@x@\n"))
	done()
	_, err = os.Stat(argv[len(argv)-1])
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestTopmost(t *testing.T) {
	assert.Equal(t, []string{"a", "a b", "c/d"}, topmost([]string{"a/b/c", "a b", "a/b", "c/d", "a", "c/d/e", "a"}))
	assert.Equal(t, []string{"."}, topmost([]string{"x", ".", "y/z"}))
	assert.Equal(t, []string{"x"}, topmost([]string{"x"}))
}

func TestInfoRepoPath(t *testing.T) {
	const root = "https://svn.example.com/repo"
	for _, tc := range []struct {
		name string
		info Info
		want string
		ok   bool
	}{
		{"relative URL", Info{RelativeURL: "^/-1234"}, "/-1234", true},
		{"relative URL, escaped, trailing slash", Info{RelativeURL: "^/deploy/a%20b/"}, "/deploy/a b", true},
		{"relative URL of the root", Info{RelativeURL: "^/"}, "", true},
		{"URL below the root", Info{URL: root + "/tenants/5", RepoRoot: root}, "/tenants/5", true},
		{"URL of the root", Info{URL: root + "/", RepoRoot: root}, "", true},
		{"URL elsewhere", Info{URL: "https://other/repo/5", RepoRoot: root}, "", false},
		{"URL sharing the root's prefix only", Info{URL: root + "2/5", RepoRoot: root}, "", false},
		{"nothing said", Info{URL: root + "/5"}, "", false},
	} {
		got, ok := tc.info.RepoPath()
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}
