package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a manual clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// copiesOf returns the paths of the kept copies of rel, oldest first.
func copiesOf(t *testing.T, root, rel string) []string {
	t.Helper()
	var out []string
	ents, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	for _, e := range ents {
		p := filepath.Join(root, e.Name(), filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, p)
		}
	}
	return out
}

// diskBytes is what root takes on disk, each inode counted once.
func diskBytes(t *testing.T, root string) int64 {
	t.Helper()
	seen := map[string]bool{}
	var n int64
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		if id := fileID(p, fi); !seen[id] {
			seen[id] = true
			n += fi.Size()
		}
		return nil
	}))
	return n
}

func TestKeepStoresIdenticalCopiesOnce(t *testing.T) {
	for _, known := range []bool{false, true} {
		t.Run(map[bool]string{false: "hashed", true: "known sum"}[known], func(t *testing.T) {
			src := t.TempDir()
			root := filepath.Join(t.TempDir(), "overwritten")
			k := New(root, Options{})
			data := bytes.Repeat([]byte("x"), 100<<10)
			sum := sha256.Sum256(data)
			for i := range 5 {
				p := write(t, src, "A.car", data)
				s := ""
				if known {
					s = hex.EncodeToString(sum[:])
				}
				dst, err := k.Keep(k.Folder(), "carbonapps/A.car", p, s)
				require.NoError(t, err, "copy %d", i)
				got, err := os.ReadFile(dst)
				require.NoError(t, err)
				assert.Equal(t, data, got)
			}
			require.NoError(t, k.Prune())
			assert.Len(t, copiesOf(t, root, "carbonapps/A.car"), 5)
			assert.Equal(t, int64(len(data)), diskBytes(t, root), "five identical copies take the space of one")
			assert.Equal(t, int64(len(data)), k.Stats().Bytes)
			assert.Equal(t, 5, k.Stats().Copies)
		})
	}
}

// TestMaxBytesKeepsNewestOfEachFile: 60 alternating updates of two files
// under a 1 MB cap leave at most 1 MB plus one file, and the newest copy of
// each file survives.
func TestMaxBytesKeepsNewestOfEachFile(t *testing.T) {
	src := t.TempDir()
	root := filepath.Join(t.TempDir(), "overwritten")
	reg := prometheus.NewRegistry()
	const size = 140 << 10
	k := New(root, Options{MaxBytes: 1 << 20, Registerer: reg})
	var last [2][]byte
	for i := range 60 {
		name := []string{"A.car", "B.car"}[i%2]
		data := bytes.Repeat([]byte{byte(i)}, size) // a new version each time
		p := write(t, src, name, data)
		_, err := k.Keep(k.Folder(), "carbonapps/"+name, p, "")
		require.NoError(t, err)
		require.NoError(t, k.Prune())
		last[i%2] = data
		assert.LessOrEqual(t, diskBytes(t, root), int64(1<<20+size), "after update %d", i)
	}
	for i, name := range []string{"A.car", "B.car"} {
		cs := copiesOf(t, root, "carbonapps/"+name)
		require.NotEmpty(t, cs, name)
		got, err := os.ReadFile(cs[len(cs)-1])
		require.NoError(t, err)
		assert.Equal(t, last[i], got, "the newest copy of %s is kept", name)
	}
	assert.Equal(t, float64(k.Stats().Bytes), testutil.ToFloat64(k.bytes))
	assert.LessOrEqual(t, k.Stats().Bytes, int64(1<<20+size))
	assert.Greater(t, k.Stats().Bytes, int64(0))
}

func TestMaxAgeNeverTheNewestCopy(t *testing.T) {
	src := t.TempDir()
	root := filepath.Join(t.TempDir(), "overwritten")
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := New(root, Options{MaxAge: 24 * time.Hour, Now: c.now})
	for i := range 3 {
		p := write(t, src, "a.xml", []byte{byte(i)})
		_, err := k.Keep(k.Folder(), "a.xml", p, "")
		require.NoError(t, err)
		c.t = c.t.Add(time.Hour)
	}
	require.NoError(t, k.Prune())
	assert.Len(t, copiesOf(t, root, "a.xml"), 3, "young copies stay")

	c.t = c.t.Add(30 * 24 * time.Hour)
	require.NoError(t, k.Prune())
	cs := copiesOf(t, root, "a.xml")
	require.Len(t, cs, 1, "only the newest copy outlives max_age")
	got, err := os.ReadFile(cs[0])
	require.NoError(t, err)
	assert.Equal(t, []byte{2}, got)
	assert.Equal(t, int64(1), k.Stats().Bytes)
	// Empty folders go too.
	ents, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Len(t, ents, 2, "one time folder and the index")
}

// TestForeignAndLooseFiles: folders that are not backup times are left
// alone; files moved aside (not in the index) count and age like copies.
func TestForeignAndLooseFiles(t *testing.T) {
	root := filepath.Join(t.TempDir(), "overwritten")
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := New(root, Options{MaxBytes: 10, Now: c.now})
	require.NoError(t, os.MkdirAll(filepath.Join(root, "mine"), 0o700))
	write(t, filepath.Join(root, "mine"), "keep", bytes.Repeat([]byte("k"), 100))
	for i := range 3 {
		dir := filepath.Join(k.Folder(), "webapps")
		require.NoError(t, os.MkdirAll(dir, 0o700))
		write(t, dir, "x.war", bytes.Repeat([]byte{byte(i)}, 8))
	}
	require.NoError(t, k.Prune())
	assert.FileExists(t, filepath.Join(root, "mine", "keep"))
	assert.Len(t, copiesOf(t, root, "webapps/x.war"), 1)
	assert.Equal(t, int64(8), k.Stats().Bytes)
}

func TestFolderIsDistinct(t *testing.T) {
	c := &clock{t: time.Now()}
	k := New(t.TempDir(), Options{Now: c.now})
	seen := map[string]bool{}
	for range 100 {
		f := k.Folder()
		assert.False(t, seen[f], f)
		seen[f] = true
	}
}
