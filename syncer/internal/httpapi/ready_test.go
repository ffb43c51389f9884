package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/api"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// TestReady: why a node is not ready, tenant by tenant and for what a
// manager holds, as /readyz and /v1/status's reason say it.
func TestReady(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	synced := tenant.Status{Ready: true, LastSuccess: now.Add(-10 * time.Second)}
	old := tenant.Status{Ready: true, LastSuccess: now.Add(-90 * time.Second), LastError: "svn: unreachable"}
	one := func(st tenant.Status) []TenantState { return []TenantState{{ID: -1234, Status: st}} }
	for _, tc := range []struct {
		name  string
		f     Readiness
		ready bool
		why   string
	}{
		{"no tenant", Readiness{Now: now}, true, ""},
		{"synced", Readiness{Tenants: one(synced), Now: now, Stale: time.Minute}, true, ""},
		{"waiting comes first", Readiness{Tenants: one(tenant.Status{Waiting: "deployment directory missing", DiskFull: "disk full"}), Now: now},
			false, "tenant -1234: deployment directory missing"},
		{"disk full, with the error", Readiness{Tenants: one(tenant.Status{Ready: true, DiskFull: "no space left", LastError: "svn: E720028"}), Now: now},
			false, "tenant -1234: no space left (svn: E720028)"},
		{"first sync failed", Readiness{Tenants: one(tenant.Status{LastError: "boom"}), Now: now},
			false, "tenant -1234: first sync not done: boom"},
		{"first sync not done", Readiness{Tenants: one(tenant.Status{}), Now: now},
			false, "tenant -1234: first sync not done yet"},
		{"last success too old", Readiness{Tenants: one(old), Now: now, Stale: time.Minute},
			false, "tenant -1234: last success 1m30s ago: svn: unreachable"},
		{"never too old without svn.url", Readiness{Tenants: one(old), Now: now}, true, ""},
		{"held deletions", Readiness{Tenants: one(synced), Now: now, Held: "3 deletion(s) held"},
			false, "3 deletion(s) held"},
		{"tenants then holds", Readiness{Tenants: []TenantState{{ID: -1234, Status: synced}, {ID: 3, Status: tenant.Status{}}},
			Now: now, Held: "1 deletion(s) held"},
			false, "tenant 3: first sync not done yet; 1 deletion(s) held"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ready, why := Ready(tc.f)
			assert.Equal(t, tc.ready, ready)
			assert.Equal(t, tc.why, why)
		})
	}
}

// TestReadyNamesTenReasonsAtMost: a thousand tenants starting do not make
// a reason of a thousand lines.
func TestReadyNamesTenReasonsAtMost(t *testing.T) {
	f := Readiness{Now: time.Now()}
	for id := 1; id <= 25; id++ {
		f.Tenants = append(f.Tenants, TenantState{ID: id})
	}
	ready, why := Ready(f)
	assert.False(t, ready)
	parts := strings.Split(why, "; ")
	assert.Len(t, parts, maxReasons+1)
	assert.Equal(t, "tenant 10: first sync not done yet", parts[maxReasons-1])
	assert.Equal(t, fmt.Sprintf("(+%d more)", 25-maxReasons), parts[maxReasons])
}

// TestReadyStale: three polls, a minute at least, and never without
// svn.url.
func TestReadyStale(t *testing.T) {
	for _, tc := range []struct {
		url  string
		poll time.Duration
		want time.Duration
	}{
		{"http://svn/repo", 5 * time.Second, time.Minute},
		{"http://svn/repo", 30 * time.Second, 90 * time.Second},
		{"", 30 * time.Second, 0},
	} {
		c := &config.Config{}
		c.SVN.URL, c.SVN.PollInterval = tc.url, tc.poll
		assert.Equal(t, tc.want, readyStale(c), "%q every %s", tc.url, tc.poll)
	}
}

// fakeTenant is a tenant in a given state.
type fakeTenant struct {
	id int
	st tenant.Status
}

func (f fakeTenant) Config() config.Tenant     { return config.Tenant{ID: f.id} }
func (f fakeTenant) Status() tenant.Status     { return f.st }
func (f fakeTenant) Rejected() []api.Rejection { return nil }
func (f fakeTenant) Changed() int64            { return 0 }
func (f fakeTenant) HoldsKnown() bool          { return true }

// heldDeletions is a guard that holds something.
type heldDeletions struct{ fakeDeletions }

func (heldDeletions) Summary() string { return "2 deletion(s) held" }

// TestReadyzJudgesByTheClockAndTheRole: /readyz's judgement takes the
// tenants, the clock and svn.url from the Env, and held deletions only on
// a manager.
func TestReadyzJudgesByTheClockAndTheRole(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tenants := []Tenant{fakeTenant{id: -1234, st: tenant.Status{Ready: true, LastSuccess: now.Add(-2 * time.Minute)}}}
	probe := func(role, url string, clock time.Time) (int, string) {
		cfg := &config.Config{Role: role}
		cfg.SVN.URL, cfg.SVN.PollInterval = url, 10*time.Second
		a := New(Env{Config: cfg, Registry: prometheus.NewRegistry(), Deletions: heldDeletions{},
			Tenants: func() []Tenant { return tenants }, Now: func() time.Time { return clock }})
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		_, why := a.Ready()
		return rec.Code, why
	}
	code, why := probe(config.RoleWorker, "http://svn/repo", now.Add(-time.Minute))
	assert.Equal(t, http.StatusOK, code, why)
	code, why = probe(config.RoleWorker, "http://svn/repo", now)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "tenant -1234: last success 2m0s ago: ", why)
	code, why = probe(config.RoleWorker, "", now)
	assert.Equal(t, http.StatusOK, code, "without svn.url a success never gets old: %s", why)
	code, why = probe(config.RoleManager, "", now)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "2 deletion(s) held", why)
}
