package syncer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

// scrapeAndStatus returns what /metrics says of depsync_mode and what
// /v1/status says of the manager's mode.
func scrapeAndStatus(t *testing.T, d *Daemon) (metrics string, st Status) {
	t.Helper()
	h := d.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	metrics = rec.Body.String()
	req := httptest.NewRequest(http.MethodGet, "/v1/status", nil)
	req.Header.Set("Authorization", "Bearer "+d.cfg.Token.Reveal())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	return metrics, st
}

// TestWorkerKnowsItsManagersMode: a worker's /v1/status says manager_mode
// unknown until a notice says, then what the last notice said, and its
// depsync_mode follows; a manager's depsync_mode is its own mode.
func TestWorkerKnowsItsManagersMode(t *testing.T) {
	d := newTestDaemon(t, testConfig(t, config.RoleWorker), &fakeSVN{})
	tok := d.cfg.Token.Reveal()

	m, st := scrapeAndStatus(t, d)
	assert.Equal(t, ModeUnknown, st.ManagerMode)
	assert.Equal(t, ModeSVN, st.Mode, "the worker's own mode")
	assert.Contains(t, m, `depsync_mode{mode="svn"} 0`)
	assert.Contains(t, m, `depsync_mode{mode="direct"} 0`)

	require.Equal(t, http.StatusAccepted, notify(d.Handler(), tok, `{"revision":3,"mode":"direct"}`).Code)
	m, st = scrapeAndStatus(t, d)
	assert.Equal(t, ModeDirect, st.ManagerMode)
	assert.Equal(t, ModeSVN, st.Mode, "the worker still reaches SVN")
	assert.Contains(t, m, `depsync_mode{mode="svn"} 0`)
	assert.Contains(t, m, `depsync_mode{mode="direct"} 1`)

	require.Equal(t, http.StatusAccepted, notify(d.Handler(), tok, `{"revision":4,"mode":"svn"}`).Code)
	m, st = scrapeAndStatus(t, d)
	assert.Equal(t, ModeSVN, st.ManagerMode)
	assert.Contains(t, m, `depsync_mode{mode="svn"} 1`)
	assert.Contains(t, m, `depsync_mode{mode="direct"} 0`)

	mc := testConfig(t, config.RoleManager)
	md := newTestDaemon(t, mc, &fakeSVN{})
	m, st = scrapeAndStatus(t, md)
	assert.Empty(t, st.ManagerMode, "a manager's mode is its mode")
	assert.Contains(t, m, `depsync_mode{mode="svn"} 1`)
	for range mc.SVN.FailThreshold {
		md.svnResult(unreachable())
	}
	m, st = scrapeAndStatus(t, md)
	assert.Equal(t, ModeDirect, st.Mode)
	assert.Contains(t, m, `depsync_mode{mode="svn"} 0`)
	assert.Contains(t, m, `depsync_mode{mode="direct"} 1`)
}

// TestWorkerAsksItsManagersModeWhileUnknown: a worker that has had no
// notice (restarted while its manager is in direct mode) learns the mode
// by asking, and stops asking when its context ends.
func TestWorkerAsksItsManagersModeWhileUnknown(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	c.Token = testToken
	c.Peers = []string{fakeManager(t, ModeDirect).URL}
	d := newTestDaemon(t, c, &fakeSVN{})
	require.Equal(t, ModeUnknown, d.managerMode())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.learnManagerMode(ctx) }()
	require.Eventually(t, func() bool { return d.managerMode() == ModeDirect }, 10*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("learnManagerMode did not return when its context ended")
	}
}
