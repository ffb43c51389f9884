package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer"
)

// daemonParts builds from the config the parts syncer.New takes: the svn
// client, the backups keeper and the mass-deletion guard (their metrics on
// reg), and the HTTP client of notices. It is the one place they are made:
// depsync run and run --once build the daemon from it, and run lends the
// keeper and the guard to the C-App store and the direct-mode reconciler
// (newDirectPush), so that a node has one of each. approved, when set, is
// called after a person approves held deletions. An error is a
// *syncer.ConfigError when it is the operator's to fix.
func daemonParts(c *config.Config, reg *prometheus.Registry, log *slog.Logger, approved func()) (syncer.Deps, error) {
	deps := syncer.Deps{Logger: log, Registry: reg}
	deps.Backups = backup.New(backup.Root(c.StateDir), backup.Options{
		MaxAge: c.Backups.MaxAge, MaxBytes: int64(c.Backups.MaxBytes), Logger: log, Registerer: reg})
	deps.Guard = guard.New(guard.Options{Limit: c.Sync.DeleteLimit(), ApprovalTTL: c.Sync.ApprovalTimeout(),
		Logger: log, Registerer: reg, OnApprove: approved})
	hc, err := syncer.PeerClient(c.TLS)
	if err != nil {
		return syncer.Deps{}, &syncer.ConfigError{Err: err}
	}
	deps.HTTPClient = hc
	if c.SVN.URL != "" {
		client, err := svn.New(svn.Options{
			Username:        c.SVN.Username,
			Password:        c.SVN.Password.Reveal(),
			StateDir:        c.StateDir,
			TrustServerCert: c.SVN.TrustServerCert,
			Logger:          log,
		})
		if err != nil {
			if errors.Is(err, svn.ErrNotInstalled) {
				return syncer.Deps{}, fmt.Errorf("svn client: %w", err)
			}
			return syncer.Deps{}, &syncer.ConfigError{Err: fmt.Errorf("svn client: %w", err)}
		}
		deps.SVN = client
	}
	return deps, nil
}
