package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
)

func (a *API) serveNotify(w http.ResponseWriter, r *http.Request) {
	recv := a.env.Received
	var n api.Notice
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&n); err != nil {
		recv.WithLabelValues("bad_request").Inc()
		api.WriteError(w, http.StatusBadRequest, "body must be JSON: {\"revision\":N,\"node\":\"name\",\"url\":\"http://manager:9780\"}")
		return
	}
	// A notice of a mode change may come before any revision.
	if n.Revision < 0 || n.Revision == 0 && n.Mode == "" {
		recv.WithLabelValues("bad_request").Inc()
		api.WriteError(w, http.StatusBadRequest, "revision must be a positive revision number")
		return
	}
	if n.Mode != "" && n.Mode != api.ModeSVN && n.Mode != api.ModeDirect {
		recv.WithLabelValues("bad_request").Inc()
		api.WriteError(w, http.StatusBadRequest, "mode must be \"svn\" or \"direct\"")
		return
	}
	if a.env.Config.Role != config.RoleWorker {
		recv.WithLabelValues("ignored").Inc()
		a.env.Log.Warn("notice ignored: this node is a manager; is another node configured as a manager too?", "from", n.Node)
		api.WriteError(w, http.StatusConflict, "this node is a manager: it does not take notices")
		return
	}
	if n.URL != "" {
		u, ok := a.peerURL(n.URL)
		if !ok {
			recv.WithLabelValues("refused_url").Inc()
			api.WriteError(w, http.StatusBadRequest, "url: not one of this worker's peers; list the manager in peers")
			return
		}
		n.URL = u
	}
	recv.WithLabelValues("accepted").Inc()
	a.env.Log.Debug("notice", "revision", n.Revision, "from", n.Node, "mode", n.Mode)
	a.env.Node.Notified(n)
	api.WriteJSON(w, http.StatusAccepted, api.NotifyReply{Accepted: true})
}

// peerURL checks a notice's manager URL (see noticePeer) and returns the
// peer as configured. A worker without peers cannot check it: it takes
// the notice but not the URL ("" and true). A URL refused is logged the
// first time only, then counted.
func (a *API) peerURL(raw string) (string, bool) {
	peers := a.env.Config.Peers
	p, err := noticePeer(raw, peers)
	if err == nil {
		if len(peers) == 0 && a.env.Refused.First("\x00no-peers") {
			a.env.Log.Info("notices name their manager but this worker has no peers: list the manager in peers " +
				"so that it is named in /v1/status and 409 replies")
		}
		return p, true
	}
	// Logged without the URL itself, which may carry credentials, and
	// keyed by a bounded form of it.
	key := raw
	if len(key) > 256 {
		key = key[:256]
	}
	if a.env.Refused.First(key) {
		a.env.Log.Warn("notice refused: its manager URL is not acceptable; list the manager in peers (further refusals are only counted in depsync_notifications_received_total{result=\"refused_url\"})",
			"reason", err.Error(), "url", config.RedactNodeURL(raw))
	}
	return "", false
}

// maxNoticeURL bounds the manager URL a notice may carry.
const maxNoticeURL = 2048

// noticePeer is the peer, as configured, that a notice's manager URL
// names: it must be a plain http or https base URL that is one of peers,
// compared as config.NormalURL compares them. With no peers to compare
// with, any such URL is taken and names none (""). The error says why the
// URL is not acceptable.
func noticePeer(raw string, peers []string) (string, error) {
	if len(raw) > maxNoticeURL {
		return "", fmt.Errorf("longer than %d bytes", maxNoticeURL)
	}
	norm, err := config.NormalURL(raw)
	if err != nil {
		return "", err
	}
	if len(peers) == 0 {
		return "", nil
	}
	for _, p := range peers {
		if pn, perr := config.NormalURL(p); perr == nil && pn == norm {
			return p, nil
		}
	}
	return "", errors.New("not one of this worker's peers")
}

// Refusals remembers which refused notice URLs were logged, so that a
// sender that repeats one does not flood the log. Its zero value is
// ready to use.
type Refusals struct {
	mu     sync.Mutex
	logged map[string]int
}

// maxRefusalsLogged bounds the URLs remembered: past it every refusal is
// only counted.
const maxRefusalsLogged = 64

// First records a refusal of u and reports whether it is the first one.
func (r *Refusals) First(u string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logged == nil {
		r.logged = map[string]int{}
	}
	n, seen := r.logged[u]
	if !seen && len(r.logged) >= maxRefusalsLogged {
		return false
	}
	r.logged[u] = n + 1
	return !seen
}
