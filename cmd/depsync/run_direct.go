package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/syncer"
)

// directPush is the daemon's part of package deploy: the node's carbonapps
// store behind the /v1/capps API, and on a manager with peers the
// reconciler that pushes C-Apps to them in direct mode.
type directPush struct {
	store      *deploy.Store
	metrics    *deploy.Metrics
	reconciler *deploy.Reconciler // nil on a worker or a manager without peers
	// backups keeps the copies under <state_dir>/overwritten for the store
	// and the syncer alike (one keeper, one metric, one set of limits).
	backups *backup.Keeper
}

// directSyncer adapts the reconciler to the syncer's hook, including the
// peers' status shown in /v1/status while in direct mode.
type directSyncer struct{ *deploy.Reconciler }

// PeerStatuses implements syncer.PeerReporter.
func (r directSyncer) PeerStatuses() []syncer.PeerStatus {
	var out []syncer.PeerStatus
	for _, p := range r.Status() {
		ps := syncer.PeerStatus{URL: p.URL, Up: p.Up, LastError: p.LastError}
		if !p.LastSuccess.IsZero() {
			t := p.LastSuccess.UTC()
			ps.LastSuccess = &t
		}
		out = append(out, ps)
	}
	return out
}

func newDirectPush(c *config.Config, reg prometheus.Registerer, log *slog.Logger) (*directPush, error) {
	store, err := deploy.NewStore(filepath.Join(c.Carbon.DeploymentDir, "carbonapps"), 0)
	if err != nil {
		return nil, fmt.Errorf("carbonapps: %w", err)
	}
	// What a push replaces or a prune deletes is copied aside first, where
	// the syncer keeps what svn overwrites.
	keeper := backup.New(filepath.Join(c.StateDir, "overwritten"), backup.Options{
		MaxAge: c.Backups.MaxAge, MaxBytes: int64(c.Backups.MaxBytes), Logger: log, Registerer: reg})
	store.KeepBackups(keeper, "carbonapps")
	p := &directPush{store: store, metrics: deploy.NewMetrics(reg), backups: keeper}
	if c.Role != config.RoleManager || len(c.Peers) == 0 {
		return p, nil
	}
	client, err := deploy.NewClient(deploy.ClientOptions{Token: c.Token.Reveal(), CAFile: c.TLS.CAFile, Logger: log})
	if err != nil {
		return nil, err
	}
	p.reconciler, err = deploy.NewReconciler(deploy.ReconcilerOptions{
		Store: store, Peers: c.Peers, Client: client, Prune: c.Sync.Prune,
		NodeName: c.NodeName, Logger: log, Metrics: p.metrics,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// mount adds /v1/capps to the daemon's mux. managerURL names the manager in
// a worker's 409 replies: the one that last sent a notice, else the first
// peer (a worker's peers are its manager).
func (p *directPush) mount(mux *http.ServeMux, c *config.Config, managerURL func() string, log *slog.Logger) {
	api := deploy.NewAPI(deploy.APIOptions{
		Store: p.store,
		Role:  c.Role,
		ManagerURL: func() string {
			if u := managerURL(); u != "" {
				return u
			}
			if c.Role == config.RoleWorker && len(c.Peers) > 0 {
				return c.Peers[0]
			}
			return ""
		},
		Token:   c.Token.Reveal(),
		Logger:  log,
		Metrics: p.metrics,
	})
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
}
