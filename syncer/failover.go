package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/failover"
)

// withFallbacks is s using svn.fallback_urls too when svn.url does not
// answer (package failover), when there are any; nil otherwise.
func withFallbacks(cfg *config.Config, s SVN, log *slog.Logger) *failover.SVN {
	if len(cfg.SVN.FallbackURLs) == 0 {
		return nil
	}
	return failover.New(s, failover.Options{URL: cfg.SVN.URL, Fallbacks: cfg.SVN.FallbackURLs,
		Threshold: cfg.SVN.FailThreshold, Hold: cfg.SVN.PollInterval, Log: log})
}

// lookBackToSvnURL asks svn.url, while a fallback URL is in use, whether it
// answers again, until ctx is done.
func (d *Daemon) lookBackToSvnURL(ctx context.Context) {
	if d.fallback.servers != nil {
		d.fallback.servers.Run(ctx)
	}
}

// svnURL is the URL of the server in use (/v1/status's svn_url).
func (d *Daemon) svnURL() string {
	if d.fallback.servers != nil {
		return config.RedactURL(d.fallback.servers.InUse())
	}
	return config.RedactURL(d.cfg.SVN.URL)
}

// checkTimeout bounds each server's answer to CheckFallbackURLs.
const checkTimeout = 10 * time.Second

// CheckFallbackURLs asks svn.url and each of svn.fallback_urls for their
// repository's UUID, at once, each for checkTimeout at most: a fallback URL
// of another repository is a *ConfigError naming both URLs and UUIDs; one
// that does not answer is a warning (it may come back, and it is checked
// again before it is used). Nothing is asked without fallback URLs, and
// nothing is written but a temporary svn configuration, removed.
func CheckFallbackURLs(ctx context.Context, cfg *config.Config) (warnings []string, err error) {
	if cfg.SVN.URL == "" || len(cfg.SVN.FallbackURLs) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "depsync-check-")
	if err != nil {
		return nil, fmt.Errorf("svn.fallback_urls: %w", err)
	}
	defer os.RemoveAll(dir)
	c, err := svn.New(svn.Options{Username: cfg.SVN.Username, Password: cfg.SVN.Password.Reveal(), ConfigDir: dir,
		TrustServerCert: cfg.SVN.TrustServerCert, ProbeTimeout: checkTimeout})
	if err != nil {
		return nil, fmt.Errorf("svn.fallback_urls: %w", err)
	}
	urls := append([]string{cfg.SVN.URL}, cfg.SVN.FallbackURLs...)
	answers := failover.Ask(ctx, urls, func(ctx context.Context, u string) (string, error) {
		info, err := c.Info(ctx, u)
		if err != nil {
			return "", err
		}
		return info.RepoUUID, nil
	})
	warnings, err = failover.SameRepository(answers)
	if err != nil {
		return warnings, &ConfigError{Err: err}
	}
	return warnings, nil
}
