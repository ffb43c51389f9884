package manager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
)

// A tenant folder removed on the manager (carbon.tenants: all) is a
// deletion like any other: the manager holds it in the mass-deletion guard
// (scope "tenant <id>", reason directory_gone, the files the repository
// holds for the tenant) until a person runs `depsync approve`, or until the
// folder comes back, which clears the hold. Once approved, the manager
// removes the tenant's folder from the repository with one commit and stops
// the tenant. A worker that finds the folder gone from the repository
// copies the tenant's files to <state_dir>/overwritten, removes its
// repository/tenants/<id> and stops the tenant too.

// maxGoneListed bounds the paths listed for a removed tenant folder: the
// guard's count of a larger tenant stops there.
const maxGoneListed = 10000

// folderGone deals with the manager's tenant folder being missing: it puts
// the files the repository holds for the tenant to the guard, and once a
// person has approved, deletes the tenant's repository folder. It reports
// whether the tenant is removed (its loop then stops).
func (m *Manager) folderGone(ctx context.Context) (bool, error) {
	n, paths, err := m.svn.ListFiles(ctx, m.t.URL, maxGoneListed)
	if errors.Is(err, svn.ErrNotFound) {
		// Removed from the repository already (by another manager, or
		// by hand): nothing left to hold.
		m.env.Deletions.Check(guard.Pass{Scope: m.scope()})
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("list the files of %s: %w", m.t.URL, err)
	}
	if !m.env.Deletions.Check(guard.Pass{Scope: m.scope(), Deleted: paths, Total: n, Reason: guard.ReasonDirGone}) {
		m.goneHeld = true
		return false, nil
	}
	m.goneHeld = false
	msg := fmt.Sprintf("depsync %s: remove tenant %d (its folder was removed on the manager; %d file(s))",
		m.env.Config.NodeName, m.t.ID, n)
	if err := m.svn.DeleteURL(ctx, m.t.URL, msg); err != nil && !errors.Is(err, svn.ErrNotFound) {
		return false, fmt.Errorf("delete %s: %w", m.t.URL, err)
	}
	m.log.Warn("tenant removed from the repository: its folder was removed here and the deletion approved",
		"url", m.t.URL, "files", n)
	if info, err := m.svn.Info(ctx, m.env.Config.SVN.URL); err == nil {
		m.env.Peers.NotifyTenant(m.t.ID, info.LastChangedRev)
	}
	return true, nil
}

// folderBack clears the hold of a removed folder that came back: the full
// pass that follows holds again whatever of it is still missing. A folder
// made anew (not a working copy) is checked out into first, its files
// winning, as at start. It reports whether the folder came back (the
// watcher then starts anew on it, even when the checkout failed).
func (m *Manager) folderBack(ctx context.Context) (rewatch bool, err error) {
	if !m.goneHeld {
		return false, nil
	}
	m.goneHeld = false
	m.env.Deletions.Check(guard.Pass{Scope: m.scope()})
	if !svn.IsWorkingCopy(m.t.Dir) {
		m.knownRev = 0
		if err := m.prepare(ctx); err != nil {
			m.goneHeld = true // try again at the next pass
			return true, err
		}
	}
	return true, nil
}

// retryGone is when a manager holding a removed tenant folder looks again:
// no backoff (nothing failed), and an approval wakes it at once.
func (m *Manager) retryGone() time.Time {
	return time.Now().Add(max(m.env.Config.SVN.PollInterval, time.Second))
}
