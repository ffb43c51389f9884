package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// carbonXMLSyncOn is a carbon.xml whose block turns Carbon's own
// synchronizer on.
const carbonXMLSyncOn = `<?xml version="1.0" encoding="ISO-8859-1"?>
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <DeploymentSynchronizer>
        <Enabled>true</Enabled>
        <AutoCommit>false</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
        <RepositoryType>svn</RepositoryType>
        <SvnUrl>http://svnrepo.example.com/repos/</SvnUrl>
    </DeploymentSynchronizer>
</Server>
`

// errorOf is what depsync said went wrong: from its last line that starts
// with "depsync: " and is not a warning, to the end.
func errorOf(stderr string) string {
	lines := strings.SplitAfter(stderr, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "depsync: ") && !strings.HasPrefix(lines[i], "depsync: warning: ") {
			return strings.Join(lines[i:], "")
		}
	}
	return ""
}

// runDaemonCLI runs `depsync run` in-process, stopped after a while should
// it start.
func runDaemonCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, append([]string{"run"}, args...), nil, &out, &errb)
	return code, errb.String()
}

// TestConfigCheckIsRunsGate: for each problem depsync run refuses to start
// over, config check exits 2 with run's very words, and run says nothing
// of listening before it refuses.
func TestConfigCheckIsRunsGate(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	code, _, errOut := runCLI(t, "tls", "init", "--out", pki, "--host", "n1,127.0.0.1", "--host", "n2,127.0.0.2")
	require.Equal(t, 0, code, errOut)
	crt := func(n string) string { return filepath.Join(pki, n) }
	notPEM := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600))
	noSVN := t.TempDir() // a PATH without svn
	fileNotDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(fileNotDir, []byte("x"), 0o600))

	tests := []struct {
		name string
		// body is the config after the role; home is substituted.
		body    string
		setup   func(home string)
		env     map[string]string
		want    string // in both messages
		runCode int
	}{
		{name: "missing tls.cert_file", want: "tls.cert_file/tls.key_file", runCode: 2,
			body: "tls: {cert_file: " + crt("none.crt") + ", key_file: " + crt("n1.key") + "}\n"},
		{name: "cert and key of two nodes", want: "private key does not match public key", runCode: 2,
			body: "tls: {cert_file: " + crt("n1.crt") + ", key_file: " + crt("n2.key") + "}\n"},
		{name: "ca_file without a certificate", want: "no PEM certificate", runCode: 2,
			body: "tls: {cert_file: " + crt("n1.crt") + ", key_file: " + crt("n1.key") + ", ca_file: " + notPEM + "}\n"},
		{name: "carbon.xml enables Carbon's synchronizer", want: "enables Carbon's own DeploymentSynchronizer", runCode: 2,
			body: "svn: {url: 'http://127.0.0.1:1/svn/r'}\n",
			setup: func(home string) {
				xml := filepath.Join(home, "repository", "conf", "carbon.xml")
				require.NoError(t, os.MkdirAll(filepath.Dir(xml), 0o755))
				require.NoError(t, os.WriteFile(xml, []byte(carbonXMLSyncOn), 0o644))
			}},
		{name: "carbon.xml unreadable", want: "cannot read carbon.xml", runCode: 2,
			body: "svn: {url: 'http://127.0.0.1:1/svn/r'}\n",
			setup: func(home string) {
				xml := filepath.Join(home, "repository", "conf", "carbon.xml")
				require.NoError(t, os.MkdirAll(filepath.Dir(xml), 0o755))
				require.NoError(t, os.WriteFile(xml, []byte("<Server><DeploymentSynchronizer>"), 0o644))
			}},
		{name: "state_dir inside the deployment directory", want: "is inside the synced directory", runCode: 2,
			body: "state_dir: HOME/repository/deployment/server/.state\n"},
		{name: "state_dir cannot be created", want: "state_dir " + fileNotDir + "/state cannot be created", runCode: 2,
			body: "state_dir: " + fileNotDir + "/state\n"},
		{name: "deployment directory is a file", want: "is not a directory", runCode: 2,
			body: "carbon: {deployment_dir: " + fileNotDir + "}\n"},
		{name: "no svn client", want: "svn client", runCode: 1, env: map[string]string{"PATH": noSVN},
			body: "svn: {url: 'http://127.0.0.1:1/svn/r'}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			home := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(home, "repository", "deployment", "server"), 0o755))
			if tt.setup != nil {
				tt.setup(home)
			}
			body := "role: manager\nlisten: 127.0.0.1:0\n" + strings.ReplaceAll(tt.body, "HOME", home)
			if !strings.Contains(body, "carbon:") {
				body += "carbon: {home: " + home + "}\n"
			}
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))

			code, out, checkErr := runCLI(t, "config", "check", "--config", cfg)
			assert.Equal(t, 2, code, "config check: stdout=%s stderr=%s", out, checkErr)
			runCode, runErr := runDaemonCLI(t, "--config", cfg)
			assert.Equal(t, tt.runCode, runCode, runErr)
			assert.NotContains(t, runErr, "listening")
			assert.Contains(t, errorOf(runErr), tt.want, runErr)
			assert.Equal(t, errorOf(runErr), errorOf(checkErr), "config check says what run says")
		})
	}
}

// TestConfigCheckWarnings: a carbon.log_file in a folder that is not there
// and a peer whose host does not resolve are warnings: config check exits
// 0 and names them.
func TestConfigCheckWarnings(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("role: manager\ncarbon: {home: "+home+", log_file: "+home+"/nolog/carbon.log}\n"+
		"peers: ['http://no-such-node.invalid:9780']\ninsecure_http: true\n"), 0o600))
	code, out, errOut := runCLI(t, "config", "check", "--config", cfg)
	assert.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
	assert.Contains(t, errOut, "depsync: warning: carbon.log_file "+home+"/nolog/carbon.log: its folder "+home+"/nolog is not there")
	assert.Contains(t, errOut, "depsync: warning: peer http://no-such-node.invalid:9780: its host no-such-node.invalid does not resolve")
}
