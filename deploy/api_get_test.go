package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/sfv"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestGetCAppServesBytesOrPresence: GET /v1/capps/{file} answers the bytes
// with their Content-Digest, unless the request asks for JSON (as
// client.Client.Presence does), which keeps getting api.CAppPresence.
func TestGetCAppServesBytesOrPresence(t *testing.T) {
	n := newTestNode(t, config.RoleManager)
	src := testcapp.Write(t, t.TempDir(), "App_1.0.0.car", "App", "1.0.0")
	want, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(n.dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(n.dir, "App_1.0.0.car"), want, 0o644))
	sum := sha256.Sum256(want)

	get := func(accept, token string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, n.url+"/v1/capps/App_1.0.0.car", nil)
		require.NoError(t, err)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	for _, accept := range []string{"", "application/octet-stream", "*/*"} {
		resp := get(accept, testToken)
		require.Equal(t, http.StatusOK, resp.StatusCode, accept)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, want, body, "Accept %q gets the bytes", accept)
		assert.Equal(t, sfv.ContentDigest(sum[:]), resp.Header.Get("Content-Digest"))
		assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	}
	for _, accept := range []string{"application/json", "text/plain, application/json;q=0.9"} {
		resp := get(accept, testToken)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var p api.CAppPresence
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&p), "Accept %q gets JSON", accept)
		assert.True(t, p.Present)
		assert.Equal(t, "App_1.0.0.car", p.File)
	}
	assert.Equal(t, http.StatusUnauthorized, get("", "").StatusCode, "the token is required")
	assert.Equal(t, http.StatusUnauthorized, get("", "wrong").StatusCode)

	c, err := client.New(client.Options{Token: testToken})
	require.NoError(t, err)
	f, err := c.Fetch(context.Background(), n.url, "App_1.0.0.car")
	require.NoError(t, err)
	assert.True(t, f.Present)
	assert.Equal(t, want, f.Data)
	assert.Equal(t, sum[:], f.SHA256)

	f, err = c.Fetch(context.Background(), n.url, "Nope_1.0.0.car")
	require.NoError(t, err, "an absent file is an answer, not an error")
	assert.False(t, f.Present)

	_, err = c.Fetch(context.Background(), n.url, "../x.car")
	require.ErrorIs(t, err, cappname.ErrBad)
	code, _ := rawRequest(t, n.url, http.MethodGet, "/v1/capps/%2e%2e%2fx.car", map[string]string{"Authorization": "Bearer " + testToken}, nil)
	assert.Equal(t, http.StatusBadRequest, code)

	p, err := c.Presence(context.Background(), n.url, "App_1.0.0.car", "")
	require.NoError(t, err, "Presence still gets JSON")
	assert.True(t, p.Present)
}

// TestGetCAppRefusesASymlink: the bytes of a link out of carbonapps are
// never served.
func TestGetCAppRefusesASymlink(t *testing.T) {
	n := newTestNode(t, config.RoleManager)
	require.NoError(t, os.MkdirAll(n.dir, 0o755))
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("secret"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(n.dir, "Link_1.0.0.car")))
	c, err := client.New(client.Options{Token: testToken, RetryMax: -1})
	require.NoError(t, err)
	_, err = c.Fetch(context.Background(), n.url, "Link_1.0.0.car")
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusConflict, ae.StatusCode)
	assert.NotContains(t, err.Error(), "secret")
}
