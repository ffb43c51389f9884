package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/internal/testcapp"
)

func TestClientPutFollowsWorkerToManager(t *testing.T) {
	mgr := newTestNode(t, config.RoleManager)
	w := newTestNode(t, config.RoleWorker, func(o *APIOptions) { o.ManagerURL = func() string { return mgr.url } })
	p := testcapp.Write(t, t.TempDir(), "App_1.0.0.car", "App", "1.0.0")

	// Without following: the worker's refusal, with the manager's URL.
	_, err := testClient(t).Put(context.Background(), w.url, p, client.PutRequest{})
	require.True(t, client.IsWorkerRefusal(err), "%v", err)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, mgr.url, ae.Manager)

	c := testClient(t, func(o *client.Options) { o.FollowManager = true; o.FollowAllowed = []string{w.url, mgr.url + "/"} })
	reply, err := c.Put(context.Background(), w.url, p, client.PutRequest{})
	require.NoError(t, err)
	require.Equal(t, mgr.url, reply.Node)
	require.Equal(t, StatusCreated, reply.Status)
	require.Contains(t, manifest(t, mgr.dir), "App_1.0.0.car")
	require.Empty(t, manifest(t, w.dir))

	// Forced: the worker takes it.
	reply, err = c.Put(context.Background(), w.url, p, client.PutRequest{Force: true})
	require.NoError(t, err)
	require.Equal(t, w.url, reply.Node)
	require.Contains(t, manifest(t, w.dir), "App_1.0.0.car")

	servedBy, err := c.Delete(context.Background(), w.url, "App_1.0.0.car", false)
	require.NoError(t, err)
	require.Equal(t, mgr.url, servedBy)
	require.Empty(t, manifest(t, mgr.dir))
	_, err = c.Delete(context.Background(), mgr.url, "App_1.0.0.car", false)
	require.True(t, client.IsNotFound(err), "%v", err)
}

// TestClientRetryReopensFile: a 503 on the first attempt, then the whole
// file is sent again from its start.
func TestClientRetryReopensFile(t *testing.T) {
	n := newTestNode(t, config.RoleManager)
	var calls atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && calls.Add(1) == 1 {
			io.CopyN(io.Discard, r.Body, 1000) // half-read, then fail
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		u := n.url + r.URL.RequestURI()
		req, err := http.NewRequestWithContext(r.Context(), r.Method, u, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		req.ContentLength = r.ContentLength
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer front.Close()
	p := testcapp.Write(t, t.TempDir(), "App_1.0.0.car", "App", "1.0.0", testcapp.Pad(300<<10))
	var progress []int64
	// The node's limit is 256 KiB; use a bigger store for this one.
	n.store.maxSize = 1 << 20
	reply, err := testClient(t).Put(context.Background(), front.URL, p, client.PutRequest{Progress: func(s int64) { progress = append(progress, s) }})
	require.NoError(t, err)
	require.Equal(t, StatusCreated, reply.Status)
	require.Equal(t, int32(2), calls.Load())
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(n.dir, "App_1.0.0.car"))
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, int64(len(want)), progress[len(progress)-1])
	zeros := 0
	for _, s := range progress {
		if s == 0 {
			zeros++
		}
	}
	require.GreaterOrEqual(t, zeros, 2, "progress starts over on retry")
}

func TestClientNeverLogsToken(t *testing.T) {
	var logs bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	}))
	defer down.Close()
	c := testClient(t, func(o *client.Options) { o.Logger = l; o.Token = "super-secret-token-xyz-0123456789abcdef" })
	_, err := c.List(context.Background(), down.URL)
	require.Error(t, err)
	_, err = c.List(context.Background(), "http://127.0.0.1:1")
	require.Error(t, err)
	require.NotContains(t, logs.String()+err.Error(), "super-secret-token-xyz-0123456789abcdef")
	require.Contains(t, logs.String(), "retrying")

	_, err = c.List(context.Background(), "http://user:pw@host:1")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "pw@")
}

// TestClientStatus: Status reads the typed /v1/status the daemon writes;
// StatusJSON keeps the reply whole, fields unknown here included; a reply
// that is not a status is an error, not a guess.
func TestClientStatus(t *testing.T) {
	last := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	want := api.Status{Node: "n1", Role: "manager", Mode: "direct", Manager: "http://n1:9780", Ready: true,
		Tenants: []api.TenantStatus{{ID: -1234, Dir: "/opt/c/repository/deployment/server", Revision: 7, LastSync: &last,
			Rejected: []api.Rejection{{Path: "carbonapps/Bad.car", Reason: "not_zip"}}}},
		Peers:         []api.PeerStatus{{URL: "http://a:1", Up: true, LastSuccess: &last}, {URL: "http://b:2", LastError: "refused"}},
		HeldDeletions: []guard.Hold{{Scope: "tenant -1234", Reason: guard.ReasonDirGone, Count: 3, Paths: []string{"carbonapps/A.car"}, Since: last}},
	}
	srv := httptest.NewServer(httpauth.Require(testToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/status" {
			http.NotFound(w, r)
			return
		}
		api.WriteJSON(w, http.StatusOK, want)
	})))
	defer srv.Close()
	c := testClient(t, func(o *client.Options) { o.RetryMax = -1 })
	ctx := context.Background()

	st, err := c.Status(ctx, srv.URL)
	require.NoError(t, err)
	require.Equal(t, want, *st)

	const newer = `{"node":"n1","role":"worker","field_of_a_newer_node":{"x":1}}`
	srvNewer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(newer))
	}))
	defer srvNewer.Close()
	raw, err := c.StatusJSON(ctx, srvNewer.URL)
	require.NoError(t, err)
	require.JSONEq(t, newer, string(raw))

	_, err = testClient(t, func(o *client.Options) { o.Token = "wrong"; o.RetryMax = -1 }).Status(ctx, srv.URL)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	require.Contains(t, ae.Message, "bearer token")
}

