package backup

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/depsync/depsync/config"
)

func TestLayout(t *testing.T) {
	assert.Equal(t, filepath.Join("/var/lib/depsync", "overwritten"), Root("/var/lib/depsync"))
	for _, tc := range []struct {
		tenant int
		rel    string
		want   string
	}{
		{config.SuperTenantID, "carbonapps/a.car", "carbonapps/a.car"},
		{config.SuperTenantID, "", ""},
		{3, "carbonapps/a.car", "tenants/3/carbonapps/a.car"},
		{3, "", "tenants/3/"},
	} {
		assert.Equal(t, tc.want, Path(tc.tenant, tc.rel), "tenant %d rel %q", tc.tenant, tc.rel)
	}
}
