package httpapi

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Env is what the API shows and acts on, lent by the daemon.
type Env struct {
	// Config gives the role, node name, API token, svn.url, its poll
	// interval and the peers.
	Config *config.Config
	Log    *slog.Logger
	// Registry is what /metrics serves.
	Registry *prometheus.Registry
	// Received counts the notices received, by result
	// (depsync_notifications_received_total).
	Received *prometheus.CounterVec
	// Refused remembers the notice URLs refused, so that each is logged
	// once; the daemon keeps it, so that every handler shares it.
	Refused *Refusals
	// Self is this node's base URL (a manager's status names it as the
	// manager).
	Self      string
	Deletions Deletions
	// Backups is what the copies of overwritten files take.
	Backups func() backup.Stats
	Node    Node
	// Tenants are the tenants as they are now, the super tenant first.
	Tenants func() []Tenant
	// Tenant is the tenant with that id, nil when the node does not sync
	// it.
	Tenant func(id int) Tenant
	// Now is the clock readiness is judged by; nil: time.Now.
	Now func() time.Time
}

// Node is the daemon as the API shows it and acts on it.
type Node interface {
	// Mode is the node's own mode: api.ModeSVN, or api.ModeDirect while
	// it has no SVN server.
	Mode() string
	// ManagerMode is, on a worker, its manager's mode as it knows it.
	ManagerMode() string
	// ManagerURL is the manager that last sent a notice ("" for none).
	ManagerURL() string
	// SVNURL is the URL of the server in use, redacted.
	SVNURL() string
	// Peers are the peers as /v1/status shows them; in direct mode, as
	// the direct syncer sees them when it can tell.
	Peers(direct bool) []api.PeerStatus
	// HoldsKnown reports whether a manager has looked at every tenant
	// whole since it started, so that its held deletions are known.
	HoldsKnown() bool
	// Notified takes a manager's notice, its URL checked against the
	// peers.
	Notified(n api.Notice)
	// Approved has the node look again at once after held deletions
	// were approved.
	Approved()
}

// Tenant is one tenant as the API shows it.
type Tenant interface {
	// Config is the tenant's id, directory and repository URL.
	Config() config.Tenant
	// Status is a copy of its state.
	Status() tenant.Status
	// Rejected are the files the manager does not commit, by path.
	Rejected() []api.Rejection
	// Changed is the newest revision of its folder the daemon's poll saw.
	Changed() int64
	// HoldsKnown reports whether a manager has looked at this tenant
	// whole since it started (see Node.HoldsKnown).
	HoldsKnown() bool
}

// Deletions is the part of the mass-deletion guard (*guard.Guard) the API
// shows and approves.
type Deletions interface {
	Holds() []guard.Hold
	Pending() []guard.Approval
	Summary() string
	ApproveSelected(sel guard.Selection) ([]guard.Hold, time.Time, error)
}

// API serves the daemon's HTTP API from its Env.
type API struct{ env Env }

// New is the API of env.
func New(env Env) *API {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Refused == nil {
		env.Refused = &Refusals{}
	}
	return &API{env: env}
}
