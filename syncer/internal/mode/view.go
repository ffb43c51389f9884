package mode

// The mode as others see it: a worker's /v1/status says which mode its
// manager is in (its own mode only says whether it reaches SVN), and every
// node exports the cluster's mode as depsync_mode{mode}, so that "running on
// the fallback" can be alerted on from any node.

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/syncer/internal/tenant"
)

// OfManager is the mode of a node's manager: a manager's own (own), a
// worker's as its manager's notices and answers last said (heard), Unknown
// while nothing has (heard empty).
func OfManager(isManager bool, own, heard string) string {
	switch {
	case isManager:
		return own
	case heard != "":
		return heard
	default:
		return Unknown
	}
}

// askEvery is how often a worker that knows its manager's mode asks it
// again: a notice of a change of mode that did not get through (the worker
// was restarting, the network dropped it) is not sent again.
const askEvery = 30 * time.Second

// Learn keeps a worker's idea of its manager's mode true between notices:
// while it is unknown (after a start) it asks at each poll (svn.poll_interval),
// then every askEvery. ask asks the manager, bounded by its own deadlines,
// and reports whether the mode is known now. Learn returns when ctx ends.
func Learn(ctx context.Context, poll time.Duration, ask func(context.Context) (known bool)) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wait := askEvery
		if !ask(ctx) {
			wait = poll
		}
		t.Reset(tenant.Jitter(max(wait, time.Second)))
	}
}

var (
	modeDesc = prometheus.NewDesc("depsync_mode",
		"The cluster's mode: 1 for the current one (svn, or direct when the manager pushes C-Apps itself), 0 for the other. "+
			"On a worker, its manager's mode as its notices and answers said (both 0 while it cannot tell).",
		[]string{"mode"}, nil)
	fallbackDesc = prometheus.NewDesc("depsync_svn_fallback",
		"1 while svn.url is set but the SVN server is unreachable (svn.fail_threshold failures in a row) and C-Apps are pushed straight to peers; else 0.",
		nil, nil)
)

// Collector exports, read when scraped so that they never lag the status:
//   - depsync_mode{mode}: 1 for the mode cluster returns (the manager's as
//     this node knows it, see OfManager), 0 for the other; both 0 while a
//     worker cannot tell;
//   - depsync_svn_fallback: 1 while fallback says the SVN server of a node
//     with svn.url has failed svn.fail_threshold times in a row, so C-Apps
//     go straight to the peers until it answers again (State.Fallback);
//     else 0. A node without svn.url is always direct and exports 0: that
//     is its configuration, not something to alert on.
func Collector(cluster func() string, fallback func() bool) prometheus.Collector {
	return collector{cluster: cluster, fallback: fallback}
}

type collector struct {
	cluster  func() string
	fallback func() bool
}

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) { ch <- modeDesc; ch <- fallbackDesc }

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	cur := c.cluster()
	for _, m := range []string{SVN, Direct} {
		ch <- prometheus.MustNewConstMetric(modeDesc, prometheus.GaugeValue, gauge(m == cur), m)
	}
	ch <- prometheus.MustNewConstMetric(fallbackDesc, prometheus.GaugeValue, gauge(c.fallback()))
}

func gauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
