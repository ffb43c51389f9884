package httpapi

import (
	"sort"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Status returns what GET /v1/status shows.
func (a *API) Status() api.Status {
	return a.status(nil)
}

// StatusOf returns what GET /v1/status?tenant=id shows: the node's status
// with only that tenant; false when the node does not sync it.
func (a *API) StatusOf(id int) (api.Status, bool) {
	t := a.env.Tenant(id)
	if t == nil {
		return api.Status{}, false
	}
	return a.status(t), true
}

func (a *API) status(only Tenant) api.Status {
	cfg, node, del := a.env.Config, a.env.Node, a.env.Deletions
	ready, why := a.Ready()
	s := api.Status{
		Role:    cfg.Role,
		Node:    cfg.NodeName,
		Mode:    node.Mode(),
		Manager: node.ManagerURL(),
		Ready:   ready,
		Reason:  why,
		SVNURL:  node.SVNURL(),

		HeldDeletions:    del.Holds(),
		PendingApprovals: del.Pending(),
		Backups:          a.env.Backups(),
	}
	s.Peers = node.Peers(s.Mode == api.ModeDirect)
	if cfg.Role == config.RoleManager {
		s.Manager = a.env.Self
		known := node.HoldsKnown()
		if only != nil {
			known = only.HoldsKnown()
		}
		s.HoldsKnown = &known
	}
	if cfg.Role == config.RoleWorker {
		s.ManagerMode = node.ManagerMode()
	}
	all := a.env.Tenants()
	shown := make([]shownTenant, len(all))
	for i, t := range all {
		shown[i] = show(t)
	}
	onlyID := 0
	if only != nil {
		onlyID = only.Config().ID
	}
	s.Tenants, s.TenantSummary, s.TenantsTruncated = listTenants(shown, only != nil, onlyID)
	if cfg.Role == config.RoleWorker && cfg.SVN.URL != "" {
		// A manager's directory is the source of truth, and a worker
		// without svn.url has no repository to compare with: no drift.
		s.Drift = driftOf(shown)
	}
	return s
}

// shownTenant is a tenant as /v1/status shows it, with the state it was
// shown from.
type shownTenant struct {
	api.TenantStatus
	state tenant.Status
}

// show is the tenant t as /v1/status shows it now.
func show(t Tenant) shownTenant {
	st, c := t.Status(), t.Config()
	ts := api.TenantStatus{ID: c.ID, Dir: c.Dir, URL: c.URL, Revision: st.Revision,
		LastError: st.LastError, Rejected: t.Rejected(), Ready: st.Ready}
	ts.Drift = len(st.Drift)
	ts.WantedRevision, ts.ServerBehind = st.Wanted, st.Behind
	ts.InStep = InStep(st, t.Changed())
	if !st.LastSync.IsZero() {
		tm := st.LastSync.UTC()
		ts.LastSync = &tm
	}
	return shownTenant{TenantStatus: ts, state: st}
}

// InStep reports whether a tenant in state st is in step: synced once,
// without error, waiting for nothing, with no drift and nothing newer
// known (changed, by the daemon's poll, or wanted, by a notice).
func InStep(st tenant.Status, changed int64) bool {
	return st.Ready && st.LastError == "" && st.Waiting == "" && st.DiskFull == "" &&
		changed <= st.Revision && st.Wanted <= st.Revision && len(st.Drift) == 0
}

// listTenants is what /v1/status lists of the tenants all: every one up to
// api.MaxStatusTenants (past that the first, the super tenant, and the
// failing ones, and truncated), or, with one, only the tenant of id only;
// and the summary of them all.
func listTenants(all []shownTenant, one bool, only int) (list []api.TenantStatus, sum *api.TenantSummary, truncated bool) {
	sum = &api.TenantSummary{Count: len(all), Failing: []int{}}
	list = make([]api.TenantStatus, 0, min(len(all), api.MaxStatusTenants))
	for i, t := range all {
		if t.InStep {
			sum.InStep++
		}
		failing := t.LastError != ""
		if failing {
			sum.FailingCount++
			sum.Failing = append(sum.Failing, t.ID)
		}
		switch {
		case one:
			if t.ID == only {
				list = append(list, t.TenantStatus)
			}
		case len(all) <= api.MaxStatusTenants, i == 0, failing && len(list) < api.MaxStatusTenants:
			list = append(list, t.TenantStatus)
		default:
			truncated = true
		}
	}
	sort.Ints(sum.Failing)
	if len(sum.Failing) > api.MaxStatusTenants {
		sum.Failing = sum.Failing[:api.MaxStatusTenants]
	}
	return list, sum, truncated
}

// maxDriftPaths is how many drifted paths /v1/status lists.
const maxDriftPaths = 10

// driftOf is the drift of the tenants as a worker's /v1/status shows it.
func driftOf(tenants []shownTenant) *api.Drift {
	out := &api.Drift{Paths: []api.DriftPath{}}
	for _, t := range tenants {
		n, first := t.state.Drift.First(maxDriftPaths)
		out.Count += n
		for _, p := range first {
			if len(out.Paths) < maxDriftPaths {
				out.Paths = append(out.Paths, api.DriftPath{Tenant: t.ID, Path: p.Path,
					Change: string(p.Change), Since: p.Since.UTC()})
			}
		}
	}
	return out
}
