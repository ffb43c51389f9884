package syncer

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// tenantsStatus fills s's tenants: every tenant up to api.MaxStatusTenants
// (past that the super tenant and the failing ones, marked truncated), or
// only one, and the summary of them all. Its cost is one lock per tenant,
// in memory: no svn call.
func (d *Daemon) tenantsStatus(s *Status, only *tenantrun.Runtime) {
	all := d.tenantList()
	sum := &api.TenantSummary{Count: len(all), Failing: []int{}}
	list := make([]TenantStatus, 0, min(len(all), api.MaxStatusTenants))
	for i, t := range all {
		ts := tenantStatus(t)
		if ts.InStep {
			sum.InStep++
		}
		failing := ts.LastError != ""
		if failing {
			sum.FailingCount++
			sum.Failing = append(sum.Failing, ts.ID)
		}
		switch {
		case only != nil:
			if t == only {
				list = append(list, ts)
			}
		case len(all) <= api.MaxStatusTenants, i == 0, failing && len(list) < api.MaxStatusTenants:
			list = append(list, ts)
		default:
			s.TenantsTruncated = true
		}
	}
	sort.Ints(sum.Failing)
	if len(sum.Failing) > api.MaxStatusTenants {
		sum.Failing = sum.Failing[:api.MaxStatusTenants]
	}
	s.Tenants, s.TenantSummary = list, sum
	s.Drift = d.driftStatus(all)
}

// tenantStatus is the tenant as /v1/status shows it.
func tenantStatus(t *tenantrun.Runtime) TenantStatus {
	st, tt := t.Status(), t.Tenant()
	ts := TenantStatus{ID: tt.ID, Dir: tt.Dir, URL: tt.URL, Revision: st.Revision,
		LastError: st.LastError, Rejected: st.RejectedList(), Ready: st.Ready}
	ts.Drift = len(st.Drift)
	ts.WantedRevision, ts.ServerBehind = st.Wanted, st.Behind
	ts.InStep = st.Ready && st.LastError == "" && st.Waiting == "" && st.DiskFull == "" &&
		t.ChangedRev().Load() <= st.Revision && st.Wanted <= st.Revision && ts.Drift == 0
	if !st.LastSync.IsZero() {
		tm := st.LastSync.UTC()
		ts.LastSync = &tm
	}
	return ts
}

// tenantsCollector exports depsync_tenants{state}: how many tenants the
// node syncs, how many are in step and how many fail, computed when
// scraped. Three series, whatever the number of tenants.
type tenantsCollector struct{ d *Daemon }

var tenantsDesc = prometheus.NewDesc("depsync_tenants",
	"Tenants by state: total, in_step (synced, no error, not behind), failing (with an error).",
	[]string{"state"}, nil)

// Describe implements prometheus.Collector.
func (c *tenantsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- tenantsDesc }

// Collect implements prometheus.Collector.
func (c *tenantsCollector) Collect(ch chan<- prometheus.Metric) {
	var total, inStep, failing int
	for _, t := range c.d.tenantList() {
		total++
		ts := tenantStatus(t)
		if ts.InStep {
			inStep++
		}
		if ts.LastError != "" {
			failing++
		}
	}
	for state, n := range map[string]int{"total": total, "in_step": inStep, "failing": failing} {
		ch <- prometheus.MustNewConstMetric(tenantsDesc, prometheus.GaugeValue, float64(n), state)
	}
}
