package carbonxml

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

const testPassword = "hunter2&<x>"

func settings(role string) Settings {
	s := ForRole(role, false)
	s.SvnURL = "http://svn.example:8080/svn/depsync"
	s.SvnUser = "carbon"
	s.SvnPassword = testPassword
	s.SvnURLAppendTenantID = true
	return s
}

// blockLines returns the first and last line (1-based) of the live block,
// or 0, 0 when there is none.
func blockLines(t *testing.T, src []byte) (int, int) {
	t.Helper()
	d, err := parse(src)
	require.NoError(t, err)
	if len(d.blocks) == 0 {
		return 0, 0
	}
	return d.blocks[0].line, d.line(d.blocks[0].elem.end - 1)
}

// assertConfined checks that every line that differs between old and out
// lies within the live block (of old for removed lines, of out for added
// ones) or, when rootToo, is the <Server> start tag's line.
func assertConfined(t *testing.T, old, out []byte, rootToo bool) {
	t.Helper()
	of, ol := blockLines(t, old)
	nf, nl := blockLines(t, out)
	d, err := parse(old)
	require.NoError(t, err)
	rootLine := d.root.line
	for _, o := range diffLines(splitLines(string(old)), splitLines(string(out))) {
		switch o.kind {
		case opDel:
			line := o.a + 1
			ok := (line >= of && line <= ol && of > 0) || (rootToo && line == rootLine)
			assert.True(t, ok, "removed line %d outside the block (%d-%d)", line, of, ol)
		case opIns:
			line := o.b + 1
			ok := (line >= nf && line <= nl) || (rootToo && line == rootLine)
			assert.True(t, ok, "added line %d outside the block (%d-%d)", line, nf, nl)
		}
	}
}

func TestForRole(t *testing.T) {
	m := ForRole(config.RoleManager, false)
	assert.Equal(t, Settings{AutoCommit: true, AutoCheckout: true, RepositoryType: "svn"}, m)
	w := ForRole(config.RoleWorker, true)
	assert.Equal(t, Settings{Enabled: true, AutoCheckout: true, RepositoryType: "svn"}, w)
	assert.False(t, ForRole("boss", false).AutoCheckout)

	c := &config.Config{Role: "worker", SVN: config.SVN{URL: "svn://s/r", Username: "u", Password: "p", AppendTenantID: true}}
	s := FromConfig(c)
	// No password: Carbon's synchronizer is off and reads none.
	assert.Equal(t, Settings{AutoCheckout: true, RepositoryType: "svn", SvnURL: "svn://s/r", SvnUser: "u", ClearPassword: true, SvnURLAppendTenantID: true}, s)
}

// TestClearPassword: a plain-text password already in the block is
// emptied; a Secure Vault reference stays; a password to write wins.
func TestClearPassword(t *testing.T) {
	s := settings("worker")
	s.SvnPassword = ""
	s.ClearPassword = true
	out, err := Edit([]byte(fixtureFull), s)
	require.NoError(t, err)
	assert.NotContains(t, string(out), ">password<")
	assert.Contains(t, string(out), "<SvnPassword></SvnPassword>")
	b := readBlockOf(t, out)
	assert.Empty(t, b.SvnPassword.Reveal())
	again, err := Edit(out, s)
	require.NoError(t, err)
	assert.Equal(t, string(out), string(again), "clearing twice changes nothing")

	vault := settings("worker")
	vault.SecureVault = true
	withAlias, err := Edit([]byte(fixtureFull), vault)
	require.NoError(t, err)
	kept, err := Edit(withAlias, s)
	require.NoError(t, err)
	assert.True(t, readBlockOf(t, kept).SecureVault, "a Secure Vault reference is not a password to clear")

	s.SvnPassword = "new-one"
	out, err = Edit([]byte(fixtureFull), s)
	require.NoError(t, err)
	assert.Equal(t, "new-one", readBlockOf(t, out).SvnPassword.Reveal())
}

func readBlockOf(t *testing.T, src []byte) *Block {
	t.Helper()
	p := filepath.Join(t.TempDir(), "carbon.xml")
	require.NoError(t, os.WriteFile(p, src, 0o600))
	b, err := Read(p)
	require.NoError(t, err)
	return b
}

