package syncer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
)

// A crash while svn cleanup runs must not leave an empty C-App in the live
// tree: the placeholder is in the journal before it exists, and the next
// heal or start removes it.
func TestHealJournalsPlaceholdersAndRemovesStaleOnes(t *testing.T) {
	c := testConfig(t, config.RoleWorker)
	dir := c.Carbon.DeploymentDir
	gone := filepath.Join(dir, "carbonapps", "App_1.0.0.car")
	f := &fakeSVN{}
	var journalled string
	f.cleanup = func() error {
		if _, err := os.Stat(gone); err == nil {
			data, err := os.ReadFile(filepath.Join(c.StateDir, "heal", "-1234.placeholders"))
			assert.NoError(t, err, "the journal is written before the cleanup")
			journalled = string(data)
			return nil
		}
		return &svn.Error{Op: "cleanup", Message: "svn: E000002: Can't change perms of file '" + gone + "': No such file or directory"}
	}
	d := newTestDaemon(t, c, f)
	ts := d.tenants.list[0]
	journal := filepath.Join(c.StateDir, "heal", "-1234.placeholders")
	require.True(t, ts.Heal(context.Background()))
	assert.Contains(t, journalled, "f "+gone, "recorded before svn cleanup ran")
	assert.Contains(t, journalled, "d "+filepath.Join(dir, "carbonapps"))
	_, err := os.Stat(filepath.Join(dir, "carbonapps"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing left in the live tree")
	_, err = os.Stat(journal)
	assert.ErrorIs(t, err, os.ErrNotExist, "journal removed")

	// As a crash during cleanup leaves it.
	apps := filepath.Join(dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	require.NoError(t, os.WriteFile(gone, nil, 0o644))
	kept := filepath.Join(apps, "Real_1.0.0.car")
	require.NoError(t, os.WriteFile(kept, []byte("PK real content"), 0o644))
	outside := filepath.Join(t.TempDir(), "outside.car")
	require.NoError(t, os.WriteFile(outside, nil, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Dir(journal), 0o700))
	require.NoError(t, os.WriteFile(journal, []byte(strings.Join([]string{
		"d " + apps, "f " + gone, "f " + kept, "f " + outside, "f ../../etc/passwd", "garbage"}, "\n")+"\n"), 0o600))
	ts.RemoveStalePlaceholders()
	_, err = os.Stat(gone)
	assert.ErrorIs(t, err, os.ErrNotExist, "the empty placeholder is removed")
	assert.FileExists(t, kept, "a file with content is somebody's")
	assert.FileExists(t, outside, "nothing outside the deployment directory is touched")
	assert.DirExists(t, apps, "a directory that is not empty stays")
	_, err = os.Stat(journal)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
