package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/peer"
	"github.com/depsync/depsync/syncer/internal/worker"
)

// logBuffer is a slog destination safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func notify(h http.Handler, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/notify", strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:4321"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestNoticeURLMustBeAPeer(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	c.Token = testToken
	c.Peers = []string{"http://127.0.0.1:9781", "https://Manager.example:443/"}
	var logs logBuffer
	d, err := New(c, withParts(t, c, Deps{SVN: &fakeSVN{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	require.NoError(t, err)
	h := d.Handler()

	tests := []struct {
		name, url string
		code      int
		manager   string
	}{
		{"listed", "http://127.0.0.1:9781", http.StatusAccepted, "http://127.0.0.1:9781"},
		{"listed, other spelling", "HTTP://127.0.0.1:9781/", http.StatusAccepted, "http://127.0.0.1:9781"},
		{"listed, default port", "https://manager.example", http.StatusAccepted, "https://Manager.example:443/"},
		{"unlisted", "http://elsewhere:9780", http.StatusBadRequest, ""},
		{"other port", "http://127.0.0.1:9782", http.StatusBadRequest, ""},
		{"https for http", "https://127.0.0.1:9781", http.StatusBadRequest, ""},
		{"file", "file:///etc/passwd", http.StatusBadRequest, ""},
		{"javascript", "javascript:alert(1)", http.StatusBadRequest, ""},
		{"credentials", "http://user:pass@127.0.0.1:9781", http.StatusBadRequest, ""},
		{"query", "http://127.0.0.1:9781/?x=1", http.StatusBadRequest, ""},
		{"empty query", "http://127.0.0.1:9781?", http.StatusBadRequest, ""},
		{"path", "http://127.0.0.1:9781/evil", http.StatusBadRequest, ""},
		{"no host", "http:///x", http.StatusBadRequest, ""},
		{"huge", "http://127.0.0.1:9781/" + strings.Repeat("a", 60<<10), http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.mgr = peer.New(nil, "", d.log) // no manager known
			body, err := json.Marshal(Notice{Revision: 3, Node: "m", URL: tt.url})
			require.NoError(t, err)
			rec := notify(h, testToken, string(body))
			assert.Equal(t, tt.code, rec.Code, rec.Body.String())
			assert.Equal(t, tt.manager, d.ManagerURL())
			assert.Equal(t, tt.manager, d.Status().Manager, "/v1/status names only a listed peer")
			assert.NotContains(t, rec.Body.String(), "pass")
		})
	}
	// Refused again and again: logged once per URL, counted every time.
	for range 5 {
		body, err := json.Marshal(Notice{Revision: 3, URL: "http://elsewhere:9780"})
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, notify(h, testToken, string(body)).Code)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "elsewhere"), logs.String())
	assert.NotContains(t, logs.String(), "user:pass", "credentials never logged")
	var rec *httptest.ResponseRecorder
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Contains(t, rec.Body.String(), `depsync_notifications_received_total{result="refused_url"} 16`)
}

func TestNoticeNeedsTheTokenEvenFromLoopback(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	c.Token = ""
	c.Listen = "127.0.0.1:9780"
	d := newTestDaemon(t, c, &fakeSVN{})
	h := d.Handler()
	rec := notify(h, "", `{"revision":3}`)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Empty(t, d.tenants.list[0].Wake())
	// /v1/status keeps its loopback exception on a node with no token.
	req := httptest.NewRequest(http.MethodGet, "/v1/status", nil)
	req.RemoteAddr = "127.0.0.1:4321"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	// With a token, status needs it from loopback too.
	c2 := testConfig(t, config.RoleWorker)
	c2.Token = testToken
	h2 := newTestDaemon(t, c2, &fakeSVN{}).Handler()
	rec = httptest.NewRecorder()
	h2.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, http.StatusUnauthorized, notify(h2, "", `{"revision":3}`).Code)
}

