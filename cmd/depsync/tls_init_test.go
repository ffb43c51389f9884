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
