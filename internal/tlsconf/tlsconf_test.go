package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/pki"
)

// cluster is a CA and one node's key pair for localhost, as depsync tls
// init writes them.
func cluster(t *testing.T) *pki.Result {
	t.Helper()
	h, err := pki.ParseHost("localhost,127.0.0.1")
	require.NoError(t, err)
	res, err := pki.Init(pki.Options{Dir: t.TempDir(), Hosts: []pki.Host{h}})
	require.NoError(t, err)
	return res
}

// server is a TLS server with the node's certificate that answers with the
// common name of the client certificate presented, or "-".
func server(t *testing.T, res *pki.Result) *httptest.Server {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(res.Nodes[0].CertFile, res.Nodes[0].KeyFile)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			w.Write([]byte("-"))
			return
		}
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, cfg *tls.Config, url string) (string, error) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: cfg}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b := make([]byte, 100)
	n, _ := resp.Body.Read(b)
	return string(b[:n]), nil
}

func TestClientNothingAsked(t *testing.T) {
	cfg, err := Client(Options{})
	require.NoError(t, err)
	assert.Nil(t, cfg, "no tls settings: Go's defaults (system roots)")
}

func TestClientHandshake(t *testing.T) {
	res := cluster(t)
	srv := server(t, res)
	node := res.Nodes[0]

	_, err := get(t, nil, srv.URL)
	require.Error(t, err, "the system roots do not trust the cluster CA")

	cfg, err := Client(Options{CAFile: res.CACert})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cfg.MinVersion, uint16(tls.VersionTLS12))
	got, err := get(t, cfg, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "-", got, "no certificate asked for, none presented")

	cfg, err = Client(Options{CAFile: res.CACert, CertFile: node.CertFile, KeyFile: node.KeyFile})
	require.NoError(t, err)
	got, err = get(t, cfg, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "localhost", got, "the node's certificate is presented")
}

// TestClientBase: a base configuration is used as the roots, cloned, so
// that adding the client certificate does not change the caller's.
func TestClientBase(t *testing.T) {
	res := cluster(t)
	srv := server(t, res)
	node := res.Nodes[0]
	base := srv.Client().Transport.(*http.Transport).TLSClientConfig
	cfg, err := Client(Options{Base: base, CAFile: "/nonexistent/ignored.pem", CertFile: node.CertFile, KeyFile: node.KeyFile})
	require.NoError(t, err)
	assert.Nil(t, base.GetClientCertificate, "the base is not changed")
	got, err := get(t, cfg, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "localhost", got)
}

// TestClientRenewedCert: the certificate is read again at each handshake,
// so a renewed one is used without a restart.
func TestClientRenewedCert(t *testing.T) {
	res := cluster(t)
	node := res.Nodes[0]
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "n.crt"), filepath.Join(dir, "n.key")
	copyFile(t, node.CertFile, cert)
	copyFile(t, node.KeyFile, key)
	cfg, err := Client(Options{CAFile: res.CACert, CertFile: cert, KeyFile: key})
	require.NoError(t, err)

	h, err := pki.ParseHost("renewed")
	require.NoError(t, err)
	other, err := pki.Init(pki.Options{Dir: t.TempDir(), Hosts: []pki.Host{h}})
	require.NoError(t, err)
	copyFile(t, other.Nodes[0].CertFile, cert)
	copyFile(t, other.Nodes[0].KeyFile, key)
	c, err := cfg.GetClientCertificate(nil)
	require.NoError(t, err)
	leaf, err := x509Leaf(c)
	require.NoError(t, err)
	assert.Equal(t, "renewed", leaf)

	// Half written: the one read at start.
	require.NoError(t, os.WriteFile(key, []byte("partial"), 0o600))
	c, err = cfg.GetClientCertificate(nil)
	require.NoError(t, err)
	leaf, err = x509Leaf(c)
	require.NoError(t, err)
	assert.Equal(t, "localhost", leaf)
}

func TestClientErrors(t *testing.T) {
	res := cluster(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644))
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no CA file", Options{CAFile: filepath.Join(dir, "nope.pem")}, "tls.ca_file: open"},
		{"CA file without PEM", Options{CAFile: notPEM}, "tls.ca_file " + notPEM + ": no PEM certificate in it"},
		{"cert without key", Options{CertFile: res.Nodes[0].CertFile}, "tls.cert_file/tls.key_file"},
		{"key of another file", Options{CertFile: res.Nodes[0].CertFile, KeyFile: res.CAKey}, "tls.cert_file/tls.key_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Client(tt.o)
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o600))
}

func x509Leaf(c *tls.Certificate) (string, error) {
	cert, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return "", err
	}
	return cert.Subject.CommonName, nil
}
