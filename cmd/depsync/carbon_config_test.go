package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// carbonXMLFixture is a carbon.xml shaped after EI 6.1.1's: the live block
// (with a child depsync does not own), then a commented one. Package
// carbonxml's tests use the same file.
var carbonXMLFixture = readTestdata("../../config/carbonxml/testdata/ei-6.1.1.xml")

// readTestdata reads a fixture when the tests start.
func readTestdata(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const cliPassword = "s3cr3t-pw"

// carbonEnv is a temporary EI profile home with conf/carbon.xml, a password
// file and an empty depsync config, with no DEPSYNC_* values leaking in.
type carbonEnv struct {
	dir, home, xml, pw, cfg string
}

func newCarbonEnv(t *testing.T, body string) carbonEnv {
	t.Helper()
	for _, k := range []string{"DEPSYNC_ROLE", "DEPSYNC_SVN_URL", "DEPSYNC_SVN_USERNAME", "DEPSYNC_SVN_PASSWORD",
		"DEPSYNC_SVN_PASSWORD_FILE", "DEPSYNC_CARBON_HOME", "DEPSYNC_CARBON_CONFIG_FILE", "DEPSYNC_SVN_APPEND_TENANT_ID"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	e := carbonEnv{dir: dir, home: filepath.Join(dir, "analytics")}
	require.NoError(t, os.MkdirAll(filepath.Join(e.home, "conf"), 0o755))
	e.xml = filepath.Join(e.home, "conf", "carbon.xml")
	require.NoError(t, os.WriteFile(e.xml, []byte(body), 0o644))
	e.pw = filepath.Join(dir, "svn.pw")
	require.NoError(t, os.WriteFile(e.pw, []byte(cliPassword+"\n"), 0o600))
	e.cfg = filepath.Join(dir, "depsync.yaml")
	require.NoError(t, os.WriteFile(e.cfg, []byte("{}\n"), 0o600))
	return e
}

func (e carbonEnv) read(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(e.xml)
	require.NoError(t, err)
	return string(b)
}

func (e carbonEnv) backups(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(e.home, "conf", "carbon.xml.depsync-*.bak"))
	require.NoError(t, err)
	return m
}

func TestCarbonConfigWriteAndShow(t *testing.T) {
	e := newCarbonEnv(t, carbonXMLFixture)
	write := []string{"carbon-config", "--config", e.cfg, "--role", "manager", "--carbon-home", e.home,
		"--svn-url", "http://svn.example:8080/svn/depsync/", "--svn-user", "carbon", "--svn-password-file", e.pw}

	code, out, errOut := runCLI(t, write...)
	require.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
	bak := e.backups(t)
	require.Len(t, bak, 1)
	assert.Equal(t, "carbon.xml "+e.xml+": updated (backup "+bak[0]+"); Carbon's own synchronizer: off (depsync does the SVN work)\n", out)
	// Carbon's synchronizer is off: no password is written, and the one in
	// the file is emptied.
	assert.Contains(t, errOut, "note: the SVN password (from "+e.pw+") is not written to "+e.xml)
	assert.NotContains(t, errOut, "plain text")
	xml := e.read(t)
	assert.Contains(t, xml, "        <Enabled>false</Enabled>\n        <AutoCommit>true</AutoCommit>\n")
	assert.Contains(t, xml, "<SvnUrl>http://svn.example:8080/svn/depsync</SvnUrl>")
	assert.Contains(t, xml, "<SvnPassword></SvnPassword>")
	assert.NotContains(t, xml, cliPassword)
	assert.Contains(t, xml, "<SvnClient>svnkit</SvnClient>")
	assert.Contains(t, xml, "    <!--<DeploymentSynchronizer>\n        <Enabled>true</Enabled>\n")
	bakBody, err := os.ReadFile(bak[0])
	require.NoError(t, err)
	assert.Equal(t, carbonXMLFixture, string(bakBody))

	// Again: unchanged, no new backup.
	code, out, _ = runCLI(t, write...)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, ": unchanged; Carbon's own synchronizer: off")
	assert.Len(t, e.backups(t), 1)

	// show reads back what was written, password redacted.
	code, out, errOut = runCLI(t, "carbon-config", "show", "--carbon-home", e.home)
	require.Equal(t, 0, code, errOut)
	for _, s := range []string{"carbon.xml " + e.xml, "Carbon's own synchronizer: off", "role: manager",
		"AutoCommit            true", "SvnUrl                http://svn.example:8080/svn/depsync",
		"SvnUser               carbon", "SvnPassword           (empty)", "other children        SvnClient"} {
		assert.Contains(t, out, s)
	}
	assert.NotContains(t, out+errOut, cliPassword)

	code, out, _ = runCLI(t, "carbon-config", "show", "--file", e.xml, "-o", "json")
	require.Equal(t, 0, code)
	var shown map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &shown), out)
	assert.Equal(t, map[string]any{
		"file": e.xml, "carbon_sync": false, "role": "manager", "present": true, "line": float64(5),
		"enabled": false, "auto_commit": true, "auto_checkout": true, "repository_type": "svn",
		"svn_url": "http://svn.example:8080/svn/depsync", "svn_user": "carbon", "svn_password": "",
		"svn_url_append_tenant_id": true, "secure_vault": false, "extra": []any{"SvnClient"},
	}, shown)
}

