package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/depsync/depsync/config/carbonxml"
)

const carbonPassword = "Carb0n-svn-pw"

// carbonHome writes a minimal Carbon home whose carbon.xml holds block (""
// for none) and returns it.
func carbonHome(t *testing.T, block string) string {
	t.Helper()
	for _, k := range []string{"DEPSYNC_ROLE", "DEPSYNC_SVN_URL", "DEPSYNC_SVN_USERNAME", "DEPSYNC_SVN_PASSWORD",
		"DEPSYNC_SVN_PASSWORD_FILE", "DEPSYNC_CARBON_HOME", "DEPSYNC_CARBON_TENANTS", "DEPSYNC_SVN_APPEND_TENANT_ID", "DEPSYNC_PEERS"} {
		t.Setenv(k, "")
	}
	home := filepath.Join(t.TempDir(), "carbon")
	require.NoError(t, os.MkdirAll(filepath.Join(home, "repository", "conf"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(home, "repository", "deployment", "server"), 0o755))
	xml := `<?xml version="1.0" encoding="ISO-8859-1"?>
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml" xmlns:svns="` + carbonxml.SecureVaultNS + `">
    <Name>WSO2 Carbon</Name>
` + block + `
    <!-- <DeploymentSynchronizer><Enabled>true</Enabled><AutoCommit>true</AutoCommit></DeploymentSynchronizer> -->
</Server>
`
	require.NoError(t, os.WriteFile(filepath.Join(home, "repository", "conf", "carbon.xml"), []byte(xml), 0o644))
	return home
}

// syncBlock is a <DeploymentSynchronizer> block; password is the whole
// SvnPassword element ("" for none), appendTenant the
// SvnUrlAppendTenantId element.
func syncBlock(enabled, autoCommit, autoCheckout, url, password, appendTenant string) string {
	b := "    <DeploymentSynchronizer>\n" +
		"        <Enabled>" + enabled + "</Enabled>\n" +
		"        <AutoCommit>" + autoCommit + "</AutoCommit>\n" +
		"        <AutoCheckout>" + autoCheckout + "</AutoCheckout>\n" +
		"        <RepositoryType>svn</RepositoryType>\n"
	if url != "" {
		b += "        <SvnUrl>" + url + "</SvnUrl>\n        <SvnUser>carbon</SvnUser>\n"
	}
	b += password + appendTenant
	b += "        <SvnClient>svnkit</SvnClient>\n    </DeploymentSynchronizer>\n"
	return b
}

const (
	plainPassword  = "        <SvnPassword>" + carbonPassword + "</SvnPassword>\n"
	vaultPassword  = `        <SvnPassword svns:secretAlias="Carbon.DeploymentSynchronizer.SvnPassword">password</SvnPassword>` + "\n"
	appendTenantOn = "        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\n"
)

// writtenConfig is the part of the written file the tests look at.
type writtenConfig struct {
	Role   string `yaml:"role"`
	Carbon struct {
		Home        string `yaml:"home"`
		WriteConfig bool   `yaml:"write_config"`
		Tenants     string `yaml:"tenants"`
	} `yaml:"carbon"`
	SVN struct {
		URL            string `yaml:"url"`
		Username       string `yaml:"username"`
		PasswordFile   string `yaml:"password_file"`
		AppendTenantID *bool  `yaml:"append_tenant_id"`
	} `yaml:"svn"`
	Peers []string `yaml:"peers"`
}

func readWritten(t *testing.T, path string) (writtenConfig, string) {
	t.Helper()
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	var c writtenConfig
	require.NoError(t, yaml.Unmarshal(body, &c), string(body))
	return c, string(body)
}

func TestInitWritesConfigFromCarbonXML(t *testing.T) {
	tests := []struct {
		name        string
		block       string
		tenants     bool
		args        []string
		role        string
		url         string
		appendID    bool
		tenantsAll  bool
		password    bool // a password file is written
		writeConfig bool
		stdout      []string
	}{
		{name: "manager, plain password, tenant layout", block: syncBlock("true", "true", "true", "http://svn.example:8080/svn/carbon/", plainPassword, appendTenantOn),
			role: "manager", url: "http://svn.example:8080/svn/carbon", appendID: true, password: true, writeConfig: true,
			stdout: []string{"role: manager", "<svn.url>/-1234", "(mode 0600)", "not carried over (depsync uses the svn command line): SvnClient",
				"Next steps on this node:", "add each worker's depsync URL under peers", "depsync config check --config ", "restart Carbon"}},
		{name: "worker, append tenant id absent means false", block: syncBlock("true", "false", "true", "http://svn.example/svn/carbon", plainPassword, ""),
			role: "worker", url: "http://svn.example/svn/carbon", appendID: false, password: true, writeConfig: true,
			stdout: []string{"role: worker", "svn.append_tenant_id: false", "add the manager's depsync URL under peers"}},
		{name: "secure vault password", block: syncBlock("true", "true", "true", "http://svn.example/svn/carbon", vaultPassword, appendTenantOn),
			role: "manager", url: "http://svn.example/svn/carbon", appendID: true, writeConfig: true,
			stdout: []string{"Secure Vault alias Carbon.DeploymentSynchronizer.SvnPassword", "svn.password_file", "DEPSYNC_SVN_PASSWORD"}},
		{name: "neither role, --role given", block: syncBlock("true", "false", "false", "http://svn.example/svn/carbon", plainPassword, appendTenantOn),
			args: []string{"--role", "worker"}, role: "worker", url: "http://svn.example/svn/carbon", appendID: true, password: true, writeConfig: true},
		{name: "--role overrides the block", block: syncBlock("true", "true", "true", "http://svn.example/svn/carbon", plainPassword, appendTenantOn),
			args: []string{"--role", "worker", "--peer", "https://node1.example:9780"}, role: "worker", url: "http://svn.example/svn/carbon",
			appendID: true, password: true, writeConfig: true},
		{name: "tenants found", block: syncBlock("true", "true", "true", "http://svn.example/svn/carbon", plainPassword, appendTenantOn), tenants: true,
			role: "manager", url: "http://svn.example/svn/carbon", appendID: true, tenantsAll: true, password: true, writeConfig: true,
			stdout: []string{"carbon.tenants: all"}},
		{name: "no block is direct mode", block: "", args: []string{"--role", "manager"}, role: "manager",
			stdout: []string{"no <DeploymentSynchronizer> block: no SVN (direct mode"}},
		{name: "disabled without SvnUrl is direct mode", block: syncBlock("false", "false", "true", "", "", ""), role: "worker", writeConfig: true,
			stdout: []string{"has no SvnUrl: no SVN (direct mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := carbonHome(t, tt.block)
			if tt.tenants {
				require.NoError(t, os.MkdirAll(filepath.Join(home, "repository", "tenants", "7"), 0o755))
			}
			out := filepath.Join(t.TempDir(), "node1.yaml")
			args := append([]string{"--log-level", "debug", "init", "--carbon-home", home, "--out", out}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			require.Equal(t, 0, code, "stdout=%s stderr=%s", stdout, stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			c, body := readWritten(t, out)
			assert.Equal(t, tt.role, c.Role)
			assert.Equal(t, home, c.Carbon.Home)
			assert.Equal(t, tt.writeConfig, c.Carbon.WriteConfig)
			assert.Equal(t, tt.url, c.SVN.URL)
			if tt.url != "" {
				assert.Equal(t, "carbon", c.SVN.Username)
				require.NotNil(t, c.SVN.AppendTenantID, "append_tenant_id is always written with svn: %s", body)
				assert.Equal(t, tt.appendID, *c.SVN.AppendTenantID)
			}
			if tt.tenantsAll {
				assert.Equal(t, "all", c.Carbon.Tenants)
			}
			fi, err := os.Stat(out)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

			pw := filepath.Join(filepath.Dir(out), "node1.svn-password")
			if tt.password {
				assert.Equal(t, pw, c.SVN.PasswordFile)
				fi, err := os.Stat(pw)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
				got, err := os.ReadFile(pw)
				require.NoError(t, err)
				assert.Equal(t, carbonPassword+"\n", string(got))
			} else {
				assert.Empty(t, c.SVN.PasswordFile)
				assert.NoFileExists(t, pw)
			}
			assert.NotContains(t, stdout+stderr+body, carbonPassword)
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*"))
			assert.Empty(t, leftovers, "no temporary file is left")

			// What config check accepts, and carbon.xml is as it was.
			code, checked, checkErr := runCLI(t, "config", "check", "--config", out)
			assert.Equal(t, 0, code, checkErr)
			assert.NotContains(t, checked+checkErr, carbonPassword)
		})
	}
}

func TestInitSecureVaultSaysWhereThePasswordGoes(t *testing.T) {
	home := carbonHome(t, syncBlock("true", "true", "true", "http://svn.example/svn/carbon", vaultPassword, appendTenantOn))
	out := filepath.Join(t.TempDir(), "depsync.yaml")
	code, stdout, stderr := runCLI(t, "init", "--carbon-home", home, "--out", out)
	require.Equal(t, 0, code, stderr)
	_, body := readWritten(t, out)
	assert.Contains(t, body, "Secure Vault alias Carbon.DeploymentSynchronizer.SvnPassword")
	assert.Contains(t, body, "svn.password_file, or in DEPSYNC_SVN_PASSWORD")
	assert.Contains(t, stdout, "1. put the SVN password in a file (mode 0600) and name it in svn.password_file, or set DEPSYNC_SVN_PASSWORD")
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only the config is written")
}

func TestInitRefuses(t *testing.T) {
	managerBlock := syncBlock("true", "true", "true", "http://svn.example/svn/carbon", plainPassword, appendTenantOn)
	tests := []struct {
		name   string
		block  string
		noXML  bool
		args   []string
		exists []string // files made before, relative to the output folder
		stderr []string
	}{
		{name: "block says neither role", block: syncBlock("true", "false", "false", "http://svn.example/svn/carbon", plainPassword, ""),
			stderr: []string{"neither AutoCommit=true (manager) nor AutoCheckout=true (worker)", "--role manager or --role worker"}},
		{name: "no block and no role", block: "", stderr: []string{"no <DeploymentSynchronizer> block", "--role manager or --role worker"}},
		{name: "bad role", block: managerBlock, args: []string{"--role", "boss"}, stderr: []string{`--role "boss"`}},
		{name: "output exists", block: managerBlock, exists: []string{"node1.yaml"}, stderr: []string{"node1.yaml exists", "never overwrites"}},
		{name: "password file exists", block: managerBlock, exists: []string{"node1.svn-password"}, stderr: []string{"node1.svn-password exists"}},
		{name: "no carbon.xml", noXML: true, args: []string{"--role", "manager"}, stderr: []string{"carbon.xml", "file not found", "a Carbon home?"}},
		{name: "does not validate", block: managerBlock, args: []string{"--peer", "http://node2.example:9780"},
			stderr: []string{"does not validate; nothing is written", "peers", "plain http://"}},
		{name: "no home", block: managerBlock, args: []string{"--carbon-home", ""}, stderr: []string{"--carbon-home DIR is required"}},
		{name: "no such output folder", block: managerBlock, args: []string{"--out", "/nonexistent-depsync/x.yaml"}, stderr: []string{"the folder /nonexistent-depsync does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := carbonHome(t, tt.block)
			if tt.noXML {
				require.NoError(t, os.Remove(filepath.Join(home, "repository", "conf", "carbon.xml")))
			}
			dir := t.TempDir()
			for _, name := range tt.exists {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("mine\n"), 0o600))
			}
			out := filepath.Join(dir, "node1.yaml")
			args := append([]string{"init", "--carbon-home", home, "--out", out}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			assert.Equal(t, 2, code, "stdout=%s stderr=%s", stdout, stderr)
			for _, s := range tt.stderr {
				assert.Contains(t, stderr, s)
			}
			assert.NotContains(t, stdout+stderr, carbonPassword)
			// Nothing written, nothing overwritten.
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
				got, err := os.ReadFile(filepath.Join(dir, e.Name()))
				require.NoError(t, err)
				assert.Equal(t, "mine\n", string(got))
			}
			assert.ElementsMatch(t, tt.exists, names)
		})
	}
}

func TestInitToStdout(t *testing.T) {
	home := carbonHome(t, syncBlock("true", "false", "true", "http://svn.example/svn/carbon", plainPassword, appendTenantOn))
	wd := t.TempDir()
	t.Chdir(wd)
	code, stdout, stderr := runCLI(t, "init", "--carbon-home", home, "--out", "-")
	require.Equal(t, 0, code, stderr)
	var c writtenConfig
	require.NoError(t, yaml.Unmarshal([]byte(stdout), &c), stdout)
	assert.Equal(t, "worker", c.Role)
	assert.Equal(t, filepath.Join(wd, "depsync.svn-password"), c.SVN.PasswordFile)
	assert.True(t, strings.HasPrefix(stdout, "# depsync config written by 'depsync init'"), stdout)
	assert.Contains(t, stderr, "depsync init: wrote stdout (role: worker")
	assert.NotContains(t, stdout+stderr, carbonPassword)
	got, err := os.ReadFile(filepath.Join(wd, "depsync.svn-password"))
	require.NoError(t, err)
	assert.Equal(t, carbonPassword+"\n", string(got))
}

func TestInitHelpHasExample(t *testing.T) {
	code, stdout, _ := runCLI(t, "init", "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "Examples:")
	assert.Contains(t, stdout, "depsync init --carbon-home /opt/wso2ei/wso2/analytics --out /etc/depsync/depsync.yaml")
}
