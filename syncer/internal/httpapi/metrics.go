package httpapi

import "github.com/prometheus/client_golang/prometheus"

// TenantsCollector exports depsync_tenants{state}: how many tenants the
// node syncs, how many are in step (InStep) and how many fail, computed
// when scraped. Three series, whatever the number of tenants.
func TenantsCollector(tenants func() []Tenant) prometheus.Collector {
	return tenantsCollector{tenants}
}

type tenantsCollector struct{ tenants func() []Tenant }

var tenantsDesc = prometheus.NewDesc("depsync_tenants",
	"Tenants by state: total, in_step (synced, no error, not behind), failing (with an error).",
	[]string{"state"}, nil)

// Describe implements prometheus.Collector.
func (c tenantsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- tenantsDesc }

// Collect implements prometheus.Collector.
func (c tenantsCollector) Collect(ch chan<- prometheus.Metric) {
	var total, inStep, failing int
	for _, t := range c.tenants() {
		total++
		st := t.Status()
		if InStep(st, t.Changed()) {
			inStep++
		}
		if st.LastError != "" {
			failing++
		}
	}
	for state, n := range map[string]int{"total": total, "in_step": inStep, "failing": failing} {
		ch <- prometheus.MustNewConstMetric(tenantsDesc, prometheus.GaugeValue, float64(n), state)
	}
}

// DriftCollector exports depsync_drift_files: the files a worker's
// deployment directory holds that neither the repository nor the manager
// accounts for, computed when scraped.
func DriftCollector(tenants func() []Tenant) prometheus.Collector {
	return driftCollector{tenants}
}

type driftCollector struct{ tenants func() []Tenant }

var driftDesc = prometheus.NewDesc("depsync_drift_files",
	"Paths of a worker's deployment directories changed by hand (added, changed or removed), not yet put back.", nil, nil)

// Describe implements prometheus.Collector.
func (c driftCollector) Describe(ch chan<- *prometheus.Desc) { ch <- driftDesc }

// Collect implements prometheus.Collector.
func (c driftCollector) Collect(ch chan<- prometheus.Metric) {
	n := 0
	for _, t := range c.tenants() {
		n += len(t.Status().Drift)
	}
	ch <- prometheus.MustNewConstMetric(driftDesc, prometheus.GaugeValue, float64(n))
}
