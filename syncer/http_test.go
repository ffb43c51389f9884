package syncer

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

func getStatus(t *testing.T, h http.Handler, path string) (int, api.Status, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var st api.Status
	if rec.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	}
	return rec.Code, st, rec.Body.String()
}

// TestStatusOfManyTenants: the summary counts every tenant, the list is
// cut past api.MaxStatusTenants to the super tenant and the failing ones,
// ?tenant= gives one, and the metrics do not grow with the tenants.
func TestStatusOfManyTenants(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	n := api.MaxStatusTenants + 50
	for id := 1; id <= n; id++ {
		c.Carbon.Tenants = append(c.Carbon.Tenants, id)
	}
	d := newTestDaemon(t, c, &fakeSVN{})
	for _, ts := range d.tenants.list {
		ts.Succeeded(5, true)
	}
	d.tenant(7).Failed(errors.New("boom"))
	d.tenant(230).Failed(errors.New("bang"))
	h := d.Handler()

	code, st, body := getStatus(t, h, "/v1/status")
	require.Equal(t, http.StatusOK, code, body)
	require.NotNil(t, st.TenantSummary)
	assert.Equal(t, api.TenantSummary{Count: n + 1, InStep: n - 1, Failing: []int{7, 230}, FailingCount: 2}, *st.TenantSummary)
	assert.True(t, st.TenantsTruncated)
	var ids []int
	for _, ts := range st.Tenants {
		ids = append(ids, ts.ID)
	}
	assert.Equal(t, []int{-1234, 7, 230}, ids, "the super tenant and the failing ones")

	code, st, body = getStatus(t, h, "/v1/status?tenant=230")
	require.Equal(t, http.StatusOK, code, body)
	require.Len(t, st.Tenants, 1)
	assert.Equal(t, "bang", st.Tenants[0].LastError)
	assert.False(t, st.Tenants[0].InStep)
	code, _, body = getStatus(t, h, "/v1/status?tenant=999")
	assert.Equal(t, http.StatusNotFound, code, body)
	code, _, body = getStatus(t, h, "/v1/status?tenant=x")
	assert.Equal(t, http.StatusBadRequest, code, body)

	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	m := rec.Body.String()
	assert.Contains(t, m, `depsync_tenants{state="total"} 251`)
	assert.Contains(t, m, `depsync_tenants{state="failing"} 2`)
	assert.Contains(t, m, `depsync_consecutive_failures{tenant="230"} 1`, "a failing tenant has its own series")
	assert.NotContains(t, m, `depsync_consecutive_failures{tenant="231"}`, "a tenant in step has none")
	assert.Less(t, strings.Count(m, "depsync_last_success_timestamp_seconds{"), tenantrun.MaxLabels+1)
	d.tenant(230).Succeeded(6, true)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.NotContains(t, rec.Body.String(), `depsync_consecutive_failures{tenant="230"}`, "gone once it succeeds")
}
