package syncer

import (
	"context"

	"github.com/depsync/depsync/svn"
)

// SVN is the part of *svn.Client the daemon uses. It is declared here, on
// the consumer's side, so that tests can force every error path with a fake.
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
}

var _ SVN = (*svn.Client)(nil)

// DirectSyncer is the hook for direct mode (package deploy's reconciler):
// C-Apps pushed from the manager straight to its peers over HTTP when there
// is no SVN server (svn.url is empty) or it has been unreachable for
// svn.fail_threshold consecutive attempts.
//
// The daemon runs Run while it is in direct mode (on a manager), cancelling
// its context when SVN is back, and calls Trigger after every change it
// sees meanwhile. A worker never runs it: in direct mode it only receives.
type DirectSyncer interface {
	// Run reconciles the peers until ctx is done.
	Run(ctx context.Context) error
	// Trigger asks for a reconcile soon. It must not block.
	Trigger()
}
