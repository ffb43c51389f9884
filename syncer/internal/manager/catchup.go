package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// probe acts on the hub's look at the server (changed is the newest
// revision of the tenant's folder the hub saw): it notices commits to the
// folder that did not come from this manager and catches up with them,
// when nothing else waits (todo). It returns what the next pass looks at:
// after a catch-up, the whole tree.
func (m *Manager) probe(ctx context.Context, changed int64, todo work) work {
	if changed <= m.knownRev || !todo.empty() || m.checkDir() != nil {
		return todo
	}
	opCtx, cancel := m.env.Node.OpContext(ctx)
	defer cancel()
	start := time.Now()
	m.log.Info("the repository folder changed since the manager's last commit; catching up",
		"revision", changed, "known", m.knownRev)
	rev, err := m.catchUp(opCtx)
	if err != nil {
		m.env.State.Observe("update", tenant.ResultError, start)
		m.env.State.Failed(err)
		m.fails.Fail(m.log, "update from the repository", err)
		return todo
	}
	// Caught up: the update may have rewritten files.
	todo = work{full: true}
	if rev == 0 {
		return todo
	}
	m.env.State.Observe("update", tenant.ResultSuccess, start)
	m.knownRev = max(rev, changed)
	m.env.State.Succeeded(rev, true)
	m.env.Peers.NotifyTenant(m.t.ID, rev)
	return todo
}

// catchUp brings the repository's changes into the manager's working copy
// without letting them win over the manager's files: the update keeps
// local contents (--accept mine-full, --force over unversioned files),
// conflicts are resolved to the working copy, and files the person had
// deleted (missing) are deleted again if the update brought them back. A
// full reconcile follows and commits what still differs. It is how the
// manager recovers when its working copy and the repository disagree: a
// commit that landed while depsync was killed before it could record it,
// out-of-date and conflicting commits, and commits made by someone else.
// The caller looks at the whole tree next.
func (m *Manager) catchUp(ctx context.Context) (int64, error) {
	entries, err := m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{})
	if err != nil {
		return 0, fmt.Errorf("svn status: %w", err)
	}
	var gone []string
	for _, e := range entries {
		if (e.Item == "missing" || e.Item == "deleted") && !m.env.Files.Ignored(e.Path) {
			gone = append(gone, e.Path)
		}
	}
	res, err := m.svn.UpdateWith(ctx, m.t.Dir, svn.UpdateOptions{Accept: "mine-full", Force: true})
	if err != nil {
		return 0, fmt.Errorf("svn update: %w", err)
	}
	after, err := m.svn.StatusWith(ctx, m.t.Dir, svn.StatusOptions{})
	if err != nil {
		return 0, fmt.Errorf("svn status: %w", err)
	}
	conflicted, err := m.resolveLocal(ctx, after)
	if err != nil {
		return 0, err
	}
	// Delete again only what the update itself brought back and nobody has
	// touched since: a path the person re-created meanwhile (it shows in
	// the status as modified or unversioned, or has such descendants) is
	// theirs, and the full reconcile that follows commits it.
	brought := map[string]bool{}
	for _, p := range res.Restored {
		brought[p] = true
	}
	for _, c := range res.Changed {
		brought[c.Path] = true
	}
	touched := func(p string) bool {
		for _, e := range after {
			if !madeByPerson(e) {
				// Still missing (an addition whose file went with its
				// folder): nobody's doing since the look before.
				continue
			}
			if e.Path == p || strings.HasPrefix(e.Path, p+"/") {
				return true
			}
		}
		return false
	}
	for _, p := range gone {
		if !brought[p] || touched(p) {
			continue
		}
		abs := filepath.Join(m.t.Dir, filepath.FromSlash(p))
		if _, err := os.Lstat(abs); err == nil {
			if err := os.RemoveAll(abs); err != nil {
				return 0, fmt.Errorf("delete %s again: %w", abs, err)
			}
		}
	}
	m.log.Info("working copy brought up to date with the repository; the manager's files win",
		"revision", res.Revision, "changes", len(res.Changed), "conflicts_kept_local", len(conflicted))
	return res.Revision, nil
}

// madeByPerson reports whether a status entry shows content someone put on
// disk (a new, changed or replacing file), rather than something absent.
func madeByPerson(e svn.StatusEntry) bool {
	switch e.Item {
	case "missing", "deleted":
		return false // whatever its properties say, it is not on disk
	case "unversioned", "modified", "added", "replaced", "obstructed", "conflicted":
		return true
	}
	return e.Props == "modified"
}

// resolveLocal resolves every conflict among entries in favour of the
// manager's own version: text and property conflicts to the local file as
// it was before svn merged into it (mine-full; "working" would keep the
// conflict markers), tree conflicts to the local state (working). It
// returns the paths it resolved.
func (m *Manager) resolveLocal(ctx context.Context, entries []svn.StatusEntry) ([]string, error) {
	var text, tree, all []string
	for _, e := range entries {
		if e.Item == "conflicted" || e.Props == "conflicted" {
			text = append(text, e.Path)
		}
		if e.TreeConflict {
			tree = append(tree, e.Path)
		}
		if e.Conflicted() {
			all = append(all, e.Path)
		}
	}
	if len(text) > 0 {
		if err := m.svn.Resolve(ctx, m.t.Dir, "mine-full", text...); err != nil {
			return nil, fmt.Errorf("resolve conflicts: %w", err)
		}
	}
	if len(tree) > 0 {
		if err := m.svn.Resolve(ctx, m.t.Dir, "working", tree...); err != nil {
			return nil, fmt.Errorf("resolve tree conflicts: %w", err)
		}
	}
	if len(all) > 0 {
		m.log.Warn("conflicts in the manager's working copy; keeping the manager's version", "paths", tenant.JoinLimited(all, 10))
	}
	return all, nil
}

// disagrees reports errors that mean the working copy and the repository
// disagree, which catchUp resolves.
func disagrees(err error) bool {
	var se *svn.Error
	if errors.As(err, &se) && se.HasCode("E155010") {
		// A file of the working copy went (deleted between the look and
		// the commit): the next pass sees it gone; the repository has
		// nothing to do with it.
		return false
	}
	for _, k := range []error{svn.ErrOutOfDate, svn.ErrConflict, svn.ErrExists, svn.ErrObstructed, svn.ErrNotFound} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
