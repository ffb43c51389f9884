package tenant

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/depsync/depsync/internal/backup"
)

// BackupRoot is where this tenant's copies of the moment go:
// <state_dir>/overwritten/<UTC time>[/tenants/<id>] (see package backup for
// the layout and its limits).
func (wc *Files) BackupRoot() string {
	return filepath.Join(wc.Backups.Folder(), filepath.FromSlash(wc.backupRel("")))
}

// Backup copies the given files (slash paths relative to the tenant's
// directory) to <state_dir>/overwritten/<UTC time>/<path> (tenants other
// than the super tenant under tenants/<id>/) through the daemon's backup
// keeper: each copy whole or absent, an identical content kept once, the
// oldest copies pruned by backups.max_age and backups.max_bytes. Paths that
// are not regular files (gone, directories) are skipped. It returns the
// backup folder, or "" when nothing was copied; on an error nothing may be
// replaced, so the caller must stop.
func (wc *Files) Backup(paths []string) (string, error) {
	if len(paths) == 0 {
		return "", nil
	}
	folder := wc.Backups.Folder()
	root := filepath.Join(folder, filepath.FromSlash(wc.backupRel("")))
	copied := 0
	for _, rel := range paths {
		src := filepath.Join(wc.Dir, filepath.FromSlash(rel))
		fi, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("back up %s: %w", src, err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		dst, err := wc.Backups.Keep(folder, wc.backupRel(rel), src, "")
		if err != nil {
			return "", err
		}
		copied++
		wc.Kept()
		wc.Log.Warn("local change backed up; the repository's version replaces it", "path", rel, "backup", dst)
	}
	if copied == 0 {
		return "", nil
	}
	if err := wc.Backups.Prune(); err != nil {
		wc.Log.Warn("pruning backups failed", "err", err)
	}
	return root, nil
}

// backupRel is rel's path under a backup time folder ("" for the tenant's
// own folder there): see backup.Path.
func (wc *Files) backupRel(rel string) string { return backup.Path(wc.ID, rel) }