// TestCarbonConfigPlainPasswordOnlyWithCarbonSync: the password is written
// in plain text only when Carbon's own synchronizer is to use it, and then
// stderr says so; the backup holding the old file is owner-only.
func TestCarbonConfigPlainPasswordOnlyWithCarbonSync(t *testing.T) {
	e := newCarbonEnv(t, carbonXMLFixture)
	code, out, errOut := runCLI(t, "carbon-config", "--config", e.cfg, "--role", "worker", "--carbon-home", e.home,
		"--svn-url", "http://svn.example:8080/svn/depsync", "--svn-password-file", e.pw, "--carbon-sync")
	require.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
	assert.Contains(t, errOut, "warning: the SVN password (from "+e.pw+") is written in "+e.xml+" in plain text")
	assert.Contains(t, e.read(t), "<SvnPassword>"+cliPassword+"</SvnPassword>")
	assert.NotContains(t, out, cliPassword)
	bak := e.backups(t)
	require.Len(t, bak, 1)
	fi, err := os.Stat(bak[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Back to depsync doing the SVN work: the password leaves the file.
	code, out, errOut = runCLI(t, "carbon-config", "--config", e.cfg, "--role", "worker", "--carbon-home", e.home,
		"--svn-url", "http://svn.example:8080/svn/depsync", "--svn-password-file", e.pw)
	require.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
	assert.NotContains(t, e.read(t), cliPassword)
	for _, b := range e.backups(t) {
		fi, err := os.Stat(b)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), b)
	}
}

func TestCarbonConfigFromDepsyncConfig(t *testing.T) {
	e := newCarbonEnv(t, carbonXMLFixture)
	require.NoError(t, os.WriteFile(e.cfg, []byte("role: worker\ncarbon: {home: "+e.home+"}\n"+
		"svn: {url: 'svn://svn.example/depsync', username: deployer, password_file: "+e.pw+", append_tenant_id: false}\n"), 0o600))

	code, out, errOut := runCLI(t, "carbon-config", "--config", e.cfg, "-o", "json")
	require.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, e.xml, res["file"])
	assert.Equal(t, "updated", res["status"])
	assert.Equal(t, "worker", res["role"])
	assert.Equal(t, false, res["enabled"])
	assert.Equal(t, e.backups(t)[0], res["backup"])
	xml := e.read(t)
	assert.Contains(t, xml, "<AutoCommit>false</AutoCommit>")
	assert.Contains(t, xml, "<SvnUrl>svn://svn.example/depsync</SvnUrl>")
	assert.Contains(t, xml, "<SvnUser>deployer</SvnUser>")
	assert.Contains(t, xml, "<SvnUrlAppendTenantId>false</SvnUrlAppendTenantId>")
	assert.Contains(t, errOut, "is not written")
	assert.NotContains(t, xml, cliPassword)

	// Flags win over the config; show finds the file through the config.
	code, out, errOut = runCLI(t, "carbon-config", "--config", e.cfg, "--role", "manager", "--append-tenant-id=true",
		"--carbon-sync", "--secure-vault")
	require.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
	assert.Contains(t, out, "Carbon's own synchronizer: on (Carbon does the SVN work")
	assert.NotContains(t, errOut, "plain text")
	xml = e.read(t)
	assert.Contains(t, xml, `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml" xmlns:svns="http://org.wso2.securevault/configuration">`)
	assert.Contains(t, xml, `<SvnPassword svns:secretAlias="Carbon.DeploymentSynchronizer.SvnPassword">password</SvnPassword>`)
	assert.NotContains(t, xml, cliPassword)

	code, out, _ = runCLI(t, "carbon-config", "show", "--config", e.cfg)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Carbon's own synchronizer: on")
	assert.Contains(t, out, "role: manager")
	assert.Contains(t, out, "(Secure Vault alias Carbon.DeploymentSynchronizer.SvnPassword)")
}

