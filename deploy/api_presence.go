package deploy

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy/cappname"
)

// presence answers GET /v1/capps/{file}[?id=ID]: whether the node holds the
// file and the Carbon log's last word on it, looked up by the id given (a
// gone file's id cannot be read from it), else the file's own, and by the
// file name, the later of the two winning (see carbonState).
func (a *cappAPI) presence(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	id := r.URL.Query().Get("id")
	if len(id) > cappname.MaxLen {
		api.WriteError(w, http.StatusBadRequest, fmt.Sprintf("id: longer than %d bytes", cappname.MaxLen))
		return
	}
	entries, err := a.Store.List()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.Logger.Error("list C-Apps", "err", err)
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	p := api.CAppPresence{File: file}
	e := Entry{File: file, ID: id}
	for _, have := range entries {
		if have.File == file {
			p.Present = true
			if e.ID == "" {
				e.ID = have.ID
			}
		}
	}
	if a.Carbon != nil {
		p.CarbonLog = a.Carbon.Readable()
		p.Carbon = carbonState(a.Carbon, a.Tenant, e)
	}
	api.WriteJSON(w, http.StatusOK, p)
}
