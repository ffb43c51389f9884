package syncer

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// hub is the daemon's one look at the server per poll, whatever the number
// of tenants: svn info of svn.url, whose last changed revision covers every
// tenant's folder, and only when it moved, one svn log -v over the new
// revisions, which tells which tenants changed. Only those are woken up
// with the newest revision of their folder (tenantSync.changedRev); a
// tenant that did not change costs nothing but a wake-up in memory.
//
// The hub is also the manager's and the worker's health probe of the
// server: one call per server, not per tenant.
type hub struct {
	d *Daemon
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

func newHub(d *Daemon) *hub { return &hub{d: d} }

// start takes the revision the tenants start from: it runs before their
// first sync, so that whatever is committed after it is in a later log.
func (h *hub) start(ctx context.Context) {
	opCtx, cancel := h.d.opContext(ctx)
	defer cancel()
	if info, err := h.d.svn.Info(opCtx, h.d.cfg.SVN.URL); err == nil {
		h.base, h.known = info.LastChangedRev, true
		h.prefix, _ = info.RepoPath()
	}
}

// run looks every poll interval until ctx is done.
func (h *hub) run(ctx context.Context) {
	t := time.NewTimer(tenant.Jitter(h.d.cfg.SVN.PollInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.look(ctx)
			h.d.announceHolds()
			t.Reset(tenant.Jitter(h.d.cfg.SVN.PollInterval))
		}
	}
}

// look asks the server once whether anything moved, deals out what did to
// the tenants it concerns, and wakes every tenant up (in memory) so that
// each acts on what it now knows.
func (h *hub) look(ctx context.Context) {
	opCtx, cancel := h.d.opContext(ctx)
	defer cancel()
	tenants := h.d.tenantList()
	info, err := h.d.svn.Info(opCtx, h.d.cfg.SVN.URL)
	if err != nil {
		for _, t := range tenants {
			t.probeFailed(err)
		}
		h.d.svnResult(err)
		h.fails.Fail(h.d.log, "server check", err)
		return
	}
	h.fails.OK(h.d.log, "server check")
	h.d.svnResult(nil)
	h.prefix, _ = info.RepoPath()
	if head := info.LastChangedRev; head > h.base || !h.known {
		h.dealOut(opCtx, tenants, head)
	}
	for _, t := range tenants {
		t.probed()
		t.tickle()
	}
}

// dealOut learns which tenants changed in base+1..head and records it on
// them. Without a base (the server was down at start), every tenant may
// have changed: each then compares for itself, at the cost of one update
// (worker) or catch-up (manager) each. When the log cannot be read, the
// next look tries again.
func (h *hub) dealOut(ctx context.Context, tenants []*tenantSync, head int64) {
	if !h.known {
		if head > 0 {
			for _, t := range tenants {
				t.changed(head)
			}
		}
		h.base, h.known = head, true
		return
	}
	entries, err := h.d.svn.Log(ctx, h.d.cfg.SVN.URL, h.base+1, head)
	if err != nil {
		// Not dealt out: the next look tries the same range again.
		h.d.log.Warn("cannot tell which tenants changed; trying again at the next poll", "error", err)
		return
	}
	byID := make(map[int]*tenantSync, len(tenants))
	for _, t := range tenants {
		byID[t.t.ID] = t
	}
	for _, e := range entries {
		for _, p := range e.Paths {
			id, ok := h.tenantOf(p)
			if !ok {
				continue
			}
			if t := byID[id]; t != nil {
				t.changed(e.Revision)
			} else {
				h.d.unknownTenant(id, e.Revision, false)
			}
		}
	}
	h.base = head
}

// tenantOf maps a changed repository path to the tenant whose folder holds
// it: the first component below svn.url, or the only tenant when the
// folders are not per tenant (svn.append_tenant_id: false).
func (h *hub) tenantOf(p string) (int, bool) {
	rel, ok := strings.CutPrefix(p, h.prefix)
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		return 0, false
	}
	rel = strings.TrimPrefix(rel, "/")
	if !h.d.cfg.SVN.AppendTenantID {
		return h.d.superID(), true
	}
	first, _, _ := strings.Cut(rel, "/")
	id, err := strconv.Atoi(first)
	if err != nil {
		return 0, false
	}
	return id, true
}

// announceHolds tells the peers how many deletions this manager holds,
// when that changed since the last notice: a worker that cannot ask the
// manager (no peers) removes nothing on its word while it holds any.
// Notices after commits carry the count too; this one covers a hold that
// begins or clears with no commit. It names the super tenant at the
// revision the worker has, so it wakes no update.
func (d *Daemon) announceHolds() {
	if d.cfg.Role != config.RoleManager {
		return
	}
	n := int64(d.heldForNotices())
	if d.notices.heldSaid.Swap(n) == n {
		// Said already. (Not again at every poll: a worker backing off
		// would try an update at each notice, and back off further.)
		return
	}
	if t := d.tenant(d.superID()); t != nil {
		d.peers.NotifyTenant(t.t.ID, t.status().Revision)
	}
}
