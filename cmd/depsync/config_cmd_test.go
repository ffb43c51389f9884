package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
