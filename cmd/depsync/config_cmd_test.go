package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
)

// runCLI runs depsync in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	pw := write("pw", "hunter2")
	good := write("good.yaml", "role: worker\ncarbon: {home: /opt/c}\nsvn: {url: 'http://s/r', username: u, password_file: "+pw+"}\n")
	boss := write("boss.yaml", "role: boss\ncarbon: {home: /opt/c}\n")
	typo := write("typo.yaml", "role: worker\ncarbon: {home: /opt/c}\nsvn: {urll: x}\n")

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		notInOut string
	}{
		{name: "valid", args: []string{"config", "check", "--config", good}, code: 0,
			stdout: []string{"role: worker", "password: <redacted>", "url: http://s/r"}, notInOut: "hunter2"},
		{name: "bad role", args: []string{"config", "check", "--config", boss}, code: 2, stderr: []string{"role", "boss", "manager or worker"}},
		{name: "unknown key", args: []string{"config", "check", "--config", typo}, code: 2, stderr: []string{"svn.urll", "unknown key"}},
		{name: "env overrides", env: map[string]string{"DEPSYNC_SVN_URL": "svn://other/r"},
			args: []string{"config", "check", "--config", good}, code: 0, stdout: []string{"url: svn://other/r"}},
		{name: "missing file", args: []string{"config", "check", "--config", filepath.Join(dir, "nope.yaml")}, code: 2, stderr: []string{"nope.yaml"}},
		{name: "bad flag", args: []string{"config", "check", "--bogus"}, code: 2, stderr: []string{"bogus"}},
		{name: "bad log format", args: []string{"--log-format", "xml", "version"}, code: 2, stderr: []string{"--log-format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runCLI(t, tt.args...)
			assert.Equal(t, tt.code, code, "stdout=%s stderr=%s", out, errOut)
			for _, s := range tt.stdout {
				assert.Contains(t, out, s)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, errOut, s)
			}
			if tt.notInOut != "" {
				assert.NotContains(t, out+errOut, tt.notInOut)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "depsync dev")
	assert.Contains(t, out, "svn: ")

	code, out, _ = runCLI(t, "--help")
	assert.Equal(t, 0, code)
	for _, c := range []string{"version", "config", "capp", "Examples:"} {
		assert.Contains(t, out, c)
	}
}

// TestConfigCheckSecurity: what issue 12 refuses off loopback, and what
// lets it through.
func TestConfigCheckSecurity(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	tok := write("token", "0123456789abcdef0123456789abcdef\n")
	short := write("short", "0123456789\n")
	base := "role: manager\ncarbon: {home: /opt/c}\ntoken_file: " + tok + "\n"
	pki := filepath.Join(dir, "pki")
	code, _, errOut := runCLI(t, "tls", "init", "--out", pki, "--host", "n,10.0.0.1")
	require.Equal(t, 0, code, errOut)
	tls := "tls: {cert_file: " + filepath.Join(pki, "n.crt") + ", key_file: " + filepath.Join(pki, "n.key") +
		", ca_file: " + filepath.Join(pki, "ca.crt") + "}\n"
	tests := []struct {
		name, body string
		code       int
		stderr     string
	}{
		{"public listen", base + "listen: 0.0.0.0:9780\n", 2, "listen: \"0.0.0.0:9780\": is not a loopback address"},
		{"public listen with tls", base + "listen: 0.0.0.0:9780\n" + tls, 0, ""},
		// The words run logs too (config.Warnings).
		{"public listen insecure", base + "listen: 0.0.0.0:9780\ninsecure_http: true\n", 0,
			"depsync: warning: " + (&config.Config{InsecureHTTP: true}).Warnings()[0]},
		{"http peer", base + "peers: ['http://10.0.0.2:9780']\n", 2, "peers: \"http://10.0.0.2:9780\""},
		{"https peer", base + "peers: ['https://10.0.0.2:9780']\n" + tls, 0, ""},
		{"http peer insecure", base + "peers: ['http://10.0.0.2:9780']\ninsecure_http: true\n", 0, "warning"},
		{"short token", "role: manager\ncarbon: {home: /opt/c}\ntoken_file: " + short + "\n", 2, "token_file: \"" + short + "\": the token is 10 characters"},
		{"state_dir inside", base + "state_dir: /opt/c/repository/deployment/server/.state\n", 2, "state_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "config", "check", "--config", write(tt.name+".yaml", tt.body))
			assert.Equal(t, tt.code, code, "stdout=%s stderr=%s", out, errOut)
			assert.Contains(t, errOut, tt.stderr)
			assert.NotContains(t, out+errOut, "0123456789abcdef0123456789abcdef")
		})
	}
}

