package deploy

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/sfv"
	"github.com/depsync/depsync/internal/testcapp"
)

// hardToken is a token of the length the config requires.
const hardToken = "0123456789abcdef0123456789abcdef"

// serveNode runs the API of a store behind httpserver.NewWith on a real
// 127.0.0.1 socket and returns its base URL.
func serveNode(t *testing.T, store *Store, role string, tlsCfg config.TLS, so httpserver.Options, opts ...nodeOpt) string {
	t.Helper()
	o := APIOptions{Store: store, Role: role, Token: hardToken}
	for _, f := range opts {
		f(&o)
	}
	api := NewAPI(o)
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		// Large enough that a few unread replies fill the socket buffers.
		_, _ = w.Write([]byte(strings.Repeat("depsync_metric 1\n", 4096)))
	})
	srv := httpserver.NewWith("127.0.0.1:0", mux, tlsCfg, so)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, srv, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	scheme := "http"
	if tlsCfg.Enabled() {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String()
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(filepath.Join(t.TempDir(), "carbonapps"), 0)
	require.NoError(t, err)
	return s
}

// TestReadersThatNeverReadAreCut: sockets that pipeline requests and never
// read their replies are closed once the write deadline passes, while a
// push on a fresh connection succeeds meanwhile, even with the connection
// cap reached by the bad sockets.
func TestReadersThatNeverReadAreCut(t *testing.T) {
	store := newStore(t)
	const bad = 6
	base := serveNode(t, store, config.RoleManager, config.TLS{},
		httpserver.Options{WriteTimeout: time.Second, MaxConns: bad})
	addr := strings.TrimPrefix(base, "http://")

	var closed atomic.Int32
	start := time.Now()
	for range bad {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		// A small receive buffer, so the server's writes block soon.
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		go func() {
			req := []byte("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
			for {
				if _, err := conn.Write(req); err != nil {
					closed.Add(1)
					return
				}
			}
		}()
	}
	// A legitimate push meanwhile: it waits for a slot at most until the
	// bad sockets are cut.
	c, err := client.New(client.Options{Token: hardToken, RetryMax: -1, Timeout: 20 * time.Second})
	require.NoError(t, err)
	p := testcapp.Write(t, t.TempDir(), "A_1.car", "A", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	reply, err := c.Put(ctx, base, p, client.PutRequest{})
	require.NoError(t, err)
	assert.Equal(t, StatusCreated, reply.Status)

	waitFor(t, func() bool { return closed.Load() == bad })
	assert.Less(t, time.Since(start), 15*time.Second, "bad sockets cut within the write deadline (and well within 30 s)")
}

// TestConnectionCapQueues: beyond MaxConns a connection waits to be
// served while the others are busy (not idle), and is served once one
// closes.
func TestConnectionCapQueues(t *testing.T) {
	base := serveNode(t, newStore(t), config.RoleManager, config.TLS{}, httpserver.Options{MaxConns: 1})
	addr := strings.TrimPrefix(base, "http://")
	hold, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	// Half a request: the slot is this connection's, and it is not idle.
	_, err = hold.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n"))
	require.NoError(t, err)

	got := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/metrics")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	select {
	case code := <-got:
		t.Fatalf("served past the cap: %d", code)
	case <-time.After(300 * time.Millisecond):
	}
	hold.Close()
	select {
	case code := <-got:
		assert.Equal(t, http.StatusOK, code)
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was not served after the slot freed")
	}
}

// TestShortBodyIsInterrupted: a PUT whose body ends before its declared
// Content-Length, the client then half-closing, gets 400 "interrupted",
// and nothing is stored.
func TestShortBodyIsInterrupted(t *testing.T) {
	store := newStore(t)
	base := serveNode(t, store, config.RoleManager, config.TLS{}, httpserver.Options{})
	app := testcapp.Build(t, "App", "1.0.0", testcapp.Pad(200<<10))
	for _, cut := range []int{0, 1000, len(app) - 1} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			require.NoError(t, err)
			defer conn.Close()
			fmt.Fprintf(conn, "PUT /v1/capps/App_1.0.0.car HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
				"Content-Digest: %s\r\nContent-Length: %d\r\n\r\n", hardToken, sfv.ContentDigest(sum(app)), len(app))
			_, err = conn.Write(app[:cut])
			require.NoError(t, err)
			require.NoError(t, conn.(*net.TCPConn).CloseWrite())
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", body)
			assert.Contains(t, string(body), "interrupted")
			assert.Empty(t, dirNames(t, store.Dir()), "nothing stored, no temporary file left")
		})
	}
}