func TestEdit(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		s       Settings
		created bool
		rootToo bool // the <Server> start tag may change (Secure Vault)
		check   func(t *testing.T, out string)
	}{
		{name: "full manager", src: fixtureFull, s: settings("manager"), check: func(t *testing.T, out string) {
			assert.Contains(t, out, commentedBlock)
			assert.Contains(t, out, "        <AutoCommit>true</AutoCommit>\n        <AutoCheckout>true</AutoCheckout>\n")
			assert.Contains(t, out, "<SvnPassword>hunter2&amp;&lt;x&gt;</SvnPassword>")
		}},
		{name: "EI 6.1.1 manager", src: fixtureEI, s: settings("manager"), check: func(t *testing.T, out string) {
			assert.Contains(t, out, "    <!--<DeploymentSynchronizer>\n        <Enabled>true</Enabled>\n")
			assert.Contains(t, out, "        <Enabled>false</Enabled>\n        <AutoCommit>true</AutoCommit>\n")
			assert.Contains(t, out, "        <SvnClient>svnkit</SvnClient>\n", "what depsync does not own stays")
		}},
		{name: "full worker", src: fixtureFull, s: settings("worker"), check: func(t *testing.T, out string) {
			assert.Contains(t, out, commentedBlock)
			assert.Contains(t, out, "<AutoCommit>false</AutoCommit>")
		}},
		{name: "carbon sync on", src: fixtureFull, s: func() Settings { s := settings("worker"); s.Enabled = true; return s }(),
			check: func(t *testing.T, out string) {
				assert.Contains(t, out, "    <DeploymentSynchronizer>\n        <Enabled>true</Enabled>\n")
				assert.Contains(t, out, commentedBlock)
			}},
		{name: "no block", src: fixtureNoBlock, s: settings("manager"), created: true, check: func(t *testing.T, out string) {
			assert.Equal(t, head+`
    <ServerInitializers>
        <!--<Initializer></Initializer>-->
    </ServerInitializers>
    <DeploymentSynchronizer>
        <Enabled>false</Enabled>
        <AutoCommit>true</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
        <RepositoryType>svn</RepositoryType>
        <SvnUrl>http://svn.example:8080/svn/depsync</SvnUrl>
        <SvnUser>carbon</SvnUser>
        <SvnPassword>hunter2&amp;&lt;x&gt;</SvnPassword>
        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>
    </DeploymentSynchronizer>
</Server>
`, out)
		}},
		{name: "only commented block", src: fixtureOnlyCommented, s: settings("worker"), created: true, check: func(t *testing.T, out string) {
			assert.Contains(t, out, commentedBlock)
			assert.Equal(t, 2, strings.Count(out, "<DeploymentSynchronizer>"))
		}},
		{name: "crlf", src: fixtureCRLF, s: settings("manager"), check: func(t *testing.T, out string) {
			assert.Equal(t, strings.Count(out, "\n"), strings.Count(out, "\r\n"), "bare LF written")
			assert.Contains(t, out, strings.ReplaceAll(commentedBlock, "\n", "\r\n"))
		}},
		{name: "crlf no block", src: strings.ReplaceAll(fixtureNoBlock, "\n", "\r\n"), s: settings("manager"), created: true,
			check: func(t *testing.T, out string) {
				assert.Equal(t, strings.Count(out, "\n"), strings.Count(out, "\r\n"), "bare LF written")
				assert.Contains(t, out, "\r\n    <DeploymentSynchronizer>\r\n        <Enabled>false</Enabled>\r\n")
			}},
		{name: "tabs, partial block", src: fixtureTabs, s: settings("manager"), check: func(t *testing.T, out string) {
			assert.Equal(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"+
				"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\n"+
				"\t<Name>Tabbed</Name>\n"+
				"\t<DeploymentSynchronizer>\n"+
				"\t\t<Enabled>false</Enabled>\n"+
				"\t\t<AutoCommit>true</AutoCommit>\n"+
				"\t\t<AutoCheckout>true</AutoCheckout>\n"+
				"\t\t<RepositoryType>svn</RepositoryType>\n"+
				"\t\t<SvnUrl>http://svn.example:8080/svn/depsync</SvnUrl>\n"+
				"\t\t<SvnUser>carbon</SvnUser>\n"+
				"\t\t<SvnPassword>hunter2&amp;&lt;x&gt;</SvnPassword>\n"+
				"\t\t<SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\n"+
				"\t</DeploymentSynchronizer>\n"+
				"</Server>\n", out)
		}},
		{name: "tabs, no block", src: fixtureTabsNoBlock, s: settings("worker"), created: true, check: func(t *testing.T, out string) {
			assert.Contains(t, out, "\t</Ports>\n\t<DeploymentSynchronizer>\n\t\t<Enabled>false</Enabled>\n")
			assert.Contains(t, out, "\t\t<SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\n\t</DeploymentSynchronizer>\n</Server>\n")
		}},
		{name: "extra children kept", src: fixtureExtra, s: settings("manager"), check: func(t *testing.T, out string) {
			for _, s := range []string{"<SvnForceUpdate>true</SvnForceUpdate>", "<SvnIgnoreExternals>true</SvnIgnoreExternals>",
				"<SvnClient>svnkit</SvnClient>", "<!-- <AutoCheckout>false</AutoCheckout> -->"} {
				assert.Contains(t, out, s)
			}
			assert.Contains(t, out, commentedBlock)
		}},
		{name: "self-closing block", src: fixtureSelfClosing, s: settings("worker"), check: func(t *testing.T, out string) {
			assert.Contains(t, out, "\n    <DeploymentSynchronizer>\n        <Enabled>false</Enabled>\n")
			assert.Contains(t, out, "        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\n    </DeploymentSynchronizer>\n")
		}},
		{name: "empty block", src: fixtureEmpty, s: settings("worker"), check: func(t *testing.T, out string) {
			assert.Contains(t, out, "\n    <DeploymentSynchronizer>\n        <Enabled>false</Enabled>\n")
			assert.Contains(t, out, "        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\n    </DeploymentSynchronizer>\n")
		}},
		{name: "one-line block", src: fixtureOneLine, s: settings("worker"), check: func(t *testing.T, out string) {
			assert.Contains(t, out, "    <DeploymentSynchronizer><Enabled>false</Enabled><AutoCommit>false</AutoCommit>")
			assert.Contains(t, out, "<SvnClient>svnkit</SvnClient></DeploymentSynchronizer>\n")
		}},
		{name: "latin-1", src: fixtureLatin1, s: func() Settings { s := settings("worker"); s.SvnUser = "jörg"; return s }(),
			check: func(t *testing.T, out string) {
				assert.Contains(t, out, "Copyright \xa9 header.")
				assert.Contains(t, out, "<SvnUser>j&#246;rg</SvnUser>")
			}},
		{name: "secure vault, namespace added", src: fixtureFull, s: func() Settings { s := settings("manager"); s.SecureVault = true; return s }(),
			rootToo: true, check: func(t *testing.T, out string) {
				assert.Contains(t, out, `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml" xmlns:svns="http://org.wso2.securevault/configuration">`)
				assert.Contains(t, out, `<SvnPassword svns:secretAlias="Carbon.DeploymentSynchronizer.SvnPassword">password</SvnPassword>`)
				assert.NotContains(t, out, "hunter2")
			}},
		{name: "secure vault, namespace declared", src: fixtureSecure, s: func() Settings { s := settings("manager"); s.SecureVault = true; return s }(),
			check: func(t *testing.T, out string) {
				assert.Contains(t, out, `<SvnPassword sv:secretAlias="Carbon.DeploymentSynchronizer.SvnPassword">password</SvnPassword>`)
				assert.NotContains(t, out, "xmlns:svns")
			}},
		{name: "keep what is not given", src: fixtureFull, s: ForRole("manager", false), check: func(t *testing.T, out string) {
			assert.Contains(t, out, "<SvnUrl>http://svnrepo.example.com/repos/</SvnUrl>")
			assert.Contains(t, out, "<SvnPassword>password</SvnPassword>")
			assert.Contains(t, out, "<SvnUrlAppendTenantId>false</SvnUrlAppendTenantId>")
		}},
		{name: "root self-closing", src: fixtureRootSelfClosing, s: settings("worker"), created: true, check: func(t *testing.T, out string) {
			assert.True(t, strings.HasPrefix(out, `<?xml version="1.0"?>`+"\n"+`<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">`+"\n    <DeploymentSynchronizer>\n"), out)
			assert.True(t, strings.HasSuffix(out, "    </DeploymentSynchronizer>\n</Server>\n"), out)
		}},
		{name: "one-line document", src: fixtureNoIndent, s: settings("worker"), created: true, check: func(t *testing.T, out string) {
			assert.True(t, strings.HasPrefix(out, `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Name>x</Name>`+"\n    <DeploymentSynchronizer>\n"), out)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, created, err := edit([]byte(tt.src), tt.s)
			require.NoError(t, err)
			assert.Equal(t, tt.created, created)
			if tt.check != nil {
				tt.check(t, string(out))
			}
			if !tt.created && !strings.Contains(tt.name, "self-closing") {
				assertConfined(t, []byte(tt.src), out, tt.rootToo)
			}
			// The result reads back as written and a second run is a no-op.
			d, err := parse(out)
			require.NoError(t, err)
			b, err := d.readBlock()
			require.NoError(t, err)
			require.NoError(t, tt.s.matches(b))
			again, err := Edit(out, tt.s)
			require.NoError(t, err)
			assert.Equal(t, string(out), string(again), "second run changed the file")
		})
	}
}

