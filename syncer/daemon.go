package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/tlsconf"
	"github.com/depsync/depsync/syncer/internal/fswatch"
	"github.com/depsync/depsync/syncer/internal/handover"
	"github.com/depsync/depsync/syncer/internal/httpapi"
	"github.com/depsync/depsync/syncer/internal/mode"
	"github.com/depsync/depsync/syncer/internal/peer"
	"github.com/depsync/depsync/syncer/internal/poll"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
	"github.com/depsync/depsync/syncer/internal/tenant"
	"github.com/depsync/depsync/syncer/internal/tenantrun"
)

// Modes of a daemon, as /v1/status shows them.
const (
	ModeSVN    = api.ModeSVN
	ModeDirect = api.ModeDirect
)

// DefaultGrace is how long an svn operation in flight may go on after the
// daemon is told to stop, before svn is killed.
const DefaultGrace = 30 * time.Second

// Deps are the daemon's parts. cmd/depsync builds them from the config
// (the one place they are made); New takes them as they are. SVN (with
// svn.url), Registry, HTTPClient, Backups and Guard are required: New
// returns an error naming any missing, a mistake of the caller rather than
// of the operator. The others are optional.
type Deps struct {
	// SVN runs svn: an *svn.Client, a fake in tests. Required with svn.url.
	SVN SVN
	// Logger receives the daemon's records. Nil discards.
	Logger *slog.Logger
	// Registry receives the daemon's metrics and is what /metrics serves.
	Registry *prometheus.Registry
	// Direct, when set, takes over on a manager while there is no SVN
	// server (see DirectSyncer).
	Direct DirectSyncer
	// HTTPClient sends notices to peers and asks the manager (see
	// PeerClient).
	HTTPClient *http.Client
	// Grace bounds the svn operation in flight at shutdown (default
	// DefaultGrace).
	Grace time.Duration
	// Backups keeps the copies under <state_dir>/overwritten; the node's
	// C-App store shares it.
	Backups *backup.Keeper
	// Guard holds mass deletions until a person approves them; the same
	// one is shared with the direct-mode reconciler, so that one
	// `depsync approve` covers both.
	Guard *guard.Guard
	// Arrivals, on a worker, tells the C-Apps its API wrote from drift.
	// Nil: none came through the API.
	Arrivals APIArrivals
}

// missing is an error naming the required parts deps lacks for cfg, or nil.
func (deps Deps) missing(cfg *config.Config) error {
	var names []string
	for _, p := range []struct {
		name string
		nil  bool
	}{
		{"SVN", deps.SVN == nil && cfg.SVN.URL != ""},
		{"Registry", deps.Registry == nil},
		{"HTTPClient", deps.HTTPClient == nil},
		{"Backups", deps.Backups == nil},
		{"Guard", deps.Guard == nil},
	} {
		if p.nil {
			names = append(names, p.name)
		}
	}
	if len(names) > 0 {
		return fmt.Errorf("syncer.New: Deps without %s", strings.Join(names, ", "))
	}
	return nil
}

// Daemon is one node's sync daemon: a runtime per tenant (package
// tenantrun), the notifier of peers and the HTTP handlers.
type Daemon struct {
	cfg     *config.Config
	svn     SVN
	log     *slog.Logger
	m       *metrics // with the registry they are on
	grace   time.Duration
	peers   *peer.Notifier
	notices noticeState
	backups *backup.Keeper
	// deletions holds mass deletions (see package guard).
	deletions *guard.Guard
	// mgr is what a worker knows of its manager (see package peer).
	mgr      *peer.Manager
	fallback fallbackState

	// tenants are the tenants this node syncs (see tenantSet).
	tenants tenantSet
	// hub looks at the server once per poll for every tenant.
	hub     *poll.Hub
	watches *fswatch.Hub // for the watchers of the node's directories
	// arrivals are the C-Apps the API wrote (Deps.Arrivals).
	arrivals APIArrivals
}

