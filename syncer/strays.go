package syncer

import (
	"context"
	"strings"
	"time"

	"github.com/depsync/depsync/syncer/internal/tenant"
)

// managerLacks returns the strays (C-Apps in carbonapps the repository
// does not hold) that the manager does not hold either, and may go: it
// asks the manager what decideStrays needs to know, and does what it
// says. Kept because of the manager's holds, strays are checked again at
// the next polls (recheckStrays); kept because the manager did not answer,
// at the polls from strayAskAgain on.
func (w *worker) managerLacks(ctx context.Context, strays []string) []string {
	candidates := w.d.cfg.Peers
	if u := w.d.ManagerURL(); u != "" {
		candidates = []string{u}
	}
	mode, from, holds := w.d.mgr.ask(ctx, candidates, w.t.ID)
	f := strayFacts{asked: mode != "", canAsk: len(candidates) > 0, mode: mode, holds: holds}
	if !f.asked {
		f.mode, f.holds = w.d.mgr.get(), w.d.mgr.heldByNotice()
	}
	v := decideStrays(strays, f)
	if v.list {
		f.listed = true
		f.held, f.listErr = w.d.mgr.capps(ctx, from)
		v = decideStrays(strays, f)
	}
	if v.recheck {
		w.recheckAfter(v.recheckAfter)
	}
	if v.keep != "" {
		w.keep(strays, v.keep, f.mode)
	}
	if v.heldKept > 0 {
		w.log.Debug("C-Apps the repository does not hold yet kept: the manager holds them", "count", v.heldKept)
	}
	return v.remove
}

// recheckAfter has the polls look at the strays again, from after on.
func (w *worker) recheckAfter(after time.Duration) {
	w.strayRecheck = true
	w.strayRecheckAt = time.Now().Add(after)
}

// keep logs, once per set of strays, that they stay.
func (w *worker) keep(strays []string, why, mode string) {
	key := why + "\x00" + strings.Join(strays, "\x00")
	if key == w.keptLogged {
		return
	}
	w.keptLogged = key
	if mode == "" {
		mode = "unknown"
	}
	w.log.Info("C-Apps the repository does not hold kept on this worker: "+why,
		"paths", tenant.JoinLimited(strays, 10), "manager_mode", mode)
}

// recheckStrays looks at the strays of carbonapps again, apart from any
// update, after managerLacks kept them for a reason that may pass without
// a notice (a manager asked, but not sure yet).
func (w *worker) recheckStrays(ctx context.Context) {
	opCtx, cancel := w.d.opContext(ctx)
	defer cancel()
	if err := w.dropStraysIn(opCtx, true); err != nil {
		// Not a failure of the tenant's sync: the next poll tries again.
		w.recheckAfter(0)
		w.log.Debug("C-Apps this worker alone holds not checked again; the next poll tries again", "error", err)
	}
}
