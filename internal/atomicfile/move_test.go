package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree makes a folder with a file, a subfolder and a symlink.
func tree(t *testing.T, dir string) string {
	src := filepath.Join(dir, "obstruction")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.xml"), []byte("<a/>"), 0o640))
	require.NoError(t, os.WriteFile(filepath.Join(src, "sub", "b.car"), []byte("PK"), 0o644))
	require.NoError(t, os.Symlink("a.xml", filepath.Join(src, "link")))
	return src
}

func checkMoved(t *testing.T, src, dst string) {
	_, err := os.Lstat(src)
	assert.True(t, os.IsNotExist(err), "src is gone")
	data, err := os.ReadFile(filepath.Join(dst, "a.xml"))
	require.NoError(t, err)
	assert.Equal(t, "<a/>", string(data))
	data, err = os.ReadFile(filepath.Join(dst, "sub", "b.car"))
	require.NoError(t, err)
	assert.Equal(t, "PK", string(data))
	link, err := os.Readlink(filepath.Join(dst, "link"))
	require.NoError(t, err)
	assert.Equal(t, "a.xml", link, "a symlink stays a link")
}

func TestMoveOnOneFileSystem(t *testing.T) {
	dir := t.TempDir()
	src := tree(t, dir)
	dst := filepath.Join(dir, "backup", "2026", "obstruction")
	require.NoError(t, Move(src, dst))
	checkMoved(t, src, dst)
}

func TestMoveAcrossFileSystems(t *testing.T) {
	other := "/dev/shm"
	var a, b syscall.Stat_t
	dir := t.TempDir()
	if syscall.Stat(other, &b) != nil || syscall.Stat(dir, &a) != nil || a.Dev == b.Dev {
		t.Skip("no second file system to move across")
	}
	dstRoot, err := os.MkdirTemp(other, "move-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dstRoot) })
	src := tree(t, dir)
	dst := filepath.Join(dstRoot, "obstruction")
	require.NoError(t, Move(src, dst))
	checkMoved(t, src, dst)
	fi, err := os.Stat(filepath.Join(dst, "a.xml"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "attributes kept")
}

func TestMoveAFileThatIsGone(t *testing.T) {
	dir := t.TempDir()
	err := Move(filepath.Join(dir, "gone"), filepath.Join(dir, "dst"))
	require.Error(t, err)
}
