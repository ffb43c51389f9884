package syncer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/depsync/depsync/internal/backup"
)

// backupRoot is where this tenant's copies of the moment go:
// <state_dir>/overwritten/<UTC time>[/tenants/<id>] (see package backup for
// the layout and its limits).
func (ts *tenantSync) backupRoot() string {
	return filepath.Join(ts.d.backups.Folder(), filepath.FromSlash(ts.backupRel("")))
}

// backup copies the given files (slash paths relative to the tenant's
// directory) to <state_dir>/overwritten/<UTC time>/<path> (tenants other
// than the super tenant under tenants/<id>/) through the daemon's backup
// keeper: each copy whole or absent, an identical content kept once, the
// oldest copies pruned by backups.max_age and backups.max_bytes. Paths that
// are not regular files (gone, directories) are skipped. It returns the
// backup folder, or "" when nothing was copied; on an error nothing may be
// replaced, so the caller must stop.
func (ts *tenantSync) backup(paths []string) (string, error) {
	if len(paths) == 0 {
		return "", nil
	}
	folder := ts.d.backups.Folder()
	root := filepath.Join(folder, filepath.FromSlash(ts.backupRel("")))
	copied := 0
	for _, rel := range paths {
		src := filepath.Join(ts.t.Dir, filepath.FromSlash(rel))
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
		dst, err := ts.d.backups.Keep(folder, ts.backupRel(rel), src, "")
		if err != nil {
			return "", err
		}
		copied++
		ts.d.m.backups.WithLabelValues(ts.label).Inc()
		ts.log.Warn("local change backed up; the repository's version replaces it", "path", rel, "backup", dst)
	}
	if copied == 0 {
		return "", nil
	}
	if err := ts.d.backups.Prune(); err != nil {
		ts.log.Warn("pruning backups failed", "err", err)
	}
	return root, nil
}

// backupRel is rel's path under a backup time folder ("" for the tenant's
// own folder there): see backup.Path.
func (ts *tenantSync) backupRel(rel string) string { return backup.Path(ts.t.ID, rel) }
