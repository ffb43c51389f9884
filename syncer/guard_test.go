package syncer

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
)

const testToken = "secret-token-0123456789abcdef0123456789"

// gauge reads a metric without labels from the daemon's registry.
func gauge(t *testing.T, d *Daemon, name string) float64 {
	t.Helper()
	mfs, err := d.Registry().Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestApproveEndpoint(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	c.Token = testToken
	d := newTestDaemon(t, c, &fakeSVN{})
	h := d.Handler()
	post := func(auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/approve", nil)
		req.RemoteAddr = "127.0.0.1:1234"
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	assert.Equal(t, http.StatusUnauthorized, post("").Code, "no token, even from loopback")
	rec := post(testToken)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"approved":[]}`, rec.Body.String())

	d.Guard().Check(guard.Pass{Scope: "tenant -1234", Deleted: []string{"carbonapps/A_1.0.0.car"}, Total: 1,
		Reason: guard.ReasonEmptied})
	st := d.Status()
	require.Len(t, st.HeldDeletions, 1)
	assert.False(t, st.Ready)
	assert.Contains(t, st.Reason, "held")
	rec = post(testToken)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"scope": "tenant -1234"`)
	assert.Contains(t, rec.Body.String(), `"reason": "carbonapps_emptied"`)
	assert.Len(t, d.tenants.list[0].Wake(), 1, "the manager looks again at once")
}

func TestGuardFromDepsIsShared(t *testing.T) {
	g := guard.New(guard.Options{})
	c := testConfig(t, config.RoleManager)
	d, err := New(c, withParts(t, c, Deps{SVN: &fakeSVN{}, Guard: g}))
	require.NoError(t, err)
	assert.Same(t, g, d.Guard())
}

// TestNewRequiresItsParts: cmd/depsync builds the daemon's parts; New
// makes none of its own, and says which a caller left out.
func TestNewRequiresItsParts(t *testing.T) {
	c := testConfig(t, config.RoleManager)
	_, err := New(c, Deps{})
	require.Error(t, err)
	assert.False(t, IsConfigError(err), "the caller's mistake, not the operator's")
	assert.EqualError(t, err, "syncer.New: Deps without SVN, Registry, HTTPClient, Backups, Guard")

	full := withParts(t, c, Deps{SVN: &fakeSVN{}})
	for name, deps := range map[string]Deps{
		"SVN":        {Registry: full.Registry, HTTPClient: full.HTTPClient, Backups: full.Backups, Guard: full.Guard},
		"Registry":   {SVN: full.SVN, HTTPClient: full.HTTPClient, Backups: full.Backups, Guard: full.Guard},
		"HTTPClient": {SVN: full.SVN, Registry: full.Registry, Backups: full.Backups, Guard: full.Guard},
		"Backups":    {SVN: full.SVN, Registry: full.Registry, HTTPClient: full.HTTPClient, Guard: full.Guard},
		"Guard":      {SVN: full.SVN, Registry: full.Registry, HTTPClient: full.HTTPClient, Backups: full.Backups},
	} {
		_, err := New(c, deps)
		assert.EqualError(t, err, "syncer.New: Deps without "+name, name)
	}

	// Without svn.url there is no svn to run.
	noSVN := testConfig(t, config.RoleManager)
	noSVN.SVN.URL = ""
	_, err = New(noSVN, withParts(t, noSVN, Deps{}))
	assert.NoError(t, err)
	// An invalid config is still the operator's to fix, and said first.
	bad := testConfig(t, config.RoleManager)
	bad.Role = "bogus"
	_, err = New(bad, Deps{})
	assert.True(t, IsConfigError(err), "%v", err)
}
