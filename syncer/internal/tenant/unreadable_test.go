package tenant

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/svn"
)

func TestUnreadableDir(t *testing.T) {
	const dir = "/srv/wc"
	tests := []struct {
		name string
		err  error
		want string
		ok   bool
	}{
		{"a folder", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/srv/wc/synapse-configs/default/api' to UTF-8\nsvn: E000022: Valid UTF-8 data\n(hex: 62 61 64)"),
			"synapse-configs/default/api", true},
		{"the root", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/srv/wc' to UTF-8"), ".", true},
		{"a target, no folder", svnErr([]string{"E000022"}, "svn: E000022: Valid UTF-8 data\n(hex: 62 61 64)"), "", false},
		{"outside", svnErr([]string{"E000022"}, "svn: E000022: Error converting entry in directory '/elsewhere' to UTF-8"), "", false},
		{"another code", svnErr([]string{"E155004"}, "Error converting entry in directory '/srv/wc/api' to UTF-8"), "", false},
		{"nil", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := UnreadableDir(tt.err, dir)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func svnErr(codes []string, msg string) error {
	return &svn.Error{Op: "commit", Codes: codes, Message: msg}
}
