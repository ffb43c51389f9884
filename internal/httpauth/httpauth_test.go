package httpauth

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
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
			if tt.want == 401 {
				assert.Contains(t, w.Body.String(), `"error"`)
				assert.NotContains(t, w.Body.String(), tt.token+"x")
			}
		})
	}
}
