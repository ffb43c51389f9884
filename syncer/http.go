package syncer

import (
	"net/http"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/httpapi"
	"github.com/depsync/depsync/syncer/internal/tenant"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// The bodies of the API this package serves are package api's; these
// names keep the daemon's code and its callers short.
type (
	// Status is the body of GET /v1/status.
	Status = api.Status
	// TenantStatus is one tenant in Status.
	TenantStatus = api.TenantStatus
	// Rejection is a file the manager does not commit because it is not
	// valid.
	Rejection = api.Rejection
	// Notice is the body of POST /v1/notify.
	Notice = api.Notice
	// PeerStatus is a peer as /v1/status shows it.
	PeerStatus = api.PeerStatus
	// ApproveRequest is the optional body of POST /v1/approve.
	ApproveRequest = api.ApproveRequest
	// ApproveReply is the body of POST /v1/approve.
	ApproveReply = api.ApproveReply
)

// Handler serves /healthz, /readyz, /metrics, GET /v1/status,
// POST /v1/notify and POST /v1/approve (package httpapi). Mount it at "/"
// of the daemon's mux; other handlers (package deploy's /v1/capps) go next
// to it on the same mux.
func (d *Daemon) Handler() http.Handler { return d.api().Handler() }

// StatusHandler serves GET /v1/status as Handler does, behind the same
// auth; extend, when set, adds to each reply what other parts of the
// daemon know (the Carbon log's C-App states). Mount it on "GET /v1/status"
// of the daemon's mux, next to Handler at "/", to take that path over.
func (d *Daemon) StatusHandler(extend func(*Status)) http.Handler {
	return d.api().StatusHandler(extend)
}

// Ready reports whether every tenant has synced once and succeeded
// recently (and, on a manager, nothing is held), and if not, why.
func (d *Daemon) Ready() (bool, string) { return d.api().Ready() }

// Status returns what GET /v1/status shows.
func (d *Daemon) Status() Status { return d.api().Status() }

// StatusOf returns what GET /v1/status?tenant=id shows: the node's status
// with only that tenant; false when the node does not sync it.
func (d *Daemon) StatusOf(id int) (Status, bool) { return d.api().StatusOf(id) }

// api is the daemon's HTTP API, lent what it shows and acts on.
func (d *Daemon) api() *httpapi.API {
	return httpapi.New(httpapi.Env{
		Config:    d.cfg,
		Log:       d.log,
		Registry:  d.m.reg,
		Received:  d.m.notifyRecv,
		Refused:   &d.notices.refused,
		Self:      d.notices.self,
		Deletions: d.deletions,
		Backups:   d.backups.Stats,
		Node:      apiNode{d},
		Tenants:   d.shownTenants,
		Tenant: func(id int) httpapi.Tenant {
			if t := d.tenant(id); t != nil {
				return shownTenant{d, t}
			}
			return nil
		},
	})
}

// shownTenants are the tenants as the API shows them.
func (d *Daemon) shownTenants() []httpapi.Tenant {
	list := d.tenantList()
	out := make([]httpapi.Tenant, len(list))
	for i, t := range list {
		out[i] = shownTenant{d, t}
	}
	return out
}

// apiNode is the daemon as its API shows it and acts on it (httpapi.Node).
type apiNode struct{ d *Daemon }

func (n apiNode) Mode() string           { return n.d.Mode() }
func (n apiNode) ManagerMode() string    { return n.d.managerMode() }
func (n apiNode) ManagerURL() string     { return n.d.ManagerURL() }
func (n apiNode) SVNURL() string         { return n.d.svnURL() }
func (n apiNode) HoldsKnown() bool       { return n.d.holdsKnown(nil) }
func (n apiNode) Notified(no api.Notice) { n.d.notified(no) }

// Peers are the notifier's peers; in direct mode, as the direct syncer
// sees them when it can tell (PeerReporter).
func (n apiNode) Peers(direct bool) []api.PeerStatus {
	if r, ok := n.d.fallback.direct.(PeerReporter); ok && direct {
		return n.d.peers.WithProbes(r.PeerStatuses())
	}
	return n.d.peers.Status()
}

// Approved has every tenant, and direct mode, look again at once.
func (n apiNode) Approved() {
	n.d.pokeAll()
	if n.d.fallback.direct != nil {
		n.d.fallback.direct.Trigger()
	}
}

// shownTenant is a tenant as the API shows it (httpapi.Tenant).
type shownTenant struct {
	d  *Daemon
	ts *tenantrun.Runtime
}

func (t shownTenant) Config() config.Tenant { return t.ts.Tenant() }
func (t shownTenant) Status() tenant.Status { return t.ts.Status() }
func (t shownTenant) Rejected() []api.Rejection {
	st := t.ts.Status()
	return st.RejectedList()
}
func (t shownTenant) Changed() int64   { return t.ts.ChangedRev().Load() }
func (t shownTenant) HoldsKnown() bool { return t.d.holdsKnown(t.ts) }