// noticeState is what the daemon keeps of the notices it sends and
// receives.
type noticeState struct {
	// self is this node's base URL, sent with notices (cfg.SelfURL).
	self string
	// refused remembers notice URLs refused, to log each once.
	refused httpapi.Refusals
	// heldSaid is how many deletions the last notice said this manager
	// holds, -1 for not known yet (see announceHolds).
	heldSaid atomic.Int64
}

// startParallel is how many tenants run their first sync (checkout,
// reconcile or update) at once. Their svn work meets in batches (see
// package svnbatch): a hundred tenants starting together cost a few svn runs, and
// the daemon never runs more than a few svn processes, so that they do
// not starve each other (and the SVN server) of CPU.
const startParallel = 128

// ConfigError is a problem the operator must fix in the config or on the
// node (exit code 2), as opposed to a failure of the work.
type ConfigError = tenant.ConfigError

// IsConfigError reports whether err is the operator's to fix.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

func configErrorf(format string, args ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, args...)}
}

// New checks cfg and builds a daemon of the parts in deps. It runs
// nothing: svn and the deployment directories are first touched by Run or
// Once.
func New(cfg *config.Config, deps Deps) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("invalid config:\n%w", err)}
	}
	if err := deps.missing(cfg); err != nil {
		return nil, err
	}
	d := &Daemon{
		cfg:       cfg,
		log:       deps.Logger,
		grace:     deps.Grace,
		backups:   deps.Backups,
		deletions: deps.Guard,
		arrivals:  deps.Arrivals,
	}
	d.tenants.starting = make(chan struct{}, startParallel)
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.fallback = fallbackState{mode: newMode(d), direct: deps.Direct}
	if d.grace <= 0 {
		d.grace = DefaultGrace
	}
	d.m = newMetrics(deps.Registry)
	d.m.reg.MustRegister(httpapi.TenantsCollector(d.shownTenants), mode.Collector(d.managerMode, d.fallback.mode.Fallback),
		httpapi.DriftCollector(d.shownTenants))
	if deps.SVN != nil {
		// The wrappers are how this daemon uses svn, not parts of their
		// own: its tenants' calls meet in batches (svnbatch) and move to
		// another server of the repository together (failover), and a
		// test's fake goes through them as the real client does.
		d.svn = svnbatch.Wrap(deps.SVN)
		if d.fallback.servers = withFallbacks(cfg, d.svn, d.log); d.fallback.servers != nil {
			d.svn = d.fallback.servers
		}
	}
	d.notices.self = cfg.SelfURL()
	hc := deps.HTTPClient
	d.peers = peer.NewNotifier(peer.Options{URLs: cfg.Peers, Client: hc, Token: cfg.Token.Reveal(), Node: cfg.NodeName,
		Self: d.notices.self, Mode: d.Mode, Held: d.heldForNotices, Sent: d.m.notifySent, Log: d.log})
	d.mgr = peer.New(hc, cfg.Token.Reveal(), d.log)
	for _, t := range cfg.Tenants() {
		d.addTenant(t)
	}
	d.hub = newHub(d)
	return d, nil
}

// addTenant adds a tenant and returns it, or the one already there with
// that id (and false).
func (d *Daemon) addTenant(t config.Tenant) (*tenantrun.Runtime, bool) {
	return d.tenants.add(t, func(n int) *tenantrun.Runtime { return tenantrun.New(d.tenantEnv(t, n)) })
}

// tenantList returns the tenants as they are now (the super tenant first).
func (d *Daemon) tenantList() []*tenantrun.Runtime {
	return d.tenants.all()
}

// tenant returns the tenant with that id, or nil.
func (d *Daemon) tenant(id int) *tenantrun.Runtime {
	return d.tenants.get(id)
}

// superID is the id of the first tenant (the super tenant).
func (d *Daemon) superID() int { return config.SuperTenantID }

