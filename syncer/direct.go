package syncer

import (
	"context"

	"github.com/depsync/depsync/syncer/internal/debounce"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// PeerReporter is what a DirectSyncer may also offer: its view of the
// peers, which /v1/status shows while the daemon is in direct mode (the
// notifier's view is only about notices then).
type PeerReporter interface {
	PeerStatuses() []PeerStatus
}

// watchForDirect feeds the direct syncer on a manager with no SVN server at
// all: no manager loop runs then, so this watcher alone turns changes in
// the deployment directory into reconciles of the peers.
func (d *Daemon) watchForDirect(ctx context.Context) {
	w := fswatch.NewWatcher(d.cfg.Carbon.DeploymentDir, d.cfg.Ignored, min(debounce.Coalesce, d.cfg.Sync.Debounce), d.cfg.Sync.MaxDelay, d.log)
	w.UseHub(d.watches)
	batches := make(chan fswatch.Batch)
	errs := make(chan error, 1)
	go func() { errs <- w.Run(ctx, batches) }()
	var fails tenant.Failures
	for {
		select {
		case <-ctx.Done():
			<-errs
			return
		case <-batches:
			fails.OK(d.log, "watcher")
			d.fallback.direct.Trigger()
		case err := <-errs:
			if ctx.Err() != nil {
				return
			}
			// The directory may be missing or made anew: the reconciler's
			// own periodic pass covers the gap until the watch is back.
			if !tenant.Sleep(ctx, fails.Fail(d.log, "watcher", err)) {
				return
			}
			d.fallback.direct.Trigger()
			go func() { errs <- w.Run(ctx, batches) }()
		}
	}
}
