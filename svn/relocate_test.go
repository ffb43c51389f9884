package svn

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// TestRelocate: a working copy moves to a copy of its repository (same
// UUID) by prefix, keeping its files and revision; it refuses another
// repository and stays where it was.
func TestRelocate(t *testing.T) {
	s := svntest.New(t, svntest.File)
	c, _ := testClient(t, s)
	ctx := t.Context()
	require.NoError(t, c.Mkdir(ctx, JoinURL(s.URL, "tenants", "-1234"), true, "mkdir"))
	wc := filepath.Join(t.TempDir(), "wc@1")
	_, err := c.Checkout(ctx, JoinURL(s.URL, "tenants", "-1234"), wc, false)
	require.NoError(t, err)

	copyPath := filepath.Join(t.TempDir(), "copy")
	out, err := exec.Command("cp", "-a", s.RepoPath, copyPath).CombinedOutput()
	require.NoError(t, err, "%s", out)
	copyURL := "file://" + filepath.ToSlash(copyPath)

	require.NoError(t, c.Relocate(ctx, wc, s.URL, copyURL))
	info, err := c.Info(ctx, wc)
	require.NoError(t, err)
	assert.Equal(t, JoinURL(copyURL, "tenants", "-1234"), info.URL)
	assert.Equal(t, int64(1), info.Revision)

	other := svntest.New(t, svntest.File)
	err = c.Relocate(ctx, wc, copyURL, other.URL)
	require.Error(t, err, "another repository (another UUID)")
	assert.True(t, strings.Contains(err.Error(), "relocate"), err.Error())
	info, err = c.Info(ctx, wc)
	require.NoError(t, err)
	assert.Equal(t, JoinURL(copyURL, "tenants", "-1234"), info.URL, "left where it was")

	require.Error(t, c.Relocate(ctx, wc, "not a url", copyURL))
}
