package mode

import (
	"context"
	"log/slog"

	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// Syncer is what runs while the mode is direct, on a manager (the
// daemon's DirectSyncer: package deploy's reconciler).
type Syncer interface {
	// Run reconciles the peers until ctx is done.
	Run(ctx context.Context) error
	// Trigger asks for a reconcile soon. It must not block.
	Trigger()
}

// RunDirect runs ds while the mode is direct, starting it when the mode
// turns direct and stopping it when it turns svn, until ctx is done.
func (s *State) RunDirect(ctx context.Context, ds Syncer) {
	log := s.opts.Log
	var running *directRun
	defer func() { running.stop() }()
	for {
		switch direct := s.Mode() == Direct; {
		case direct && running == nil:
			log.Info("direct mode: pushing C-Apps straight to peers")
			running = startDirect(ctx, ds, log)
		case !direct && running != nil:
			log.Info("SVN is back: leaving direct mode")
			running.stop()
			running = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
		}
	}
}

// directRun is a running Syncer.
type directRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startDirect(ctx context.Context, ds Syncer, log *slog.Logger) *directRun {
	dctx, cancel := context.WithCancel(ctx)
	r := &directRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := ds.Run(dctx); err != nil && dctx.Err() == nil {
			log.Error("direct sync stopped", "error", err)
		}
	}()
	ds.Trigger()
	return r
}

func (r *directRun) stop() {
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// Feed calls trigger after each batch of changes w sees, until ctx is
// done. A manager with no SVN server at all runs no manager loop: this
// watcher of its deployment directory alone turns changes into reconciles
// of the peers.
func Feed(ctx context.Context, w *fswatch.Watcher, trigger func(), log *slog.Logger) {
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
			fails.OK(log, "watcher")
			trigger()
		case err := <-errs:
			if ctx.Err() != nil {
				return
			}
			// The directory may be missing or made anew: the reconciler's
			// own periodic pass covers the gap until the watch is back.
			if !tenant.Sleep(ctx, fails.Fail(log, "watcher", err)) {
				return
			}
			trigger()
			go func() { errs <- w.Run(ctx, batches) }()
		}
	}
}
