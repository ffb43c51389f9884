package poll

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Hub is the daemon's one look at the server per poll, whatever the number
// of tenants: svn info of svn.url, whose last changed revision covers every
// tenant's folder, and only when it moved, one svn log -v over the new
// revisions, which tells which tenants changed. Only those are woken up
// with the newest revision of their folder (Tenant.Changed); a
// tenant that did not change costs nothing but a wake-up in memory.
//
// The hub is also the manager's and the worker's health probe of the
// server: one call per server, not per tenant.
type Hub struct {
	env Env
	// base is the newest revision of svn.url whose changes were dealt
	// out, once known (the first successful look at the server). A new
	// repository's is 0: known, a log from revision 1 tells what changed.
	base  int64
	known bool
	// prefix is svn.url's path inside the repository ("/depsync"), as svn
	// log prints changed paths.
	prefix string
	fails  tenant.Failures
}

// New makes the hub of env; Start and Run drive it.
func New(env Env) *Hub { return &Hub{env: env} }

// Start takes the revision the tenants start from: it runs before their
// first sync, so that whatever is committed after it is in a later log.
func (h *Hub) Start(ctx context.Context) {
	opCtx, cancel := h.env.OpContext(ctx)
	defer cancel()
	if info, err := h.env.SVN.Info(opCtx, h.env.URL); err == nil {
		h.base, h.known = info.LastChangedRev, true
		h.prefix, _ = info.RepoPath()
	}
}

// Run looks every poll interval until ctx is done.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTimer(tenant.Jitter(h.env.Interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Look(ctx)
			h.env.AfterLook()
			t.Reset(tenant.Jitter(h.env.Interval))
		}
	}
}

// Look asks the server once whether anything moved, deals out what did to
// the tenants it concerns, and wakes every tenant up (in memory) so that
// each acts on what it now knows.
func (h *Hub) Look(ctx context.Context) {
	opCtx, cancel := h.env.OpContext(ctx)
	defer cancel()
	tenants := h.env.Tenants()
	info, err := h.env.SVN.Info(opCtx, h.env.URL)
	if err != nil {
		for _, t := range tenants {
			t.ProbeFailed(err)
		}
		h.env.Result(err)
		h.fails.Fail(h.env.Log, "server check", err)
		return
	}
	h.fails.OK(h.env.Log, "server check")
	h.env.Result(nil)
	h.prefix, _ = info.RepoPath()
	if head := info.LastChangedRev; head > h.base || !h.known {
		h.dealOut(opCtx, tenants, head)
	}
	for _, t := range tenants {
		t.Probed()
		t.Tickle()
	}
}

// dealOut learns which tenants changed in base+1..head and records it on
// them. Without a base (the server was down at start), every tenant may
// have changed: each then compares for itself, at the cost of one update
// (worker) or catch-up (manager) each. When the log cannot be read, the
// next look tries again.
func (h *Hub) dealOut(ctx context.Context, tenants []Tenant, head int64) {
	if !h.known {
		if head > 0 {
			for _, t := range tenants {
				t.Changed(head)
			}
		}
		h.base, h.known = head, true
		return
	}
	entries, err := h.env.SVN.Log(ctx, h.env.URL, h.base+1, head)
	if err != nil {
		// Not dealt out: the next look tries the same range again.
		h.env.Log.Warn("cannot tell which tenants changed; trying again at the next poll", "error", err)
		return
	}
	byID := make(map[int]Tenant, len(tenants))
	for _, t := range tenants {
		byID[t.ID()] = t
	}
	for _, e := range entries {
		for _, p := range e.Paths {
			id, ok := h.tenantOf(p)
			if !ok {
				continue
			}
			if t := byID[id]; t != nil {
				t.Changed(e.Revision)
			} else {
				h.env.Unknown(id, e.Revision)
			}
		}
	}
	h.base = head
}

// tenantOf maps a changed repository path to the tenant whose folder holds
// it: the first component below svn.url, or the only tenant when the
// folders are not per tenant (svn.append_tenant_id: false).
func (h *Hub) tenantOf(p string) (int, bool) {
	rel, ok := strings.CutPrefix(p, h.prefix)
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		return 0, false
	}
	rel = strings.TrimPrefix(rel, "/")
	if !h.env.AppendTenantID {
		return h.env.SuperID, true
	}
	first, _, _ := strings.Cut(rel, "/")
	id, err := strconv.Atoi(first)
	if err != nil {
		return 0, false
	}
	return id, true
}

// Base is the newest revision of the URL whose changes were dealt out.
func (h *Hub) Base() int64 { return h.base }
