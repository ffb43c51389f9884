package svn

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// TestListFilesDeleteURL: a tenant folder's files are listed (folders not
// counted, the paths bounded), then the folder is deleted with one commit.
func TestListFilesDeleteURL(t *testing.T) {
	forEachServer(t, svntest.AllKinds(), func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		src := t.TempDir()
		writeFile(t, filepath.Join(src, "carbonapps", "A_1.0.0.car"), "a", 0o644)
		writeFile(t, filepath.Join(src, "synapse-configs", "default", "api", "a b.xml"), "<api/>", 0o644)
		writeFile(t, filepath.Join(src, "z.txt"), "z", 0o644)
		u := JoinURL(s.URL, "7")
		_, err := c.Import(ctx, src, u, "import")
		require.NoError(t, err)

		n, paths, err := c.ListFiles(ctx, u, 0)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		assert.ElementsMatch(t, []string{"carbonapps/A_1.0.0.car", "synapse-configs/default/api/a b.xml", "z.txt"}, paths)
		n, paths, err = c.ListFiles(ctx, u, 2)
		require.NoError(t, err)
		assert.Equal(t, 3, n, "counted whole")
		assert.Len(t, paths, 2, "listed up to max")

		require.NoError(t, c.DeleteURL(ctx, u, "remove tenant 7"))
		_, _, err = c.ListFiles(ctx, u, 0)
		require.ErrorIs(t, err, ErrNotFound)
		_, err = c.Info(ctx, u)
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, c.DeleteURL(ctx, u, "again"), ErrNotFound)
	})
}
