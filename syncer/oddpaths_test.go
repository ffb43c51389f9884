package syncer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
)

func TestBadName(t *testing.T) {
	tests := []struct {
		path string
		bad  bool
	}{
		{"synapse-configs/default/api/a.xml", false},
		{"carbonapps/App_1.0.0.car", false},
		{"api/pre existing.xml", false},
		{"api/ünïcödé – 名前.xml", false},
		{"api/nl\nx.xml", true},
		{"api/tab\tx.xml", true},
		{"api/cr\rx.xml", true},
		{"api/del\x7fx.xml", true},
		{"api/bad\xff.xml", true},
		{"bad\xc3/a.xml", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.bad, badName(tt.path) != "", "%q", tt.path)
	}
}

func TestOddKind(t *testing.T) {
	tests := []struct {
		mode   fs.FileMode
		reason string
	}{
		{0o644, ""},
		{fs.ModeDir | 0o755, ""},
		{fs.ModeSymlink | 0o777, reasonSymlink},
		{fs.ModeNamedPipe | 0o644, reasonIrregular},
		{fs.ModeSocket | 0o644, reasonIrregular},
		{fs.ModeDevice | fs.ModeCharDevice | 0o644, reasonIrregular},
	}
	for _, tt := range tests {
		r, _ := oddKind(tt.mode)
		assert.Equal(t, tt.reason, r, "%v", tt.mode)
	}
}

func svnErr(codes []string, msg string) error {
	return &svn.Error{Op: "commit", Codes: codes, Message: msg}
}

func TestRefusedPaths(t *testing.T) {
	const dir = "/srv/wc"
	ready := []string{"api/a.xml", "newdir/ok.xml", "newdir/sub/b.xml", "api/nl\nx.xml", "-gone.xml"}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"not svn's", errors.New("svn: E000022: Error converting entry in directory '/srv/wc/newdir'"), nil},
		{"another code", svnErr([]string{"E155004"}, "svn: E155004: Working copy '/srv/wc/newdir' locked."), nil},
		{"a folder it cannot read", svnErr([]string{"E000022", "E000022"},
			"svn: E000022: Error converting entry in directory '/srv/wc/newdir' to UTF-8\nsvn: E000022: Valid UTF-8 data"),
			[]string{"newdir/ok.xml", "newdir/sub/b.xml"}},
		{"a control character", svnErr([]string{"E160005"}, "svn: E160005: Invalid control character '0x0a' in path '/srv/wc/api/nl\nx.xml'"),
			[]string{"api/nl\nx.xml"}},
		{"a kind it does not version", svnErr([]string{"E200007"}, "svn: E200007: Unsupported node kind for path '/srv/wc/api/a.xml'"),
			[]string{"api/a.xml"}},
		{"a folder not in the commit", svnErr([]string{"E200009"},
			"svn: E200009: '/srv/wc/newdir' is not known to exist in the repository and is not part of the commit, yet its child '/srv/wc/newdir/ok.xml' is part of the commit"),
			[]string{"newdir/ok.xml", "newdir/sub/b.xml"}},
		{"the whole tree named", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/srv/wc' to UTF-8"), nil},
		{"outside the tree", svnErr([]string{"E200007"}, "svn: E200007: Unsupported node kind for path '/etc/passwd'"), nil},
		{"a relative path", svnErr([]string{"E200007"}, "svn: E200007: Unsupported node kind for path 'api/a.xml'"),
			[]string{"api/a.xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, refusedPaths(tt.err, dir, ready))
		})
	}
}

