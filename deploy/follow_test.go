package deploy

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/internal/testtls"
)

// recorder is a listener that counts whatever reaches it.
func recorder(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestClientNeverFollowsToUnlistedManager: a worker naming a manager that is
// not allowed gets an error, and that manager never sees a request (so
// neither the token nor the C-App).
func TestClientNeverFollowsToUnlistedManager(t *testing.T) {
	evil, hits := recorder(t)
	w := newTestNode(t, config.RoleWorker, func(o *APIOptions) { o.ManagerURL = func() string { return evil.URL } })
	p := testcapp.Write(t, t.TempDir(), "App_1.0.0.car", "App", "1.0.0")
	for name, allowed := range map[string][]string{
		"nothing allowed":  nil,
		"others allowed":   {w.url, "http://127.0.0.1:1"},
		"with credentials": {"http://u:p@" + evil.Listener.Addr().String()},
	} {
		t.Run(name, func(t *testing.T) {
			c := testClient(t, func(o *client.Options) { o.FollowManager = true; o.FollowAllowed = allowed })
			_, err := c.Put(context.Background(), w.url, p, client.PutRequest{})
			var me *client.ManagerNotAllowedError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, evil.URL, me.Manager)
			assert.Contains(t, err.Error(), evil.URL)
			assert.Contains(t, err.Error(), "nothing was sent there")

			servedBy, err := c.Delete(context.Background(), w.url, "App_1.0.0.car", false)
			require.ErrorAs(t, err, &me)
			assert.Equal(t, w.url, servedBy)
			assert.Zero(t, hits.Load(), "the unlisted manager received a request")
		})
	}
}

// TestClientNeverFollowsHTTPSToHTTP: even a listed manager is not followed
// from https to plain http.
func TestClientNeverFollowsHTTPSToHTTP(t *testing.T) {
	plain, hits := recorder(t)
	store, err := NewStore(filepath.Join(t.TempDir(), "carbonapps"), 0)
	require.NoError(t, err)
	api := NewAPI(APIOptions{Store: store, Role: config.RoleWorker, Token: testToken, ManagerURL: func() string { return plain.URL }})
	w := httptest.NewTLSServer(api)
	t.Cleanup(w.Close)
	c := testClient(t, func(o *client.Options) {
		o.FollowManager = true
		o.FollowAllowed = []string{w.URL, plain.URL}
		o.TLSConfig = w.Client().Transport.(*http.Transport).TLSClientConfig
	})
	p := testcapp.Write(t, t.TempDir(), "App_1.0.0.car", "App", "1.0.0")
	_, err = c.Put(context.Background(), w.URL, p, client.PutRequest{})
	var me *client.ManagerNotAllowedError
	require.ErrorAs(t, err, &me)
	assert.True(t, me.Downgrade)
	assert.Contains(t, err.Error(), "plain http after https")
	assert.Zero(t, hits.Load())
}

// TestClientPresentsCertificate: with CertFile and KeyFile the client
// shows that certificate to a node that asks for one.
func TestClientPresentsCertificate(t *testing.T) {
	dir := t.TempDir()
	cert, key := testtls.SelfSigned(t, dir)
	var seen atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "depsync-test" {
			seen.Add(1)
		}
		w.Write([]byte("[]"))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig

	c := testClient(t, func(o *client.Options) { o.TLSConfig = tlsCfg; o.CertFile, o.KeyFile = cert, key; o.RetryMax = -1 })
	_, err := c.List(context.Background(), srv.URL)
	require.NoError(t, err)
	assert.Equal(t, int32(1), seen.Load())

	without := testClient(t, func(o *client.Options) { o.TLSConfig = tlsCfg; o.RetryMax = -1 })
	_, err = without.List(context.Background(), srv.URL)
	require.Error(t, err)

	_, err = client.New(client.Options{CertFile: cert, KeyFile: filepath.Join(dir, "nope")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tls.cert_file/tls.key_file")
}
