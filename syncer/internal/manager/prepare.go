package manager

import (
	"context"
	"errors"
	"fmt"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// prepare creates the repository folder when missing and, when the
// directory is not yet a working copy, checks the folder out into it with
// --force: files already there stay as they are (unversioned, or modified
// where the repository has another version), so the first reconcile
// commits them and the manager's files win. Nothing local is overwritten.
func (m *Manager) prepare(ctx context.Context) error {
	if err := m.ensureRemote(ctx); err != nil {
		return err
	}
	if !svn.IsWorkingCopy(m.t.Dir) {
		// Never made anew: an empty directory checked out would commit
		// the loss of every file.
		if err := m.checkDir(); err != nil {
			return err
		}
		m.log.Info("making the deployment directory a working copy; its files win and are committed",
			"dir", m.t.Dir, "url", m.t.URL)
		rev, err := m.svn.Checkout(ctx, m.t.URL, m.t.Dir, true)
		if err != nil {
			return fmt.Errorf("checkout %s into %s: %w", m.t.URL, m.t.Dir, err)
		}
		// Checked out just now from the tenant's URL: nothing to check.
		m.knownRev = rev
		m.env.State.Succeeded(rev, false)
		m.log.Info("manager ready to commit", "dir", m.t.Dir, "url", m.t.URL, "revision", rev)
		return nil
	}
	info, err := m.env.Files.CheckWorkingCopy(ctx)
	if err != nil {
		return err
	}
	if m.knownRev == 0 {
		m.knownRev = info.Revision
	}
	m.env.State.Succeeded(info.Revision, false)
	m.log.Info("manager ready to commit", "dir", m.t.Dir, "url", m.t.URL, "revision", info.Revision)
	return nil
}

// ensureRemote creates the tenant's repository folder when it is missing.
func (m *Manager) ensureRemote(ctx context.Context) error {
	exists, err := m.env.Files.HasFolder(ctx)
	if err != nil || exists {
		return err
	}
	m.log.Info("creating the repository folder", "url", m.t.URL)
	msg := fmt.Sprintf("depsync %s: create the folder of tenant %d", m.env.Config.NodeName, m.t.ID)
	if err := m.svn.Mkdir(ctx, m.t.URL, true, msg); err != nil {
		if errors.Is(err, svn.ErrNotFound) {
			// No repository there at all: retrying will not help.
			return &tenant.ConfigError{Err: fmt.Errorf("svn.url: no repository at %s: %w", m.env.Config.SVN.URL, err)}
		}
		return fmt.Errorf("create %s: %w", m.t.URL, err)
	}
	return nil
}
