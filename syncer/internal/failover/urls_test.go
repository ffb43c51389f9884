package failover

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBases(t *testing.T) {
	b := bases{"http://replica:8080/svn/repo", "HTTP://Master/svn/repo/", "http://master/svn/repo/mirror"}
	for _, tc := range []struct {
		u    string
		at   int
		rest string
		ok   bool
	}{
		{"http://replica:8080/svn/repo", 0, "", true},
		{"http://replica:8080/svn/repo/-1234", 0, "/-1234", true},
		{"http://replica:8080/svn/repo/", 0, "", true},
		{"http://master/svn/repo/-1234/a%20b", 1, "/-1234/a%20b", true},
		{"http://master/svn/repo/mirror/7", 2, "/7", true},
		{"http://master/svn/repository", -1, "", false},
		{"http://replica:8081/svn/repo", -1, "", false},
		{"file:///svn/repo", -1, "", false},
	} {
		at, rest, ok := b.of(tc.u)
		assert.Equal(t, tc.ok, ok, tc.u)
		assert.Equal(t, tc.at, at, tc.u)
		assert.Equal(t, tc.rest, rest, tc.u)
	}
	assert.Equal(t, "HTTP://Master/svn/repo/-1234", b.rewrite("http://replica:8080/svn/repo/-1234", 1))
	assert.Equal(t, "http://replica:8080/svn/repo/-1234", b.rewrite("http://master/svn/repo/-1234", 0))
	assert.Equal(t, "http://other/x", b.rewrite("http://other/x", 1), "not ours")
	assert.Equal(t, "http://replica:8080/svn/repo/3", b.rewrite("http://replica:8080/svn/repo/3", 0))
}
