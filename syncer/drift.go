package syncer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// APIArrivals says which C-Apps of the super tenant's carbonapps are as the
// C-App API (the manager's pushes, a forced push) last left them: those
// are no drift, and follow the rules of pushed C-Apps (see worker.DropStrays).
// *deploy.Store is one.
type APIArrivals interface {
	FromAPI(file string) bool
}

// Drift is how /v1/status shows a worker's drift.
type Drift = api.Drift

// maxDriftPaths is how many drifted paths /v1/status lists.
const maxDriftPaths = 10

// driftStatus is the drift of every tenant as /v1/status shows it: nil on
// a manager, whose directory is the source of truth, and on a worker
// without svn.url, which has no repository to compare with.
func (d *Daemon) driftStatus(tenants []*tenantrun.Runtime) *Drift {
	if d.cfg.Role != config.RoleWorker || d.cfg.SVN.URL == "" {
		return nil
	}
	out := &Drift{Paths: []api.DriftPath{}}
	for _, t := range tenants {
		n, first := t.Status().Drift.First(maxDriftPaths)
		out.Count += n
		for _, p := range first {
			if len(out.Paths) < maxDriftPaths {
				out.Paths = append(out.Paths, api.DriftPath{Tenant: t.ID(), Path: p.Path,
					Change: string(p.Change), Since: p.Since.UTC()})
			}
		}
	}
	return out
}

// driftCollector exports depsync_drift_files: the files a worker's
// deployment directory holds that neither the repository nor the manager
// accounts for, computed when scraped.
type driftCollector struct{ d *Daemon }

var driftDesc = prometheus.NewDesc("depsync_drift_files",
	"Paths of a worker's deployment directories changed by hand (added, changed or removed), not yet put back.", nil, nil)

// Describe implements prometheus.Collector.
func (c driftCollector) Describe(ch chan<- *prometheus.Desc) { ch <- driftDesc }

// Collect implements prometheus.Collector.
func (c driftCollector) Collect(ch chan<- prometheus.Metric) {
	n := 0
	for _, t := range c.d.tenantList() {
		n += len(t.Status().Drift)
	}
	ch <- prometheus.MustNewConstMetric(driftDesc, prometheus.GaugeValue, float64(n))
}
