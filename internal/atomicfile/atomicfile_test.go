package atomicfile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		old  []byte // nil: no file before
	}{
		{"new file", nil},
		{"replaces", []byte("old content")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			if tc.old != nil {
				require.NoError(t, os.WriteFile(p, tc.old, 0o644))
			}
			require.NoError(t, WriteFile(p, []byte("new"), 0o640))
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, "new", string(got))
			fi, err := os.Stat(p)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm(), "exact mode whatever the umask")
			assert.Equal(t, []string{"f"}, names(t, dir), "no temporary file left")
		})
	}
}

func TestFailureLeavesOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o644))

	// A write that fails half-way (the temporary file closed under it).
	f, err := Create(p, Options{})
	require.NoError(t, err)
	_, err = f.Write([]byte("partial"))
	require.NoError(t, err)
	require.NoError(t, f.File.Close())
	_, err = f.Write([]byte("more"))
	require.Error(t, err)
	_ = f.Cleanup() // reports the second close; the file goes all the same

	// A commit that fails: the destination is a non-empty folder.
	q := filepath.Join(dir, "d")
	require.NoError(t, os.MkdirAll(filepath.Join(q, "x"), 0o755))
	g, err := Create(q, Options{})
	require.NoError(t, err)
	_, err = g.Write([]byte("data"))
	require.NoError(t, err)
	require.Error(t, g.Commit())
	require.NoError(t, g.Cleanup())

	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	assert.Equal(t, []string{"d", "f"}, names(t, dir), "no temporary file left")
}

func TestCreateMissingFolder(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "missing", "f"), Options{})
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestPattern(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "a.car"), Options{Pattern: ".depsync-*.tmp", Perm: 0o644})
	require.NoError(t, err)
	defer f.Cleanup()
	base := filepath.Base(f.Name())
	assert.Regexp(t, `^\.depsync-[0-9a-f]{16}\.tmp$`, base)
}

func TestCommitAsAndCleanupAfterCommit(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "placeholder"), Options{})
	require.NoError(t, err)
	_, err = f.Write([]byte("x"))
	require.NoError(t, err)
	require.NoError(t, f.Close(), "closed by the caller, who synced it")
	require.NoError(t, f.CommitAs(filepath.Join(dir, "named")))
	require.NoError(t, f.Cleanup(), "a no-op after a commit")
	assert.Equal(t, []string{"named"}, names(t, dir))
	assert.Error(t, f.Commit(), "only one commit")
}

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	require.NoError(t, os.WriteFile(src, []byte("payload"), 0o640))
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, os.Chtimes(src, mtime, mtime))

	t.Run("keep attributes", func(t *testing.T) {
		dst := filepath.Join(dir, "backup", "deep", "dst")
		h := sha256.New()
		require.NoError(t, Copy(src, dst, CopyOptions{KeepAttrs: true, Hash: h}))
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		assert.Equal(t, "payload", string(got))
		fi, err := os.Stat(dst)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
		assert.True(t, fi.ModTime().Equal(mtime), "mtime %s", fi.ModTime())
		sum := sha256.Sum256([]byte("payload"))
		assert.True(t, bytes.Equal(sum[:], h.Sum(nil)))
	})
	t.Run("existing destination keeps its mode", func(t *testing.T) {
		dst := filepath.Join(dir, "existing")
		require.NoError(t, os.WriteFile(dst, []byte("old"), 0o600))
		require.NoError(t, os.Chmod(dst, 0o604))
		require.NoError(t, Copy(src, dst, CopyOptions{Perm: 0o666}))
		fi, err := os.Stat(dst)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o604), fi.Mode().Perm())
	})
	t.Run("missing source changes nothing", func(t *testing.T) {
		d := t.TempDir()
		dst := filepath.Join(d, "dst")
		require.NoError(t, os.WriteFile(dst, []byte("old"), 0o644))
		err := Copy(filepath.Join(d, "nope"), dst, CopyOptions{})
		assert.True(t, errors.Is(err, fs.ErrNotExist), "%v", err)
		got, _ := os.ReadFile(dst)
		assert.Equal(t, "old", string(got))
		assert.Equal(t, []string{"dst"}, names(t, d))
	})
	t.Run("not a regular file", func(t *testing.T) {
		d := t.TempDir()
		assert.Error(t, Copy(d, filepath.Join(d, "dst"), CopyOptions{}))
		assert.Empty(t, names(t, d))
	})
}

func TestSyncDir(t *testing.T) {
	require.NoError(t, SyncDir(t.TempDir()))
	assert.ErrorIs(t, SyncDir(filepath.Join(t.TempDir(), "missing")), fs.ErrNotExist)
}
