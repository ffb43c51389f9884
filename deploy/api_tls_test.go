package deploy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "depsync-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
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
