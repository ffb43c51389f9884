package syncer_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config/carbonxml"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
)

// carbonXMLWithPassword is a carbon.xml whose block holds a plain-text
// password, as an earlier tool (or an earlier depsync) may have left it.
const carbonXMLWithPassword = `<?xml version="1.0" encoding="ISO-8859-1"?>
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">
    <Name>WSO2 Enterprise Integrator - Analytics</Name>
    <DeploymentSynchronizer>
        <Enabled>true</Enabled>
        <AutoCommit>false</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
        <RepositoryType>svn</RepositoryType>
        <SvnUrl>http://svnrepo.example.com/repos/</SvnUrl>
        <SvnUser>username</SvnUser>
        <SvnPassword>PLAIN-OLD-PASSWORD</SvnPassword>
        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>
    </DeploymentSynchronizer>
</Server>
`

// TestWriteConfigWritesNoPassword: a manager started with
// carbon.write_config and an SVN password writes its block with Carbon's
// synchronizer off and no password: no file under the Carbon home holds the
// SVN password (nor the plain one the file had), and the backup of the old
// carbon.xml is owner-only.
func TestWriteConfigWritesNoPassword(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "svnserve")
	srv := svntest.New(t, svntest.SVNServe)
	require.NotEmpty(t, srv.Password)
	bin := daemontest.Binary(t)
	settings := map[string]any{"carbon.write_config": true}
	for k, v := range fast {
		settings[k] = v
	}
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Settings: settings})
	xml := filepath.Join(m.Home, "repository", "conf", "carbon.xml")
	require.NoError(t, os.MkdirAll(filepath.Dir(xml), 0o755))
	require.NoError(t, os.WriteFile(xml, []byte(carbonXMLWithPassword), 0o644))
	require.NoError(t, os.MkdirAll(m.Dir, 0o755))
	m.Start(t)
	waitReady(t, m)

	b, err := carbonxml.Read(xml)
	require.NoError(t, err)
	assert.False(t, b.Enabled)
	assert.True(t, b.AutoCommit)
	assert.Empty(t, b.SvnPassword.Reveal())

	backups := 0
	require.NoError(t, filepath.WalkDir(m.Home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		assert.False(t, bytes.Contains(data, []byte(srv.Password)), "%s holds the SVN password", p)
		if filepath.Dir(p) == filepath.Dir(xml) && filepath.Ext(p) == ".bak" {
			backups++
			fi, err := d.Info()
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "backup %s", p)
		} else {
			assert.False(t, bytes.Contains(data, []byte("PLAIN-OLD-PASSWORD")), "%s holds the old password", p)
		}
		return nil
	}))
	assert.Equal(t, 1, backups)
	assert.NotContains(t, m.Logs(), srv.Password)
}
