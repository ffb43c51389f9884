package syncer

import (
	"io/fs"
	"os"
	"path/filepath"
)

// checkLinks refuses to start on a synced folder that is a symlink: the
// folders right inside a tenant's deployment directory (carbonapps,
// synapse-configs, ...). svn versions a link as a link (every worker would
// get it, dangling), the watches do not go through it, and direct mode
// would push what it points at while SVN mode does not: rather than sync
// it one way or another, depsync asks for the folder itself. The
// deployment directory may be a link (it is resolved once, as a whole);
// links deeper in the tree are found at runtime and rejected like any
// odd path.
func (d *Daemon) checkLinks() error {
	for _, t := range d.tenantList() {
		dir := t.Tenant().Dir
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue // missing or unreadable: the tenant's own checks say so
		}
		for _, e := range ents {
			if e.Type()&fs.ModeSymlink == 0 || d.cfg.Ignored(e.Name()) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			fi, err := os.Stat(p)
			if err != nil || !fi.IsDir() {
				continue // a link to a file: rejected at runtime like any
			}
			to, _ := os.Readlink(p)
			return configErrorf("%s is a symlink (to %s): depsync syncs folders, not links to them; "+
				"move the folder itself there (or point carbon.deployment_dir at the real tree)", p, to)
		}
	}
	return nil
}
