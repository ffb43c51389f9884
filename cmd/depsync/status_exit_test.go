package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/httpauth"
)

// TestStatusExitCodes: status exits 0 only when the node is ready and in
// step, 1 when it is not (in text and in json, whose output stays the
// node's reply), 2 for bad input.
func TestStatusExitCodes(t *testing.T) {
	const tok = "tok-0123456789abcdef0123456789abcdef"
	inStep := api.TenantStatus{ID: -1234, Revision: 7, Ready: true, InStep: true}
	behind := api.TenantStatus{ID: 3, Revision: 5, Ready: true}
	drifted := api.TenantStatus{ID: -1234, Revision: 7, Ready: true, Drift: 2}
	failing := api.TenantStatus{ID: 4, Revision: 5, Ready: true, LastError: "svn: E170013: unreachable"}
	sum := func(count, in int) *api.TenantSummary {
		return &api.TenantSummary{Count: count, InStep: in, Failing: []int{}}
	}
	tests := []struct {
		name   string
		st     api.Status
		args   []string
		code   int
		stderr string
	}{
		{"ready and in step", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{inStep},
			TenantSummary: sum(1, 1)}, nil, 0, ""},
		{"held deletions", api.Status{Role: "manager", Reason: "2 deletion(s) held", Tenants: []api.TenantStatus{inStep},
			TenantSummary: sum(1, 1)}, nil, 1, "not ready: 2 deletion(s) held"},
		{"held deletions, json", api.Status{Role: "manager", Reason: "2 deletion(s) held",
			TenantSummary: sum(1, 1)}, []string{"-o", "json"}, 1, "not ready: 2 deletion(s) held"},
		{"a tenant behind", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{inStep, behind},
			TenantSummary: sum(2, 1)}, nil, 1, "1 of 2 tenant(s) not in step"},
		{"one tenant asked, behind", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{behind},
			TenantSummary: sum(2, 1)}, []string{"--tenant", "3"}, 1, "tenant 3 not in step: behind a revision it saw"},
		{"one tenant asked, failing", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{failing},
			TenantSummary: sum(2, 1)}, []string{"--tenant", "4", "-o", "json"}, 1, "tenant 4 not in step: svn: E170013"},
		{"one tenant asked, in step", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{inStep},
			TenantSummary: sum(2, 1)}, []string{"--tenant", "-1234"}, 0, ""},
		{"drift", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{drifted},
			TenantSummary: sum(1, 0), Drift: &api.Drift{Count: 2}}, nil, 1, "not in step: 2 path(s) changed by hand (drift)"},
		{"one tenant asked, drift", api.Status{Role: "worker", Ready: true, Tenants: []api.TenantStatus{drifted},
			TenantSummary: sum(2, 1)}, []string{"--tenant", "-1234"}, 1, "tenant -1234 not in step: 2 path(s) changed by hand"},
		{"an older node: ready is all it says", api.Status{Role: "worker", Ready: true,
			Tenants: []api.TenantStatus{{ID: -1234, Revision: 7}}}, nil, 0, ""},
		{"bad tenant", api.Status{Role: "worker", Ready: true}, []string{"--tenant", "x"}, 2, "--tenant"},
	}
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: worker\n"), 0o600))
	t.Setenv("DEPSYNC_TOKEN", tok)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := httptest.NewServer(httpauth.Require(tok, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				api.WriteJSON(w, http.StatusOK, tt.st)
			})))
			defer node.Close()
			code, out, errOut := runCLI(t, append([]string{"status", "--config", cfg, "--node", node.URL}, tt.args...)...)
			assert.Equal(t, tt.code, code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Contains(t, errOut, tt.stderr)
			if tt.code != 2 {
				assert.Contains(t, out, tt.st.Role, "the status is printed whatever the exit status")
			}
		})
	}
}

// TestPrintStatusManagersMode: a worker's status line names its manager's
// mode next to its own.
func TestPrintStatusManagersMode(t *testing.T) {
	var b strings.Builder
	printStatus(&b, "http://127.0.0.1:9780", &api.Status{Role: "worker", Node: "w1", Mode: "svn",
		ManagerMode: "direct", Ready: true}, time.Now())
	assert.Contains(t, b.String(), "w1 (worker), mode svn, manager's mode direct, ready")
	b.Reset()
	printStatus(&b, "http://127.0.0.1:9780", &api.Status{Role: "manager", Node: "m", Mode: "direct", Ready: true}, time.Now())
	assert.Contains(t, b.String(), "m (manager), mode direct, ready")
}

// TestPrintStatusDrift: a worker's drift is printed with its paths.
func TestPrintStatusDrift(t *testing.T) {
	var b strings.Builder
	printStatus(&b, "http://127.0.0.1:9780", &api.Status{Role: "worker", Node: "w1", Mode: "svn", Ready: true,
		Drift: &api.Drift{Count: 1, Paths: []api.DriftPath{{Tenant: -1234, Path: "carbonapps/Hand_1.0.0.car", Change: "added"}}}},
		time.Now())
	assert.Contains(t, b.String(), "DRIFT: 1 path(s) changed by hand")
	assert.Contains(t, b.String(), "carbonapps/Hand_1.0.0.car (tenant -1234): added")

	b.Reset()
	printStatus(&b, "http://127.0.0.1:9780", &api.Status{Role: "worker", Node: "w1", Mode: "svn", Ready: true,
		Drift: &api.Drift{}}, time.Now())
	assert.NotContains(t, b.String(), "DRIFT")
}

// TestPrintStatusWantedRevision: a worker waiting for a revision its
// server lacks shows the one it wants, and why when it is overdue.
func TestPrintStatusWantedRevision(t *testing.T) {
	var b strings.Builder
	printStatus(&b, "http://127.0.0.1:9780", &api.Status{Role: "worker", Node: "w1", Mode: "svn", Ready: true,
		Tenants: []api.TenantStatus{{ID: -1234, Revision: 7, WantedRevision: 9,
			ServerBehind: "https://replica/svn/-1234 has lacked revision 9 for 1m0s (it has 7)"}}}, time.Now())
	assert.Contains(t, b.String(), "7 (wants 9)")
	assert.Contains(t, b.String(), "waiting (tenant -1234): https://replica/svn/-1234 has lacked revision 9")

	b.Reset()
	printStatus(&b, "http://127.0.0.1:9780", &api.Status{Role: "worker", Node: "w1", Mode: "svn", Ready: true,
		Tenants: []api.TenantStatus{{ID: -1234, Revision: 9, WantedRevision: 9}}}, time.Now())
	assert.NotContains(t, b.String(), "wants")
	assert.NotContains(t, b.String(), "waiting")
}
