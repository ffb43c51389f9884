package manager

import (
	"context"
	"errors"
	"time"

	"github.com/depsync/depsync/syncer/internal/tenant"
)

// passEnd is what a pass hands back to the loop.
type passEnd struct {
	// again is what the next pass looks at; next when it is due (zero:
	// when something new comes).
	again work
	next  time.Time
	// backoff is the wait after a failed pass: no pass before its end.
	backoff backoff
	// removed: the tenant's folder was removed from the repository (its
	// removal approved): the loop stops. rewatch: the folder came back;
	// the watcher starts anew on it.
	removed, rewatch bool
}

// backoff is the wait after a failed pass.
type backoff struct {
	// until is when the next pass may run; zero: at once.
	until time.Time
	// unreachable: the pass failed for want of the server: the wait ends
	// as soon as the hub hears from it.
	unreachable bool
}

// answered is the wait once the hub has heard from the server, and whether
// that ended it.
func (b backoff) answered() (backoff, bool) {
	if !b.unreachable {
		return b, false
	}
	return backoff{}, true
}

// pass looks at todo, commits what is ready and notifies the peers.
func (m *Manager) pass(ctx context.Context, todo work) passEnd {
	if todo.empty() {
		return passEnd{again: todo}
	}
	opCtx, cancel := m.env.Node.OpContext(ctx)
	defer cancel()
	start := time.Now()
	// While deletions are held only a look at the whole tree can tell
	// whether the files came back.
	full := todo.full || m.holding()
	catchUp, caughtUp := todo.catchUp, false
	// caughtUpWith records a catch-up that brought the working copy to rev.
	caughtUpWith := func(rev int64) {
		m.knownRev = max(m.knownRev, rev)
		catchUp, caughtUp = false, true
	}

	var (
		res     syncResult
		rewatch bool
	)
	err := m.checkDir()
	m.env.State.Waiting(err)
	if err == nil {
		rewatch, err = m.folderBack(opCtx)
	}
	if err == nil {
		m.settleSuspects(opCtx) // before svn runs what a failed commit left
	}
	if err == nil && m.cleanupNext && m.env.Files.Heal(opCtx) {
		// A full disk may have interrupted svn: finish its work first.
		m.cleanupNext = false
	}
	if err == nil && catchUp {
		var rev int64
		if rev, err = m.catchUp(opCtx); err == nil {
			caughtUpWith(rev)
			full = true
		}
	}
	if err == nil {
		res, err = m.sync(opCtx, todo.paths, full)
		if disagrees(err) {
			// Catch up at once rather than after a backoff: svn's own
			// out-of-date retry may have left conflict markers in the
			// manager's files, which must not stay there.
			m.log.Info("working copy and repository disagree; catching up", "error", err)
			var rev int64
			if rev, err = m.catchUp(opCtx); err == nil {
				caughtUpWith(rev)
				res, err = m.sync(opCtx, todo.paths, true)
			}
		}
	}
	step := decideNext(passReport{todo: todo, full: full, caughtUp: caughtUp, catchUp: catchUp, err: err, res: res,
		removable: m.env.Files.Removable()})
	end := passEnd{again: step.again, rewatch: rewatch}
	switch step.outcome {
	case dirMissing:
		// Not the server's fault: the mode stays as it is.
		if step.folderGone {
			// A tenant folder removed: a deletion for the guard.
			removed, gerr := m.folderGone(opCtx)
			if gerr == nil {
				m.env.State.Looked(true)
				m.fails.OK(m.log, "commit")
				end.removed, end.next = removed, m.retryGone()
				return end
			}
			err = errors.Join(err, gerr)
		}
		end.backoff = m.backOff(err)
		end.next = end.backoff.until
		return end
	case failed:
		m.cleanupNext = m.cleanupNext || step.cleanup
		m.env.State.Observe("commit", tenant.ResultError, start)
		m.env.State.Failed(err)
		// Cleaned up: try again at once, but only the first time; a lock
		// that keeps coming back (another agent on this working copy)
		// goes through the backoff like any failure.
		// The heal runs every time; only the retry at once is limited.
		if step.heal && m.env.Files.Heal(opCtx) && m.fails.Count() == 0 {
			m.fails.Fail(m.log, "commit", err)
			end.next = time.Now()
			return end
		}
		end.backoff = m.backOff(err)
		end.backoff.unreachable = step.unreachable
		end.next = end.backoff.until
		return end
	}
	m.fails.OK(m.log, "commit")
	result := tenant.ResultNoop
	if res.rev > 0 {
		result = tenant.ResultSuccess
		m.knownRev = res.rev
		m.log.Info("committed", "revision", res.rev, "changes", tenant.JoinLimited(res.summary, 20),
			"took", time.Since(start).Round(time.Millisecond))
		if step.notify {
			m.env.Peers.NotifyTenant(m.t.ID, res.rev)
		}
	}
	m.env.State.Observe("commit", result, start)
	m.env.State.Succeeded(res.rev, true)
	end.next = res.nextLook
	return end
}

// backOff counts a failure of the pass and returns the wait before the
// next one.
func (m *Manager) backOff(err error) backoff {
	return backoff{until: time.Now().Add(m.fails.Fail(m.log, "commit", err))}
}
