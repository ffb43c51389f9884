package worker

import (
	"context"
	"time"
)

// What the daemon's tests of the wiring (package syncer, with a whole
// Daemon, a fake svn or a real one) look at and set: the worker's own
// state is nobody else's.

// Rev is the working copy's revision after the last update.
func (w *Worker) Rev() int64 { return w.rev }

// Targeted reports whether the last update took only the changed paths,
// and the folder's place in the repository as learnt.
func (w *Worker) Targeted() (targeted bool, relRoot string) { return w.plan.targeted, w.plan.relRoot }

// StrayRecheck reports whether the polls look at kept strays again, and
// from when.
func (w *Worker) StrayRecheck() (bool, time.Time) { return w.strays.recheck, w.strays.recheckAt }

// Failures is how many tries failed in a row.
func (w *Worker) Failures() int { return w.fails.Count() }

// SetRev makes the worker believe its working copy is at rev.
func (w *Worker) SetRev(rev int64) { w.rev = rev }

// SetSettle is how long a revision nobody notified must stay the newest.
func (w *Worker) SetSettle(d time.Duration) { w.settle = d }

// SetWholeCost makes the worker believe a look at the whole working copy
// costs d.
func (w *Worker) SetWholeCost(d time.Duration) { w.plan.wholeCost = d }

// SetWholeDue makes the next whole update due at due.
func (w *Worker) SetWholeDue(due time.Time) { w.plan.wholeDue = due }

// SetRelRoot makes the worker believe its folder is at rel in the
// repository, as svn log prints paths.
func (w *Worker) SetRelRoot(rel string) { w.plan.relRoot, w.plan.relKnown = rel, true }

// LookFor looks at the server once for wanted as the loop does while it
// waits (lookForWanted), for a wait that began at since and was reported
// as overdue already when told; it reports whether the worker takes it now.
func (w *Worker) LookFor(ctx context.Context, wanted int64, since time.Time, told bool) bool {
	step, _ := w.lookForWanted(ctx, waitState{wanted: wanted, since: since, told: told})
	return step.take
}