func TestCarbonConfigDryRun(t *testing.T) {
	e := newCarbonEnv(t, carbonXMLFixture)
	args := []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml,
		"--svn-url", "http://svn/r", "--svn-password-file", e.pw, "--carbon-sync", "--dry-run"}
	code, out, errOut := runCLI(t, args...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "--- "+e.xml+"\n+++ "+e.xml+" (new)\n@@ ")
	assert.Contains(t, out, "-        <SvnUrl>http://svnrepo.example.com/repos/</SvnUrl>\n")
	assert.Contains(t, out, "+        <SvnUrl>http://svn/r</SvnUrl>\n")
	assert.Contains(t, out, "+        <SvnPassword><redacted></SvnPassword>\n")
	assert.Contains(t, out, "carbon.xml "+e.xml+": would be updated (dry run: nothing written)")
	assert.Contains(t, errOut, "would be written")
	assert.NotContains(t, out+errOut, cliPassword)
	assert.Equal(t, carbonXMLFixture, e.read(t))
	assert.Empty(t, e.backups(t))

	code, out, _ = runCLI(t, append(args, "-o", "json")...)
	require.Equal(t, 0, code)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, true, res["dry_run"])
	assert.Contains(t, res["diff"], "+        <SvnUrl>http://svn/r</SvnUrl>")
	assert.NotContains(t, out, cliPassword)
	assert.Equal(t, carbonXMLFixture, e.read(t))
}

func TestCarbonConfigCreatesBlock(t *testing.T) {
	body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\r\n\t<Name>x</Name>\r\n</Server>\r\n"
	e := newCarbonEnv(t, body)
	code, out, errOut := runCLI(t, "carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "--svn-url", "http://svn/r")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, ": created (backup ")
	assert.Equal(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\r\n\t<Name>x</Name>\r\n"+
		"\t<DeploymentSynchronizer>\r\n"+
		"\t\t<Enabled>false</Enabled>\r\n"+
		"\t\t<AutoCommit>false</AutoCommit>\r\n"+
		"\t\t<AutoCheckout>true</AutoCheckout>\r\n"+
		"\t\t<RepositoryType>svn</RepositoryType>\r\n"+
		"\t\t<SvnUrl>http://svn/r</SvnUrl>\r\n"+
		"\t\t<SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>\r\n"+
		"\t</DeploymentSynchronizer>\r\n"+
		"</Server>\r\n", e.read(t))
}

func TestCarbonConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		args   func(e carbonEnv) []string
		code   int
		stderr []string
	}{
		{name: "malformed", body: "<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\n  <Name>x</Nam>\n</Server>\n",
			code: 2, stderr: []string{"malformed XML at line 2, column 16", "<Name> closed by </Nam>"}},
		{name: "not carbon.xml", body: "<axisconfig/>\n", code: 2, stderr: []string{"root element is <axisconfig>"}},
		{name: "two live blocks", body: strings.Replace(carbonXMLFixture, "    <!--<DeploymentSynchronizer>", "    <DeploymentSynchronizer/><!--<DeploymentSynchronizer>", 1),
			code: 2, stderr: []string{"more than one live <DeploymentSynchronizer>", "lines 5 and 17"}},
		{name: "file not found", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", filepath.Join(e.dir, "nope.xml")}
		}, code: 2, stderr: []string{"nope.xml: file not found"}},
		{name: "home and file", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "--carbon-home", e.home}
		}, code: 2, stderr: []string{"exclude each other"}},
		{name: "no role", args: func(e carbonEnv) []string { return []string{"carbon-config", "--config", e.cfg, "--file", e.xml} },
			code: 2, stderr: []string{"no role"}},
		{name: "bad role", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "boss", "--file", e.xml}
		}, code: 2, stderr: []string{`--role "boss"`}},
		{name: "no file", args: func(e carbonEnv) []string { return []string{"carbon-config", "--config", e.cfg, "--role", "worker"} },
			code: 2, stderr: []string{"which carbon.xml?"}},
		{name: "bad url", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "--svn-url", "ftp://x/r"}
		}, code: 2, stderr: []string{"--svn-url", "must be file://"}},
		{name: "url with credentials", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "--svn-url", "http://u:" + cliPassword + "@x/r"}
		}, code: 2, stderr: []string{"must not carry credentials"}},
		{name: "carbon sync without url", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "--carbon-sync"}
		}, code: 2, stderr: []string{"--carbon-sync needs an SVN URL"}},
		{name: "missing password file", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "--svn-password-file", filepath.Join(e.dir, "nope")}
		}, code: 2, stderr: []string{"--svn-password-file", "file not found"}},
		{name: "bad output", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "--config", e.cfg, "--role", "worker", "--file", e.xml, "-o", "yaml"}
		}, code: 2, stderr: []string{`-o "yaml"`}},
		{name: "show: missing file", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "show", "--file", filepath.Join(e.dir, "nope.xml")}
		}, code: 2, stderr: []string{"file not found"}},
		{name: "show: malformed", body: "<Server>\n<A>\n</Server>\n", args: func(e carbonEnv) []string {
			return []string{"carbon-config", "show", "--file", e.xml}
		}, code: 2, stderr: []string{"malformed XML at line 3"}},
		{name: "unknown subcommand", args: func(e carbonEnv) []string { return []string{"carbon-config", "shwo"} },
			code: 2, stderr: []string{"shwo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == "" {
				body = carbonXMLFixture
			}
			e := newCarbonEnv(t, body)
			args := []string{"carbon-config", "--config", e.cfg, "--role", "manager", "--file", e.xml,
				"--svn-url", "http://svn/r", "--svn-password-file", e.pw}
			if tt.args != nil {
				args = tt.args(e)
			}
			code, out, errOut := runCLI(t, args...)
			assert.Equal(t, tt.code, code, "stdout=%s stderr=%s", out, errOut)
			for _, s := range tt.stderr {
				assert.Contains(t, errOut, s)
			}
			assert.NotContains(t, out+errOut, cliPassword)
			// Nothing written.
			assert.Equal(t, body, e.read(t))
			assert.Empty(t, e.backups(t))
		})
	}
}

