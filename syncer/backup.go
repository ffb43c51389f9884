package syncer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/depsync/depsync/config"
)

// backupDirName is the folder under state_dir that keeps local files
// before the repository's version replaces them.
const backupDirName = "overwritten"

// backupTimeFormat names each backup folder by its UTC time; nanoseconds
// keep two updates in one second apart.
const backupTimeFormat = "20060102T150405.000000000Z"

// backup copies the given files (slash paths relative to the tenant's
// directory) to <state_dir>/overwritten/<UTC time>/<path> (tenants other
// than the super tenant under tenants/<id>/), each written to a temporary
// file, synced and renamed, so a backup is whole or absent. Paths that are
// not regular files (gone, directories) are skipped. It returns the backup
// folder, or "" when nothing was copied; on an error nothing may be
// replaced, so the caller must stop.
// backupRoot is where this tenant's copies of the moment go:
// <state_dir>/overwritten/<UTC time>[/tenants/<id>].
func (ts *tenantSync) backupRoot() string {
	root := filepath.Join(ts.d.cfg.StateDir, backupDirName, time.Now().UTC().Format(backupTimeFormat))
	if ts.t.ID != config.SuperTenantID {
		root = filepath.Join(root, "tenants", strconv.Itoa(ts.t.ID))
	}
	return root
}

func (ts *tenantSync) backup(paths []string) (string, error) {
	if len(paths) == 0 {
		return "", nil
	}
	root := ts.backupRoot()
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
		dst := filepath.Join(root, filepath.FromSlash(rel))
		if err := copyFile(src, dst, fi); err != nil {
			return "", fmt.Errorf("back up %s to %s: %w", src, dst, err)
		}
		copied++
		ts.d.m.backups.WithLabelValues(ts.label).Inc()
		ts.log.Warn("local change backed up; the repository's version replaces it", "path", rel, "backup", dst)
	}
	if copied == 0 {
		return "", nil
	}
	return root, nil
}

// copyFile copies src to dst (creating its parents) through a synced
// temporary file, keeping the mode and modification time.
func copyFile(src, dst string, fi fs.FileInfo) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".backup-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), fi.Mode().Perm())
	}
	if err == nil {
		err = os.Chtimes(tmp.Name(), time.Now(), fi.ModTime())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}
