package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

// codeOf is the exit code err carries, exitFailure when none.
func codeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailure
}

// TestResolveNodes: the --node URLs (trimmed, once each), else this
// config's node and its peers; every one checked by the --node rules.
func TestResolveNodes(t *testing.T) {
	cfg := &config.Config{Listen: "0.0.0.0:9780", Peers: []string{"http://127.0.0.2:9780/", "http://127.0.0.1:9780"}}
	for _, tt := range []struct {
		name    string
		flags   []string
		want    []string
		wantErr string
	}{
		{"flags", []string{" https://n1:9780/ ", "https://n2:9780", "https://n1:9780"}, []string{"https://n1:9780", "https://n2:9780"}, ""},
		{"config", nil, []string{"http://127.0.0.1:9780", "http://127.0.0.2:9780"}, ""},
		{"blank flags", []string{" ", "/"}, nil, "no node to push to"},
		{"credentials", []string{"https://u:secret@n1:9780"}, nil, "must not carry credentials"},
		{"plain http off loopback", []string{"http://10.0.0.2:9780"}, nil, "insecure_http: true"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveNodes(cfg, tt.flags)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, exitBadInput, codeOf(err))
				assert.NotContains(t, err.Error(), "secret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestResolveNode: a command that asks one node asks --node, else this
// config's own node (https with TLS, loopback for a wildcard listen), and
// checks only that one.
func TestResolveNode(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     config.Config
		flag    string
		want    string
		wantErr string
	}{
		{"flag", config.Config{Listen: "127.0.0.1:9780"}, "https://node2:9780/", "https://node2:9780", ""},
		{"wildcard listen", config.Config{Listen: "0.0.0.0:9780"}, "", "http://127.0.0.1:9780", ""},
		{"empty host", config.Config{Listen: ":9780"}, "", "http://127.0.0.1:9780", ""},
		{"tls", config.Config{Listen: "node1:9780", TLS: config.TLS{CertFile: "c", KeyFile: "k"}}, "", "https://node1:9780", ""},
		{"bad peer not asked", config.Config{Listen: "127.0.0.1:9780", Peers: []string{"http://10.0.0.2:9780"}}, "", "http://127.0.0.1:9780", ""},
		{"plain http listen off loopback", config.Config{Listen: "10.0.0.1:9780"}, "", "", "insecure_http: true"},
		{"insecure_http", config.Config{Listen: "10.0.0.1:9780", InsecureHTTP: true}, "", "http://10.0.0.1:9780", ""},
		{"bad flag", config.Config{Listen: "127.0.0.1:9780"}, "http://n1:9780/?x=1", "", "without a query"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveNode(&tt.cfg, tt.flag)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, exitBadInput, codeOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestReadToken: --token-file wins over the config; both follow the rules
// of config.ReadSecretFile (surrounding space trimmed) and CheckToken; no
// token at all is bad input saying where to put one.
func TestReadToken(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef"
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	spaced := write("spaced", " "+tok+" \r\n")
	short := write("short", "abc\n")
	for _, tt := range []struct {
		name      string
		cfgToken  string
		tokenFile string
		want      string
		wantErr   string
	}{
		{"config", tok, "", tok, ""},
		{"flag wins", "other-0123456789abcdef0123456789", spaced, tok, ""},
		{"short", tok, short, "", "fewer than"},
		{"missing file", tok, filepath.Join(dir, "nope"), "", "file not found"},
		{"none", "", "", "", "give --token-file, or set token_file or DEPSYNC_TOKEN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readToken(&config.Config{Token: config.Secret(tt.cfgToken)}, tt.tokenFile)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, exitBadInput, codeOf(err))
				assert.NotContains(t, err.Error(), "abc")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
