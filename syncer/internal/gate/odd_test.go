package gate

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		assert.Equal(t, tt.bad, BadName(tt.path) != "", "%q", tt.path)
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
		c      oddCase
		reason string // "" not odd
	}{
		{oddCase{"api/a.xml", false}, ""},
		{oddCase{"api", false}, ""},
		{oddCase{"api/gone.xml", true}, ""},
		{oddCase{"api/nl\nx.xml", false}, reasonBadName},
		{oddCase{"api/passwd.xml", false}, reasonSymlink},
		{oddCase{"linkdir", false}, reasonSymlink},
		{oddCase{"api/fifo.xml", false}, reasonIrregular},
		{oddCase{"App_1.0.0.car", false}, reasonSymlink},
		{oddCase{"App_1.0.0.car", true}, reasonSymlink},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.reason != "", g.Odd(tt.c.path, tt.c.deleted, false), "%q deleted:%v", tt.c.path, tt.c.deleted)
		if tt.reason != "" {
			assert.Equal(t, tt.reason, g.rejected[tt.c.path].Reason, tt.c.path)
		}
	}
	assert.Len(t, recs, 5, "each odd path recorded once: %v", recs)

	// The link replaced by the file itself: no longer rejected.
	require.NoError(t, os.Remove(filepath.Join(dir, "api", "passwd.xml")))
	write("api/passwd.xml")
	assert.False(t, g.Odd("api/passwd.xml", false, false))
	assert.NotContains(t, g.rejected, "api/passwd.xml")
	assert.Len(t, recs, 6)
	assert.True(t, recs[5].isDrop)
}

// oddCase is a path as svn status names it: deleted when it says it is
// gone.
type oddCase struct {
	path    string
	deleted bool
}
