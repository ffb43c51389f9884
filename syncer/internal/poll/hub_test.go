package poll

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTenantOf: which tenant a path svn log names belongs to, with no svn
// and no Daemon.
func TestTenantOf(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		perID  bool
		path   string
		want   int
		wantOK bool
	}{
		{"a tenant's file", "/depsync", true, "/depsync/7/carbonapps/a.car", 7, true},
		{"a tenant's folder", "/depsync", true, "/depsync/7", 7, true},
		{"the super tenant", "/depsync", true, "/depsync/-1234/x.xml", -1234, true},
		{"svn.url itself", "/depsync", true, "/depsync", 0, false},
		{"not a tenant id", "/depsync", true, "/depsync/readme.txt", 0, false},
		{"outside svn.url", "/depsync", true, "/other/7/a.xml", 0, false},
		{"a sibling sharing the prefix", "/depsync", true, "/depsync2/7/a.xml", 0, false},
		{"at the root of the repository", "", true, "/7/a.xml", 7, true},
		{"one folder for all: the super tenant", "/depsync", false, "/depsync/carbonapps/a.car", -1234, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Env{AppendTenantID: tt.perID, SuperID: -1234})
			h.prefix = tt.prefix
			id, ok := h.tenantOf(tt.path)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, id)
		})
	}
}
