// Package httpauth guards depsync's /v1 API with a shared bearer token and
// lets clients present it. It does authentication only: the bodies of the
// replies are package api's.
package httpauth

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/depsync/depsync/api"
)

// Require wraps next so that it runs only for requests carrying
// "Authorization: Bearer <token>" (the scheme in any case, RFC 7235).
// Anything else gets 401 with a JSON error and next is not called. The
// comparison takes constant time. An empty token refuses every request: an
// API without a secret is closed, not open.
func Require(token string, next http.Handler) http.Handler {
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := BearerToken(r.Header.Get("Authorization"))
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="depsync"`)
			api.WriteError(w, http.StatusUnauthorized, "missing or wrong bearer token: use the token of token_file or DEPSYNC_TOKEN")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// BearerToken returns the token of an Authorization header value of the
// Bearer scheme: the scheme is matched in any case (RFC 7235 section 2.1)
// and one or more spaces may follow it.
func BearerToken(header string) (string, bool) {
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// Set adds the bearer token to an outgoing request.
func Set(r *http.Request, token string) {
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
}

// IsLoopbackRequest reports whether r came from a loopback address.
func IsLoopbackRequest(r *http.Request) bool {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	host = strings.Trim(host, "[]")
	return host == "127.0.0.1" || host == "::1" || strings.HasPrefix(host, "127.")
}
