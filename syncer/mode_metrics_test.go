package syncer

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/config"
)

func TestSVNFallbackMetric(t *testing.T) {
	scrape := func(d *Daemon) string {
		rec := httptest.NewRecorder()
		d.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	c := testConfig(t, config.RoleManager)
	c.SVN.URL = "http://svn.invalid/repo"
	d := newTestDaemon(t, c, &fakeSVN{})
	assert.Contains(t, scrape(d), "depsync_svn_fallback 0\n", "the server answers")
	for range c.SVN.FailThreshold {
		d.svnResult(unreachable())
	}
	assert.Contains(t, scrape(d), "depsync_svn_fallback 1\n", "svn.fail_threshold failures in a row")

	noSVN := testConfig(t, config.RoleManager)
	noSVN.SVN.URL = ""
	assert.Contains(t, scrape(newTestDaemon(t, noSVN, &fakeSVN{})), "depsync_svn_fallback 0\n",
		"direct by configuration is not a fallback")
}
