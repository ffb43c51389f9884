package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	code, out, errOut := runCLI(t, "tls", "init", "--out", dir, "--host", "node1,node1.example.com,10.0.0.1", "--host", "node2,10.0.0.2")
	require.Equal(t, 0, code, errOut)
	for _, s := range []string{
		"token_file: " + filepath.Join(dir, "token") + "\n",
		"tls:\n  cert_file: " + filepath.Join(dir, "node1.crt") + "\n  key_file: " + filepath.Join(dir, "node1.key") +
			"\n  ca_file: " + filepath.Join(dir, "ca.crt") + "\n",
		"  cert_file: " + filepath.Join(dir, "node2.crt") + "\n",
		"# node1 (node1, node1.example.com, 10.0.0.1)",
	} {
		assert.Contains(t, out, s)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	require.NoError(t, err)
	assert.NotContains(t, out, string(tok[:16]), "the token is not printed")

	// The config lines work as they are: config check accepts a node
	// listening off loopback with them.
	cfg := filepath.Join(t.TempDir(), "depsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\ncarbon: {home: /opt/c}\nlisten: 0.0.0.0:9780\n"+
		"peers: ['https://node2:9780']\ntoken_file: "+filepath.Join(dir, "token")+"\ntls:\n  cert_file: "+filepath.Join(dir, "node1.crt")+
		"\n  key_file: "+filepath.Join(dir, "node1.key")+"\n  ca_file: "+filepath.Join(dir, "ca.crt")+"\n"), 0o600))
	code, _, errOut = runCLI(t, "config", "check", "--config", cfg)
	assert.Equal(t, 0, code, errOut)

	// Nothing is overwritten.
	before, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	code, _, errOut = runCLI(t, "tls", "init", "--out", dir, "--host", "node3")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "already exists: nothing written")
	after, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	assert.Equal(t, before, after)
	assert.NoFileExists(t, filepath.Join(dir, "node3.crt"))

	for _, args := range [][]string{
		{"tls", "init", "--host", "node1"},
		{"tls", "init", "--out", t.TempDir()},
		{"tls", "init", "--out", t.TempDir(), "--host", "bad/name"},
		{"tls", "init", "--out", t.TempDir(), "--host", "n1", "--host", "n1,10.0.0.9"},
	} {
		code, _, errOut := runCLI(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
	}
}

// TestTLSInitRefusesAmbiguousHosts: hosts sharing a name or an IP, and
// wildcard names, are bad input (exit 2, nothing written), since a
// certificate must pass for one node only.
func TestTLSInitRefusesAmbiguousHosts(t *testing.T) {
	for name, tc := range map[string]struct {
		hosts []string
		msg   string
	}{
		"shared ip":   {[]string{"node1,10.0.0.1", "node2,10.0.0.1"}, "the IP 10.0.0.1 is in both node1 and node2"},
		"shared name": {[]string{"node1,db", "node2,db"}, "the name db is in both node1 and node2"},
		"wildcard":    {[]string{"node1,*.example.com", "node2"}, "wildcard"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			args := []string{"tls", "init", "--out", dir}
			for _, h := range tc.hosts {
				args = append(args, "--host", h)
			}
			code, _, errOut := runCLI(t, args...)
			assert.Equal(t, 2, code, errOut)
			assert.Contains(t, errOut, tc.msg)
			assert.NoDirExists(t, dir, "nothing written")
		})
	}
}

// TestTLSInitCADir: --ca-dir signs one more node with the cluster's CA.
func TestTLSInitCADir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	code, _, errOut := runCLI(t, "tls", "init", "--out", dir, "--host", "node1,10.0.0.1", "--host", "node2,10.0.0.2")
	require.Equal(t, 0, code, errOut)
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	require.NoError(t, err)

	code, out, errOut := runCLI(t, "tls", "init", "--ca-dir", dir, "--out", dir, "--host", "node3,10.0.0.3")
	require.Equal(t, 0, code, errOut)
	assert.FileExists(t, filepath.Join(dir, "node3.crt"))
	assert.Contains(t, out, "ca_file: "+filepath.Join(dir, "ca.crt"))
	assert.Contains(t, out, "token_file: "+filepath.Join(dir, "token"))
	after, err := os.ReadFile(filepath.Join(dir, "token"))
	require.NoError(t, err)
	assert.Equal(t, tok, after, "the cluster's token stays")

	code, _, errOut = runCLI(t, "tls", "init", "--ca-dir", dir, "--out", t.TempDir(), "--host", "node4,10.0.0.2")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "10.0.0.2")
	assert.Contains(t, errOut, "node2")
	code, _, errOut = runCLI(t, "tls", "init", "--ca-dir", t.TempDir(), "--out", t.TempDir(), "--host", "node4")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "ca.crt")
}

// TestTLSInitPeerURLPorts: the peer URL printed for each node carries the
// port given with its --host (NAME[:PORT], IPv6 in brackets), 9780 when none.
func TestTLSInitPeerURLPorts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	code, out, errOut := runCLI(t, "tls", "init", "--out", dir,
		"--host", "node1.example.com:9443,node1,10.0.0.1", "--host", "[::1]:9444,node2", "--host", "10.0.0.3:8443", "--host", "node4")
	require.Equal(t, 0, code, errOut)
	for _, url := range []string{"https://node1.example.com:9443\n", "https://[::1]:9444\n", "https://10.0.0.3:8443\n", "https://node4:9780\n"} {
		assert.Contains(t, out, "# its URL as a peer: "+url)
	}
	assert.NotContains(t, out, "https://node1.example.com:9780")
	assert.FileExists(t, filepath.Join(dir, "node1.example.com.crt"), "the port is not part of the file name")

	code, _, errOut = runCLI(t, "tls", "init", "--out", filepath.Join(t.TempDir(), "pki"), "--host", "node1:9443,10.0.0.1:9444")
	assert.Equal(t, 2, code, errOut)
	assert.Contains(t, errOut, "port")
}