func TestUnreadableDir(t *testing.T) {
	const dir = "/srv/wc"
	tests := []struct {
		name string
		err  error
		want string
		ok   bool
	}{
		{"a folder", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/srv/wc/synapse-configs/default/api' to UTF-8\nsvn: E000022: Valid UTF-8 data\n(hex: 62 61 64)"),
			"synapse-configs/default/api", true},
		{"the root", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/srv/wc' to UTF-8"), ".", true},
		{"a target, no folder", svnErr([]string{"E000022"}, "svn: E000022: Valid UTF-8 data\n(hex: 62 61 64)"), "", false},
		{"outside", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/elsewhere' to UTF-8"), "", false},
		{"another code", svnErr([]string{"E155004"}, "Error converting entry in directory '/srv/wc/api' to UTF-8"), "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := unreadableDir(tt.err, dir)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAround(t *testing.T) {
	tree := map[string][]string{
		".":          {"api", "carbonapps", "top.xml"},
		"api":        {"a.xml", "bad\xff.xml", "sub"},
		"api/sub":    {"s.xml"},
		"carbonapps": {"App_1.0.0.car"},
	}
	list := func(d string) ([]string, error) { return tree[d], nil }
	bad := map[string]bool{"api": true}
	tests := []struct {
		name     string
		targets  []string
		infinity bool
		want     []string
		odd      []string
	}{
		{"the whole tree", []string{"."}, true,
			[]string{"api/a.xml", "api/sub", "carbonapps", "top.xml"}, []string{"api/bad\xff.xml"}},
		{"immediates of the folder and a file in it", []string{"api", "api/a.xml", "carbonapps"}, false,
			[]string{"api/a.xml", "api/sub", "carbonapps"}, []string{"api/bad\xff.xml"}},
		{"immediates of a parent: it reads only its own names", []string{"."}, false, []string{"."}, nil},
		{"nothing near", []string{"carbonapps"}, true, []string{"carbonapps"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, odd, err := around(tt.targets, bad, tt.infinity, list)
			require.NoError(t, err)
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.odd, odd)
		})
	}
}

// TestGateRejectsOddPaths: a symlink, a FIFO and a bad name are rejected
// once each (judged again only when they change); a regular file, a folder
// and a path gone from disk are not odd; a deletion whose path is now a
// link is rejected, not taken for a deletion.
func TestGateRejectsOddPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), []byte("<a/>"), 0o644))
	}
	write("api/a.xml")
	write("api/nl\nx.xml")
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "api", "passwd.xml")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "api"), filepath.Join(dir, "linkdir")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "api", "fifo.xml"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(dir, "api", "a.xml"), filepath.Join(dir, "App_1.0.0.car")))

	var recs []recorded
	g := testGate(dir, time.Now(), &recs)
	tests := []struct {
		c      candidate
		reason string // "" not odd
	}{
		{candidate{path: "api/a.xml", op: '+'}, ""},
		{candidate{path: "api", op: '+', dir: true}, ""},
		{candidate{path: "api/gone.xml", op: '-'}, ""},
		{candidate{path: "api/nl\nx.xml", op: '+'}, reasonBadName},
		{candidate{path: "api/passwd.xml", op: '+'}, reasonSymlink},
		{candidate{path: "linkdir", op: '+'}, reasonSymlink},
		{candidate{path: "api/fifo.xml", op: '+'}, reasonIrregular},
		{candidate{path: "App_1.0.0.car", op: '~'}, reasonSymlink},
		{candidate{path: "App_1.0.0.car", op: '-'}, reasonSymlink},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.reason != "", g.odd(tt.c), "%q %c", tt.c.path, tt.c.op)
		if tt.reason != "" {
			assert.Equal(t, tt.reason, g.rejected[tt.c.path].Reason, tt.c.path)
		}
	}
	assert.Len(t, recs, 5, "each odd path recorded once: %v", recs)

	// The link replaced by the file itself: no longer rejected.
	require.NoError(t, os.Remove(filepath.Join(dir, "api", "passwd.xml")))
	write("api/passwd.xml")
	assert.False(t, g.odd(candidate{path: "api/passwd.xml", op: '+'}))
	assert.NotContains(t, g.rejected, "api/passwd.xml")
	assert.Len(t, recs, 6)
	assert.True(t, recs[5].isDrop)
}
