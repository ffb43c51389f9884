package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/publish"
	"github.com/depsync/depsync/svn"
)

// historyBudget bounds one GET /v1/history or POST /v1/rollback: an svn
// log, a checkout of carbonapps and a commit.
const historyBudget = 5 * time.Minute

// maxHistory bounds the changes of one GET /v1/history: each costs an
// svn cat for its digest.
const maxHistory = 1000

// errHeld is a rollback whose removals the deletion guard holds.
var errHeld = errors.New("held")

// mountRollback adds GET /v1/history and POST /v1/rollback to the
// daemon's mux, behind the token. Both need svn.url; the rollback is the
// manager's, whose deletion guard g judges what it would remove.
func mountRollback(mux *http.ServeMux, c *config.Config, g *guard.Guard, log *slog.Logger) {
	h := &rollbackHandler{cfg: c, guard: g, log: log}
	mux.Handle("GET "+api.HistoryPath, httpauth.Require(c.Token.Reveal(), http.HandlerFunc(h.history)))
	mux.Handle("POST "+api.RollbackPath, httpauth.Require(c.Token.Reveal(), http.HandlerFunc(h.rollback)))
}

type rollbackHandler struct {
	cfg   *config.Config
	guard *guard.Guard
	log   *slog.Logger
}

// options are publish's options for the super tenant's folder, with the
// daemon's svn credentials.
func (h *rollbackHandler) options() publish.Options {
	return publish.Options{URL: h.cfg.Tenants()[0].URL, Origin: h.cfg.NodeName, SVN: svn.Options{
		Username: h.cfg.SVN.Username, Password: h.cfg.SVN.Password.Reveal(),
		TrustServerCert: h.cfg.SVN.TrustServerCert, Logger: h.log,
	}}
}

// needSVN answers 409 in direct mode: nodes keep no history there.
func (h *rollbackHandler) needSVN(w http.ResponseWriter) bool {
	if h.cfg.SVN.URL != "" {
		return false
	}
	api.WriteError(w, http.StatusConflict, "history and rollback --to need SVN (svn.url): in direct mode the nodes keep no history; "+
		"capp push --wait --rollback puts back what was there before a push")
	return true
}

func (h *rollbackHandler) history(w http.ResponseWriter, r *http.Request) {
	if h.needSVN(w) {
		return
	}
	file := r.URL.Query().Get("file")
	if file != "" && !cappname.Valid(file) {
		api.WriteError(w, http.StatusBadRequest, cappname.ErrBad.Error())
		return
	}
	n := 20
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxHistory {
			api.WriteError(w, http.StatusBadRequest, fmt.Sprintf("n: must be from 1 to %d", maxHistory))
			return
		}
		n = v
	}
	ctx, cancel := context.WithTimeout(r.Context(), historyBudget)
	defer cancel()
	o := h.options()
	changes, err := publish.History(ctx, o, file, n)
	if err != nil {
		h.log.Warn("history", "err", err)
		api.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	api.WriteJSON(w, http.StatusOK, api.History{URL: redact(publish.Folder(o.URL)), Changes: changes})
}

func (h *rollbackHandler) rollback(w http.ResponseWriter, r *http.Request) {
	if h.needSVN(w) {
		return
	}
	if h.cfg.Role != config.RoleManager {
		api.WriteError(w, http.StatusConflict, "this node is a worker: send the rollback to the manager, which commits")
		return
	}
	var req api.RollbackRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		api.WriteError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if err := checkRollback(req); err != nil {
		api.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), historyBudget)
	defer cancel()
	o := h.options()
	scope := "rollback " + redact(publish.Folder(o.URL))
	o.MayRemove = func(removed []string, total int) error {
		reason := ""
		if len(removed) >= total {
			reason = guard.ReasonEmptied
		}
		if h.guard != nil && !h.guard.Check(guard.Pass{Scope: scope, Deleted: removed, Total: total, Reason: reason}) {
			return errHeld
		}
		return nil
	}
	rev, out, err := publish.Restore(ctx, o, req.Files, req.To, fmt.Sprintf("rollback --to r%d", req.To))
	switch {
	case errors.Is(err, errHeld):
		api.WriteError(w, http.StatusConflict, "the rollback would remove C-Apps the deletion guard holds: nothing was committed; "+
			"see depsync status, approve with depsync approve if it is meant, and run the rollback again")
		return
	case errors.Is(err, svn.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		h.log.Warn("rollback", "err", err)
		api.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	reply := api.RollbackReply{Revision: rev, Restored: []api.RolledBack{}, Removed: []api.RolledBack{}, Unchanged: []api.RolledBack{}}
	for _, x := range out {
		rb := api.RolledBack{File: x.File, ID: x.ID, SHA256: x.SHA256}
		switch x.Action {
		case publish.ActionRestored:
			reply.Restored = append(reply.Restored, rb)
		case publish.ActionRemoved:
			reply.Removed = append(reply.Removed, rb)
		default:
			reply.Unchanged = append(reply.Unchanged, rb)
		}
	}
	h.log.Info("rolled back", "to", req.To, "revision", rev, "files", req.Files)
	api.WriteJSON(w, http.StatusOK, reply)
}

// checkRollback refuses a request naming no file, a bad name, the same
// file twice or no revision.
func checkRollback(req api.RollbackRequest) error {
	if len(req.Files) == 0 {
		return errors.New("files: name at least one C-App")
	}
	if req.To < 1 {
		return errors.New("to: a revision, 1 or later")
	}
	seen := map[string]bool{}
	for _, f := range req.Files {
		if !cappname.Valid(f) {
			return fmt.Errorf("%s: %w", f, cappname.ErrBad)
		}
		if seen[f] {
			return fmt.Errorf("%s is named twice", f)
		}
		seen[f] = true
	}
	return nil
}
