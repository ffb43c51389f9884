package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
)

// Handler serves /healthz, /readyz, /metrics, GET /v1/status,
// POST /v1/notify and POST /v1/approve. The probes say only their status
// word: the detail (errors, URLs, held deletions) is in the
// token-protected /v1/status.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		api.WriteJSON(w, http.StatusOK, api.Health{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, _ := a.Ready(); !ok {
			api.WriteJSON(w, http.StatusServiceUnavailable, api.Health{Status: "not ready"})
			return
		}
		api.WriteJSON(w, http.StatusOK, api.Health{Status: "ready"})
	})
	reg := a.env.Registry
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("GET /v1/status", a.StatusHandler(nil))
	mux.Handle("POST /v1/notify", a.tokenOnly(http.HandlerFunc(a.serveNotify)))
	mux.Handle("POST /v1/approve", a.tokenOnly(http.HandlerFunc(a.serveApprove)))
	return mux
}

// StatusHandler serves GET /v1/status as Handler does, behind the same
// auth; extend, when set, adds to each reply what other parts of the
// daemon know (the Carbon log's C-App states).
func (a *API) StatusHandler(extend func(*api.Status)) http.Handler {
	return a.statusAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s api.Status
		if q := r.URL.Query().Get("tenant"); q != "" {
			id, err := strconv.Atoi(q)
			if err != nil {
				api.WriteError(w, http.StatusBadRequest, "tenant: give a tenant id, such as ?tenant=-1234 or ?tenant=3")
				return
			}
			var ok bool
			if s, ok = a.StatusOf(id); !ok {
				api.WriteError(w, http.StatusNotFound, fmt.Sprintf("tenant %d: this node does not sync it", id))
				return
			}
		} else {
			s = a.Status()
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
func (a *API) statusAuth(h http.Handler) http.Handler {
	if tok := a.env.Config.Token.Reveal(); tok != "" {
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
func (a *API) tokenOnly(h http.Handler) http.Handler {
	if tok := a.env.Config.Token.Reveal(); tok != "" {
		return httpauth.Require(tok, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		api.WriteError(w, http.StatusUnauthorized, "no API token configured on this node: set token_file or DEPSYNC_TOKEN")
	})
}

// serveApprove lets the held deletions a request names (all, with an
// empty one) through once, and has the node look again at once. A scope
// that holds nothing (404) or a hold whose digest is not the one given
// (409) approves nothing.
func (a *API) serveApprove(w http.ResponseWriter, r *http.Request) {
	sel, err := approveSelection(r)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	approved, expires, err := a.env.Deletions.ApproveSelected(sel)
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
	reply := api.ApproveReply{Approved: approved}
	if len(approved) > 0 {
		reply.ExpiresAt = &expires
		a.env.Node.Approved()
	}
	api.WriteJSON(w, http.StatusOK, reply)
}

// approveSelection reads which holds a POST /v1/approve names: its query
// (?scope=...&scope=...&digest=...) and its JSON body (an ApproveRequest),
// both optional; an empty request names every hold.
func approveSelection(r *http.Request) (guard.Selection, error) {
	q := r.URL.Query()
	sel := guard.Selection{Scopes: q["scope"], Digest: q.Get("digest")}
	var body api.ApproveRequest
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
