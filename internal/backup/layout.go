package backup

import (
	"path"
	"path/filepath"
	"strconv"

	"github.com/depsync/depsync/config"
)

// DirName is the folder of the copies in the state directory.
const DirName = "overwritten"

// Root returns where the copies of the node with state directory
// stateDir go: <state_dir>/overwritten, the root of a Keeper.
func Root(stateDir string) string { return filepath.Join(stateDir, DirName) }

// Path returns the slash path, under a backup time folder, of the file rel
// (a slash path relative to tenant's deployment directory): rel itself for
// the super tenant, tenants/<id>/rel for the others. An empty rel gives the
// tenant's own folder there ("" for the super tenant).
func Path(tenant int, rel string) string {
	if tenant == config.SuperTenantID {
		return rel
	}
	if rel == "" {
		return "tenants/" + strconv.Itoa(tenant) + "/"
	}
	return path.Join("tenants", strconv.Itoa(tenant), rel)
}
