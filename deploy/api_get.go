package deploy

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/regfile"
	"github.com/depsync/depsync/internal/sfv"
)

// get answers GET /v1/capps/{file}: the presence of the file in JSON
// (api.CAppPresence) when the request's Accept names application/json, as
// (*client.Client).Presence does; else the C-App's bytes with their
// Content-Digest, which is what a client keeps to put them back later
// (`capp push --rollback`).
func (a *cappAPI) get(w http.ResponseWriter, r *http.Request) {
	if acceptsJSON(r.Header.Values("Accept")) {
		a.presence(w, r)
		return
	}
	a.serveBytes(w, r)
}

// acceptsJSON reports whether an Accept header names application/json
// (with any parameters, a q of 0 aside).
func acceptsJSON(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != "application/json" {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
				continue
			}
			return true
		}
	}
	return false
}

// serveBytes serves the file as it is on disk. The digest is of the open file
// itself: the store replaces files by rename, so what is sent is what was
// hashed, however the file name changes meanwhile.
func (a *cappAPI) serveBytes(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	p, err := a.Store.Path(file)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, fi, err := regfile.Open(p)
	var nr *regfile.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		api.WriteError(w, http.StatusNotFound, fmt.Sprintf("%s: %s", ErrNotFound, file))
		return
	case errors.As(err, &nr):
		api.WriteError(w, http.StatusConflict, fmt.Sprintf("%s is not a regular file here (%s): nothing to serve", file, nr.Kind))
		return
	case err != nil:
		a.Logger.Error("open C-App", "file", file, "err", err)
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		a.Logger.Error("read C-App", "file", file, "err", err)
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Digest", sfv.ContentDigest(h.Sum(nil)))
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, f); err != nil {
		a.Logger.Warn("send C-App", "file", file, "err", err)
	}
}
