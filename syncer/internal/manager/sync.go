package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/syncer/internal/gate"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// syncResult is what one pass did.
type syncResult struct {
	rev      int64     // new revision, 0 when nothing was committed
	suspect  bool      // a C-App changed while svn read it: do not announce rev
	summary  []string  // "+a", "~b", "-c"
	waiting  []string  // paths to look at again
	nextLook time.Time // when; zero when nothing waits
	// lookWhole: deletions wait to be judged together; the next look
	// is at the whole tree, so that it finds every one of them.
	lookWhole bool
}

// maxCommit is the most paths one commit takes.
const maxCommit = svnbatch.MaxCommit

// sync finds the changes under pending (or the whole tree), keeps back
// what is not ready and commits the rest.
func (m *Manager) sync(ctx context.Context, pending map[string]struct{}, full bool) (syncResult, error) {
	var res syncResult
	now := m.gate.Now()
	if len(pending) > maxTargets {
		full = true
	}
	cands, conflicted, err := m.changes(ctx, pending, full)
	if err != nil {
		return res, err
	}
	if len(conflicted) > 0 {
		// The manager's directory is the truth: keep its version.
		if _, err := m.resolveLocal(ctx, conflicted); err != nil {
			return res, err
		}
	}

	wait := func(p string, at time.Time) {
		res.waiting = append(res.waiting, p)
		if res.nextLook.IsZero() || at.Before(res.nextLook) {
			res.nextLook = at
		}
	}
	var ready []candidate
	checked := map[string]gate.Sig{} // .car files validated, to check after the commit
	written := map[string]gate.Sig{} // every file committed, as it was looked at
	current := map[string]bool{}
	for _, c := range cands {
		current[c.path] = true
		if m.gate.Odd(c.path, c.op == '-', c.unaddable) {
			continue // rejected: neither committed nor taken for a deletion
		}
		if c.op == '-' || c.dir {
			ready = append(ready, c)
			continue
		}
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(c.path))
		sig, err := gate.Stat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			wait(c.path, now.Add(m.times.debounce)) // gone since: look again
			continue
		}
		if err != nil {
			return res, fmt.Errorf("stat %s: %w", abs, err)
		}
		// A file proven complete goes at once; anything else waits for
		// the quiet time.
		if !m.gate.Complete(c.path, abs, sig) {
			if at, ok := m.gate.Stable(c.path, sig, now); !ok {
				wait(c.path, at)
				continue
			}
		}
		if carbonapp.IsCApp(c.path) {
			ok, at, err := m.gate.ValidCApp(c.path, abs, sig, now)
			if err != nil {
				return res, err
			}
			if !ok {
				if !at.IsZero() {
					wait(c.path, at)
				}
				continue
			}
			checked[c.path] = sig
		}
		m.gate.Passed(c.path)
		written[c.path] = sig
		ready = append(ready, c)
	}
	m.gate.Forget(pending, full, current)
	var deferred bool
	if ready, deferred, err = m.guardDeletions(ctx, ready, full, now, wait); err != nil {
		return res, err
	}
	res.lookWhole = deferred
	switch {
	case deferred:
		// Deletions wait to be judged: what the guard holds is not yet
		// what the files say (a folder being emptied is not held yet),
		// and a worker must not take what the manager lacks as final.
		m.env.State.Looked(false)
	case full:
		// Every deletion of the tree went to the guard: what it holds
		// now is what this tenant's files say, whatever the commit does.
		m.env.State.Looked(true)
	}
	if len(ready) == 0 {
		return res, nil
	}

	// Lease the C-Apps svn is about to read; one still open for writing
	// is not complete and waits for the next look.
	leases, busy := leaseCApps(m.t.Dir, checked)
	defer leases.release()
	ready = m.holdBusy(ready, busy, checked, written, func(p string) { wait(p, now.Add(m.times.debounce)) })
	if len(ready) == 0 {
		return res, nil
	}

	// A huge change (the first commit of a large tree) goes in as several
	// commits: each stays well within the svn timeout, progress is kept
	// if one fails, and workers get the first files early.
	if len(ready) > maxCommit {
		for _, c := range ready[maxCommit:] {
			wait(c.path, now)
		}
		ready = ready[:maxCommit]
	}
	err = m.commit(ctx, ready, written, checked, wait, &res)
	return res, err
}
