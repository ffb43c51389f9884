package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFallbackURLs: other servers of the repository are accepted from the
// file and from the environment (comma-separated), in their order.
func TestFallbackURLs(t *testing.T) {
	f := writeFile(t, t.TempDir(), "c.yaml", "role: worker\ncarbon: {home: /opt/c}\n"+
		"svn: {url: 'http://replica/svn/r', fallback_urls: ['http://master/svn/r', 'https://dr/svn/r']}\n")
	c, err := Load(Options{File: f})
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, []string{"http://master/svn/r", "https://dr/svn/r"}, c.SVN.FallbackURLs)

	t.Setenv("DEPSYNC_SVN_FALLBACK_URLS", "http://b/r, http://c/r")
	c, err = Load(Options{File: f})
	require.NoError(t, err)
	assert.Equal(t, []string{"http://b/r", "http://c/r"}, c.SVN.FallbackURLs)
}
