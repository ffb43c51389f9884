package deploy

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/internal/testtls"
)

func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := testtls.SelfSigned(t, dir)
	store, err := NewStore(filepath.Join(dir, "carbonapps"), 0)
	require.NoError(t, err)
	api := NewAPI(APIOptions{Store: store, Role: config.RoleManager, Token: testToken})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	srv := httpserver.New("127.0.0.1:0", mux, config.TLS{CertFile: cert, KeyFile: key})
	require.NotNil(t, srv.TLSConfig)
	require.NotZero(t, srv.ReadHeaderTimeout)
	require.NotZero(t, srv.IdleTimeout)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, srv, ln) }()
	node := "https://" + ln.Addr().String()

	c, err := client.New(client.Options{Token: testToken, CAFile: cert, RetryMax: -1})
	require.NoError(t, err)
	p := testcapp.Write(t, t.TempDir(), "A_1.car", "A", "1")
	reply, err := c.Put(context.Background(), node, p, client.PutRequest{})
	require.NoError(t, err)
	require.Equal(t, StatusCreated, reply.Status)
	list, err := c.List(context.Background(), node)
	require.NoError(t, err)
	require.Len(t, list, 1)

	// Without the CA the certificate is refused.
	c2, err := client.New(client.Options{Token: testToken, RetryMax: -1})
	require.NoError(t, err)
	_, err = c2.List(context.Background(), node)
	require.Error(t, err)

	_, err = client.New(client.Options{CAFile: filepath.Join(dir, "nope.pem")})
	require.Error(t, err)

	cancel()
	require.NoError(t, <-done)
}
