package backup

import "github.com/prometheus/client_golang/prometheus"

// limitGauge is depsync_backup_max_bytes: backups.max_bytes, so an alert
// can compare depsync_backup_bytes with the limit this node has rather than
// with a number written in the alert.
func limitGauge(maxBytes int64) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "depsync_backup_max_bytes",
		Help: "backups.max_bytes: the cap on depsync_backup_bytes (0: no size limit).",
	})
	g.Set(float64(maxBytes))
	return g
}
