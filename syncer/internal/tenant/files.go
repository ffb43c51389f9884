package tenant

import (
	"log/slog"

	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// Files is a tenant's deployment directory as a working copy: healing it
// when an interrupted svn left it locked (with placeholders journaled in
// state_dir), and the copies kept under <state_dir>/overwritten of what
// the repository's version replaces. Both roles use it.
type Files struct {
	// Dir is the tenant's deployment directory, ID the tenant.
	Dir string
	ID  int
	// StateDir is depsync's state_dir (the heal's journal is there).
	StateDir string
	Log      *slog.Logger
	SVN      svnbatch.SVN
	// Backups keeps the copies; Kept counts one more copy kept for the
	// tenant (depsync_backups_total).
	Backups *backup.Keeper
	Kept    func()
}
