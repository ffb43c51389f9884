package poll

import (
	"context"
	"log/slog"
	"time"

	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// Env is what the hub looks with and deals out to.
type Env struct {
	// URL is svn.url, looked at every Interval (svn.poll_interval).
	URL      string
	Interval time.Duration
	// AppendTenantID: each tenant has its folder below URL; otherwise
	// every change is the super tenant's (SuperID).
	AppendTenantID bool
	SuperID        int
	SVN            svnbatch.SVN
	Log            *slog.Logger
	// Tenants are the tenants synced now.
	Tenants func() []Tenant
	// Unknown is told of a change to a tenant not synced.
	Unknown func(id int, rev int64)
	// OpContext is the context an svn call runs in (it outlives ctx by
	// the daemon's grace period).
	OpContext func(ctx context.Context) (context.Context, context.CancelFunc)
	// Result counts each look's result for the daemon's mode.
	Result func(err error)
	// AfterLook runs after each poll's look (a manager's notice of the
	// deletions it holds).
	AfterLook func()
}

// Tenant is a tenant as the hub deals out to it.
type Tenant interface {
	// ID is the tenant's id.
	ID() int
	// Changed records that the tenant's folder changed in rev.
	Changed(rev int64)
	// Probed and ProbeFailed record the look's answer for the tenant.
	Probed()
	ProbeFailed(err error)
	// Tickle tells the tenant's loop the hub looked; it never blocks.
	Tickle()
}
