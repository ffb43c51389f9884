package syncer

import (
	"context"

	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// SVN is the part of *svn.Client the daemon uses (see svnbatch.SVN): tests
// fake it to force every error path.
type SVN = svnbatch.SVN

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
