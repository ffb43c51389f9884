package deploy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// leafWith writes a certificate of this CA with the given names and IPs
// (server and client usage) and returns it as a key pair.
func (p *pki) leafWith(t *testing.T, cn string, names []string, ips ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	kp, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	require.NoError(t, err)
	return kp
}

// TestWorkerTellsItsManagerExactly: over TLS a worker takes reconciler
// writes only from a certificate of its CA that names its manager's host
// exactly (a DNS name or an IP), never through a wildcard; and ?force=true
// needs a client certificate of the cluster.
func TestWorkerTellsItsManagerExactly(t *testing.T) {
	ca := newPKI(t)
	srvCert, srvKey := ca.leaf(t, "127.0.0.1")
	store := newStore(t)
	base := serveNode(t, store, config.RoleWorker,
		config.TLS{CertFile: srvCert, KeyFile: srvKey, CAFile: ca.caFile}, httpserver.Options{},
		func(o *APIOptions) { o.ManagerHosts = []string{"manager.test", "10.9.9.9"} })
	pool := x509.NewCertPool()
	pool.AddCert(ca.ca)
	app := testcapp.Write(t, t.TempDir(), "A_1.car", "A", "1")

	var none *tls.Certificate
	cert := func(c tls.Certificate) *tls.Certificate { return &c }
	tests := []struct {
		name       string
		cert       *tls.Certificate
		reconciler bool
		force      bool
		want       int // 0: stored
	}{
		{"manager by name", cert(ca.leafWith(t, "m", []string{"Manager.Test"})), true, false, 0},
		{"manager by ip", cert(ca.leafWith(t, "m", nil, "10.9.9.9")), true, false, 0},
		{"wildcard for the manager's domain", cert(ca.leafWith(t, "w", []string{"*.test"})), true, false, http.StatusForbidden},
		{"wildcard beside the manager's name", cert(ca.leafWith(t, "w", []string{"manager.test", "*.test"})), true, false, http.StatusForbidden},
		{"another node", cert(ca.leafWith(t, "node2", []string{"node2.test"})), true, false, http.StatusForbidden},
		{"force without certificate", none, false, true, http.StatusForbidden},
		{"force with a certificate of the cluster", cert(ca.leafWith(t, "node2", []string{"node2.test"})), false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			if tt.cert != nil {
				tc.Certificates = []tls.Certificate{*tt.cert}
			}
			c, err := client.New(client.Options{Token: hardToken, TLSConfig: tc, RetryMax: -1})
			require.NoError(t, err)
			if tt.reconciler {
				c = c.AsReconciler("manager")
			}
			_, err = c.Put(context.Background(), base, app, client.PutRequest{Force: tt.force})
			if tt.want == 0 {
				require.NoError(t, err)
				_, err = c.Delete(context.Background(), base, "A_1.car", tt.force)
				require.NoError(t, err)
				assert.Empty(t, dirNames(t, store.Dir()))
				return
			}
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.want, ae.StatusCode, ae.Message)
			assert.Empty(t, dirNames(t, store.Dir()))
		})
	}

	// A forced DELETE without a certificate is refused too, and the file stays.
	kp := ca.leafWith(t, "m", []string{"manager.test"})
	mc, err := client.New(client.Options{Token: hardToken, RetryMax: -1,
		TLSConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}})
	require.NoError(t, err)
	_, err = mc.AsReconciler("manager").Put(context.Background(), base, app, client.PutRequest{})
	require.NoError(t, err)
	anon, err := client.New(client.Options{Token: hardToken, RetryMax: -1, TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	require.NoError(t, err)
	_, err = anon.Delete(context.Background(), base, "A_1.car", true)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusForbidden, ae.StatusCode)
	assert.Contains(t, ae.Message, "client certificate")
	assert.Equal(t, []string{"A_1.car"}, dirNames(t, store.Dir()))
}