// PeerClient is the HTTP client for notices and for a worker's questions
// to its manager (Deps.HTTPClient): short timeouts, and the CA of
// tls.ca_file when the peers use a private one.
func PeerClient(t config.TLS) (*http.Client, error) {
	tlsCfg, err := tlsconf.Client(tlsconf.Options{CAFile: t.CAFile})
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	tr.TLSClientConfig = tlsCfg
	return &http.Client{Transport: tr, Timeout: peer.NotifyTimeout}, nil
}

// Registry is the registry the daemon's metrics are on (Deps.Registry),
// which /metrics serves.
func (d *Daemon) Registry() *prometheus.Registry { return d.m.reg }

// Guard is the mass-deletion guard (Deps.Guard).
func (d *Daemon) Guard() *guard.Guard { return d.deletions }

// ManagerURL is the base URL of the manager that last sent this node a
// notice, or "" when none has (or this node is the manager).
func (d *Daemon) ManagerURL() string {
	return d.mgr.URL()
}

// opContext returns the context svn operations run in: it outlives ctx by
// the grace period, so that SIGTERM lets the operation in flight finish
// (an interrupted update is safe, but a finished one is better).
func (d *Daemon) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	op, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(d.grace, cancel) })
	return op, func() { stop(); cancel() }
}

// Run syncs until ctx is done, then returns nil once the operations in
// flight have finished (or the grace period has passed). It returns early
// with an error only when syncing cannot work at all: svn missing or too
// old, credentials refused, a config problem (see IsConfigError).
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.checkLinks(); err != nil {
		return err
	}
	d.log.Info("depsync starting", "role", d.cfg.Role, "node", d.cfg.NodeName, "mode", d.Mode(),
		"tenants", len(d.tenantList()), "peers", len(d.cfg.Peers), "url", d.notices.self)
	if ok, err := handover.TakeOver(ctx, d.handoverEnv()); !ok {
		return err
	}
	// A fatal error of one tenant stops them all.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		fatalMu  sync.Mutex
		fatalErr error
	)

	// Without it, each watcher makes its own. A worker watches for drift;
	// only the manager's watchers wait for closes.
	d.watches, _ = fswatch.NewHub(d.cfg.Role == config.RoleManager, d.log)
	defer d.watches.Close() // after the watchers, which wg waits for
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.peers.Run(ctx) }()
	if d.cfg.Role == config.RoleWorker {
		wg.Add(1)
		go func() { defer wg.Done(); d.learnManagerMode(ctx) }()
	}
	if d.cfg.Role == config.RoleManager && d.fallback.direct != nil {
		wg.Add(1)
		go func() { defer wg.Done(); d.runDirect(ctx) }()
	}
	if d.cfg.SVN.URL == "" {
		d.log.Info("no svn.url: nothing to do over SVN (direct mode)")
		for _, t := range d.tenantList() {
			t.SetReady()
		}
		if d.cfg.Role == config.RoleManager && d.fallback.direct != nil {
			wg.Add(1)
			go func() { defer wg.Done(); d.watchForDirect(ctx) }()
		}
	} else {
		// The hub's base revision is taken before any tenant syncs, so
		// that nothing committed meanwhile is missed.
		d.hub.Start(ctx)
		d.discover(ctx)
		wg.Add(1)
		go func() { defer wg.Done(); d.hub.Run(ctx) }()
		wg.Add(1)
		go func() { defer wg.Done(); d.lookBackToSvnURL(ctx) }()
		for _, t := range d.tenantList() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := d.runTenant(ctx, t); err != nil {
					fatalMu.Lock()
					fatalErr = errors.Join(fatalErr, fmt.Errorf("tenant %d: %w", t.ID(), err))
					fatalMu.Unlock()
					cancel()
				}
			}()
		}
		// A tenant found at runtime that cannot work is logged, not
		// fatal: the tenants configured go on.
		d.tenants.setSpawn(func(t *tenantrun.Runtime) {
			if ctx.Err() != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := d.runTenant(ctx, t); err != nil {
					t.Failed(err)
					d.log.Error("tenant found at runtime stopped", "tenant", t.ID(), "error", err)
				}
			}()
		})
		if d.cfg.Carbon.AllTenants && d.cfg.Role == config.RoleManager {
			wg.Add(1)
			go func() { defer wg.Done(); d.watchTenants(ctx, min(d.cfg.SVN.PollInterval, 2*time.Second)) }()
		}
	}
	<-ctx.Done()
	d.tenants.setSpawn(nil)
	wg.Wait()
	if fatalErr != nil {
		return fatalErr
	}
	d.log.Info("depsync stopped")
	return nil
}

