package manager

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// Env is everything a manager uses that is not its own: the tenant it
// commits, the daemon's config and svn, and its collaborators, each
// behind the few methods the manager calls. The daemon (package syncer)
// builds one per tenant; tests build their own.
type Env struct {
	Tenant config.Tenant
	Config *config.Config
	Log    *slog.Logger
	// SVN is the daemon's svn (batched, see package svnbatch).
	SVN svnbatch.SVN
	// Watches is the daemon's watch hub; nil: the watcher makes its own.
	Watches   *fswatch.Hub
	Signals   Signals
	State     State
	Files     Files
	Node      Node
	Deletions Deletions
	Peers     Peers
}

// Signals are how news of the tenant reaches the manager's loop.
type Signals struct {
	// Wake is signalled by an approval (POST /v1/approve): the manager
	// looks at everything at once.
	Wake <-chan struct{}
	// Tick is signalled after each look of the daemon's hub at the
	// server: the manager then compares Changed with what it knows.
	Tick <-chan struct{}
	// Changed is the newest revision of the tenant's folder the hub saw.
	Changed *atomic.Int64
}

// State is the tenant's runtime state as /v1/status, /readyz and the
// metrics show it: the manager reports to it.
type State interface {
	// Succeeded records a successful operation (synced: it committed or
	// confirmed there was nothing to commit, rather than only preparing).
	Succeeded(rev int64, synced bool)
	// Failed records a failed operation.
	Failed(err error)
	// Observe records an operation's metrics.
	Observe(op, result string, start time.Time)
	// Waiting records why the tenant cannot sync for now (nil: it can).
	Waiting(err error)
	// Looked tells whether the held deletions are those of the tenant's
	// files: a look at the whole tree ran to its end and none waits to
	// be judged.
	Looked(bool)
	// Rejected records a change of the gate's rejection of rel (old, r:
	// before and after, nil for none).
	Rejected(rel string, old, r *api.Rejection)
	// Rejections are the files rejected now, by path.
	Rejections() []api.Rejection
}

// Files is the tenant's working copy.
type Files interface {
	// HasFolder reports whether the tenant's repository folder exists.
	HasFolder(ctx context.Context) (bool, error)
	// CheckWorkingCopy makes sure the directory is a working copy of the
	// tenant's URL.
	CheckWorkingCopy(ctx context.Context) (*svn.Info, error)
	// Heal makes a locked working copy usable again; it reports whether
	// it is clean of locks now.
	Heal(ctx context.Context) bool
	// Ignored reports whether a component of the slash path rel matches
	// an ignore pattern.
	Ignored(rel string) bool
	// Removable reports whether the folder's removal is the tenant's
	// removal (a tenant discovered at runtime).
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
	// Watching shows the metrics of the manager's watcher.
	Watching(w *fswatch.Watcher)
	// Changed tells the daemon the watcher saw a change (direct mode
	// pushes it).
	Changed()
	// Removed forgets the tenant: its folder's removal was approved.
	Removed()
}

// Deletions is the mass-deletion guard (package guard).
type Deletions interface {
	// Check puts a pass's deletions to the guard; it reports whether
	// they may go.
	Check(p guard.Pass) bool
	// Holds are the deletions held now.
	Holds() []guard.Hold
	// Exceeded reports whether n deletions of total are too many.
	Exceeded(n, total int) bool
	// Summary says what is held, for an error.
	Summary() string
}

// Peers are the nodes the manager notifies of its commits.
type Peers interface {
	// NotifyTenant tells the peers that tenant id's folder is at rev.
	NotifyTenant(id int, rev int64)
}
