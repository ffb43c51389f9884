package syncer

import (
	"context"
	"path"
	"strings"
	"time"
)

// managerLacks returns the strays (C-Apps in carbonapps the repository
// does not hold) that the manager does not hold either, and may go. While
// the manager is in direct mode, or its mode cannot be told (after a
// restart, until a notice or its /v1/status says "svn"), none may: the
// manager pushed them and will commit them once SVN serves it again. In
// svn mode, the manager's own list decides: what it holds is on its way
// into the repository. While the manager holds deletions (its carbonapps
// away or emptied), none may: what it lacks then is no word on what should
// go; nor while it cannot tell yet whether it holds any (restarted, it has
// not looked at the tenant's files since). Kept because of the manager's
// holds, strays are checked again at the next polls (recheckStrays):
// a hold can clear, and a manager finish its first look, without a commit
// and so without a notice; kept because the manager did not answer, at the
// polls from strayAskAgain on. A worker without peers cannot ask: it goes by
// the mode and the held deletions its last notice gave.
func (w *worker) managerLacks(ctx context.Context, strays []string) []string {
	candidates := w.d.cfg.Peers
	if u := w.d.ManagerURL(); u != "" {
		candidates = []string{u}
	}
	mode, from, holds := w.d.mgr.ask(ctx, candidates, w.t.ID)
	if mode == "" {
		mode, holds = w.d.mgr.get(), w.d.mgr.heldByNotice()
	}
	switch {
	case mode != ModeSVN:
		w.keep(strays, "the manager is in direct mode or its mode cannot be told", mode)
		return nil
	case holds < 0:
		w.recheckAfter(0)
		w.keep(strays, "the manager has not looked at its files since it started", mode)
		return nil
	case holds > 0:
		// Its carbonapps may be away or emptied: what it lacks now is no
		// word on what should go. No deletion leaves it until a person
		// approves, or the files are back.
		w.recheckAfter(0)
		w.keep(strays, "the manager holds deletions", mode)
		return nil
	case from == "" && len(candidates) == 0:
		// A worker without peers cannot ask its manager: a notice that
		// said "svn" is all it has. List the manager in peers for the
		// check of the manager's own C-Apps below.
		return strays
	case from == "":
		// Asked again after a while rather than at each poll: a manager
		// that does not answer would hold the loop up for askTimeout
		// every time. Back, it may commit nothing (it does not hold them
		// either), and so send no notice that would bring the check.
		w.recheckAfter(strayAskAgain)
		w.keep(strays, "the manager cannot be asked whether it holds them", mode)
		return nil
	}
	held, err := w.d.mgr.capps(ctx, from)
	if err != nil {
		w.recheckAfter(0)
		w.keep(strays, "the manager's C-Apps cannot be listed: "+err.Error(), mode)
		return nil
	}
	var out []string
	for _, p := range strays {
		if !held[path.Base(p)] {
			out = append(out, p)
		}
	}
	if kept := len(strays) - len(out); kept > 0 {
		w.log.Debug("C-Apps the repository does not hold yet kept: the manager holds them", "count", kept)
	}
	return out
}

// strayAskAgain is how long a worker waits before it asks a manager that
// did not answer about its strays again.
const strayAskAgain = time.Minute

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
		"paths", joinLimited(strays, 10), "manager_mode", mode)
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
