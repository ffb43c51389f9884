package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/publish"
)

const rollbackToken = "rollback-token-0123456789"

// TestRollbackEndpoint: POST /v1/rollback takes the token, refuses bad
// input and a worker, and puts a removal to the deletion guard: held,
// nothing is committed until a person approves.
func TestRollbackEndpoint(t *testing.T) {
	srv := svntest.New(t, svntest.File)
	cfg := &config.Config{NodeName: "m", Role: config.RoleManager, Token: config.Secret(rollbackToken),
		SVN: config.SVN{URL: srv.URL, AppendTenantID: true}}
	ctx := context.Background()
	o := publish.Options{URL: cfg.Tenants()[0].URL, TempDir: t.TempDir()}
	p := testcapp.Write(t, t.TempDir(), "Only_1.0.0.car", "Only", "1.0.0")
	app, err := carbonapp.ParseFile(p)
	require.NoError(t, err)
	res := publish.SVN(ctx, o, []publish.CApp{{Path: p, App: app}})
	require.NoError(t, res[0].Err)
	head := func() string {
		return strings.TrimSpace(srv.SVN(t, "info", "--show-item", "revision", srv.URL))
	}
	before := head()

	g := guard.New(guard.Options{})
	mux := http.NewServeMux()
	mountRollback(mux, cfg, g, slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	post := func(token string, body any) (int, string) {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, hs.URL+api.RollbackPath, bytes.NewReader(b))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out bytes.Buffer
		_, _ = out.ReadFrom(resp.Body)
		return resp.StatusCode, out.String()
	}

	// r0: nothing existed. Going back there would empty carbonapps.
	empty := api.RollbackRequest{Files: []string{"Only_1.0.0.car"}, To: 1}
	code, _ := post("", empty)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = post("wrong", empty)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := post(rollbackToken, api.RollbackRequest{Files: []string{"../x.car"}, To: 1})
	assert.Equal(t, http.StatusBadRequest, code, body)
	code, body = post(rollbackToken, api.RollbackRequest{Files: []string{"Only_1.0.0.car"}})
	assert.Equal(t, http.StatusBadRequest, code, body)
	code, body = post(rollbackToken, api.RollbackRequest{})
	assert.Equal(t, http.StatusBadRequest, code, body)
	assert.Equal(t, before, head(), "bad input commits nothing")

	code, body = post(rollbackToken, empty)
	require.Equal(t, http.StatusConflict, code, body)
	assert.Contains(t, body, "deletion guard")
	assert.Equal(t, before, head(), "a held removal commits nothing")
	require.Len(t, g.Holds(), 1)
	assert.Equal(t, guard.ReasonEmptied, g.Holds()[0].Reason)

	g.Approve()
	code, body = post(rollbackToken, empty)
	require.Equal(t, http.StatusOK, code, body)
	var reply api.RollbackReply
	require.NoError(t, json.Unmarshal([]byte(body), &reply))
	require.Len(t, reply.Removed, 1)
	assert.Equal(t, "Only_1.0.0", reply.Removed[0].ID)
	assert.Equal(t, strconv.FormatInt(reply.Revision, 10), head())
	assert.Empty(t, g.Holds())

	worker := *cfg
	worker.Role = config.RoleWorker
	wm := http.NewServeMux()
	mountRollback(wm, &worker, nil, slog.New(slog.DiscardHandler))
	ws := httptest.NewServer(wm)
	t.Cleanup(ws.Close)
	req, err := http.NewRequest(http.MethodPost, ws.URL+api.RollbackPath, strings.NewReader(`{"files":["Only_1.0.0.car"],"to":2}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+rollbackToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "a worker sends the rollback to its manager")
}

// TestHistoryEndpoint: GET /v1/history takes the token, refuses bad input,
// answers the changes in svn mode and says history needs SVN without it.
func TestHistoryEndpoint(t *testing.T) {
	srv := svntest.New(t, svntest.File)
	cfg := &config.Config{NodeName: "m", Role: config.RoleManager, Token: config.Secret(rollbackToken),
		SVN: config.SVN{URL: srv.URL, AppendTenantID: true}}
	p := testcapp.Write(t, t.TempDir(), "H_1.0.0.car", "H", "1.0.0")
	app, err := carbonapp.ParseFile(p)
	require.NoError(t, err)
	res := publish.SVN(context.Background(), publish.Options{URL: cfg.Tenants()[0].URL, TempDir: t.TempDir()}, []publish.CApp{{Path: p, App: app}})
	require.NoError(t, res[0].Err)

	get := func(c *config.Config, token, query string) (int, string) {
		mux := http.NewServeMux()
		mountRollback(mux, c, nil, slog.New(slog.DiscardHandler))
		hs := httptest.NewServer(mux)
		defer hs.Close()
		req, err := http.NewRequest(http.MethodGet, hs.URL+api.HistoryPath+query, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out bytes.Buffer
		_, _ = out.ReadFrom(resp.Body)
		return resp.StatusCode, out.String()
	}
	code, _ := get(cfg, "", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	for _, q := range []string{"?n=0", "?n=1001", "?n=x", "?file=..%2Fx.car"} {
		code, body := get(cfg, rollbackToken, q)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", q, body)
	}
	code, body := get(cfg, rollbackToken, "?file=H_1.0.0.car&n=5")
	require.Equal(t, http.StatusOK, code, body)
	var h api.History
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	require.Len(t, h.Changes, 1)
	assert.Equal(t, "added", h.Changes[0].Action)
	assert.Equal(t, app.SHA256, h.Changes[0].SHA256)
	assert.Equal(t, res[0].Revision, h.Changes[0].Revision)

	direct := *cfg
	direct.SVN = config.SVN{}
	code, body = get(&direct, rollbackToken, "")
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, "need SVN")
}
