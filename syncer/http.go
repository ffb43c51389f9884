package syncer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// The bodies of the API this package serves are package api's; these
// names keep the daemon's code and its callers short.
type (
	// Status is the body of GET /v1/status.
	Status = api.Status
	// TenantStatus is one tenant in Status.
	TenantStatus = api.TenantStatus
	// Rejection is a file the manager does not commit because it is not
	// valid.
	Rejection = api.Rejection
	// Notice is the body of POST /v1/notify.
	Notice = api.Notice
	// PeerStatus is a peer as /v1/status shows it.
	PeerStatus = api.PeerStatus
	// ApproveRequest is the optional body of POST /v1/approve.
	ApproveRequest = api.ApproveRequest
	// ApproveReply is the body of POST /v1/approve.
	ApproveReply = api.ApproveReply
)

// Handler serves /healthz, /readyz, /metrics, GET /v1/status,
// POST /v1/notify and POST /v1/approve. Mount it at "/" of the daemon's
// mux; other handlers (package deploy's /v1/capps) go next to it on the
// same mux. The probes say only their status word: the detail (errors,
// URLs, held deletions) is in the token-protected /v1/status.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		api.WriteJSON(w, http.StatusOK, api.Health{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, _ := d.Ready(); !ok {
			api.WriteJSON(w, http.StatusServiceUnavailable, api.Health{Status: "not ready"})
			return
		}
		api.WriteJSON(w, http.StatusOK, api.Health{Status: "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.m.reg, promhttp.HandlerOpts{Registry: d.m.reg}))
	mux.Handle("GET /v1/status", d.StatusHandler(nil))
	mux.Handle("POST /v1/notify", d.tokenOnly(http.HandlerFunc(d.serveNotify)))
	mux.Handle("POST /v1/approve", d.tokenOnly(http.HandlerFunc(d.serveApprove)))
	return mux
}

// StatusHandler serves GET /v1/status as Handler does, behind the same
// auth; extend, when set, adds to each reply what other parts of the
// daemon know (the Carbon log's C-App states). Mount it on "GET /v1/status"
// of the daemon's mux, next to Handler at "/", to take that path over.
func (d *Daemon) StatusHandler(extend func(*Status)) http.Handler {
	return d.statusAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s Status
		if q := r.URL.Query().Get("tenant"); q != "" {
			id, err := strconv.Atoi(q)
			if err != nil {
				api.WriteError(w, http.StatusBadRequest, "tenant: give a tenant id, such as ?tenant=-1234 or ?tenant=3")
				return
			}
			var ok bool
			if s, ok = d.StatusOf(id); !ok {
				api.WriteError(w, http.StatusNotFound, fmt.Sprintf("tenant %d: this node does not sync it", id))
				return
			}
		} else {
			s = d.Status()
		}
		if extend != nil {
			extend(&s)
		}
		api.WriteJSON(w, http.StatusOK, s)
	}))
}