// TestConfigCheckSpecialTokenFile: token_file naming /dev/zero or a FIFO
// is refused at once, never read for ever.
func TestConfigCheckSpecialTokenFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, f := range []string{"/dev/zero", fifo, dir} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte("role: manager\ncarbon: {home: /opt/c}\ntoken_file: "+f+"\n"), 0o600))
			start := time.Now()
			code, _, errOut := runCLI(t, "config", "check", "--config", cfg)
			assert.Equal(t, 2, code, errOut)
			assert.Less(t, time.Since(start), time.Second)
			assert.Contains(t, errOut, "token_file")
			assert.Contains(t, errOut, "not a regular file")
		})
	}
}

// TestConfigCheckDurationsAndNames: a duration without a unit or below its
// floor, and a node_name that cannot go into an HTTP header, are refused
// (exit 2, the key named); tenants: all prints as set.
func TestConfigCheckDurationsAndNames(t *testing.T) {
	base := "role: manager\ncarbon: {home: /opt/c}\n"
	tests := []struct {
		name, body string
		env        map[string]string
		code       int
		stdout     string
		stderr     []string
	}{
		{name: "bare poll_interval", body: base + "svn: {poll_interval: 5}\n", code: 2, stderr: []string{"svn.poll_interval", "unit", "5s"}},
		{name: "bare max_age", body: base + "backups: {max_age: 30}\n", code: 2, stderr: []string{"backups.max_age", "30s"}},
		{name: "bare env", body: base, env: map[string]string{"DEPSYNC_SYNC_RESCAN_INTERVAL": "600"}, code: 2,
			stderr: []string{"sync.rescan_interval", "DEPSYNC_SYNC_RESCAN_INTERVAL", "600s"}},
		{name: "short max_age", body: base + "backups: {max_age: 30s}\n", code: 2, stderr: []string{"backups.max_age", `"30s"`, "at least 1m"}},
		{name: "short poll", body: base + "svn: {poll_interval: 5ms}\n", code: 2, stderr: []string{"svn.poll_interval", `"5ms"`, "at least 500ms"}},
		{name: "tenants all", body: "role: manager\ncarbon: {home: /opt/c, tenants: all}\n", code: 0, stdout: "tenants: all"},
		{name: "node_name newline", body: base + "node_name: \"node1\\nX-Evil: 1\"\n", code: 2, stderr: []string{"node_name", "header"}},
		{name: "node_name control", body: base + "node_name: \"node\\u0001\"\n", code: 2, stderr: []string{"node_name"}},
		{name: "node_name non-ascii", body: base + "node_name: nöde1\n", code: 2, stderr: []string{"node_name"}},
		{name: "node_name space", body: base + "node_name: node 1\n", code: 2, stderr: []string{"node_name"}},
		{name: "node_name ok", body: base + "node_name: node1.example.com\n", code: 0, stdout: "node_name: node1.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			body := tt.body
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))
			code, out, errOut := runCLI(t, "config", "check", "--config", cfg)
			assert.Equal(t, tt.code, code, "stdout=%s stderr=%s", out, errOut)
			assert.Contains(t, out, tt.stdout)
			for _, s := range tt.stderr {
				assert.Contains(t, errOut, s)
			}
		})
	}
}

// TestTokenFileOpenToOthersWarns: config check and run warn, once, when
// token_file is readable by its group or others; 0600 is quiet.
func TestTokenFileOpenToOthersWarns(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tok, []byte("0123456789abcdef0123456789abcdef\n"), 0o600))
	cfg := filepath.Join(dir, "c.yaml")
	// A missing certificate stops config check and run right after their
	// warnings.
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\ncarbon: {home: /opt/c}\ntoken_file: "+tok+"\n"+
		"tls: {cert_file: "+filepath.Join(dir, "none.crt")+", key_file: "+filepath.Join(dir, "none.key")+"}\n"), 0o600))
	for _, mode := range []os.FileMode{0o600, 0o644} {
		require.NoError(t, os.Chmod(tok, mode))
		code, out, errOut := runCLI(t, "config", "check", "--config", cfg)
		assert.Equal(t, 2, code, errOut)
		code2, _, runErr := runCLI(t, "run", "--config", cfg)
		assert.Equal(t, 2, code2, runErr)
		for _, s := range []string{errOut, runErr} {
			if mode == 0o600 {
				assert.NotContains(t, s, "chmod 600")
				continue
			}
			assert.Contains(t, s, "token_file "+tok+" is mode 0644")
			assert.Contains(t, s, "chmod 600")
			assert.Equal(t, 1, strings.Count(s, "chmod 600"), "once")
		}
		assert.NotContains(t, out+errOut+runErr, "0123456789abcdef0123456789abcdef")
	}
}
