package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/deploy/reconcile"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/syncer"
)

// directPush is the daemon's part of package deploy: the node's carbonapps
// store behind the /v1/capps API, and on a manager with peers the
// reconciler that pushes C-Apps to them in direct mode.
type directPush struct {
	store      *deploy.Store
	metrics    *deploy.Metrics
	reconciler *reconcile.Reconciler // nil on a worker or a manager without peers
	// backups keeps the copies under <state_dir>/overwritten for the store
	// and the syncer alike (one keeper, one metric, one set of limits).
	backups *backup.Keeper
	// guard holds the reconciler's mass prunes (depsync_deletions_held on
	// the registry); the syncer's SVN side is to share it.
	guard *guard.Guard
	// carbon, when set, gives /v1/capps each C-App's Carbon state.
	carbon deploy.CarbonStates
}

// directSyncer adapts the reconciler to the syncer's hook, including the
// peers' status shown in /v1/status while in direct mode.
type directSyncer struct{ *reconcile.Reconciler }

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

// newDirectPush builds the node's part of package deploy around the
// daemon's backups keeper and guard (see daemonParts).
func newDirectPush(c *config.Config, reg prometheus.Registerer, keeper *backup.Keeper, g *guard.Guard,
	log *slog.Logger) (*directPush, error) {
	// A manager's carbonapps is the source of truth: a missing one is
	// waited for, never made up empty (that would read as "delete every
	// C-App"). A worker's is made when a push arrives, not before (an
	// empty folder the repository lacks would leave its working copy
	// unclean).
	store, err := deploy.NewStoreWith(filepath.Join(c.Carbon.DeploymentDir, "carbonapps"),
		deploy.StoreOptions{NoCreate: true, MkdirOnPut: c.Role == config.RoleWorker})
	if err != nil {
		return nil, fmt.Errorf("carbonapps: %w", err)
	}
	// What a push replaces or a prune deletes is copied aside first, where
	// the syncer keeps what svn overwrites.
	store.KeepBackups(keeper, "carbonapps")
	p := &directPush{store: store, metrics: deploy.NewMetrics(reg), backups: keeper, guard: g}
	if c.Role != config.RoleManager || len(c.Peers) == 0 {
		return p, nil
	}
	// With TLS the reconciler presents this node's certificate: it is what
	// makes a worker take its writes as the manager's.
	client, err := client.New(client.Options{Token: c.Token.Reveal(), CAFile: c.TLS.CAFile,
		CertFile: c.TLS.CertFile, KeyFile: c.TLS.KeyFile, Logger: log})
	if err != nil {
		return nil, err
	}
	interval := 30 * time.Second
	if ri := c.Sync.RescanInterval; ri > 0 && ri < interval {
		interval = ri
	}
	p.reconciler, err = reconcile.New(reconcile.Options{
		Store: store, Peers: c.Peers, Client: client, Prune: c.Sync.Prune,
		NodeName: c.NodeName, Logger: log, Metrics: p.metrics, Guard: p.guard, Interval: interval,
		DeleteSettle: c.Sync.SettleWindow(),
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// peerHosts are the hosts of the configured peers: on a worker, its
// manager(s), whose client certificate its API asks for over TLS.
func peerHosts(peers []string) []string {
	var out []string
	for _, p := range peers {
		if u, err := url.Parse(p); err == nil && u.Hostname() != "" {
			out = append(out, u.Hostname())
		}
	}
	return out
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
		ManagerHosts: peerHosts(c.Peers),
		Token:        c.Token.Reveal(),
		Logger:       log,
		Metrics:      p.metrics,
		Carbon:       p.carbon,
	})
	mux.Handle("/v1/capps", api)
	mux.Handle("/v1/capps/", api)
}