// TestClientStatusNotAStatus: peers as bare strings (a form the daemon
// never wrote) is not a status: an error naming the node, not a guess.
func TestClientStatusNotAStatus(t *testing.T) {
	for _, body := range []string{`{"node":"n1","peers":["http://a:1"]}`, `not json`, `{"tenants":{}}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(body))
		}))
		_, err := testClient(t).Status(context.Background(), srv.URL)
		srv.Close()
		require.Error(t, err, body)
		require.Contains(t, err.Error(), "reply to GET /v1/status")
	}
}

// TestClientApprove: Approve posts once, never again after a failure (an
// approval applies to what is held when it arrives), and an empty reply is
// an empty list.
func TestClientApprove(t *testing.T) {
	var posts atomic.Int32
	var reply, bodies atomic.Value
	srv := httptest.NewServer(httpauth.Require(testToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/v1/approve", r.URL.Path)
		require.Equal(t, http.MethodPost, r.Method)
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		bodies.Store(string(b))
		posts.Add(1)
		reply.Load().(func(http.ResponseWriter))(w)
	})))
	defer srv.Close()
	c := testClient(t) // retries what may be retried
	ctx := context.Background()

	hold := guard.Hold{Scope: "tenant -1234", Reason: guard.ReasonDirGone, Count: 2, Paths: []string{"carbonapps/A.car"},
		Since: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	reply.Store(func(w http.ResponseWriter) {
		api.WriteJSON(w, http.StatusOK, api.ApproveReply{Approved: []guard.Hold{hold}})
	})
	got, err := c.Approve(ctx, srv.URL, api.ApproveRequest{})
	require.NoError(t, err)
	require.Equal(t, []guard.Hold{hold}, got.Approved)

	reply.Store(func(w http.ResponseWriter) { w.Write([]byte(`{"approved":null}`)) })
	got, err = c.Approve(ctx, srv.URL, api.ApproveRequest{})
	require.NoError(t, err)
	require.NotNil(t, got.Approved)
	require.Empty(t, got.Approved)

	reply.Store(func(w http.ResponseWriter) { api.WriteError(w, http.StatusServiceUnavailable, "not now") })
	posts.Store(0)
	_, err = c.Approve(ctx, srv.URL, api.ApproveRequest{})
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
	require.Equal(t, "not now", ae.Message)
	require.EqualValues(t, 1, posts.Load(), "an approval is never sent twice")

	// A selection goes as a JSON body; an empty one as no body at all.
	expires := time.Date(2026, 12, 1, 10, 10, 0, 0, time.UTC)
	reply.Store(func(w http.ResponseWriter) {
		api.WriteJSON(w, http.StatusOK, api.ApproveReply{Approved: []guard.Hold{hold}, ExpiresAt: &expires})
	})
	sel := api.ApproveRequest{Scopes: []string{"tenant -1234"}, Digest: guard.Digest([]string{"a"})}
	got, err = c.Approve(ctx, srv.URL, sel)
	require.NoError(t, err)
	require.Equal(t, &expires, got.ExpiresAt)
	var sent api.ApproveRequest
	require.NoError(t, json.Unmarshal([]byte(bodies.Load().(string)), &sent))
	require.Equal(t, sel, sent)
	_, err = c.Approve(ctx, srv.URL, api.ApproveRequest{})
	require.NoError(t, err)
	require.Empty(t, bodies.Load())

	// A node too old for a selection approves everything: said, not hidden.
	reply.Store(func(w http.ResponseWriter) {
		api.WriteJSON(w, http.StatusOK, api.ApproveReply{Approved: []guard.Hold{hold}})
	})
	got, err = c.Approve(ctx, srv.URL, sel)
	require.ErrorIs(t, err, client.ErrApproveAll)
	require.Equal(t, []guard.Hold{hold}, got.Approved)
}

// TestClientLargeRefusedBeforeBody: a node refuses a large C-App (worker,
// wrong token, too large) before its body is sent, so the client sees the
// reply, not a reset connection.
func TestClientLargeRefusedBeforeBody(t *testing.T) {
	w := newTestNode(t, config.RoleWorker, func(o *APIOptions) { o.ManagerURL = func() string { return "http://mgr:9780" } })
	w.store.maxSize = 64 << 20
	p := testcapp.Write(t, t.TempDir(), "Big_1.car", "Big", "1", testcapp.Pad(32<<20))
	for i := 0; i < 3; i++ {
		_, err := testClient(t).Put(context.Background(), w.url, p, client.PutRequest{})
		require.True(t, client.IsWorkerRefusal(err), "%v", err)
		var ae *client.APIError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, "http://mgr:9780", ae.Manager)

		_, err = testClient(t, func(o *client.Options) { o.Token = "wrong" }).Put(context.Background(), w.url, p, client.PutRequest{Force: true})
		require.ErrorAs(t, err, &ae)
		require.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	}
	w.store.maxSize = 1 << 20
	_, err := testClient(t).Put(context.Background(), w.url, p, client.PutRequest{Force: true})
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusRequestEntityTooLarge, ae.StatusCode)
	require.Empty(t, dirNames(t, w.dir))
}
