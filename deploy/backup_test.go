package deploy

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/testcapp"
)

// diskUsage is the bytes under root, each inode once (hard links share).
func diskUsage(t *testing.T, root string) int64 {
	t.Helper()
	seen := map[uint64]bool{}
	var n int64
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		if ino := inode(fi); ino == 0 || !seen[ino] {
			seen[ino] = true
			n += fi.Size()
		}
		return nil
	})
	return n
}

// TestBackupsBounded: 60 alternating updates of a C-App on a store whose
// backups are capped at 10 MB leave at most 10 MB plus one file under
// overwritten/, and alternating between two builds keeps each build once.
func TestBackupsBounded(t *testing.T) {
	const maxBytes = 10 << 20
	for _, tc := range []struct {
		name     string
		distinct bool // every update a new build, or two builds alternating
	}{{"two builds alternating", false}, {"every update new", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "carbonapps")
			root := filepath.Join(t.TempDir(), "overwritten")
			s, err := NewStore(dir, 0)
			require.NoError(t, err)
			k := backup.New(root, backup.Options{MaxBytes: maxBytes})
			s.KeepBackups(k, "carbonapps")
			builds := [][]byte{
				testcapp.Build(t, "App", "1.0.0", testcapp.Pad(1400<<10)),
				testcapp.Build(t, "App", "1.0.0", testcapp.Pad(1400<<10)),
			}
			size := int64(len(builds[0]))
			for i := range 60 {
				b := builds[i%2]
				if tc.distinct && i >= 2 {
					b = testcapp.Build(t, "App", "1.0.0", testcapp.Pad(1400<<10))
				}
				res, err := s.Put("App_1.0.0.car", bytes.NewReader(b), sum(b), PutOptions{})
				require.NoError(t, err, "update %d", i)
				require.NotEqual(t, StatusUnchanged, res.Status)
				assert.LessOrEqual(t, diskUsage(t, root), int64(maxBytes)+size, "after update %d", i)
			}
			used := diskUsage(t, root)
			if !tc.distinct {
				assert.Equal(t, 2*size, used, "each build is kept once, however often it was replaced")
			} else {
				assert.Greater(t, used, int64(maxBytes)-2*size, "the cap is used, not emptied")
			}
			assert.Equal(t, used, k.Stats().Bytes)
		})
	}
}
