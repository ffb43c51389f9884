package syncer

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/depsync/depsync/config/carbonxml"
)

// prepareCarbon writes this role's <DeploymentSynchronizer> block when
// carbon.write_config asks for it, and refuses to run the SVN loop when
// carbon.xml enables Carbon's own synchronizer: two agents committing and
// updating one working copy corrupt it. A node without a carbon.xml (a bare
// directory) is fine unless write_config asks for one.
func (d *Daemon) prepareCarbon() error {
	file := d.cfg.Carbon.ConfigFile
	if d.cfg.Carbon.WriteConfig {
		res, err := carbonxml.Apply(file, carbonxml.FromConfig(d.cfg), carbonxml.ApplyOptions{})
		if err != nil {
			if carbonxml.IsBadInput(err) {
				return &ConfigError{Err: fmt.Errorf("carbon.write_config: %w", err)}
			}
			return fmt.Errorf("carbon.write_config: %w", err)
		}
		if res.Status != carbonxml.StatusUnchanged {
			d.log.Info("carbon.xml written for this role; restart Carbon for it to take effect",
				"file", res.File, "status", res.Status, "backup", res.Backup)
		}
		return nil
	}
	if file == "" || d.cfg.SVN.URL == "" {
		return nil
	}
	b, err := carbonxml.Read(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		// Carbon itself will complain about a broken carbon.xml; it is not
		// depsync's to refuse over.
		d.log.Warn("cannot read carbon.xml to check Carbon's own synchronizer is off", "file", file, "error", err)
		return nil
	}
	if b.Present && b.Enabled {
		return configErrorf("%s (line %d) enables Carbon's own DeploymentSynchronizer: it and depsync would both work "+
			"on %s and corrupt the working copy. Set <Enabled>false</Enabled> there "+
			"(depsync carbon-config does it) or set carbon.write_config: true", file, b.Line, d.cfg.Carbon.DeploymentDir)
	}
	return nil
}
