package manager

import (
	"errors"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
)

func svnErr(codes []string, msg string) error {
	return &svn.Error{Op: "commit", Codes: codes, Message: msg}
}

func TestRefusedPaths(t *testing.T) {
	const dir = "/srv/wc"
	ready := []string{"api/a.xml", "newdir/ok.xml", "newdir/sub/b.xml", "api/nl\nx.xml", "-gone.xml"}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"not svn's", errors.New("svn: E000022: Error converting entry in directory '/srv/wc/newdir'"), nil},
		{"another code", svnErr([]string{"E155004"}, "svn: E155004: Working copy '/srv/wc/newdir' locked."), nil},
		{"a folder it cannot read", svnErr([]string{"E000022", "E000022"},
			"svn: E000022: Error converting entry in directory '/srv/wc/newdir' to UTF-8\nsvn: E000022: Valid UTF-8 data"),
			[]string{"newdir/ok.xml", "newdir/sub/b.xml"}},
		{"a control character", svnErr([]string{"E160005"}, "svn: E160005: Invalid control character '0x0a' in path '/srv/wc/api/nl\nx.xml'"),
			[]string{"api/nl\nx.xml"}},
		{"a kind it does not version", svnErr([]string{"E200007"}, "svn: E200007: Unsupported node kind for path '/srv/wc/api/a.xml'"),
			[]string{"api/a.xml"}},
		{"a folder not in the commit", svnErr([]string{"E200009"},
			"svn: E200009: '/srv/wc/newdir' is not known to exist in the repository and is not part of the commit, yet its child '/srv/wc/newdir/ok.xml' is part of the commit"),
			[]string{"newdir/ok.xml", "newdir/sub/b.xml"}},
		{"the whole tree named", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/srv/wc' to UTF-8"), nil},
		{"outside the tree", svnErr([]string{"E200007"}, "svn: E200007: Unsupported node kind for path '/etc/passwd'"), nil},
		{"a relative path", svnErr([]string{"E200007"}, "svn: E200007: Unsupported node kind for path 'api/a.xml'"),
			[]string{"api/a.xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, refusedPaths(tt.err, dir, ready))
		})
	}
}

func TestAround(t *testing.T) {
	tree := map[string][]string{
		".":          {"api", "carbonapps", "top.xml"},
		"api":        {"a.xml", "bad\xff.xml", "sub"},
		"api/sub":    {"s.xml"},
		"carbonapps": {"App_1.0.0.car"},
	}
	list := func(d string) ([]string, error) { return tree[d], nil }
	bad := map[string]bool{"api": true}
	tests := []struct {
		name     string
		targets  []string
		infinity bool
		want     []string
		odd      []string
	}{
		{"the whole tree", []string{"."}, true,
			[]string{"api/a.xml", "api/sub", "carbonapps", "top.xml"}, []string{"api/bad\xff.xml"}},
		{"immediates of the folder and a file in it", []string{"api", "api/a.xml", "carbonapps"}, false,
			[]string{"api/a.xml", "api/sub", "carbonapps"}, []string{"api/bad\xff.xml"}},
		{"immediates of a parent: it reads only its own names", []string{"."}, false, []string{"."}, nil},
		{"nothing near", []string{"carbonapps"}, true, []string{"carbonapps"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, odd, err := around(tt.targets, bad, tt.infinity, list)
			require.NoError(t, err)
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.odd, odd)
		})
	}
}

// TestGateRejectsOddPaths: a symlink, a FIFO and a bad name are rejected
// once each (judged again only when they change); a regular file, a folder
// and a path gone from disk are not odd; a deletion whose path is now a
// link is rejected, not taken for a deletion.