func TestNoticeCarriesTheMode(t *testing.T) {
	d := newTestDaemon(t, testConfig(t, config.RoleWorker), &fakeSVN{})
	h := d.Handler()
	c := d.cfg.Token.Reveal()
	assert.Equal(t, "", d.mgr.Mode(), "unknown after a start")
	assert.Equal(t, http.StatusBadRequest, notify(h, c, `{"revision":3,"mode":"bogus"}`).Code)
	assert.Equal(t, http.StatusAccepted, notify(h, c, `{"revision":0,"mode":"direct"}`).Code, "a mode change before any revision")
	assert.Equal(t, ModeDirect, d.mgr.Mode())
	assert.Equal(t, http.StatusAccepted, notify(h, c, `{"revision":4}`).Code)
	assert.Equal(t, ModeDirect, d.mgr.Mode(), "a notice without a mode changes nothing")
	assert.Equal(t, http.StatusAccepted, notify(h, c, `{"revision":5,"mode":"svn"}`).Code)
	assert.Equal(t, ModeSVN, d.mgr.Mode())

	// The manager's notices carry its mode.
	got := make(chan Notice, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notice
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&n))
		got <- n
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	mc := testConfig(t, config.RoleManager)
	mc.Peers = []string{srv.URL}
	md := newTestDaemon(t, mc, &fakeSVN{})
	md.peers.SendAll(context.Background(), 7)
	n := <-got
	assert.Equal(t, int64(7), n.Revision)
	assert.Equal(t, ModeSVN, n.Mode)
	for range mc.SVN.FailThreshold {
		md.svnResult(unreachable())
	}
	md.peers.SendAll(context.Background(), 7)
	assert.Equal(t, ModeDirect, (<-got).Mode)
}

// fakeManager serves a manager's /v1/status and /v1/capps, as an older
// manager that does not say whether its holds are known.
func fakeManager(t *testing.T, mode string, capps ...string) *httptest.Server {
	return fakeManagerStatus(t, map[string]any{"role": "manager", "mode": mode}, capps...)
}

// fakeManagerStatus serves status as /v1/status and capps as /v1/capps.
func fakeManagerStatus(t *testing.T, status map[string]any, capps ...string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v1/status":
			assert.NoError(t, json.NewEncoder(w).Encode(status))
		case "/v1/capps":
			list := []map[string]string{}
			for _, c := range capps {
				list = append(list, map[string]string{"file": c})
			}
			assert.NoError(t, json.NewEncoder(w).Encode(list))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWorkerKeepsStraysUnlessTheManagerLacksThem(t *testing.T) {
	tests := []struct {
		name    string
		manager func(t *testing.T) string
		removed bool
	}{
		{"manager in direct mode", func(t *testing.T) string { return fakeManager(t, ModeDirect).URL }, false},
		{"manager unreachable", func(t *testing.T) string { return "http://127.0.0.1:1" }, false},
		{"manager in svn mode and holds it", func(t *testing.T) string {
			return fakeManager(t, ModeSVN, "During_1.0.0.car").URL
		}, false},
		{"manager in svn mode without it", func(t *testing.T) string { return fakeManager(t, ModeSVN, "Other_1.0.0.car").URL }, true},
		{"manager in svn mode without it, its holds known", func(t *testing.T) string {
			return fakeManagerStatus(t, map[string]any{"role": "manager", "mode": ModeSVN, "holds_known": true}, "Other_1.0.0.car").URL
		}, true},
		{"manager in svn mode without it, restarted: its holds not known yet", func(t *testing.T) string {
			return fakeManagerStatus(t, map[string]any{"role": "manager", "mode": ModeSVN, "holds_known": false}, "Other_1.0.0.car").URL
		}, false},
		{"manager in svn mode without it, holding deletions", func(t *testing.T) string {
			return fakeManagerStatus(t, map[string]any{"role": "manager", "mode": ModeSVN, "holds_known": true,
				"held_deletions": []map[string]any{{"scope": "tenant -1234", "count": 3}}}).URL
		}, false},
		{"no peers, mode unknown", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t, config.RoleWorker)
			c.Token = testToken
			if tt.manager != nil {
				c.Peers = []string{tt.manager(t)}
			}
			d, w, _, p := workerWithStray(t, c)
			require.NoError(t, w.DropStrays(context.Background()))
			_, err := os.Stat(p)
			if tt.removed {
				assert.ErrorIs(t, err, os.ErrNotExist)
			} else {
				assert.NoError(t, err, "a C-App the manager may hold is never removed")
			}
			if tt.manager == nil {
				// A notice saying "svn" is all a worker without peers has;
				// one from a manager that has not looked yet says nothing.
				d.mgr.Set(ModeSVN, "notice")
				d.mgr.SetHeld(peer.NoticeHeld(Notice{Mode: ModeSVN, HoldsUnknown: true}))
				require.NoError(t, w.DropStrays(context.Background()))
				assert.FileExists(t, p, "kept while the manager's holds are unknown")
				d.mgr.SetHeld(peer.NoticeHeld(Notice{Mode: ModeSVN}))
				require.NoError(t, w.DropStrays(context.Background()))
				_, err := os.Stat(p)
				assert.ErrorIs(t, err, os.ErrNotExist)
			}
		})
	}
}

