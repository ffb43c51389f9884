package svnbatch

import (
	"context"

	"github.com/depsync/depsync/svn"
)

// SVN is the part of *svn.Client the daemon uses, and what Wrap returns.
// It is declared on the consumer's side (package syncer names it too), so
// that tests can force every error path with a fake.
type SVN interface {
	CheckVersion(ctx context.Context) error
	Info(ctx context.Context, pathOrURL string) (*svn.Info, error)
	Mkdir(ctx context.Context, url string, parents bool, message string) error
	Checkout(ctx context.Context, url, dir string, force bool) (int64, error)
	UpdateWith(ctx context.Context, dir string, opts svn.UpdateOptions, paths ...string) (*svn.UpdateResult, error)
	StatusWith(ctx context.Context, dir string, opts svn.StatusOptions, paths ...string) ([]svn.StatusEntry, error)
	CommitWith(ctx context.Context, dir, message string, opts svn.CommitOptions, paths ...string) (int64, error)
	Revert(ctx context.Context, dir string, paths ...string) error
	Resolve(ctx context.Context, dir, accept string, paths ...string) error
	Cleanup(ctx context.Context, dir string) error
	// Log lists the revisions from..to of url with their changed paths:
	// one call tells which tenants a poll's new revisions touched.
	Log(ctx context.Context, url string, from, to int64) ([]svn.LogEntry, error)
	// ListDirs names the folders under url: a worker's tenants with
	// carbon.tenants: all.
	ListDirs(ctx context.Context, url string) ([]string, error)
	// HasFolder reports whether url is a folder of the repository: what
	// Wrap returns answers the questions of many tenants with one svn
	// list of the folder holding theirs.
	HasFolder(ctx context.Context, url string) (bool, error)
	// ListFiles counts the files under url and names up to max of them,
	// and DeleteURL deletes url in one commit: what removing a tenant
	// needs (its files for the deletion guard, then its folder).
	ListFiles(ctx context.Context, url string, max int) (int, []string, error)
	DeleteURL(ctx context.Context, url, message string) error
	// Upgrade brings a working copy of an older format (Carbon's
	// SVNKit's) to the client's: svn upgrade.
	Upgrade(ctx context.Context, dir string) error
	// Relocate points a working copy at another server of its
	// repository (svn relocate): what failing over to svn.fallback_urls
	// needs.
	Relocate(ctx context.Context, dir, from, to string) error
}

var _ SVN = (*svn.Client)(nil)
