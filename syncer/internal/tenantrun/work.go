package tenantrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/handover"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// fatal reports errors that retrying cannot fix: the daemon stops with them.
func fatal(err error) bool {
	var ce *tenant.ConfigError
	return errors.As(err, &ce) || errors.Is(err, svn.ErrAuth) || errors.Is(err, svn.ErrNotInstalled)
}

func configErrorf(format string, args ...any) error {
	return &tenant.ConfigError{Err: fmt.Errorf(format, args...)}
}

// PrepareWithRetry runs prepare until it succeeds, ctx is done or the
// error is fatal, backing off in between.
func (r *Runtime) PrepareWithRetry(ctx context.Context, prepare func(context.Context) error) error {
	var f tenant.Failures
	for {
		// A few tenants at a time (see Node.Starting); the slot is given
		// back before waiting, so a tenant that cannot start holds up none.
		if !r.StartSlot(ctx) {
			return nil
		}
		opCtx, cancel := r.OpContext(ctx)
		start := time.Now()
		err := prepare(opCtx)
		cancel()
		r.StartDone()
		if err == nil {
			f.OK(r.env.Log, "start-up")
			return nil
		}
		r.Observe("prepare", tenant.ResultError, start)
		r.Failed(err)
		if fatal(err) {
			return err
		}
		wait := f.Fail(r.env.Log, "start-up", err)
		// A notice means the manager is there: try again at once.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		case <-r.wake:
		}
	}
}

// StartSlot waits for one of the slots of a first sync; it reports false
// when ctx ended first. Give it back with StartDone.
func (r *Runtime) StartSlot(ctx context.Context) bool {
	select {
	case r.env.Node.Starting <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// StartDone gives back the slot StartSlot took.
func (r *Runtime) StartDone() { <-r.env.Node.Starting }

// OpContext is the context an svn operation runs in (see Node.OpContext).
func (r *Runtime) OpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return r.env.Node.OpContext(ctx)
}

// SVNResult counts an svn result for the daemon's mode.
func (r *Runtime) SVNResult(err error) { r.env.Node.SVNResult(err) }

// Removed forgets the tenant: it was removed.
func (r *Runtime) Removed() { r.env.Node.Remove(r) }

// CheckWorkingCopy makes sure the directory is a working copy of the
// tenant's URL, so that a directory checked out from elsewhere is never
// committed to (or overwritten from) the wrong folder. One of an older
// format (Carbon's synchronizer's) is upgraded first.
func (r *Runtime) CheckWorkingCopy(ctx context.Context) (*svn.Info, error) {
	t := r.env.Tenant
	info, err := r.env.SVN.Info(ctx, t.Dir)
	if handover.OldFormat(err) {
		up := handover.Upgrade{Dir: t.Dir, Tenant: t.ID, StateDir: r.env.Config.StateDir, SVN: r.env.SVN.Upgrade,
			Log: r.env.Log}
		if err := up.Run(ctx); err != nil {
			return nil, err
		}
		info, err = r.env.SVN.Info(ctx, t.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("svn info %s: %w", t.Dir, err)
	}
	if !config.SameSVNURL(info.URL, t.URL) {
		return nil, configErrorf("%s is a working copy of %s, not of %s: move it away or fix svn.url", t.Dir, info.URL, t.URL)
	}
	return info, nil
}

// HasFolder reports whether the tenant's repository folder exists: with
// many tenants asking at once, one svn list of the folder holding theirs
// answers them all. Without the tenant id in the URL (nothing to list
// above svn.url), or when the list fails, it asks svn info.
func (r *Runtime) HasFolder(ctx context.Context) (bool, error) {
	url := r.env.Tenant.URL
	if r.env.Config.SVN.AppendTenantID {
		if exists, err := r.env.SVN.HasFolder(ctx, url); err == nil || fatal(err) {
			return exists, err
		}
	}
	info, err := r.env.SVN.Info(ctx, url)
	if errors.Is(err, svn.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("svn info %s: %w", url, err)
	}
	if info.Kind != "dir" {
		return false, configErrorf("%s is a %s in the repository, not a folder", url, info.Kind)
	}
	return true, nil
}

// Ignored reports whether any component of the slash path rel matches an
// ignore pattern.
func (r *Runtime) Ignored(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part != "." && r.env.Config.Ignored(part) {
			return true
		}
	}
	return false
}

// Removable reports whether the tenant is one discovered at runtime, whose
// folder's removal is the removal of the tenant (never the super tenant).
func (r *Runtime) Removable() bool {
	c := r.env.Config
	return c.Carbon.AllTenants && r.env.Tenant.ID != config.SuperTenantID && c.SVN.AppendTenantID
}

// Heal makes a locked working copy usable again; it reports whether it is
// clean of locks now (see tenant.Files).
func (r *Runtime) Heal(ctx context.Context) bool { return r.files.Heal(ctx) }

// RemoveStalePlaceholders removes what a heal interrupted by a crash left
// (see tenant.Files); the loop runs it before its first sync.
func (r *Runtime) RemoveStalePlaceholders() { r.files.RemoveStalePlaceholders() }

// Backup copies the given slash paths to <state_dir>/overwritten and
// returns the folder they went to ("" when nothing was copied).
func (r *Runtime) Backup(paths []string) (string, error) { return r.files.Backup(paths) }

// BackupRoot is where the tenant's copies of the moment go.
func (r *Runtime) BackupRoot() string { return r.files.BackupRoot() }