// checkSVN fails when svn is missing or too old: nothing works without it.
func (d *Daemon) checkSVN(ctx context.Context) error {
	if err := d.svn.CheckVersion(ctx); err != nil {
		return fmt.Errorf("svn: %w", err)
	}
	return nil
}

// Once runs one full sync of every tenant (a commit on a manager, an
// update on a worker) and returns. On a manager it waits for files still
// being written (up to sync.max_delay after they settle) and returns an
// error naming any file it did not commit because it is invalid.
func (d *Daemon) Once(ctx context.Context) error {
	if d.cfg.SVN.URL == "" {
		return configErrorf("svn.url is empty: depsync run --once syncs over SVN")
	}
	if err := handover.TakeOverOnce(ctx, d.handoverEnv()); err != nil {
		return err
	}
	var errs []error
	for _, t := range d.tenantList() {
		if err := d.onceTenant(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %d (%s): %w", t.ID(), t.Tenant().Dir, err))
		}
	}
	if d.cfg.Role == config.RoleManager {
		if rev := d.revision(); rev > 0 {
			nctx, cancel := context.WithTimeout(ctx, 2*peer.NotifyTimeout)
			d.peers.SendAll(nctx, rev)
			cancel()
		}
	}
	return errors.Join(errs...)
}

// revision is the newest revision of any tenant, for notices.
func (d *Daemon) revision() int64 {
	var rev int64
	for _, t := range d.tenantList() {
		rev = max(rev, t.Status().Revision)
	}
	return rev
}

// pokeAll wakes every tenant's loop up (a manager then looks at its whole
// tree, a worker updates).
func (d *Daemon) pokeAll() {
	for _, t := range d.tenantList() {
		t.Poke()
	}
}

// notified records a notice from a manager and wakes the tenants up. The
// notice's URL has been checked against the peers (package httpapi).
func (d *Daemon) notified(n Notice) {
	if n.URL != "" {
		d.mgr.Noticed(n.URL, n.Node)
		d.peers.Heard(n.URL)
	}
	d.mgr.Set(n.Mode, "notice")
	d.mgr.SetHeld(peer.NoticeHeld(n))
	if len(n.Tenants) == 0 {
		// An older manager's notice, or a change of mode: every tenant.
		for _, t := range d.tenantList() {
			t.Notified(n.Revision)
		}
		return
	}
	for _, nt := range n.Tenants {
		if t := d.tenant(nt.ID); t != nil {
			t.Notified(nt.Revision)
		} else {
			d.unknownTenant(nt.ID, nt.Revision, true)
		}
	}
}

// unknownTenant is told of a change to a tenant this node does not sync:
// with carbon.tenants: all a worker starts syncing it.
// A notice's revision is taken at once; one the hub saw waits like any
// (see package worker's decideTake).
func (d *Daemon) unknownTenant(id int, rev int64, notice bool) {
	if !d.cfg.Carbon.AllTenants || d.cfg.Role != config.RoleWorker || id <= 0 {
		d.log.Debug("change to a tenant this node does not sync", "tenant", id, "revision", rev)
		return
	}
	if d.removedBy(id, rev) {
		return
	}
	ts, added := d.addTenant(d.cfg.TenantOf(id))
	if notice {
		ts.Notified(rev)
	} else {
		ts.Changed(rev)
	}
	if added {
		d.discovered(ts)
	}
}
