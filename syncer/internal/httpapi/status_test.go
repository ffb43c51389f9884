package httpapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/drift"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// TestInStep: a tenant is in step only when it has synced, fails nothing,
// waits for nothing, has no drift and knows of no newer revision.
func TestInStep(t *testing.T) {
	good := tenant.Status{Ready: true, Revision: 7}
	with := func(f func(*tenant.Status)) tenant.Status { s := good; f(&s); return s }
	for _, tc := range []struct {
		name    string
		st      tenant.Status
		changed int64
		want    bool
	}{
		{"synced", good, 7, true},
		{"poll saw an older revision", good, 5, true},
		{"not synced yet", with(func(s *tenant.Status) { s.Ready = false }), 7, false},
		{"failing", with(func(s *tenant.Status) { s.LastError = "boom" }), 7, false},
		{"waiting", with(func(s *tenant.Status) { s.Waiting = "no directory" }), 7, false},
		{"disk full", with(func(s *tenant.Status) { s.DiskFull = "no space" }), 7, false},
		{"poll saw a newer revision", good, 8, false},
		{"a notice named a newer revision", with(func(s *tenant.Status) { s.Wanted = 9 }), 7, false},
		{"a notice named this revision", with(func(s *tenant.Status) { s.Wanted = 7 }), 7, true},
		{"drift", with(func(s *tenant.Status) { s.Drift = drift.Set{"a.car": {Path: "a.car"}} }), 7, false},
	} {
		assert.Equal(t, tc.want, InStep(tc.st, tc.changed), tc.name)
	}
}

func shownOf(id int, inStep bool, lastError string) shownTenant {
	return shownTenant{TenantStatus: api.TenantStatus{ID: id, InStep: inStep, LastError: lastError}}
}

// TestListTenants: every tenant up to api.MaxStatusTenants; past that the
// super tenant and the failing ones; one when asked; the summary counts
// them all.
func TestListTenants(t *testing.T) {
	ids := func(l []api.TenantStatus) []int {
		out := []int{}
		for _, ts := range l {
			out = append(out, ts.ID)
		}
		return out
	}
	few := []shownTenant{shownOf(-1234, true, ""), shownOf(5, false, "boom"), shownOf(2, false, "bang"), shownOf(3, false, "")}
	list, sum, truncated := listTenants(few, false, 0)
	assert.Equal(t, []int{-1234, 5, 2, 3}, ids(list))
	assert.False(t, truncated)
	assert.Equal(t, api.TenantSummary{Count: 4, InStep: 1, Failing: []int{2, 5}, FailingCount: 2}, *sum)

	list, sum, truncated = listTenants(few, true, 2)
	assert.Equal(t, []int{2}, ids(list))
	assert.False(t, truncated)
	assert.Equal(t, 4, sum.Count, "the summary counts every tenant")
	list, _, _ = listTenants(few, true, 99)
	assert.Empty(t, list)

	var many []shownTenant
	n := api.MaxStatusTenants + 300
	for id := 1; id <= n; id++ {
		failing := ""
		if id%2 == 0 {
			failing = fmt.Sprint("error ", id)
		}
		many = append(many, shownOf(id, failing == "", failing))
	}
	list, sum, truncated = listTenants(many, false, 0)
	assert.True(t, truncated)
	assert.Len(t, list, api.MaxStatusTenants, "the first and failing ones, bounded")
	assert.Equal(t, []int{1, 2, 4}, ids(list)[:3])
	assert.Equal(t, n/2, sum.FailingCount)
	assert.Len(t, sum.Failing, api.MaxStatusTenants)
	assert.Equal(t, n-n/2, sum.InStep)
	list, _, truncated = listTenants(many[:api.MaxStatusTenants], false, 0)
	assert.False(t, truncated)
	assert.Len(t, list, api.MaxStatusTenants)
}

// TestDriftOf: the count of every drifted path, the first ten listed by
// tenant and path.
func TestDriftOf(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	set := func(n int) drift.Set {
		s := drift.Set{}
		for i := range n {
			p := fmt.Sprintf("carbonapps/%02d.car", i)
			s[p] = drift.Path{Path: p, Change: drift.Added, Since: since}
		}
		return s
	}
	tenants := []shownTenant{
		{TenantStatus: api.TenantStatus{ID: -1234}, state: tenant.Status{Drift: set(8)}},
		{TenantStatus: api.TenantStatus{ID: 3}},
		{TenantStatus: api.TenantStatus{ID: 4}, state: tenant.Status{Drift: set(5)}},
	}
	d := driftOf(tenants)
	assert.Equal(t, 13, d.Count)
	assert.Len(t, d.Paths, maxDriftPaths)
	assert.Equal(t, api.DriftPath{Tenant: -1234, Path: "carbonapps/00.car", Change: "added", Since: since.UTC()}, d.Paths[0])
	assert.Equal(t, api.DriftPath{Tenant: 4, Path: "carbonapps/01.car", Change: "added", Since: since.UTC()}, d.Paths[9])
	assert.Equal(t, &api.Drift{Paths: []api.DriftPath{}}, driftOf(tenants[1:2]), "none: an empty list, not null")
}