// statusAuth lets a request through with the API token; with no token
// configured at all (allowed only when listening on loopback) it lets
// loopback clients through, so `depsync status` works on such a node.
func (d *Daemon) statusAuth(h http.Handler) http.Handler {
	if tok := d.cfg.Token.Reveal(); tok != "" {
		return httpauth.Require(tok, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !httpauth.IsLoopbackRequest(r) {
			api.WriteError(w, http.StatusUnauthorized, "no API token configured: only loopback clients are served")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// tokenOnly lets a request through only with the API token: what changes
// a node's state (notices, approvals) has no loopback exception, since any
// local process could otherwise send it.
func (d *Daemon) tokenOnly(h http.Handler) http.Handler {
	if tok := d.cfg.Token.Reveal(); tok != "" {
		return httpauth.Require(tok, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		api.WriteError(w, http.StatusUnauthorized, "no API token configured on this node: set token_file or DEPSYNC_TOKEN")
	})
}

// serveApprove lets the held deletions a request names (all, with an
// empty one) through once, and has the manager look again at once. A
// scope that holds nothing (404) or a hold whose digest is not the one
// given (409) approves nothing.
func (d *Daemon) serveApprove(w http.ResponseWriter, r *http.Request) {
	sel, err := approveSelection(r)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	approved, expires, err := d.deletions.ApproveSelected(sel)
	switch {
	case errors.Is(err, guard.ErrNotHeld):
		api.WriteError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, guard.ErrChanged):
		api.WriteError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	reply := ApproveReply{Approved: approved}
	if len(approved) > 0 {
		reply.ExpiresAt = &expires
		d.pokeAll()
		if d.fallback.direct != nil {
			d.fallback.direct.Trigger()
		}
	}
	api.WriteJSON(w, http.StatusOK, reply)
}

// approveSelection reads which holds a POST /v1/approve names: its query
// (?scope=...&scope=...&digest=...) and its JSON body (an ApproveRequest),
// both optional; an empty request names every hold.
func approveSelection(r *http.Request) (guard.Selection, error) {
	q := r.URL.Query()
	sel := guard.Selection{Scopes: q["scope"], Digest: q.Get("digest")}
	var body ApproveRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		return guard.Selection{}, fmt.Errorf(`body must be empty or JSON: {"scopes":["tenant -1234"],"digest":"sha256:..."}: %w`, err)
	}
	sel.Scopes = append(sel.Scopes, body.Scopes...)
	switch {
	case body.Digest != "" && sel.Digest != "" && body.Digest != sel.Digest:
		return guard.Selection{}, errors.New("two different digests in the query and the body: give one")
	case body.Digest != "":
		sel.Digest = body.Digest
	}
	if sel.Digest != "" {
		if err := guard.CheckDigest(sel.Digest); err != nil {
			return guard.Selection{}, err
		}
	}
	for _, s := range sel.Scopes {
		if strings.TrimSpace(s) == "" {
			return guard.Selection{}, errors.New(`scope must not be empty: give one as /v1/status shows it, such as "tenant -1234"`)
		}
	}
	return sel, nil
}

func (d *Daemon) serveNotify(w http.ResponseWriter, r *http.Request) {
	var n Notice
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&n); err != nil {
		d.m.notifyRecv.WithLabelValues("bad_request").Inc()
		api.WriteError(w, http.StatusBadRequest, "body must be JSON: {\"revision\":N,\"node\":\"name\",\"url\":\"http://manager:9780\"}")
		return
	}
	// A notice of a mode change may come before any revision.
	if n.Revision < 0 || n.Revision == 0 && n.Mode == "" {
		d.m.notifyRecv.WithLabelValues("bad_request").Inc()
		api.WriteError(w, http.StatusBadRequest, "revision must be a positive revision number")
		return
	}
	if n.Mode != "" && n.Mode != ModeSVN && n.Mode != ModeDirect {
		d.m.notifyRecv.WithLabelValues("bad_request").Inc()
		api.WriteError(w, http.StatusBadRequest, "mode must be \"svn\" or \"direct\"")
		return
	}
	if d.cfg.Role != config.RoleWorker {
		d.m.notifyRecv.WithLabelValues("ignored").Inc()
		d.log.Warn("notice ignored: this node is a manager; is another node configured as a manager too?", "from", n.Node)
		api.WriteError(w, http.StatusConflict, "this node is a manager: it does not take notices")
		return
	}
	if n.URL != "" {
		u, ok := d.peerURL(n.URL)
		if !ok {
			d.m.notifyRecv.WithLabelValues("refused_url").Inc()
			api.WriteError(w, http.StatusBadRequest, "url: not one of this worker's peers; list the manager in peers")
			return
		}
		n.URL = u
	}
	d.m.notifyRecv.WithLabelValues("accepted").Inc()
	d.log.Debug("notice", "revision", n.Revision, "from", n.Node, "mode", n.Mode)
	d.notified(n)
	api.WriteJSON(w, http.StatusAccepted, api.NotifyReply{Accepted: true})
}

// peerURL checks a notice's manager URL: it must be a plain http or https
// base URL that is one of the configured peers, compared as
// config.NormalURL compares them. It returns the peer as configured. A worker without
// peers cannot check it: it takes the notice but not the URL ("" and
// true). A URL refused is logged the first time only, then counted.
func (d *Daemon) peerURL(raw string) (string, bool) {
	norm, err := "", fmt.Errorf("longer than %d bytes", maxNoticeURL)
	if len(raw) <= maxNoticeURL {
		norm, err = config.NormalURL(raw)
	}
	if err == nil {
		if len(d.cfg.Peers) == 0 {
			if d.notices.refused.first("\x00no-peers") {
				d.log.Info("notices name their manager but this worker has no peers: list the manager in peers " +
					"so that it is named in /v1/status and 409 replies")
			}
			return "", true
		}
		for _, p := range d.cfg.Peers {
			if pn, perr := config.NormalURL(p); perr == nil && pn == norm {
				return p, true
			}
		}
		err = fmt.Errorf("not one of this worker's peers")
	}
	// Logged without the URL itself, which may carry credentials, and
	// keyed by a bounded form of it.
	key := raw
	if len(key) > 256 {
		key = key[:256]
	}
	if d.notices.refused.first(key) {
		d.log.Warn("notice refused: its manager URL is not acceptable; list the manager in peers (further refusals are only counted in depsync_notifications_received_total{result=\"refused_url\"})",
			"reason", err.Error(), "url", config.RedactNodeURL(raw))
	}
	return "", false
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
	for _, t := range d.tenantList() {
		st, id := t.Status(), t.ID()
		switch {
		case st.Waiting != "":
			why = append(why, fmt.Sprintf("tenant %d: %s", id, st.Waiting))
		case st.DiskFull != "":
			why = append(why, fmt.Sprintf("tenant %d: %s (%s)", id, st.DiskFull, st.LastError))
		case !st.Ready && st.LastError != "":
			why = append(why, fmt.Sprintf("tenant %d: first sync not done: %s", id, st.LastError))
		case !st.Ready:
			why = append(why, fmt.Sprintf("tenant %d: first sync not done yet", id))
		case d.cfg.SVN.URL != "" && time.Since(st.LastSuccess) > d.readyStale():
			why = append(why, fmt.Sprintf("tenant %d: last success %s ago: %s", id,
				time.Since(st.LastSuccess).Round(time.Second), st.LastError))
		}
	}
	if held := d.deletions.Summary(); held != "" && d.cfg.Role == config.RoleManager {
		why = append(why, held)
	}
	if len(why) > 0 {
		// Bounded: a thousand tenants starting must not make a reason of
		// a thousand lines.
		if len(why) > maxReasons {
			why = append(why[:maxReasons], fmt.Sprintf("(+%d more)", len(why)-maxReasons))
		}
		return false, strings.Join(why, "; ")
	}
	return true, ""
}

// maxReasons is how many reasons /readyz's detail names.
const maxReasons = 10

// Status returns what GET /v1/status shows.
func (d *Daemon) Status() Status {
	return d.status(nil)
}

// StatusOf returns what GET /v1/status?tenant=id shows: the node's status
// with only that tenant; false when the node does not sync it.
func (d *Daemon) StatusOf(id int) (Status, bool) {
	t := d.tenant(id)
	if t == nil {
		return Status{}, false
	}
	return d.status(t), true
}

func (d *Daemon) status(only *tenantrun.Runtime) Status {
	ready, why := d.Ready()
	s := Status{
		Role:    d.cfg.Role,
		Node:    d.cfg.NodeName,
		Mode:    d.Mode(),
		Manager: d.ManagerURL(),
		Ready:   ready,
		Reason:  why,
		SVNURL:  d.svnURL(),
		Peers:   d.peers.Status(),

		HeldDeletions:    d.deletions.Holds(),
		PendingApprovals: d.deletions.Pending(),
		Backups:          d.backups.Stats(),
	}
	if d.cfg.Role == config.RoleManager {
		s.Manager = d.notices.self
		known := d.holdsKnown(only)
		s.HoldsKnown = &known
	}
	if d.cfg.Role == config.RoleWorker {
		s.ManagerMode = d.managerMode()
	}
	if r, ok := d.fallback.direct.(PeerReporter); ok && s.Mode == ModeDirect {
		s.Peers = d.peers.WithProbes(r.PeerStatuses())
	}
	d.tenantsStatus(&s, only)
	return s
}
