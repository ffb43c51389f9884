package syncer

import (
	"context"
	"log/slog"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/syncer/internal/failover"
)

// withFallbacks is s using svn.fallback_urls too when svn.url does not
// answer (package failover), when there are any and raw (the client under
// s) can relocate working copies; s as it is otherwise.
func withFallbacks(cfg *config.Config, s, raw SVN, log *slog.Logger) SVN {
	r, ok := raw.(failover.Relocator)
	if len(cfg.SVN.FallbackURLs) == 0 || !ok {
		return s
	}
	return failover.New(s, failover.Options{URL: cfg.SVN.URL, Fallbacks: cfg.SVN.FallbackURLs,
		Threshold: cfg.SVN.FailThreshold, Hold: cfg.SVN.PollInterval, Relocator: r, Log: log})
}

// lookBackToSvnURL asks svn.url, while a fallback URL is in use, whether it
// answers again, until ctx is done.
func (d *Daemon) lookBackToSvnURL(ctx context.Context) {
	if f, ok := d.svn.(*failover.SVN); ok {
		f.Run(ctx)
	}
}

// svnURL is the URL of the server in use (/v1/status's svn_url).
func (d *Daemon) svnURL() string {
	if f, ok := d.svn.(*failover.SVN); ok {
		return config.RedactURL(f.InUse())
	}
	return config.RedactURL(d.cfg.SVN.URL)
}