func TestEditInsertsOnlyTheBlock(t *testing.T) {
	// A created block is a pure insertion: removing its lines gives the
	// original back.
	for _, src := range []string{fixtureNoBlock, fixtureOnlyCommented, fixtureTabsNoBlock} {
		out, err := Edit([]byte(src), settings("manager"))
		require.NoError(t, err)
		for _, o := range diffLines(splitLines(src), splitLines(string(out))) {
			assert.NotEqual(t, opDel, o.kind)
		}
		assertConfined(t, []byte(src), out, false)
	}
}

func TestEditSwitchesSecureVaultBack(t *testing.T) {
	sv := settings("worker")
	sv.SecureVault = true
	out, err := Edit([]byte(fixtureFull), sv)
	require.NoError(t, err)
	plain, err := Edit(out, settings("worker"))
	require.NoError(t, err)
	assert.Contains(t, string(plain), "<SvnPassword>hunter2&amp;&lt;x&gt;</SvnPassword>")
	assert.NotContains(t, string(plain), "secretAlias")
	// With no password given the reference is kept as it is.
	keep := settings("worker")
	keep.SvnPassword = ""
	same, err := Edit(out, keep)
	require.NoError(t, err)
	assert.Equal(t, string(out), string(same))
}

func TestEditErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		s         Settings
		is        error
		want      []string
		line, col int
	}{
		{name: "unclosed element", src: "<Server xmlns=\"" + CarbonNS + "\">\n  <Name>x</Name>\n  <Ports>\n</Server>\n",
			is: ErrMalformed, want: []string{"line 4", "<Ports> closed by </Server>"}, line: 4, col: 10},
		{name: "bad entity", src: "<Server>\n  <Name>a &nbsp; b</Name>\n</Server>", is: ErrMalformed, want: []string{"line 2", "&nbsp;"}, line: 2},
		{name: "truncated", src: "<Server>\n  <Name>a</Name>\n", is: ErrMalformed, want: []string{"unexpected EOF"}, line: 3, col: 1},
		{name: "text after root", src: "<Server/>\ngarbage\n", is: ErrMalformed, want: []string{"text outside the root element"}, line: 1},
		{name: "two roots", src: "<Server/>\n<Server/>\n", is: ErrMalformed, want: []string{"second root"}, line: 2, col: 1},
		{name: "empty", src: "", is: ErrMalformed, want: []string{"no root element"}},
		{name: "wrong root", src: "<axisconfig name=\"AxisJava2.0\"/>", is: ErrNotCarbonXML, want: []string{"<axisconfig>", "not Carbon's <Server"}},
		{name: "wrong namespace", src: "<Server xmlns=\"urn:other\"/>", is: ErrNotCarbonXML, want: []string{"urn:other"}},
		{name: "two live blocks", src: head + liveBlock + liveBlock + tail, is: ErrDuplicateBlock, want: []string{"lines 16 and 30"}},
		{name: "duplicate child", src: head + "    <DeploymentSynchronizer>\n        <SvnUrl>a</SvnUrl>\n        <SvnUrl>b</SvnUrl>\n    </DeploymentSynchronizer>\n" + tail,
			is: ErrDuplicateChild, want: []string{"<SvnUrl>", "lines 13 and 14"}},
		{name: "utf-16", src: "\xff\xfe<\x00S\x00", is: ErrUnsupportedEncoding, want: []string{"UTF-16"}},
		{name: "other encoding", src: `<?xml version="1.0" encoding="Shift_JIS"?><Server/>`, is: ErrUnsupportedEncoding, want: []string{"Shift_JIS"}},
		{name: "password with a line end", src: fixtureFull, s: Settings{SvnPassword: "sec\nret"}, is: ErrInvalidSettings, want: []string{"SvnPassword", "control character"}},
		{name: "url with spaces", src: fixtureFull, s: Settings{SvnURL: " http://x "}, is: ErrInvalidSettings, want: []string{"SvnUrl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Edit([]byte(tt.src), tt.s)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			assert.True(t, IsBadInput(err))
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "sec\nret")
			if tt.line > 0 {
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.line, se.Line, err.Error())
				if tt.col > 0 {
					assert.Equal(t, tt.col, se.Column, err.Error())
				}
			}
		})
	}
}