// A worker that kept a stray because its manager (over HTTP) could not
// tell yet drops it once the manager has looked. When the polls ask again
// is the worker's: worker.TestWorkerAsksAgainOnceTheManagerHasLooked.
func TestWorkerAsksAgainOnceTheManagerHasLooked(t *testing.T) {
	var known atomic.Bool
	c := testConfig(t, config.RoleWorker)
	c.Token = testToken
	c.Peers = []string{stubManager(t, func() bool { return false }, known.Load)}
	_, w, _, p := workerWithStray(t, c)

	require.NoError(t, w.DropStrays(context.Background()))
	assert.FileExists(t, p)
	w.RecheckStrays(context.Background())
	assert.FileExists(t, p, "still not known")

	known.Store(true)
	w.RecheckStrays(context.Background())
	assert.NoFileExists(t, p)
}

// A worker that kept a stray because its manager (over HTTP) did not
// answer drops it once the manager answers and does not hold it. That it
// asks again a while later, not at its next poll, is the worker's:
// worker.TestWorkerAsksAnUnansweringManagerAgainLater.
func TestWorkerAsksAnUnansweringManagerAgainLater(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	c := testConfig(t, config.RoleWorker)
	c.Token = testToken
	c.Peers = []string{stubManager(t, down.Load, func() bool { return true })}
	d, w, _, p := workerWithStray(t, c)
	d.mgr.Set(ModeSVN, "notice")

	require.NoError(t, w.DropStrays(context.Background()))
	assert.FileExists(t, p, "kept: the manager did not answer")

	down.Store(false)
	w.RecheckStrays(context.Background())
	assert.NoFileExists(t, p, "the manager answers and does not hold it")
}

// stubManager serves what a worker asks a manager about its strays: a
// /v1/status in svn mode (of the super tenant), whose holds_known is
// known(), and no C-Apps; while down() it answers 503. It returns its URL.
func stubManager(t *testing.T, down, known func() bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case down():
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/v1/status":
			assert.Equal(t, "-1234", r.URL.Query().Get("tenant"), "asked about its own tenant")
			assert.NoError(t, json.NewEncoder(w).Encode(map[string]any{"role": "manager", "mode": ModeSVN, "holds_known": known()}))
		case r.URL.Path == "/v1/capps":
			_, _ = w.Write([]byte("[]"))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// workerWithStray is a worker of c (over a fake svn) with one C-App in
// carbonapps that the repository does not hold, at p.
func workerWithStray(t *testing.T, c *config.Config) (*Daemon, *worker.Worker, *fakeSVN, string) {
	t.Helper()
	f := &fakeSVN{status: []svn.StatusEntry{{Path: "carbonapps/During_1.0.0.car", Item: "unversioned", Kind: "file"}}}
	d := newTestDaemon(t, c, f)
	p := filepath.Join(c.Carbon.DeploymentDir, "carbonapps", "During_1.0.0.car")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte("car"), 0o644))
	return d, d.newWorker(d.tenants.list[0]), f, p
}
