package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSameSVNURL: one URL however spelled (Carbon's SvnUrl against
// svn.url, a fallback URL against svn.url), and not two folders.
func TestSameSVNURL(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"http://svn.example/repos/-1234", "http://svn.example/repos/-1234", true},
		{"http://svn.example/repos/-1234", "http://svn.example/repos/-1234/", true},
		{"HTTP://SVN.Example:80/repos/-1234", "http://svn.example/repos/-1234", true},
		{"https://svn.example:443/repos/-1234", "https://svn.example/repos/-1234", true},
		{"svn://svn.example:3690/repos/-1234", "svn://svn.example/repos/-1234", true},
		{"http://svn.example/my%20repos/-1234", "http://svn.example/my repos/-1234", true},
		{"http://[::1]:80/repos/-1234", "http://[::1]/repos/-1234", true},
		{"file:///srv/svn/repos/-1234", "file:///srv/svn/repos/-1234/", true},
		// Not the same folder.
		{"http://svn.example:8080/repos/-1234", "http://svn.example/repos/-1234", false},
		{"http://svn.example/repos/-1234", "http://svn.example/repos/1", false},
		{"http://svn.example/Repos/-1234", "http://svn.example/repos/-1234", false},
		{"https://svn.example/repos/-1234", "http://svn.example/repos/-1234", false},
		{"http://svn.example/repos", "http://svn.example/repos/-1234", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.same, SameSVNURL(tt.a, tt.b), "%s vs %s", tt.a, tt.b)
		assert.Equal(t, tt.same, SameSVNURL(tt.b, tt.a), "%s vs %s", tt.b, tt.a)
	}
}
