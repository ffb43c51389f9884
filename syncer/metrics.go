package syncer

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// metrics are the daemon's Prometheus metrics, registered on its own
// registry (never the global one) so that two daemons in one process, as in
// tests, do not collide.
type metrics struct {
	ops         *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	revision    *prometheus.GaugeVec
	replicaLag  *prometheus.GaugeVec
	failures    *prometheus.GaugeVec
	rejected    *prometheus.GaugeVec
	rejections  *prometheus.CounterVec
	notifySent  *prometheus.CounterVec
	notifyRecv  *prometheus.CounterVec
	backups     *prometheus.CounterVec
	reg         *prometheus.Registry

	// watchers are the watchers of each tenant label, summed when
	// scraped: the tenants labelled tenantrun.Other share one series.
	wmu      sync.Mutex
	watchers map[string][]*fswatch.Watcher
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_sync_operations_total",
			Help: "Sync operations by tenant, operation (commit, update) and result (success, error, noop).",
		}, []string{"tenant", "op", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "depsync_sync_duration_seconds",
			Help:    "Duration of sync operations (svn status, commit or update and the checks around them).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"tenant", "op"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_last_success_timestamp_seconds",
			Help: "Unix time of the last successful sync operation or server probe.",
		}, []string{"tenant"}),
		revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_revision",
			Help: "SVN revision of the tenant's working copy.",
		}, []string{"tenant"}),
		replicaLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_replica_lag_revisions",
			Help: "Revisions a worker is behind the newest one a notice named (its server, a replica, may lack it yet).",
		}, []string{"tenant"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_consecutive_failures",
			Help: "Consecutive failed sync operations (0 after a success).",
		}, []string{"tenant"}),
		rejected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_rejected_files",
			Help: "Files currently not committed because they are not valid, by reason.",
		}, []string{"tenant", "reason"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_rejected_files_total",
			Help: "Times a file was found invalid and not committed, by reason.",
		}, []string{"tenant", "reason"}),
		notifySent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_notifications_sent_total",
			Help: "Notices of a new revision sent to peers, by result (success, error).",
		}, []string{"peer", "result"}),
		notifyRecv: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_notifications_received_total",
			Help: "Notices of a new revision received, by result (accepted, ignored, bad_request, refused_url: a manager URL that is not a configured peer).",
		}, []string{"result"}),
		backups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_backups_total",
			Help: "Local files copied to <state_dir>/overwritten before the repository's version replaced them.",
		}, []string{"tenant"}),
	}
	reg.MustRegister(m.ops, m.duration, m.lastSuccess, m.revision, m.replicaLag, m.failures, m.rejected, m.rejections,
		m.notifySent, m.notifyRecv, m.backups,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watcherMetrics exposes a tenant's watcher counters, read when scraped;
// the watchers of tenants that share a label are summed.
func (m *metrics) watcherMetrics(tenant string, w *fswatch.Watcher) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if m.watchers == nil {
		m.watchers = map[string][]*fswatch.Watcher{}
	}
	first := len(m.watchers[tenant]) == 0
	m.watchers[tenant] = append(m.watchers[tenant], w)
	if !first {
		return
	}
	sum := func(overflows bool) func() float64 {
		return func() float64 {
			m.wmu.Lock()
			defer m.wmu.Unlock()
			var n uint64
			for _, w := range m.watchers[tenant] {
				e, o := w.Counts()
				if overflows {
					e = o
				}
				n += uint64(e)
			}
			return float64(n)
		}
	}
	events := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "depsync_watcher_events_total",
		Help:        "File-system events seen by the watcher (not ignored).",
		ConstLabels: prometheus.Labels{"tenant": tenant},
	}, sum(false))
	overflows := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "depsync_watcher_overflows_total",
		Help:        "Times the watcher's event queue overflowed (each causes a full reconcile).",
		ConstLabels: prometheus.Labels{"tenant": tenant},
	}, sum(true))
	m.reg.MustRegister(events, overflows)
}

// tenant are the metrics a tenant's runtime sets (see tenantrun.Label for
// the "tenant" label's values).
func (m *metrics) tenant() tenantrun.Metrics {
	return tenantrun.Metrics{Ops: m.ops, Duration: m.duration, LastSuccess: m.lastSuccess, Revision: m.revision,
		ReplicaLag: m.replicaLag, Failures: m.failures, Rejected: m.rejected, Rejections: m.rejections, Backups: m.backups}
}
