// Package tenantrun is one tenant's runtime: the signals its loop waits
// on (notices, the poll hub's looks), its state as /v1/status, /readyz and
// the metrics show it, the reports the roles (packages worker and manager)
// make to it, and what both roles ask of the tenant's working copy and
// folder. It takes what it needs of the daemon as values and functions
// (Env, Node), so that it holds no daemon; package syncer builds one per
// tenant and lends it to the roles as their State, Files and Node.
package tenantrun

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Env is what a tenant's runtime takes of the daemon around it.
type Env struct {
	Tenant config.Tenant
	Config *config.Config
	// Label is the tenant's "tenant" label in the metrics (see Label).
	Label string
	Log   *slog.Logger
	// SVN is the daemon's svn (batched, see package svnbatch).
	SVN svnbatch.SVN
	// Backups keeps the copies under <state_dir>/overwritten.
	Backups *backup.Keeper
	Metrics Metrics
	Node    Node
	// Now is the clock of the reports; nil: time.Now.
	Now func() time.Time
}

// Node is what the daemon lends every tenant: the slots of first syncs,
// the context svn runs in, the count of svn results behind the mode, and
// the tenant's removal.
type Node struct {
	// Starting bounds the tenants starting (first sync) at once: one
	// channel, shared by the daemon's tenants, a slot per element.
	Starting chan struct{}
	// OpContext is the context an svn operation runs in: it outlives ctx
	// by the daemon's grace period.
	OpContext func(ctx context.Context) (context.Context, context.CancelFunc)
	// SVNResult counts an svn result for the daemon's mode.
	SVNResult func(err error)
	// Remove forgets the tenant (its folder's removal was approved, or
	// the manager removed it).
	Remove func(r *Runtime)
}

// Runtime is one tenant's runtime. Its loop (a role's Run) is the only
// writer of the deployment directory; the HTTP handlers read its state
// through Status.
type Runtime struct {
	env   Env
	files *tenant.Files

	// wake is signalled by notices (worker) and approvals (manager); its
	// capacity of one coalesces notices that come during an update into
	// one more update.
	wake chan struct{}
	// tick is signalled by the hub after each look at the server: the
	// loop then compares changedRev with what it has, without asking svn.
	tick chan struct{}
	// notifiedRev is the newest revision a manager's notice announced.
	notifiedRev atomic.Int64
	// changedRev is the newest revision of the tenant's folder the hub
	// saw (the folder's last changed revision, learnt from svn log).
	changedRev atomic.Int64
	// backingOff is set while a worker waits after a failed update: the
	// hub's looks then do not count as the tenant's successes.
	backingOff atomic.Bool
	// looked is set on a manager once a look at the whole tree has run
	// to its end (its deletions, if any, went to the guard): from then on
	// the daemon's held deletions are those of this tenant's files. It is
	// cleared while deletions wait to be judged (sync.delete_settle).
	looked atomic.Bool

	mu sync.Mutex
	st tenant.Status
}

// New is the runtime of a tenant not synced yet.
func New(env Env) *Runtime {
	if env.Now == nil {
		env.Now = time.Now
	}
	r := &Runtime{
		env:  env,
		wake: make(chan struct{}, 1),
		tick: make(chan struct{}, 1),
		st:   tenant.NewStatus(),
	}
	r.files = &tenant.Files{Dir: env.Tenant.Dir, ID: env.Tenant.ID, StateDir: env.Config.StateDir, Log: env.Log,
		SVN: env.SVN, Backups: env.Backups, Kept: r.BackedUp}
	return r
}

// ID is the tenant's id.
func (r *Runtime) ID() int { return r.env.Tenant.ID }

// Tenant is the tenant: its id, directory and repository folder.
func (r *Runtime) Tenant() config.Tenant { return r.env.Tenant }

// Label is the tenant's "tenant" label in the metrics.
func (r *Runtime) Label() string { return r.env.Label }

// Log is the tenant's logger (its records carry the tenant's id).
func (r *Runtime) Log() *slog.Logger { return r.env.Log }

// Wake is signalled by a manager's notice (worker) or an approval
// (manager).
func (r *Runtime) Wake() <-chan struct{} { return r.wake }

// Tick is signalled after each look of the daemon's hub at the server.
func (r *Runtime) Tick() <-chan struct{} { return r.tick }

// NotifiedRev is the newest revision a manager's notice announced; the
// worker forgets one the repository does not have.
func (r *Runtime) NotifiedRev() *atomic.Int64 { return &r.notifiedRev }

// ChangedRev is the newest revision of the tenant's folder the hub saw.
func (r *Runtime) ChangedRev() *atomic.Int64 { return &r.changedRev }

// Poke asks the loop for an update soon; it never blocks.
func (r *Runtime) Poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Notified records a manager's notice of revision rev of the tenant's
// folder and wakes the loop up.
func (r *Runtime) Notified(rev int64) {
	raise(&r.notifiedRev, rev)
	r.Poke()
}

// Changed records that the tenant's folder changed in revision rev.
func (r *Runtime) Changed(rev int64) { raise(&r.changedRev, rev) }

// raise makes v rev unless it is newer already.
func raise(v *atomic.Int64, rev int64) {
	for {
		old := v.Load()
		if rev <= old || v.CompareAndSwap(old, rev) {
			return
		}
	}
}

// Tickle tells the loop the hub looked; it never blocks.
func (r *Runtime) Tickle() {
	select {
	case r.tick <- struct{}{}:
	default:
	}
}

// Newest is the newest revision of the tenant's folder it heard of or
// has: news up to there of a removed tenant is its removal's own.
func (r *Runtime) Newest() int64 {
	return max(r.changedRev.Load(), r.notifiedRev.Load(), r.Status().Revision)
}

// SetBackingOff tells whether the worker waits after a failed update.
func (r *Runtime) SetBackingOff(b bool) { r.backingOff.Store(b) }

// Looked tells whether the daemon's held deletions are those of the
// tenant's files: a look at the whole tree ran to its end and none waits
// to be judged.
func (r *Runtime) Looked(b bool) { r.looked.Store(b) }

// HoldsKnown reports what Looked last said (false until then).
func (r *Runtime) HoldsKnown() bool { return r.looked.Load() }
