package manager

import (
	"errors"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// work is what a pass looks at: the paths the watch reported (slash,
// relative), whether the whole tree, and whether the working copy must
// first catch up with the repository (they disagreed). The loop keeps it
// between passes; a pass takes it whole and gives back what is left.
type work struct {
	paths   map[string]struct{}
	full    bool
	catchUp bool
}

// empty reports whether there is nothing to look at (a catch-up alone
// waits for a change or a look of the hub).
func (w work) empty() bool { return len(w.paths) == 0 && !w.full }

// add takes paths into the work.
func (w *work) add(paths ...string) {
	if w.paths == nil {
		w.paths = map[string]struct{}{}
	}
	for _, p := range paths {
		w.paths[p] = struct{}{}
	}
}

// passReport is what a pass came to: the facts decideNext judges.
type passReport struct {
	// todo is what the pass was given; full whether it looked at the
	// whole tree (todo's, or because deletions are held).
	todo work
	full bool
	// caughtUp: the pass brought the repository's changes into the
	// working copy (catchUp); catchUp: it still must (todo's, and not
	// done yet).
	caughtUp, catchUp bool
	// err is why the pass failed, nil when it committed what was ready
	// (res).
	err error
	res syncResult
	// removable: the folder's removal is the tenant's (Files.Removable).
	removable bool
}

// outcome is the kind of end a pass came to.
type outcome int

const (
	// committed: the pass committed what was ready (or found nothing);
	// the next one is due at res.nextLook.
	committed outcome = iota
	// dirMissing: the deployment directory is not there; the manager
	// waits for it, which is not the server's failure.
	dirMissing
	// failed: the pass failed; the next one waits for the backoff.
	failed
)

// nextStep is what the manager does after a pass.
type nextStep struct {
	outcome outcome
	// again is what the next pass looks at.
	again work
	// folderGone: the directory of a removable tenant is missing: put
	// its removal to the guard (folderGone) rather than fail.
	folderGone bool
	// unreachable: the server could not be reached; its backoff ends as
	// soon as the hub hears from it.
	unreachable bool
	// cleanup: the disk was full; the next pass starts with svn cleanup.
	cleanup bool
	// heal: the working copy is locked; heal it, and the first time try
	// again at once.
	heal bool
	// notify: tell the peers of the revision committed.
	notify bool
}

// decideNext is what a pass's report means for the next pass: what it
// looks at again, and how the manager goes on. It touches nothing.
//
// A failure keeps everything the pass was given, so that nothing is
// forgotten; a commit keeps only what waits (files still being written,
// deletions still being judged). A pass that caught up looks at the whole
// tree next, since the update may have rewritten files.
func decideNext(r passReport) nextStep {
	if errors.Is(r.err, errDirMissing) {
		again := work{full: true, catchUp: r.catchUp}
		again.add(keys(r.todo.paths)...)
		return nextStep{outcome: dirMissing, again: again, folderGone: r.removable}
	}
	if r.err != nil {
		again := work{full: r.full || r.caughtUp, catchUp: r.catchUp || disagrees(r.err)}
		again.add(keys(r.todo.paths)...)
		return nextStep{
			outcome:     failed,
			again:       again,
			unreachable: errors.Is(r.err, svn.ErrUnreachable),
			cleanup:     tenant.NoSpace(r.err),
			heal:        tenant.Locked(r.err),
		}
	}
	again := work{full: r.caughtUp || r.res.lookWhole, catchUp: r.catchUp}
	again.add(r.res.waiting...)
	return nextStep{outcome: committed, again: again, notify: r.res.rev > 0 && !r.res.suspect}
}

// keys are the paths of a set.
func keys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}
