package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestForceOverTLSNeedsAClusterCertificate: a worker over TLS takes
// `capp push --force` and `capp rm --force` only from a client with a
// certificate of the cluster, which the CLI presents from its config's
// tls.cert_file; with only tls.ca_file the worker refuses and keeps its
// files.
func TestForceOverTLSNeedsAClusterCertificate(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	code, _, errOut := runCLI(t, "tls", "init", "--out", pki, "--host", "worker,127.0.0.1", "--host", "admin,10.0.0.50")
	require.Equal(t, 0, code, errOut)

	dir := filepath.Join(t.TempDir(), "carbonapps")
	store, err := deploy.NewStore(dir, 0)
	require.NoError(t, err)
	api := deploy.NewAPI(deploy.APIOptions{Store: store, Role: config.RoleWorker, Token: cliToken, ManagerHosts: []string{"manager.example"}})
	mux := http.NewServeMux()
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
	srv := httpserver.NewWith("127.0.0.1:0", mux, config.TLS{CertFile: filepath.Join(pki, "worker.crt"),
		KeyFile: filepath.Join(pki, "worker.key"), CAFile: filepath.Join(pki, "ca.crt")}, httpserver.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, srv, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	node := "https://" + ln.Addr().String()

	t.Setenv("DEPSYNC_TOKEN", cliToken)
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "depsync.yaml")
		require.NoError(t, os.WriteFile(p, []byte("role: manager\n"+body), 0o600))
		return p
	}
	caOnly := write("tls: {ca_file: " + filepath.Join(pki, "ca.crt") + "}\n")
	withCert := write("tls: {ca_file: " + filepath.Join(pki, "ca.crt") + ", cert_file: " + filepath.Join(pki, "admin.crt") +
		", key_file: " + filepath.Join(pki, "admin.key") + "}\n")
	a := testcapp.Write(t, t.TempDir(), "A_1.0.0.car", "A", "1.0.0")

	code, out, errOut := runCLI(t, "--config", caOnly, "capp", "push", a, "--node", node, "--via", "direct", "--force")
	assert.Equal(t, 1, code, "%s %s", out, errOut)
	assert.Contains(t, out+errOut, "client certificate")
	assert.NoFileExists(t, filepath.Join(dir, "A_1.0.0.car"))

	code, out, errOut = runCLI(t, "--config", withCert, "capp", "push", a, "--node", node, "--via", "direct", "--force")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	require.FileExists(t, filepath.Join(dir, "A_1.0.0.car"))

	code, out, errOut = runCLI(t, "--config", caOnly, "capp", "rm", "A_1.0.0.car", "--node", node, "--force")
	assert.Equal(t, 1, code, "%s %s", out, errOut)
	assert.FileExists(t, filepath.Join(dir, "A_1.0.0.car"))
	code, out, errOut = runCLI(t, "--config", withCert, "capp", "rm", "A_1.0.0.car", "--node", node, "--force")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	assert.NoFileExists(t, filepath.Join(dir, "A_1.0.0.car"))
}