func TestMalformedColumnCountsCharacters(t *testing.T) {
	src := "<Server>\n  <Name>äöü</Nom>\n</Server>"
	_, err := Edit([]byte(src), settings("worker"))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
	assert.Equal(t, 18, se.Column) // just after "</Nom>", where the decoder stopped, in characters
}

func TestReadBlock(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	b, err := Read(write("full.xml", fixtureExtra))
	require.NoError(t, err)
	assert.True(t, b.Present)
	assert.Equal(t, 12, b.Line)
	assert.False(t, b.Enabled)
	assert.True(t, b.AutoCheckout)
	assert.Equal(t, "http://svnrepo.example.com/repos/", b.SvnURL)
	assert.Equal(t, "password", b.SvnPassword.Reveal())
	assert.Equal(t, []string{"SvnForceUpdate", "SvnIgnoreExternals", "SvnClient"}, b.Extra)
	j, err := json.Marshal(b)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"svn_password":"\u003credacted\u003e"`)
	assert.NotContains(t, string(j)+fmt.Sprintf("%v %+v", b, *b), `"password"`)

	b, err = Read(write("none.xml", fixtureOnlyCommented))
	require.NoError(t, err)
	assert.False(t, b.Present)

	b, err = Read(write("latin1.xml", fixtureLatin1))
	require.NoError(t, err)
	assert.Equal(t, "jürgen", b.SvnUser)

	_, err = Read(filepath.Join(dir, "missing.xml"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "missing.xml: file not found")
	_, err = Read(dir)
	assert.ErrorIs(t, err, ErrNotRegular)
}

func TestApply(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "carbon.xml")
	require.NoError(t, os.WriteFile(path, []byte(fixtureFull), 0o640))
	now := func() time.Time { return time.Date(2026, 11, 24, 18, 30, 0, 0, time.FixedZone("CET", 3600)) }
	s := settings("manager")

	// Dry run: a diff, nothing written.
	res, err := Apply(path, s, ApplyOptions{DryRun: true, Now: now})
	require.NoError(t, err)
	assert.Equal(t, StatusUpdated, res.Status)
	assert.Empty(t, res.Backup)
	assert.Contains(t, res.Diff, "-        <AutoCommit>false</AutoCommit>\n+        <AutoCommit>true</AutoCommit>\n")
	assert.Contains(t, res.Diff, "+        <SvnPassword><redacted></SvnPassword>")
	assert.NotContains(t, res.Diff, "hunter2")
	assert.NotContains(t, res.Diff, ">password<")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, fixtureFull, string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	res, err = Apply(path, s, ApplyOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, StatusUpdated, res.Status)
	assert.Equal(t, filepath.Join(dir, "carbon.xml.depsync-20261124T173000Z.bak"), res.Backup)
	bak, err := os.ReadFile(res.Backup)
	require.NoError(t, err)
	assert.Equal(t, fixtureFull, string(bak))
	bfi, err := os.Stat(res.Backup)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), bfi.Mode().Perm(), "a backup may hold a password: owner only")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
	b, err := Read(path)
	require.NoError(t, err)
	assert.True(t, b.AutoCommit)
	assert.Equal(t, testPassword, b.SvnPassword.Reveal())

	// Second run: unchanged, no new backup, no temp files left.
	res, err = Apply(path, s, ApplyOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, StatusUnchanged, res.Status)
	assert.Empty(t, res.Backup)
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2)

	// A change in the same second gets its own backup.
	res, err = Apply(path, settings("worker"), ApplyOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "carbon.xml.depsync-20261124T173000Z-2.bak"), res.Backup)

	// Created.
	p2 := filepath.Join(dir, "nb.xml")
	require.NoError(t, os.WriteFile(p2, []byte(fixtureNoBlock), 0o644))
	res, err = Apply(p2, s, ApplyOptions{Now: now})
	require.NoError(t, err)
	assert.Equal(t, StatusCreated, res.Status)
}

func TestApplyFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.xml")
	require.NoError(t, os.WriteFile(real, []byte(fixtureFull), 0o644))
	link := filepath.Join(dir, "carbon.xml")
	require.NoError(t, os.Symlink(real, link))
	res, err := Apply(link, settings("worker"), ApplyOptions{})
	require.NoError(t, err)
	assert.Equal(t, link, res.File)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&fs.ModeSymlink, "the link was replaced by a file")
	b, err := Read(real)
	require.NoError(t, err)
	assert.Equal(t, "carbon", b.SvnUser)
}

func TestApplyBadInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	src := head + liveBlock + liveBlock + tail
	require.NoError(t, os.WriteFile(bad, []byte(src), 0o644))
	_, err := Apply(bad, settings("worker"), ApplyOptions{})
	require.ErrorIs(t, err, ErrDuplicateBlock)
	assert.Contains(t, err.Error(), bad)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
	got, err := os.ReadFile(bad)
	require.NoError(t, err)
	assert.Equal(t, src, string(got))

	_, err = Apply(filepath.Join(dir, "nope.xml"), settings("worker"), ApplyOptions{})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.True(t, IsBadInput(err))
}

func TestApplyNoPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write anything")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "carbon.xml")
	require.NoError(t, os.WriteFile(path, []byte(fixtureFull), 0o444))
	_, err := Apply(path, settings("worker"), ApplyOptions{})
	require.ErrorIs(t, err, fs.ErrPermission)
	assert.True(t, IsBadInput(err))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { assert.NoError(t, os.Chmod(dir, 0o755)) })
	_, err = Apply(path, settings("worker"), ApplyOptions{})
	require.ErrorIs(t, err, fs.ErrPermission)
	assert.Contains(t, err.Error(), "no permission to write in")
}

func TestUnifiedDiff(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"
	new := "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\nL\nm\nn"
	got := unifiedDiff("f", []byte(old), []byte(new), func(s string) string { return s })
	assert.Equal(t, `--- f
+++ f (new)
@@ -1,7 +1,7 @@
 a
 b
 c
-d
+D
 e
 f
 g
@@ -9,5 +9,6 @@
 i
 j
 k
-l
+L
 m
+n
\ No newline at end of file
`, got)
	assert.Empty(t, unifiedDiff("f", []byte(old), []byte(old), nil))
}

// TestRealFiles runs over the shipped carbon.xml files in
// $DEPSYNC_TESTDATA/carbon (see ../shared/README.md).
func TestRealFiles(t *testing.T) {
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA not set")
	}
	files, err := filepath.Glob(filepath.Join(root, "carbon", "*.xml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	const commented = "<!--<DeploymentSynchronizer>"
	for _, f := range files {
		shipped, err := os.ReadFile(f)
		require.NoError(t, err)
		crlf := []byte(strings.ReplaceAll(string(shipped), "\n", "\r\n"))
		for _, tc := range []struct {
			role   string
			secure bool
			crlf   bool
		}{{"manager", false, false}, {"worker", false, false}, {"manager", true, false}, {"worker", false, true}} {
			orig := shipped
			if tc.crlf {
				orig = crlf
			}
			t.Run(fmt.Sprintf("%s/%s/securevault=%v/crlf=%v", filepath.Base(f), tc.role, tc.secure, tc.crlf), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "carbon.xml")
				require.NoError(t, os.WriteFile(path, orig, 0o644))
				s := settings(tc.role)
				s.SecureVault = tc.secure

				res, err := Apply(path, s, ApplyOptions{})
				require.NoError(t, err)
				assert.Equal(t, StatusUpdated, res.Status)
				assert.NotContains(t, res.Diff, "hunter2")
				out, err := os.ReadFile(path)
				require.NoError(t, err)
				assertConfined(t, orig, out, tc.secure)

				// The commented-out block, where the file has one, is
				// byte-identical.
				if i := strings.Index(string(orig), commented); i >= 0 {
					j := strings.Index(string(orig[i:]), "-->") + i + 3
					assert.Contains(t, string(out), string(orig[i:j]))
					assert.Equal(t, strings.Count(string(orig), commented), strings.Count(string(out), commented))
				}
				b, err := Read(path)
				require.NoError(t, err)
				require.NoError(t, s.matches(b))
				assert.False(t, b.Enabled)
				assert.Equal(t, tc.role == "manager", b.AutoCommit)

				res, err = Apply(path, s, ApplyOptions{})
				require.NoError(t, err)
				assert.Equal(t, StatusUnchanged, res.Status)
				again, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, string(out), string(again))
				if tc.crlf {
					assert.Equal(t, strings.Count(string(out), "\n"), strings.Count(string(out), "\r\n"), "bare LF written")
				}
			})
		}

		// Switching roles and agents on one file: each step changes only
		// the block and the commented-out block never changes.
		t.Run(filepath.Base(f)+"/sequence", func(t *testing.T) {
			cur := shipped
			steps := []Settings{settings("manager"), settings("worker"), func() Settings {
				s := settings("worker")
				s.Enabled = true
				return s
			}(), settings("manager")}
			for i, s := range steps {
				out, err := Edit(cur, s)
				require.NoError(t, err, "step %d", i)
				assertConfined(t, cur, out, false)
				if i := strings.Index(string(shipped), commented); i >= 0 {
					j := strings.Index(string(shipped[i:]), "-->") + i + 3
					assert.Contains(t, string(out), string(shipped[i:j]))
				}
				cur = out
			}
		})
	}
}

func TestErrorsNeverHoldThePassword(t *testing.T) {
	s := settings("worker")
	s.SvnPassword = "topsecret\x01"
	_, err := Edit([]byte(fixtureFull), s)
	require.ErrorIs(t, err, ErrInvalidSettings)
	assert.NotContains(t, err.Error(), "topsecret")
	assert.False(t, errors.Is(err, ErrMalformed))
}

func TestSettingsNeverPrintThePassword(t *testing.T) {
	s := settings("manager")
	var buf strings.Builder
	l := slog.New(slog.NewTextHandler(&buf, nil))
	l.Info("x", "settings", s)
	j, err := json.Marshal(s)
	require.NoError(t, err)
	all := fmt.Sprintf("%v %+v %#v %s", s, s, s, s) + buf.String() + string(j)
	assert.NotContains(t, all, "hunter2")
	assert.Contains(t, all, "<redacted>")
	assert.Contains(t, string(j), `"SvnURL":"http://svn.example:8080/svn/depsync"`)
}
