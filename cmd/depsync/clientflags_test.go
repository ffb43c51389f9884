package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/internal/pki"
)

// TestClientContextWithoutConfig: a command that talks to nodes reaches a
// TLS node with --ca-file (or DEPSYNC_TLS_CA_FILE) and no config file at
// all, presents the client certificate of --cert-file and --key-file (and
// none otherwise), and says so in its --help.
func TestClientContextWithoutConfig(t *testing.T) {
	const tok = "tok-0123456789abcdef0123456789abcdef"
	dir := filepath.Join(t.TempDir(), "pki")
	node, err := pki.ParseHost("node1,127.0.0.1")
	require.NoError(t, err)
	cli, err := pki.ParseHost("operator")
	require.NoError(t, err)
	res, err := pki.Init(pki.Options{Dir: dir, Hosts: []pki.Host{node, cli}})
	require.NoError(t, err)
	caPEM, err := os.ReadFile(res.CACert)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	kp, err := tls.LoadX509KeyPair(res.Nodes[0].CertFile, res.Nodes[0].KeyFile)
	require.NoError(t, err)

	var mu sync.Mutex
	var clientCN []string
	srv := httptest.NewUnstartedServer(httpauth.Require(tok, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		mu.Lock()
		clientCN = append(clientCN, cn)
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/capps":
			api.WriteJSON(w, http.StatusOK, []api.Entry{{File: "A_1.0.0.car", ID: "A_1.0.0", Name: "A", Version: "1.0.0"}})
		default:
			api.WriteJSON(w, http.StatusOK, api.Status{Role: "worker", Node: "node1", Mode: "svn", Ready: true})
		}
	})))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool,
		MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	defer srv.Close()
	lastCN := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(clientCN) == 0 {
			return "(no request)"
		}
		return clientCN[len(clientCN)-1]
	}

	t.Chdir(t.TempDir()) // no ./depsync.yaml
	t.Setenv("DEPSYNC_TOKEN", tok)
	t.Setenv("DEPSYNC_TLS_CA_FILE", "")

	code, out, errOut := runCLI(t, "capp", "list", "--node", srv.URL, "--ca-file", res.CACert)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "A_1.0.0.car")
	assert.Equal(t, "", lastCN(), "no client certificate unless asked")

	code, _, errOut = runCLI(t, "capp", "list", "--node", srv.URL)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "certificate signed by unknown authority")
	assert.Contains(t, errOut, "give --ca-file")

	t.Setenv("DEPSYNC_TLS_CA_FILE", res.CACert)
	code, _, errOut = runCLI(t, "status", "--node", srv.URL)
	assert.Equal(t, 0, code, errOut)
	t.Setenv("DEPSYNC_TLS_CA_FILE", "")

	code, _, errOut = runCLI(t, "status", "--node", srv.URL, "--ca-file", res.CACert,
		"--cert-file", res.Nodes[1].CertFile, "--key-file", res.Nodes[1].KeyFile)
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "operator", lastCN())

	code, _, errOut = runCLI(t, "approve", "--node", srv.URL, "--ca-file", res.CACert, "--cert-file", res.Nodes[1].CertFile)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--cert-file and --key-file go together")

	for _, c := range nodeCommands {
		code, out, errOut := runCLI(t, append(c, "--help")...)
		require.Equal(t, 0, code, errOut)
		for _, s := range []string{"--ca-file", "--cert-file", "--key-file", "DEPSYNC_TLS_CA_FILE", "DEPSYNC_TOKEN"} {
			assert.Contains(t, out, s, "depsync %v --help", c)
		}
	}
}
