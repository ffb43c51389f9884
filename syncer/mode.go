package syncer

// The daemon's mode: svn while the server answers, direct (C-Apps pushed
// straight to the peers) when there is none or it has failed
// svn.fail_threshold times in a row.

import (
	"context"
	"errors"
	"log/slog"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

// Mode is "svn", or "direct" when there is no SVN server or it has been
// unreachable for svn.fail_threshold consecutive attempts.
func (d *Daemon) Mode() string {
	if d.cfg.SVN.URL == "" || d.fallback.unreachable.Load() >= int64(d.cfg.SVN.FailThreshold) {
		return ModeDirect
	}
	return ModeSVN
}

// svnResult records the outcome of an svn operation for the mode.
func (d *Daemon) svnResult(err error) {
	before := d.Mode()
	switch {
	case err == nil:
		d.fallback.unreachable.Store(0)
	case errors.Is(err, svn.ErrUnreachable) || errors.Is(err, svn.ErrTimeout):
		d.fallback.unreachable.Add(1)
	default:
		// The server answered: it is reachable, whatever went wrong.
		d.fallback.unreachable.Store(0)
	}
	if after := d.Mode(); after != before {
		d.log.Warn("mode changed", "from", before, "to", after, "fail_threshold", d.cfg.SVN.FailThreshold)
		if d.cfg.Role == config.RoleManager {
			// Workers must know at once: in direct mode they keep what
			// the manager pushes although the repository lacks it.
			d.peers.Notify(d.revision())
		}
		select {
		case d.fallback.changed <- struct{}{}:
		default:
		}
	}
}

// runDirect runs the direct syncer while the daemon is in direct mode.
func (d *Daemon) runDirect(ctx context.Context) {
	var running *directRun
	defer func() { running.stop() }()
	for {
		switch direct := d.Mode() == ModeDirect; {
		case direct && running == nil:
			d.log.Info("direct mode: pushing C-Apps straight to peers")
			running = startDirect(ctx, d.fallback.direct, d.log)
		case !direct && running != nil:
			d.log.Info("SVN is back: leaving direct mode")
			running.stop()
			running = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-d.fallback.changed:
		}
	}
}

// directRun is a running DirectSyncer.
type directRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startDirect(ctx context.Context, ds DirectSyncer, log *slog.Logger) *directRun {
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
