// Package cappname says which C-App file names the peer C-App API, its
// Store and its clients accept, and guards a server's /v1/capps/ paths with
// that rule before a mux can clean or unescape them.
package cappname

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/depsync/depsync/api"

	"github.com/depsync/depsync/carbonapp"
)

// MaxLen is the longest C-App file name accepted, in bytes.
const MaxLen = 255

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Valid reports whether file is a C-App file name the API accepts: a
// single path element of letters, digits, '.', '_' and '-', starting with a
// letter or digit, a C-App name (carbonapp.IsCApp: ending in ".car"), at
// most MaxLen bytes, and no "..". Such a name needs no escaping in a
// URL, which is what lets the API reject every encoded trick by looking at
// the raw path.
func Valid(file string) bool {
	return len(file) <= MaxLen && carbonapp.IsCApp(file) && nameRE.MatchString(file) && !strings.Contains(file, "..")
}

// ErrBad is the error for a name Valid refuses.
var ErrBad = errors.New("bad C-App file name: only letters, digits, '.', '_' and '-', starting with a letter or digit, ending in .car, at most 255 bytes")

// Guard rejects (400) any /v1/capps/<x> whose raw path element is not a
// valid file name before the mux can clean or unescape it (a ServeMux
// would redirect a literal "/v1/capps/../x.car").
func Guard(next http.Handler) http.Handler {
	const prefix = "/v1/capps/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.URL.EscapedPath()
		if r.URL.RawPath != "" {
			raw = r.URL.RawPath
		}
		if strings.HasPrefix(raw, prefix) || strings.HasPrefix(r.URL.Path, prefix) {
			name, _ := strings.CutPrefix(raw, prefix)
			if !Valid(name) || r.URL.Path != prefix+name {
				api.WriteError(w, http.StatusBadRequest, ErrBad.Error())
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