// TestPutLengthMismatch: the Store refuses a body whose length is not the
// declared one, either way.
func TestPutLengthMismatch(t *testing.T) {
	store := newStore(t)
	app := testcapp.Build(t, "App", "1.0.0")
	for _, length := range []int64{int64(len(app)) - 1, int64(len(app)) + 1} {
		_, err := store.Put("App_1.0.0.car", strings.NewReader(string(app)), sum(app), PutOptions{Length: length})
		require.ErrorIs(t, err, errReceive)
		code, kind := putErrorCode(err)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "interrupted", kind)
	}
	assert.Empty(t, dirNames(t, store.Dir()))
	_, err := store.Put("App_1.0.0.car", strings.NewReader(string(app)), sum(app), PutOptions{Length: int64(len(app))})
	require.NoError(t, err)
}

// pki is a test CA with leaf certificates for server and client use.
type pki struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
	serial int64
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "depsync test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &pki{dir: t.TempDir(), ca: ca, caKey: key, serial: 1}
	p.caFile = filepath.Join(p.dir, "ca.crt")
	require.NoError(t, os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return p
}

// leaf writes a certificate for name (a DNS name or an IP) with server and
// client usage, and returns its files.
func (p *pki) leaf(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile = filepath.Join(p.dir, fmt.Sprintf("%s-%d.crt", name, p.serial))
	keyFile = filepath.Join(p.dir, fmt.Sprintf("%s-%d.key", name, p.serial))
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

// TestReconcilerWritesNeedTheManagersCertificate: over TLS a worker takes
// writes marked Depsync-Reconciler only from a client certificate for a
// host of its peers, signed by its CA.
func TestReconcilerWritesNeedTheManagersCertificate(t *testing.T) {
	ca := newPKI(t)
	other := newPKI(t)
	srvCert, srvKey := ca.leaf(t, "127.0.0.1")
	mgrCert, mgrKey := ca.leaf(t, "manager.test")
	strangerCert, strangerKey := ca.leaf(t, "stranger.test")
	foreignCert, foreignKey := other.leaf(t, "manager.test")

	store := newStore(t)
	base := serveNode(t, store, config.RoleWorker,
		config.TLS{CertFile: srvCert, KeyFile: srvKey, CAFile: ca.caFile}, httpserver.Options{},
		func(o *APIOptions) { o.ManagerHosts = []string{"manager.test"} })
	pool := x509.NewCertPool()
	pool.AddCert(ca.ca)
	app := testcapp.Write(t, t.TempDir(), "A_1.car", "A", "1")

	tests := []struct {
		name       string
		cert, key  string
		reconciler bool
		want       int // 0: stored
	}{
		{"manager's certificate", mgrCert, mgrKey, true, 0},
		{"no certificate", "", "", true, http.StatusForbidden},
		{"certificate for another host", strangerCert, strangerKey, true, http.StatusForbidden},
		{"not a worker's reconciler write", mgrCert, mgrKey, false, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			if tt.cert != "" {
				kp, err := tls.LoadX509KeyPair(tt.cert, tt.key)
				require.NoError(t, err)
				tc.Certificates = []tls.Certificate{kp}
			}
			c, err := client.New(client.Options{Token: hardToken, TLSConfig: tc, RetryMax: -1})
			require.NoError(t, err)
			if tt.reconciler {
				c = c.AsReconciler("manager")
			}
			_, err = c.Put(context.Background(), base, app, client.PutRequest{})
			if tt.want == 0 {
				require.NoError(t, err)
				_, err = c.Delete(context.Background(), base, "A_1.car", false)
				require.NoError(t, err)
				return
			}
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.want, ae.StatusCode, ae.Message)
			if tt.want == http.StatusForbidden {
				assert.Contains(t, ae.Message, "tls.cert_file")
			}
			assert.Empty(t, dirNames(t, store.Dir()))
		})
	}

	// A certificate from another CA fails the handshake itself.
	kp, err := tls.LoadX509KeyPair(foreignCert, foreignKey)
	require.NoError(t, err)
	c, err := client.New(client.Options{Token: hardToken, RetryMax: -1,
		TLSConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}})
	require.NoError(t, err)
	_, err = c.AsReconciler("manager").Put(context.Background(), base, app, client.PutRequest{})
	require.Error(t, err)
	assert.Empty(t, dirNames(t, store.Dir()))
}
