package httpauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
)

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		name, token, header string
		want                int
	}{
		{"right token", "s3cret", "Bearer s3cret", 204},
		{"scheme lower case", "s3cret", "bearer s3cret", 204},
		{"scheme upper case", "s3cret", "BEARER s3cret", 204},
		{"scheme mixed case", "s3cret", "bEaReR s3cret", 204},
		{"two spaces", "s3cret", "Bearer  s3cret", 204},
		{"no space", "s3cret", "Bearers3cret", 401},
		{"token in wrong case", "s3cret", "Bearer S3CRET", 401},
		{"extra word", "s3cret", "Bearer s3cret x", 401},
		{"tab", "s3cret", "Bearer\ts3cret", 401},
		{"no header", "s3cret", "", 401},
		{"wrong token", "s3cret", "Bearer nope", 401},
		{"prefix of token", "s3cret", "Bearer s3cre", 401},
		{"wrong scheme", "s3cret", "Basic s3cret", 401},
		{"empty token refuses all", "", "Bearer ", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/notify", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			Require(tt.token, ok).ServeHTTP(w, r)
			assert.Equal(t, tt.want, w.Code)
			if tt.want != 401 {
				return
			}
			// A refusal is a JSON error that says what to do, with the
			// challenge, and never echoes the token expected or sent.
			assert.Equal(t, `Bearer realm="depsync"`, w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			var e api.Error
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e), w.Body.String())
			assert.Contains(t, e.Error, "token_file or DEPSYNC_TOKEN")
			if tt.token != "" {
				assert.NotContains(t, w.Body.String(), tt.token)
			}
			if tok, ok := BearerToken(tt.header); ok {
				assert.NotContains(t, w.Body.String(), tok)
			}
		})
	}
}

func TestSet(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/status", nil)
	Set(r, "")
	assert.Empty(t, r.Header.Get("Authorization"), "no token, no header")
	Set(r, "s3cret")
	assert.Equal(t, "Bearer s3cret", r.Header.Get("Authorization"))
	got, ok := BearerToken(r.Header.Get("Authorization"))
	assert.True(t, ok)
	assert.Equal(t, "s3cret", got)
}

func TestIsLoopbackRequest(t *testing.T) {
	tests := []struct {
		remote string
		want   bool
	}{
		{"127.0.0.1:43210", true},
		{"127.0.0.2:1", true},
		{"127.255.255.254:9780", true},
		{"[::1]:43210", true},
		{"127.0.0.1", true}, // no port
		{"10.0.0.1:43210", false},
		{"192.168.1.127:9780", false},
		{"10.127.0.1:9780", false},
		{"128.0.0.1:9780", false},
		{"[::2]:43210", false},
		{"[fe80::1]:43210", false},
		{"[2001:db8::127]:9780", false},
		{"0.0.0.0:9780", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.remote, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/status", nil)
			r.RemoteAddr = tt.remote
			assert.Equal(t, tt.want, IsLoopbackRequest(r))
		})
	}
}
