package handover

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/depsync/depsync/internal/atomicfile"
)

// OldFormat reports whether err is svn refusing a working copy made by an
// older svn or by Carbon's SVNKit (E155036, "please see the 'svn upgrade'
// command").
func OldFormat(err error) bool {
	return err != nil && strings.Contains(err.Error(), "E155036")
}

// Upgrade is the upgrade of one tenant's working copy.
type Upgrade struct {
	// Dir is the working copy, of tenant Tenant.
	Dir    string
	Tenant int
	// StateDir is the daemon's state_dir, where the copy is kept.
	StateDir string
	// SVN runs svn upgrade on a working copy.
	SVN func(ctx context.Context, dir string) error
	Log *slog.Logger
}

// Run upgrades the working copy, one Carbon's synchronizer made in an
// older format, after keeping a copy of it as it was under
// <state_dir>/upgraded/<UTC time>/tenant<id>: svn upgrade rewrites .svn in
// place and cannot be undone.
func (u Upgrade) Run(ctx context.Context) error {
	keep := keepDir(u.StateDir, u.Tenant, time.Now())
	if err := copyTree(u.Dir, keep); err != nil {
		return fmt.Errorf("keep a copy of %s before svn upgrade: %w", u.Dir, err)
	}
	if err := u.SVN(ctx, u.Dir); err != nil {
		return fmt.Errorf("svn upgrade %s (a copy of it as it was is in %s): %w", u.Dir, keep, err)
	}
	u.Log.Info("the working copy was of an older format (made by an older svn or Carbon's SVNKit): upgraded with svn upgrade",
		"dir", u.Dir, "copy", keep)
	return nil
}

// keepDir is where the copy of tenant's working copy taken at now goes.
func keepDir(stateDir string, tenant int, now time.Time) string {
	return filepath.Join(stateDir, "upgraded", now.UTC().Format("20060102T150405.000Z"), "tenant"+strconv.Itoa(tenant))
}

// copyTree copies the folder src, whole, to dst (made anew, owner-only):
// folders, regular files with their mode and time, and symlinks as links.
func copyTree(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s exists", dst)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return atomicfile.Copy(p, target, atomicfile.CopyOptions{KeepAttrs: true})
		}
		return nil // sockets, FIFOs: nothing svn keeps
	})
}
