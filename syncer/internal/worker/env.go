package worker

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/drift"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// Env is everything a worker uses that is not its own: the tenant it
// follows, the daemon's config and svn, and its collaborators, each
// behind the few methods the worker calls. The daemon (package syncer)
// builds one per tenant; tests build their own.
type Env struct {
	Tenant config.Tenant
	Config *config.Config
	Log    *slog.Logger
	// SVN is the daemon's svn (batched, see package svnbatch).
	SVN svnbatch.SVN
	// Watches is the daemon's watch hub; nil: the drift watch makes its
	// own.
	Watches *fswatch.Hub
	// FromAPI reports whether carbonapps/<file> of the super tenant is as
	// the C-App API last left it (see syncer.APIArrivals); nil: none is.
	FromAPI func(file string) bool
	Signals Signals
	State   State
	Files   Files
	Node    Node
	Manager Manager
}

// Signals are how news of the tenant reaches the worker's loop.
type Signals struct {
	// Wake is signalled by a manager's notice (capacity one: notices
	// during an update coalesce into one more update).
	Wake <-chan struct{}
	// Tick is signalled after each look of the daemon's hub at the
	// server: the loop then compares Changed with what it has.
	Tick <-chan struct{}
	// Notified is the newest revision a manager's notice announced; the
	// worker forgets one the repository does not have.
	Notified *atomic.Int64
	// Changed is the newest revision of the tenant's folder the hub saw.
	Changed *atomic.Int64
}

// State is the tenant's runtime state as /v1/status, /readyz and the
// metrics show it: the worker reports to it and never reads it back.
type State interface {
	// Succeeded records a successful operation (synced: it synced or
	// confirmed there was nothing to sync, rather than only probing).
	Succeeded(rev int64, synced bool)
	// Failed records a failed operation.
	Failed(err error)
	// Probed records a successful look at the server.
	Probed()
	// Observe records an operation's metrics.
	Observe(op, result string, start time.Time)
	// ShowDrift makes s the drift /v1/status shows.
	ShowDrift(s drift.Set)
	// SetBackingOff tells whether the worker waits after a failed update.
	SetBackingOff(b bool)
	// Wanted records the newest revision a notice named, and why the
	// server lacks it for long ("" while it does not, or not for long).
	Wanted(rev int64, behind string)
}

// Files is the tenant's working copy and the copies kept of what the
// repository's version replaces.
type Files interface {
	// HasFolder reports whether the tenant's repository folder exists.
	HasFolder(ctx context.Context) (bool, error)
	// CheckWorkingCopy makes sure the directory is a working copy of the
	// tenant's URL.
	CheckWorkingCopy(ctx context.Context) (*svn.Info, error)
	// Heal makes a locked working copy usable again; it reports whether
	// it is clean of locks now.
	Heal(ctx context.Context) bool
	// Backup copies the given slash paths to <state_dir>/overwritten and
	// returns the folder they went to ("" when nothing was copied).
	Backup(paths []string) (string, error)
	// BackupRoot is where the tenant's copies of the moment go.
	BackupRoot() string
	// BackedUp counts one copy made outside Backup (a move aside).
	BackedUp()
	// Ignored reports whether a component of the slash path rel matches
	// an ignore pattern.
	Ignored(rel string) bool
	// Removable reports whether the folder's removal from the repository
	// is the tenant's removal (a tenant discovered at runtime).
	Removable() bool
}

// Node is the daemon around the tenant.
type Node interface {
	// PrepareWithRetry runs prepare until it succeeds, ctx is done or the
	// error is fatal, backing off in between.
	PrepareWithRetry(ctx context.Context, prepare func(context.Context) error) error
	// StartSlot waits for a slot of the tenants' first syncs; false when
	// ctx ended first. StartDone gives it back.
	StartSlot(ctx context.Context) bool
	StartDone()
	// OpContext is the context an svn operation runs in: it outlives ctx
	// by the daemon's grace period.
	OpContext(ctx context.Context) (context.Context, context.CancelFunc)
	// SVNResult counts an svn result for the daemon's mode.
	SVNResult(err error)
	// Removed forgets the tenant: the manager removed it.
	Removed()
}

// Manager is the worker's view of its manager, asked about the C-Apps
// only this worker holds.
type Manager interface {
	// URL is the manager that last sent a notice, "" when none has.
	URL() string
	// Ask asks the first of candidates that answers for its mode and the
	// deletions it holds for tenant; mode is "" when none answered.
	Ask(ctx context.Context, candidates []string, tenant int) (mode, from string, held int)
	// Last is the mode and held deletions the last notice said.
	Last() (mode string, held int)
	// CApps lists the C-Apps of the manager at base, by file name.
	CApps(ctx context.Context, base string) (map[string]bool, error)
}
