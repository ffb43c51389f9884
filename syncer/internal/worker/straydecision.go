package worker

import (
	"path"
	"time"

	"github.com/depsync/depsync/api"
)

// strayFacts is what a worker knows of its manager when it judges its
// strays: the C-Apps in carbonapps that the repository does not hold.
type strayFacts struct {
	// asked: the manager answered just now (its /v1/status), and mode
	// and holds are its own; otherwise they are what its last notice
	// said.
	asked bool
	// canAsk: the worker has someone to ask (its manager's URL, or
	// peers).
	canAsk bool
	// mode is the manager's mode, "" when it cannot be told.
	mode string
	// holds is how many deletions the manager holds for the tenant; < 0
	// when it cannot tell yet (restarted, it has not looked at the
	// tenant's files since).
	holds int
	// listed: held and listErr are what the manager's /v1/capps gave.
	listed  bool
	held    map[string]bool // the manager's C-Apps, by file name
	listErr error
}

// strayVerdict is what becomes of the strays.
type strayVerdict struct {
	// remove are the strays that go.
	remove []string
	// keep says why every stray stays, for the log; "" when none stays
	// for a reason of the manager's state.
	keep string
	// heldKept is how many strays stay because the manager holds them:
	// they are on their way into the repository.
	heldKept int
	// list: the manager's C-Apps decide; ask for them and decide again
	// with listed set.
	list bool
	// recheck: the reason the strays stay may pass without a commit and
	// so without a notice; the polls look at them again from
	// recheckAfter on.
	recheck      bool
	recheckAfter time.Duration
}

// StrayAskAgain is how long a worker waits before it asks a manager that
// did not answer about its strays again.
const StrayAskAgain = time.Minute

// decideStrays says which strays may go. The manager is the one source of
// truth in both modes. While it is in direct mode, or its mode cannot be
// told (after a restart, until a notice or its /v1/status says "svn"),
// none may: the manager pushed them and will commit them once SVN serves
// it again. While the manager holds deletions (its carbonapps away or
// emptied), none may: what it lacks then is no word on what should go; nor
// while it cannot tell yet whether it holds any. In svn mode, the
// manager's own list decides: what it holds is on its way into the
// repository. A manager that did not answer is asked again after
// StrayAskAgain rather than at each poll (it would hold the loop up every
// time); a worker without anyone to ask goes by the mode and the held
// deletions its last notice gave.
func decideStrays(strays []string, f strayFacts) strayVerdict {
	switch {
	case f.mode != api.ModeSVN:
		return strayVerdict{keep: "the manager is in direct mode or its mode cannot be told"}
	case f.holds < 0:
		return strayVerdict{keep: "the manager has not looked at its files since it started", recheck: true}
	case f.holds > 0:
		// Its carbonapps may be away or emptied. No deletion leaves it
		// until a person approves, or the files are back.
		return strayVerdict{keep: "the manager holds deletions", recheck: true}
	case !f.asked && !f.canAsk:
		// A notice that said "svn" is all it has. List the manager in
		// peers for the check of the manager's own C-Apps.
		return strayVerdict{remove: strays}
	case !f.asked:
		// Back, the manager may commit nothing (it does not hold them
		// either), and so send no notice that would bring the check.
		return strayVerdict{keep: "the manager cannot be asked whether it holds them",
			recheck: true, recheckAfter: StrayAskAgain}
	case !f.listed:
		return strayVerdict{list: true}
	case f.listErr != nil:
		return strayVerdict{keep: "the manager's C-Apps cannot be listed: " + f.listErr.Error(), recheck: true}
	}
	var v strayVerdict
	for _, p := range strays {
		if !f.held[path.Base(p)] {
			v.remove = append(v.remove, p)
		}
	}
	v.heldKept = len(strays) - len(v.remove)
	return v
}
