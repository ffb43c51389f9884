package tenantrun

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
)

// Metrics are the daemon's metric vectors with a "tenant" label that a
// tenant's runtime sets (package syncer registers them).
type Metrics struct {
	Ops         *prometheus.CounterVec   // depsync_sync_operations_total
	Duration    *prometheus.HistogramVec // depsync_sync_duration_seconds
	LastSuccess *prometheus.GaugeVec     // depsync_last_success_timestamp_seconds
	Revision    *prometheus.GaugeVec     // depsync_revision
	ReplicaLag  *prometheus.GaugeVec     // depsync_replica_lag_revisions
	Failures    *prometheus.GaugeVec     // depsync_consecutive_failures
	Rejected    *prometheus.GaugeVec     // depsync_rejected_files
	Rejections  *prometheus.CounterVec   // depsync_rejected_files_total
	Backups     *prometheus.CounterVec   // depsync_backups_total
}

// MaxLabels is how many tenants (the super tenant and the first of
// carbon.tenants) have their own "tenant" label; every other tenant,
// listed or discovered, is counted under Other, so that the number of
// series does not grow with the number of tenants. A tenant in error has
// its own depsync_consecutive_failures series while it fails.
const MaxLabels = 10

// Other is the "tenant" label of the tenants without their own.
const Other = "other"

// Label is the "tenant" label of tenant id, the n-th tenant added (0: the
// super tenant).
func Label(id, n int) string {
	if n < MaxLabels {
		return strconv.Itoa(id)
	}
	return Other
}

// tenantMetrics are the series of one tenant.
type tenantMetrics struct {
	Metrics
	label string
	id    int
}

func (r *Runtime) metrics() tenantMetrics {
	return tenantMetrics{Metrics: r.env.Metrics, label: r.env.Label, id: r.env.Tenant.ID}
}

// Observe records an operation's metrics.
func (r *Runtime) Observe(op, result string, start time.Time) {
	m := r.env.Metrics
	m.Ops.WithLabelValues(r.env.Label, op, result).Inc()
	m.Duration.WithLabelValues(r.env.Label, op).Observe(time.Since(start).Seconds())
}

// BackedUp counts one copy kept for the tenant (depsync_backups_total).
func (r *Runtime) BackedUp() { r.env.Metrics.Backups.WithLabelValues(r.env.Label).Inc() }

// ForgetMetrics drops the tenant's own series: it was removed.
func (r *Runtime) ForgetMetrics() {
	m := r.metrics()
	m.setFailures(0)
	if m.label != Other {
		for _, g := range []*prometheus.GaugeVec{m.LastSuccess, m.Failures, m.Revision} {
			g.DeleteLabelValues(m.label)
		}
	}
}

// setLastSuccess sets the tenant's gauge; the tenants without their own
// label have none (depsync_tenants counts them).
func (m tenantMetrics) setLastSuccess(at time.Time) {
	if m.label != Other {
		m.LastSuccess.WithLabelValues(m.label).Set(float64(at.UnixNano()) / 1e9)
	}
}

// setRevision sets depsync_revision, for a tenant with its own label.
func (m tenantMetrics) setRevision(rev int64) {
	if rev > 0 && m.label != Other {
		m.Revision.WithLabelValues(m.label).Set(float64(rev))
	}
}

// setFailures sets the tenant's gauge. A tenant without its own label has
// a series of its own only while it fails: the series stay as few as the
// tenants in error.
func (m tenantMetrics) setFailures(n int) {
	switch {
	case m.label != Other:
		m.Failures.WithLabelValues(m.label).Set(float64(n))
	case n > 0:
		m.Failures.WithLabelValues(strconv.Itoa(m.id)).Set(float64(n))
	default:
		m.Failures.DeleteLabelValues(strconv.Itoa(m.id))
	}
}

// setLag sets depsync_replica_lag_revisions: how many revisions the
// worker is behind the newest one it was told of.
func (m tenantMetrics) setLag(have, wanted int64) {
	if wanted == 0 || m.label == Other {
		return
	}
	m.ReplicaLag.WithLabelValues(m.label).Set(float64(max(0, wanted-have)))
}

// rejected moves depsync_rejected_files from old's reason to r's and
// counts r in depsync_rejected_files_total.
func (m tenantMetrics) rejected(old, r *api.Rejection) {
	if old != nil {
		m.Rejected.WithLabelValues(m.label, old.Reason).Dec()
	}
	if r != nil {
		m.Rejected.WithLabelValues(m.label, r.Reason).Inc()
		m.Rejections.WithLabelValues(m.label, r.Reason).Inc()
	}
}
