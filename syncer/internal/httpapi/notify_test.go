package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
)

// TestNoticePeer: a notice's manager URL is taken when it is one of the
// peers (as configured, compared as config.NormalURL compares them), or
// any base URL with no peers to compare with.
func TestNoticePeer(t *testing.T) {
	peers := []string{"https://manager.example:9780/", "http://other:9780"}
	for _, tc := range []struct {
		raw     string
		peers   []string
		want    string
		wantErr string
	}{
		{"https://manager.example:9780", peers, "https://manager.example:9780/", ""},
		{"HTTPS://Manager.Example:9780/", peers, "https://manager.example:9780/", ""},
		{"http://other:9780/", peers, "http://other:9780", ""},
		{"http://stranger:9780", peers, "", "not one of this worker's peers"},
		{"http://stranger:9780", nil, "", ""},
		{"ftp://manager.example", peers, "", "http"},
		{"http://m/" + strings.Repeat("a", maxNoticeURL), nil, "", fmt.Sprintf("longer than %d bytes", maxNoticeURL)},
	} {
		got, err := noticePeer(tc.raw, tc.peers)
		if tc.wantErr != "" {
			if assert.Error(t, err, tc.raw) {
				assert.Contains(t, err.Error(), tc.wantErr, tc.raw)
			}
		} else {
			assert.NoError(t, err, tc.raw)
		}
		assert.Equal(t, tc.want, got, tc.raw)
	}
}

// TestRefusalsFirst: each URL is logged once, and past maxRefusalsLogged
// different ones none more is.
func TestRefusalsFirst(t *testing.T) {
	var r Refusals
	assert.True(t, r.First("a"))
	assert.False(t, r.First("a"))
	for i := 1; i < maxRefusalsLogged; i++ {
		assert.True(t, r.First(fmt.Sprint(i)))
	}
	assert.False(t, r.First("one too many"))
	assert.False(t, r.First("a"))
}

// noticedNode records the notices the API passes on.
type noticedNode struct {
	Node
	got *[]api.Notice
}

func (n noticedNode) Notified(no api.Notice) { *n.got = append(*n.got, no) }

// TestServeNotify: what a notice's body and the node's role make of it
// (its reply and the result it is counted under), and that only an
// accepted one reaches the node, its URL as the peer is configured.
func TestServeNotify(t *testing.T) {
	for _, tc := range []struct {
		name, role, body string
		code             int
		result           string
		url              string
	}{
		{"revision", config.RoleWorker, `{"revision":5,"node":"m"}`, http.StatusAccepted, "accepted", ""},
		{"a mode change alone", config.RoleWorker, `{"mode":"direct"}`, http.StatusAccepted, "accepted", ""},
		{"its manager, as configured", config.RoleWorker, `{"revision":5,"url":"HTTP://Manager:9780/"}`,
			http.StatusAccepted, "accepted", "http://manager:9780"},
		{"not JSON", config.RoleWorker, `five`, http.StatusBadRequest, "bad_request", ""},
		{"no revision", config.RoleWorker, `{"node":"m"}`, http.StatusBadRequest, "bad_request", ""},
		{"negative revision", config.RoleWorker, `{"revision":-1}`, http.StatusBadRequest, "bad_request", ""},
		{"unknown mode", config.RoleWorker, `{"revision":5,"mode":"ftp"}`, http.StatusBadRequest, "bad_request", ""},
		{"not a peer", config.RoleWorker, `{"revision":5,"url":"http://elsewhere:9780"}`,
			http.StatusBadRequest, "refused_url", ""},
		{"to a manager", config.RoleManager, `{"revision":5}`, http.StatusConflict, "ignored", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Role: tc.role, Token: config.Secret("t0ken"), Peers: []string{"http://manager:9780"}}
			recv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "received"}, []string{"result"})
			var got []api.Notice
			h := New(Env{Config: cfg, Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
				Received: recv, Node: noticedNode{got: &got}}).Handler()
			req := httptest.NewRequest(http.MethodPost, "/v1/notify", strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer t0ken")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.code, rec.Code, rec.Body.String())
			assert.Equal(t, 1.0, testutil.ToFloat64(recv.WithLabelValues(tc.result)))
			if tc.code != http.StatusAccepted {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, tc.url, got[0].URL)
		})
	}
}
