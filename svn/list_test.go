package svn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

func TestSplitURL(t *testing.T) {
	tests := []struct{ in, parent, name string }{
		{"http://svn/repo/7", "http://svn/repo", "7"},
		{"http://svn/repo/7/", "http://svn/repo", "7"},
		{"http://svn/repo/a%20b", "http://svn/repo", "a b"},
		{"file:///srv/repo/-1234", "file:///srv/repo", "-1234"},
	}
	for _, tt := range tests {
		parent, name, err := SplitURL(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.parent, parent, tt.in)
		assert.Equal(t, tt.name, name, tt.in)
	}
	_, _, err := SplitURL("repo")
	assert.ErrorContains(t, err, "not a URL with a parent folder")
}

// TestHasFolder: a folder is found by one list of the folder holding it;
// a missing one is not there.
func TestHasFolder(t *testing.T) {
	forEachServer(t, []svntest.Kind{svntest.File}, func(t *testing.T, s *svntest.Server) {
		c, _ := testClient(t, s)
		ctx := t.Context()
		require.NoError(t, c.Mkdir(ctx, JoinURL(s.URL, "7"), true, "tenant 7"))
		ok, err := c.HasFolder(ctx, JoinURL(s.URL, "7"))
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = c.HasFolder(ctx, JoinURL(s.URL, "8"))
		require.NoError(t, err)
		assert.False(t, ok)
	})
}
