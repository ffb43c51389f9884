package syncer

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/svn"
)

// TestManagerShipsProvenFilesAtOnce: a closed, well-formed XML file and a
// closed, valid C-App written an instant ago go into the next commit
// without the quiet time (sync.debounce is an hour here).
func TestManagerShipsProvenFilesAtOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the proof of no writer is a Linux file lease")
	}
	c := testConfig(t, config.RoleManager)
	c.Sync.Debounce, c.Sync.MaxDelay = time.Hour, time.Hour
	dir := c.Carbon.DeploymentDir
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "carbonapps"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "synapse-configs"), 0o755))
	testcapp.Write(t, filepath.Join(dir, "carbonapps"), "A_1.0.0.car", "A", "1.0.0")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "synapse-configs", "a.xml"), []byte("<api/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "synapse-configs", "b.xml"), []byte("<api>"), 0o644))
	f := &fakeSVN{commitRev: 5, status: []svn.StatusEntry{
		{Path: "carbonapps/A_1.0.0.car", Item: "unversioned", Kind: "file"},
		{Path: "synapse-configs/a.xml", Item: "unversioned", Kind: "file"},
		{Path: "synapse-configs/b.xml", Item: "unversioned", Kind: "file"},
	}}
	d, err := New(c, Deps{SVN: f})
	require.NoError(t, err)
	m := newManager(d.tenants.list[0])

	res, err := m.sync(context.Background(), nil, true)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.rev)
	assert.Equal(t, [][]string{{"carbonapps/A_1.0.0.car", "synapse-configs/a.xml"}}, f.committed)
	assert.Equal(t, []string{"synapse-configs/b.xml"}, res.waiting, "an XML cut short waits for the quiet time")
}
