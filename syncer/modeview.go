package syncer

// The mode as others see it: a worker's /v1/status says which mode its
// manager is in (its own mode only says whether it reaches SVN), and every
// node exports the cluster's mode as depsync_mode{mode}, so that "running on
// the fallback" can be alerted on from any node.

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// ModeUnknown is a worker's manager_mode while it cannot tell: after a
// start, until a notice or the manager's /v1/status says.
const ModeUnknown = "unknown"

// managerMode is the mode of this node's manager: a manager's own, a
// worker's as its manager's notices and answers last said, ModeUnknown
// while nothing has.
func (d *Daemon) managerMode() string {
	if d.cfg.Role == config.RoleManager {
		return d.Mode()
	}
	if m := d.mgr.Mode(); m != "" {
		return m
	}
	return ModeUnknown
}

// modeAskEvery is how often a worker that knows its manager's mode asks it
// again: a notice of a change of mode that did not get through (the worker
// was restarting, the network dropped it) is not sent again.
const modeAskEvery = 30 * time.Second

// learnManagerMode keeps a worker's idea of its manager's mode true
// between notices: while it is unknown (after a start) it asks the
// manager's /v1/status at each poll, then every modeAskEvery. Each ask is
// bounded by askTimeout per candidate. It returns when ctx ends.
func (d *Daemon) learnManagerMode(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		candidates := d.cfg.Peers
		if u := d.ManagerURL(); u != "" {
			candidates = []string{u}
		}
		d.mgr.Ask(ctx, candidates, d.superID())
		wait := modeAskEvery
		if d.mgr.Mode() == "" {
			wait = d.cfg.SVN.PollInterval
		}
		t.Reset(tenant.Jitter(max(wait, time.Second)))
	}
}

// modeCollector exports depsync_mode{mode}: 1 for the manager's mode as
// this node knows it (managerMode), 0 for the other; both 0 while a worker
// cannot tell. Read when scraped, so it never lags the status.
type modeCollector struct{ d *Daemon }

var modeDesc = prometheus.NewDesc("depsync_mode",
	"The cluster's mode: 1 for the current one (svn, or direct when the manager pushes C-Apps itself), 0 for the other. "+
		"On a worker, its manager's mode as its notices and answers said (both 0 while it cannot tell).",
	[]string{"mode"}, nil)

// Describe implements prometheus.Collector.
func (c modeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- modeDesc }

// Collect implements prometheus.Collector.
func (c modeCollector) Collect(ch chan<- prometheus.Metric) {
	cur := c.d.managerMode()
	for _, m := range []string{ModeSVN, ModeDirect} {
		v := 0.0
		if m == cur {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(modeDesc, prometheus.GaugeValue, v, m)
	}
}
