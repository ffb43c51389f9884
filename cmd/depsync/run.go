package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/syncer"
)

func newRunCmd(a *app) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the sync daemon: a manager commits, workers update",
		Long: `Run the sync daemon for this node's role.

A manager watches its deployment directory and commits each complete change
to SVN (a .car only once it reads as a whole, valid C-App), then tells every
peer at once. A worker updates its directory on a notice and on a poll
(svn.poll_interval); local edits are first copied to
<state_dir>/overwritten/<UTC time>/<path>, then the repository's version wins.

The HTTP server on listen serves /healthz, /readyz, /metrics, GET /v1/status
and POST /v1/notify (bearer token from token_file or DEPSYNC_TOKEN).
It follows Carbon's log (carbon.log_file, default
<carbon.home>/repository/logs/wso2carbon.log) for each C-App's state, shown
in /v1/capps, /v1/status and the gauge depsync_capps{state}; a missing log
is said once and looked for again.
SIGINT or SIGTERM stops watching, lets the svn operation in flight finish
(30 s at most) and exits 0. The HTTP server stops at once: new connections
are refused, a C-App PUT or DELETE that still arrives gets 503, and uploads
in flight get 10 s to finish, then are cut, their temporary files removed.

Before anything is listened on or written, it makes the checks depsync
config check makes (the config, the TLS files, state_dir, the svn client,
the repository of svn.fallback_urls, carbon.xml) and refuses to start, with the same message, when one fails.

With --once it runs one full sync (a commit on a manager, an update on a
worker) and exits, for cron and CI.

Exit status: 0 success (or a clean stop), 1 the sync failed (svn missing,
credentials refused, the server or the network), 2 the config is wrong.`,
		Example: `  depsync run --config /etc/depsync/depsync.yaml
  depsync run --config node2.yaml --log-format json
  depsync run --once --config /etc/depsync/depsync.yaml   # from cron or CI`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(nil)
			if err != nil {
				return err
			}
			// Nothing is touched on disk, and nothing listened on, before
			// the config and the node pass the checks config check makes.
			warnings, perr := preflight(cmd.Context(), c)
			// Once, at start: the operator chose these, a flood would only
			// be ignored.
			for _, w := range append(c.Warnings(), warnings...) {
				a.logger.Warn(w)
			}
			if perr != nil {
				return syncError(perr)
			}
			ctx := cmd.Context()
			if once {
				deps, err := daemonParts(c, prometheus.NewRegistry(), a.logger, nil)
				if err != nil {
					return syncError(err)
				}
				d, err := syncer.New(c, deps)
				if err != nil {
					return syncError(err)
				}
				return syncError(d.Once(ctx))
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(buildInfo())
			// One guard and one backup keeper for the node: the manager's
			// commits and its direct-mode prunes ask the same guard, so
			// /v1/status and depsync approve see every hold; an approval
			// has the reconciler look again at once.
			var push *directPush
			deps, err := daemonParts(c, reg, a.logger, func() {
				if push != nil && push.reconciler != nil {
					push.reconciler.Trigger()
				}
			})
			if err != nil {
				return syncError(err)
			}
			if push, err = newDirectPush(c, reg, deps.Backups, deps.Guard, a.logger); err != nil {
				return badInput(err)
			}
			// Carbon's own verdict on each C-App, for /v1/capps, /v1/status,
			// depsync_capps and capp push --wait.
			carbonLog := newCarbonLog(c, reg, a.logger)
			if carbonLog != nil {
				push.carbon = carbonLog
			}
			deps.Arrivals = push.store
			if push.reconciler != nil {
				deps.Direct = directSyncer{push.reconciler}
			}
			d, err := syncer.New(c, deps)
			if err != nil {
				return syncError(err)
			}

			ln, err := net.Listen("tcp", c.Listen)
			if err != nil {
				return failed(fmt.Errorf("listen %s: %w", c.Listen, err))
			}
			// One mux for the whole daemon: the syncer's endpoints and
			// package deploy's /v1/capps.
			mux := http.NewServeMux()
			mux.Handle("/", d.Handler())
			mux.Handle("GET /v1/status", d.StatusHandler(carbonStatus(carbonLog)))
			push.mount(mux, c, d.ManagerURL, a.logger)
			mountDoctor(mux, c, push.store, a.logger)   // GET /v1/doctor (depsync doctor --config)
			mountRollback(mux, c, push.guard, a.logger) // GET /v1/history, POST /v1/rollback (svn mode)
			// net/http's own lines (TLS handshake errors) go where the
			// daemon's go, in its --log-format.
			srv := httpserver.NewWith(c.Listen, mux, c.TLS, httpserver.Options{
				ErrorLog: slog.NewLogLogger(a.logger.With("component", "http_server").Handler(), slog.LevelWarn)})
			// A stop stops the HTTP server at once, alongside the daemon:
			// no upload begins after it, and those in flight have
			// httpserver.ShutdownBudget to finish within the stop. A node whose
			// HTTP server died can take no notice and no push: stop the
			// daemon too, rather than run on deaf.
			runCtx, cancelRun := context.WithCancel(ctx)
			defer cancelRun()
			served := make(chan error, 1)
			go func() { served <- httpserver.Serve(runCtx, srv, ln) }()
			a.logger.Info("listening", "addr", ln.Addr().String(), "tls", c.TLS.Enabled())
			defer context.AfterFunc(ctx, func() {
				a.logger.Info("stopping: the HTTP API takes no new upload; uploads in flight finish or are cut",
					"budget", httpserver.ShutdownBudget)
			})()
			go push.backups.Run(runCtx, time.Hour) // backups.max_age holds while nothing new comes
			if carbonLog != nil {
				go func() { _ = carbonLog.Run(runCtx) }()
			}
			var srvErr error
			srvDone := make(chan struct{})
			go func() { srvErr = <-served; cancelRun(); close(srvDone) }()
			runErr := d.Run(runCtx)
			cancelRun() // the daemon stopped by itself (a fatal error): so does the server
			<-srvDone
			if srvErr != nil && !errors.Is(srvErr, http.ErrServerClosed) && runErr == nil {
				runErr = fmt.Errorf("http server: %w", srvErr)
			}
			return syncError(runErr)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "run one full sync and exit (0 done, 1 failed)")
	return cmd
}

// syncError maps the syncer's errors to exit codes: the operator's to fix
// is 2, anything else 1.
func syncError(err error) error {
	switch {
	case err == nil:
		return nil
	case syncer.IsConfigError(err):
		return badInput(err)
	default:
		return failed(err)
	}
}
