package deploy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/depsync/depsync/internal/backup"
)

// KeepBackups makes the store copy every file it replaces or deletes to
// <overwritten>/<UTC time>/<prefix>/<file> first, through k (the daemon's
// <state_dir>/overwritten, bounded by backups.max_age and
// backups.max_bytes), so that nothing a person put in carbonapps is lost
// without a copy. Call it before the store is used.
func (s *Store) KeepBackups(k *backup.Keeper, prefix string) {
	s.backups, s.backupPrefix = k, prefix
}

// backupLocked copies dir/file aside before it is replaced or deleted: a
// hard link when the backup is on the same file system (instant, no extra
// space), none at all when the same content is kept already. s.mu is held.
func (s *Store) backupLocked(file string) error {
	if s.backups == nil {
		return nil
	}
	src := filepath.Join(s.dir, file)
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && !fi.Mode().IsRegular() {
		// A link or a FIFO in the C-App's place holds no bytes of its
		// own: nothing to keep, and reading it would follow or block.
		return nil
	}
	sum := ""
	if e, err := s.entryLocked(file); err == nil {
		sum = e.SHA256
	}
	rel := file
	if s.backupPrefix != "" {
		rel = s.backupPrefix + "/" + file
	}
	if _, err := s.backups.Keep(s.backups.Folder(), rel, src, sum); err != nil {
		return err
	}
	return nil
}

// pruneBackups applies the backups' limits after a change; a failure costs
// space, not the change, so it is only logged by the Keeper's next run.
func (s *Store) pruneBackups() {
	if s.backups != nil {
		_ = s.backups.Prune()
	}
}