func TestCarbonConfigHelp(t *testing.T) {
	code, out, _ := runCLI(t, "carbon-config", "--help")
	assert.Equal(t, 0, code)
	for _, s := range []string{"Examples:", "--role", "--carbon-sync", "--secure-vault", "--dry-run", "Enabled=false",
		"Carbon.DeploymentSynchronizer.SvnPassword", "depsync carbon-config show"} {
		assert.Contains(t, out, s)
	}
	code, out, _ = runCLI(t, "carbon-config", "show", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Examples:")
	code, out, _ = runCLI(t, "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "carbon-config")
}

// TestCarbonConfigRealFiles writes each shipped carbon.xml from
// $DEPSYNC_TESTDATA/carbon as a manager and then as a worker, and checks
// that show reads back what was written and that a second run is a no-op.
func TestCarbonConfigRealFiles(t *testing.T) {
	root := os.Getenv("DEPSYNC_TESTDATA")
	if root == "" {
		t.Skip("DEPSYNC_TESTDATA not set")
	}
	files, err := filepath.Glob(filepath.Join(root, "carbon", "*.xml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			orig, err := os.ReadFile(f)
			require.NoError(t, err)
			e := newCarbonEnv(t, string(orig))
			for _, role := range []string{"manager", "worker"} {
				args := []string{"carbon-config", "--config", e.cfg, "--role", role, "--file", e.xml,
					"--svn-url", "http://svn.example:8080/svn/depsync", "--svn-user", "carbon", "--svn-password-file", e.pw}
				code, out, errOut := runCLI(t, args...)
				require.Equal(t, 0, code, "stdout=%s stderr=%s", out, errOut)
				assert.Contains(t, out, ": updated (backup ")
				code, out, _ = runCLI(t, args...)
				require.Equal(t, 0, code)
				assert.Contains(t, out, ": unchanged;")

				code, out, _ = runCLI(t, "carbon-config", "show", "--file", e.xml, "-o", "json")
				require.Equal(t, 0, code)
				var shown map[string]any
				require.NoError(t, json.Unmarshal([]byte(out), &shown))
				assert.Equal(t, role, shown["role"])
				assert.Equal(t, false, shown["enabled"])
				assert.Equal(t, role == "manager", shown["auto_commit"])
				assert.Equal(t, "http://svn.example:8080/svn/depsync", shown["svn_url"])
				assert.Equal(t, "carbon", shown["svn_user"])
				assert.Equal(t, "", shown["svn_password"], "without --carbon-sync no password is written")
			}
			assert.Len(t, e.backups(t), 2)
			xml := e.read(t)
			if i := strings.Index(string(orig), "<!--<DeploymentSynchronizer>"); i >= 0 {
				j := i + strings.Index(string(orig[i:]), "-->") + 3
				assert.Contains(t, xml, string(orig[i:j]), "the commented-out block changed")
			}
			assert.NotContains(t, xml, cliPassword, "Carbon's synchronizer is off: no password on disk")
		})
	}
}
