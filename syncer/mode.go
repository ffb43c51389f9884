package syncer

// The daemon's mode (package mode), wired to its config, its peers and its
// direct syncer.

import (
	"context"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/debounce"
	"github.com/depsync/depsync/syncer/internal/failover"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/mode"
)

// ModeUnknown is a worker's manager_mode while it cannot tell: after a
// start, until a notice or the manager's /v1/status says.
const ModeUnknown = mode.Unknown

// PeerReporter is what a DirectSyncer may also offer: its view of the
// peers, which /v1/status shows while the daemon is in direct mode (the
// notifier's view is only about notices then).
type PeerReporter interface {
	PeerStatuses() []PeerStatus
}

// fallbackState is the daemon's mode and what runs while it is direct.
type fallbackState struct {
	mode *mode.State
	// direct runs while the mode is direct, on a manager (Deps.Direct).
	direct DirectSyncer
	// servers is the daemon's svn when it may use svn.fallback_urls too
	// (package failover); nil without them.
	servers *failover.SVN
}

func newMode(d *Daemon) *mode.State {
	return mode.New(mode.Options{HasServer: d.cfg.SVN.URL != "", FailThreshold: d.cfg.SVN.FailThreshold, Log: d.log,
		Changed: func() {
			if d.cfg.Role == config.RoleManager {
				// Workers must know at once: in direct mode they keep
				// what the manager pushes although the repository lacks it.
				d.peers.Notify(d.revision())
			}
		}})
}

// Mode is "svn", or "direct" when there is no SVN server or it has been
// unreachable for svn.fail_threshold consecutive attempts.
func (d *Daemon) Mode() string { return d.fallback.mode.Mode() }

// svnResult records the outcome of an svn operation for the mode.
func (d *Daemon) svnResult(err error) { d.fallback.mode.Result(err) }

// managerMode is the mode of this node's manager (see mode.OfManager).
func (d *Daemon) managerMode() string {
	return mode.OfManager(d.cfg.Role == config.RoleManager, d.Mode(), d.mgr.Mode())
}

// runDirect runs the direct syncer while the daemon is in direct mode.
func (d *Daemon) runDirect(ctx context.Context) { d.fallback.mode.RunDirect(ctx, d.fallback.direct) }

// watchForDirect feeds the direct syncer on a manager with no SVN server at
// all (see mode.Feed).
func (d *Daemon) watchForDirect(ctx context.Context) {
	w := fswatch.NewWatcher(d.cfg.Carbon.DeploymentDir, d.cfg.Ignored, min(debounce.Coalesce, d.cfg.Sync.Debounce), d.cfg.Sync.MaxDelay, d.log)
	w.UseHub(d.watches)
	mode.Feed(ctx, w, d.fallback.direct.Trigger, d.log)
}

// learnManagerMode keeps a worker's idea of its manager's mode true
// between notices (see mode.Learn): it asks the manager that last sent a
// notice, else its peers, each for askTimeout at most.
func (d *Daemon) learnManagerMode(ctx context.Context) {
	mode.Learn(ctx, d.cfg.SVN.PollInterval, func(ctx context.Context) bool {
		candidates := d.cfg.Peers
		if u := d.ManagerURL(); u != "" {
			candidates = []string{u}
		}
		d.mgr.Ask(ctx, candidates, d.superID())
		return d.mgr.Mode() != ""
	})
}
