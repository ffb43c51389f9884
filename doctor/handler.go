package doctor

import (
	"log/slog"
	"net/http"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/httpauth"
)

// Path is where a daemon serves its node's Facts.
const Path = "/v1/doctor"

// Handler serves GET /v1/doctor: the node's own Facts (Live over o), read
// afresh on every request, so that a fix shows at the next
// `depsync doctor`. It needs the API token (an empty token refuses every
// request). The reply holds the facts only: no file content, no password.
func Handler(token string, o LiveOptions, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return httpauth.Require(token, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			api.WriteError(w, http.StatusMethodNotAllowed, "GET "+Path+" only")
			return
		}
		f, err := Live(r.Context(), o)
		if err != nil {
			// The error names carbon.home or the carbonapps folder, never
			// a file's content.
			log.Warn("doctor: cannot read this node's facts", "err", err)
			api.WriteError(w, http.StatusInternalServerError, "this node cannot read its own configuration: "+err.Error()+
				" (check carbon.home in its depsync config)")
			return
		}
		api.WriteJSON(w, http.StatusOK, f)
	}))
}
