package handover

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/config/carbonxml"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

// prepare writes this role's <DeploymentSynchronizer> block when
// carbon.write_config asks for it, and refuses to run the SVN loop when
// carbon.xml enables Carbon's own synchronizer: two agents committing and
// updating one working copy corrupt it. A node without a carbon.xml (a bare
// directory) is fine unless write_config asks for one. It returns when the
// block was last turned off, for await: a Carbon JVM started before then
// still runs its own synchronizer.
func prepare(cfg *config.Config, log *slog.Logger) (handover, error) {
	file := cfg.Carbon.ConfigFile
	if cfg.Carbon.WriteConfig {
		// What the block said before, and since when: a block that was on
		// is turned off now.
		before, _ := carbonxml.Read(file)
		changed := modTime(file)
		res, err := carbonxml.Apply(file, carbonxml.FromConfig(cfg), carbonxml.ApplyOptions{})
		if err != nil {
			if carbonxml.IsBadInput(err) {
				return handover{}, &tenant.ConfigError{Err: fmt.Errorf("carbon.write_config: %w", err)}
			}
			return handover{}, fmt.Errorf("carbon.write_config: %w", err)
		}
		if res.Status != carbonxml.StatusUnchanged {
			log.Info("carbon.xml written for this role; restart Carbon for it to take effect",
				"file", res.File, "status", res.Status, "backup", res.Backup)
		}
		off, how := turnedOff(before, changed, time.Now())
		return of(cfg, file, off, how), nil
	}
	if file == "" || cfg.SVN.URL == "" {
		return handover{}, nil
	}
	changed := modTime(file)
	b, err := readCarbonXML(cfg)
	if err != nil || b == nil {
		return handover{}, err
	}
	off, how := turnedOff(b, changed, time.Time{})
	return of(cfg, file, off, how), nil
}

// turnedOff says since when Carbon's own synchronizer has been off, and
// how that is known, from the block carbon.xml held (before depsync wrote
// its own, if it did), when carbon.xml last changed and when depsync wrote
// it (zero: it did not): an enabled block depsync turned off is off from
// now; one already off, from the last change of the file at the latest.
// Zero without a block: Carbon's synchronizer was never set up.
func turnedOff(b *carbonxml.Block, changed, written time.Time) (time.Time, string) {
	switch {
	case b == nil || !b.Present:
		return time.Time{}, ""
	case b.Enabled && !written.IsZero():
		return written, "depsync turned it off"
	}
	return changed, "carbon.xml last changed"
}

// modTime is a file's modification time, zero when it cannot be read.
func modTime(file string) time.Time {
	fi, err := os.Stat(file)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// Check is prepare's refusal without its writes, for the checks run and
// config check make before anything starts: with carbon.write_config, a
// carbon.xml that cannot be written as this role needs; without it, on an
// SVN node, a carbon.xml that cannot be read or that enables Carbon's own
// synchronizer.
func Check(cfg *config.Config) error {
	file := cfg.Carbon.ConfigFile
	if cfg.Carbon.WriteConfig {
		_, err := carbonxml.Apply(file, carbonxml.FromConfig(cfg), carbonxml.ApplyOptions{DryRun: true})
		if err != nil && carbonxml.IsBadInput(err) {
			return &tenant.ConfigError{Err: fmt.Errorf("carbon.write_config: %w", err)}
		}
		return nil
	}
	if file == "" || cfg.SVN.URL == "" {
		return nil
	}
	_, err := readCarbonXML(cfg)
	return err
}

// readCarbonXML reads the block of carbon.xml on a node that leaves the
// file to the operator: nil without a file, a ConfigError when it cannot
// be read (whether Carbon's own synchronizer is off is then unknown) or
// when it enables that synchronizer: it and depsync would both work on one
// working copy and corrupt it.
func readCarbonXML(cfg *config.Config) (*carbonxml.Block, error) {
	file := cfg.Carbon.ConfigFile
	b, err := carbonxml.Read(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, configErrorf("cannot read carbon.xml to check that Carbon's own DeploymentSynchronizer is off: %w "+
			"(make it readable by the user depsync runs as, or set carbon.write_config: true)", err)
	}
	if b.Present && b.Enabled {
		return nil, configErrorf("%s (line %d) enables Carbon's own DeploymentSynchronizer: it and depsync would both work "+
			"on %s and corrupt the working copy. Set <Enabled>false</Enabled> there "+
			"(depsync carbon-config does it) or set carbon.write_config: true", file, b.Line, cfg.Carbon.DeploymentDir)
	}
	return b, nil
}

func configErrorf(format string, args ...any) error {
	return &tenant.ConfigError{Err: fmt.Errorf(format, args...)}
}
