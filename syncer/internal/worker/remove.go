package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// A tenant folder removed on the manager and approved by a person goes
// from the repository with one commit (see manager/folder.go). A worker
// that finds the folder gone copies the tenant's files to
// <state_dir>/overwritten, removes its repository/tenants/<id> and stops
// the tenant too.

// GoneFromRepository reports whether the tenant's folder is no longer in
// the repository: asked after a failed update, since svn update of a
// working copy whose folder was deleted fails. It lists svn.url, which
// must be there: a repository that moved or an svn.url gone wrong makes
// every tenant's URL missing, and is no removal of any of them.
func (w *Worker) GoneFromRepository(ctx context.Context) bool {
	if !w.env.Files.Removable() {
		return false
	}
	opCtx, cancel := w.env.Node.OpContext(ctx)
	defer cancel()
	names, err := w.svn.ListDirs(opCtx, w.env.Config.SVN.URL)
	if err != nil {
		return false
	}
	id := strconv.Itoa(w.t.ID)
	for _, n := range names {
		if n == id {
			return false
		}
	}
	return true
}

// RemoveLocal copies every file of the tenant's directory to
// <state_dir>/overwritten, then removes the directory: the tenant was
// removed from the repository by the manager.
func (w *Worker) RemoveLocal() error {
	var files []string
	err := filepath.WalkDir(w.t.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == ".svn" {
			return filepath.SkipDir
		}
		if e.Type().IsRegular() {
			rel, err := filepath.Rel(w.t.Dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list %s: %w", w.t.Dir, err)
	}
	root, err := w.env.Files.Backup(files)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(w.t.Dir); err != nil {
		return fmt.Errorf("remove %s: %w", w.t.Dir, err)
	}
	w.log.Warn("tenant removed from the repository by the manager: its folder removed here, copies kept",
		"dir", w.t.Dir, "files", len(files), "backup", root)
	return nil
}
