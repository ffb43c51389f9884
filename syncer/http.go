package syncer

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/httpauth"
)

// Status is the body of GET /v1/status.
type Status struct {
	Role string `json:"role"`
	Node string `json:"node"`
	Mode string `json:"mode"`
	// Manager is the manager's URL as a worker learnt it from notices.
	Manager string         `json:"manager,omitempty"`
	Ready   bool           `json:"ready"`
	Reason  string         `json:"reason,omitempty"`
	Tenants []TenantStatus `json:"tenants"`
	Peers   []PeerStatus   `json:"peers"`
}

// TenantStatus is one tenant in Status.
type TenantStatus struct {
	ID        int         `json:"id"`
	Dir       string      `json:"dir"`
	URL       string      `json:"url"`
	Revision  int64       `json:"revision"`
	LastSync  *time.Time  `json:"last_sync"`
	LastError string      `json:"last_error"`
	Rejected  []Rejection `json:"rejected"`
}

// Handler serves /healthz, /readyz, /metrics, GET /v1/status and
// POST /v1/notify. Mount it at "/" of the daemon's mux; other handlers
// (package deploy's /v1/capps) go next to it on the same mux.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpauth.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, why := d.Ready(); !ok {
			httpauth.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": why})
			return
		}
		httpauth.WriteJSON(w, http.StatusOK, map[string]any{"ready": true})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg}))
	mux.Handle("GET /v1/status", d.guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpauth.WriteJSON(w, http.StatusOK, d.Status())
	})))
	mux.Handle("POST /v1/notify", d.guard(http.HandlerFunc(d.serveNotify)))
	return mux
}

// guard lets a request through with the API token; with no token
// configured (allowed only when listening on loopback) it lets loopback
// clients through, so `depsync status` works on a node without a token.
func (d *Daemon) guard(h http.Handler) http.Handler {
	if tok := d.cfg.Token.Reveal(); tok != "" {
		return httpauth.Require(tok, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !httpauth.IsLoopbackRequest(r) {
			httpauth.WriteError(w, http.StatusUnauthorized, "no API token configured: only loopback clients are served")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (d *Daemon) serveNotify(w http.ResponseWriter, r *http.Request) {
	var n Notice
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&n); err != nil {
		d.m.notifyRecv.WithLabelValues("bad_request").Inc()
		httpauth.WriteError(w, http.StatusBadRequest, "body must be JSON: {\"revision\":N,\"node\":\"name\",\"url\":\"http://manager:9780\"}")
		return
	}
	if n.Revision <= 0 {
		d.m.notifyRecv.WithLabelValues("bad_request").Inc()
		httpauth.WriteError(w, http.StatusBadRequest, "revision must be a positive revision number")
		return
	}
	if d.cfg.Role != config.RoleWorker {
		d.m.notifyRecv.WithLabelValues("ignored").Inc()
		d.log.Warn("notice ignored: this node is a manager; is another node configured as a manager too?", "from", n.Node, "url", n.URL)
		httpauth.WriteError(w, http.StatusConflict, "this node is a manager: it does not take notices")
		return
	}
	d.m.notifyRecv.WithLabelValues("accepted").Inc()
	d.log.Debug("notice", "revision", n.Revision, "from", n.Node)
	d.notified(n)
	httpauth.WriteJSON(w, http.StatusAccepted, map[string]any{"accepted": true})
}

// readyStale is how old the last success of a tenant may be for /readyz:
// three polls, and at least a minute, so one slow poll does not flap it.
func (d *Daemon) readyStale() time.Duration {
	return max(3*d.cfg.SVN.PollInterval, time.Minute)
}

// Ready reports whether every tenant has synced once and succeeded
// recently, and if not, why.
func (d *Daemon) Ready() (bool, string) {
	var why []string
	for _, t := range d.tenants {
		st := t.status()
		switch {
		case !st.Ready && st.LastError != "":
			why = append(why, fmt.Sprintf("tenant %d: first sync not done: %s", t.t.ID, st.LastError))
		case !st.Ready:
			why = append(why, fmt.Sprintf("tenant %d: first sync not done yet", t.t.ID))
		case d.cfg.SVN.URL != "" && time.Since(st.LastSuccess) > d.readyStale():
			why = append(why, fmt.Sprintf("tenant %d: last success %s ago: %s", t.t.ID,
				time.Since(st.LastSuccess).Round(time.Second), st.LastError))
		}
	}
	if len(why) > 0 {
		return false, strings.Join(why, "; ")
	}
	return true, ""
}

// Status returns what GET /v1/status shows.
func (d *Daemon) Status() Status {
	ready, why := d.Ready()
	s := Status{
		Role:    d.cfg.Role,
		Node:    d.cfg.NodeName,
		Mode:    d.Mode(),
		Manager: d.ManagerURL(),
		Ready:   ready,
		Reason:  why,
		Peers:   d.peers.status(),
	}
	if d.cfg.Role == config.RoleManager {
		s.Manager = d.self
	}
	if r, ok := d.direct.(PeerReporter); ok && s.Mode == ModeDirect {
		s.Peers = r.PeerStatuses()
	}
	for _, t := range d.tenants {
		st := t.status()
		ts := TenantStatus{ID: t.t.ID, Dir: t.t.Dir, URL: t.t.URL, Revision: st.Revision,
			LastError: st.LastError, Rejected: t.rejectedList()}
		if !st.LastSync.IsZero() {
			tm := st.LastSync.UTC()
			ts.LastSync = &tm
		}
		s.Tenants = append(s.Tenants, ts)
	}
	return s
}
