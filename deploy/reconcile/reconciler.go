// Package reconcile is how a manager in direct mode keeps each peer's
// carbonapps directory in step with its own Store: one goroutine per peer,
// level-triggered passes that compare manifests, push what a peer lacks and
// (with prune) delete what this node does not hold once the deletion guard
// lets them through.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/backoff"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/settling"
)

// Options configure a Reconciler.
type Options struct {
	// Store is the manager's own carbonapps directory: the source of truth.
	Store *deploy.Store
	// Peers are the base URLs of the nodes to keep in step (not this one).
	Peers []string
	// Client talks to the peers; the Reconciler uses a copy that marks its
	// requests with the Depsync-Reconciler header (NodeName).
	Client *client.Client
	// Prune removes from peers the C-Apps this node does not hold.
	Prune bool
	// NodeName is this node's name, sent in the Depsync-Reconciler header.
	NodeName string
	// Interval is how often each peer gets a full pass (its whole
	// manifest listed and compared) when nothing happens (default 30s);
	// between full passes a peer in step is checked every CheckInterval.
	Interval time.Duration
	// Retry bounds the exponential backoff, with jitter,
	// between attempts at a peer that is down or whose reconcile failed
	// (default 500ms and 15s). A down peer is probed (GET /healthz) at that
	// pace and reconciled as soon as it answers.
	Retry backoff.Range
	// CheckInterval is how often the manifest of a peer in step is checked
	// between full passes (default 2s): a conditional GET /v1/capps
	// (If-None-Match) that costs nothing when nothing changed, and
	// reconciles at once when the peer restarted (its Depsync-Boot
	// changed) or lost or gained a C-App.
	CheckInterval time.Duration
	// AttemptTimeout bounds each request to a peer (default 30s); a PUT
	// gets in addition the time to send the C-App at MinRate bytes per
	// second (default 1 MB/s). A peer that accepts and never answers is
	// marked down when it runs out, and the other peers go on.
	AttemptTimeout time.Duration
	MinRate        int64
	// Guard is asked before C-Apps are pruned from a peer (scope
	// "peer <url>"): it holds the deletions when this node's carbonapps
	// holds no C-App (or is missing) while the peer holds some, or when
	// they exceed sync.max_delete; everything else is pushed. Nil: a
	// guard with the default limit.
	Guard *guard.Guard
	// DeleteSettle is how long the C-Apps to prune from a peer must stop
	// growing in number before they are put to the Guard, all together
	// (sync.delete_settle; default config.DefaultDeleteSettle): C-Apps
	// removed from this node over several passes are judged as one, never
	// pruned a slice at a time.
	DeleteSettle time.Duration
	// Now is the clock of DeleteSettle (default time.Now).
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *deploy.Metrics
}

// PeerStatus is the Reconciler's view of one peer.
type PeerStatus struct {
	URL string `json:"url"`
	// Up: the peer answered the last attempt.
	Up bool `json:"up"`
	// InSync: the last reconcile found or left the peer with the same
	// C-Apps as this node.
	InSync bool `json:"in_sync"`
	// LastSuccess is when the last reconcile that succeeded ended.
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Pushed and Deleted count what the reconciler changed on the peer
	// since the process started.
	Pushed  int `json:"pushed"`
	Deleted int `json:"deleted"`
	// Held counts the deletions the guard holds back from this peer.
	Held int `json:"held,omitempty"`
}

// Reconciler keeps each peer's carbonapps directory in step with the
// Store's, level-triggered: each pass compares the two manifests, pushes
// what the peer lacks or holds different, and (with Prune) deletes what
// this node does not hold. Every peer has its own goroutine, so a slow or
// down peer delays nobody.
type Reconciler struct {
	opts   Options
	client *client.Client
	peers  []*peer
	runMu  sync.Mutex // one Run at a time

	warnMu sync.Mutex
	warned map[string]bool
}

// warnOnce logs a warning the first time key is seen, and reports whether
// it did.
func (r *Reconciler) warnOnce(key, msg string, args ...any) bool {
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	if r.warned[key] {
		return false
	}
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	r.warned[key] = true
	r.opts.Logger.Warn(msg, args...)
	return true
}

type peer struct {
	url     string
	trigger chan struct{}
	syncMu  sync.Mutex // one reconcile of this peer at a time

	// Guarded by syncMu: what the last pass that left the peer in step
	// saw, for the conditional check between full passes.
	etag, boot string
	localSum   string
	lastFull   time.Time
	// busy counts the passes in a row that left a C-App behind because a
	// writer still had it open: the next pass comes soon, sooner than
	// CheckInterval, so a file is pushed the moment its writer closes it.
	busy int
	// prunes is what the last passes found to prune (see DeleteSettle);
	// pruneAt, when not zero, is when the prunes put off may be judged:
	// the next pass comes then.
	prunes  settling.State
	pruneAt time.Time

	mu     sync.Mutex
	status PeerStatus
}

// New returns a Reconciler; call Run to start it.
func New(opts Options) (*Reconciler, error) {
	if opts.Store == nil || opts.Client == nil {
		return nil, errors.New("reconciler: Store and Client are required")
	}
	if opts.NodeName == "" {
		return nil, errors.New("reconciler: NodeName is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.Retry.Min <= 0 {
		opts.Retry.Min = 500 * time.Millisecond
	}
	if opts.Retry.Max <= 0 {
		opts.Retry.Max = 15 * time.Second
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = 2 * time.Second
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 30 * time.Second
	}
	if opts.MinRate <= 0 {
		opts.MinRate = 1 << 20
	}
	if opts.Guard == nil {
		opts.Guard = guard.New(guard.Options{Logger: opts.Logger})
	}
	if opts.DeleteSettle <= 0 {
		opts.DeleteSettle = config.DefaultDeleteSettle
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Reconciler{opts: opts, client: opts.Client.AsReconciler(opts.NodeName)}
	seen := map[string]bool{}
	for _, u := range opts.Peers {
		if _, err := client.Endpoint(u, ""); err != nil {
			return nil, fmt.Errorf("reconciler: %w", err)
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		r.peers = append(r.peers, &peer{url: u, trigger: make(chan struct{}, 1), status: PeerStatus{URL: u}})
	}
	return r, nil
}

// Trigger asks for a reconcile of every peer as soon as possible. It never
// blocks; triggers that come while a reconcile is pending coalesce.
func (r *Reconciler) Trigger() {
	for _, p := range r.peers {
		select {
		case p.trigger <- struct{}{}:
		default:
		}
	}
}

// Status returns the state of each peer, in the order of Peers.
func (r *Reconciler) Status() []PeerStatus {
	out := make([]PeerStatus, len(r.peers))
	for i, p := range r.peers {
		p.mu.Lock()
		out[i] = p.status
		p.mu.Unlock()
	}
	return out
}

// InSync reports whether every peer was in step at its last reconcile.
func (r *Reconciler) InSync() bool {
	for _, s := range r.Status() {
		if !s.InSync {
			return false
		}
	}
	return true
}

// Run reconciles every peer at once, then on Trigger, every Interval, and
// with backoff while a peer is down or failing, until ctx ends. It can be
// called again after it returned (when the daemon goes back to direct mode).
func (r *Reconciler) Run(ctx context.Context) error {
	if !r.runMu.TryLock() {
		return errors.New("reconciler: already running")
	}
	defer r.runMu.Unlock()
	var wg sync.WaitGroup
	for _, p := range r.peers {
		wg.Go(func() { r.runPeer(ctx, p) })
	}
	wg.Wait()
	return nil
}

// SyncOnce reconciles every peer once, in parallel, and returns what went
// wrong (joined). Run need not be running.
func (r *Reconciler) SyncOnce(ctx context.Context) error {
	errs := make([]error, len(r.peers))
	var wg sync.WaitGroup
	for i, p := range r.peers {
		wg.Go(func() { errs[i] = r.syncPeer(ctx, p, false) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *Reconciler) runPeer(ctx context.Context, p *peer) {
	log := r.opts.Logger.With("peer", p.url)
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.trigger:
		case <-timer.C:
		}
		var err error
		if failures > 0 && !p.snapshot().Up {
			// Down: a cheap probe, and a reconcile as soon as it answers.
			if err = r.client.Probe(ctx, p.url); err != nil {
				r.setDown(p, err)
			}
		}
		if err == nil {
			err = r.syncPeer(ctx, p, true)
		}
		if ctx.Err() != nil {
			return
		}
		// In step: a cheap check soon, a full pass at least every
		// Interval (syncPeer decides). Not in step (a hold): again soon.
		next := backoff.Spread(r.opts.CheckInterval, 0.2)
		if b := p.busyPasses(); b > 0 && err == nil {
			// A C-App still open for writing: look again shortly (10 ms,
			// doubling), not after the check interval.
			next = min(next, busyRetry<<min(b-1, 8))
		}
		if at := p.prunesDue(); !at.IsZero() && err == nil {
			// Prunes put off until this node's C-Apps stop going: judged
			// as soon as they may be.
			next = min(next, max(at.Sub(r.opts.Now()), busyRetry))
		}
		if err != nil {
			failures++
			next = backoff.Equal(r.opts.Retry.After(failures - 1))
			log.Debug("next attempt", "in", next.Round(time.Millisecond), "failures", failures)
		} else {
			failures = 0
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// busyRetry is how soon a peer is reconciled again after a pass that left
// a C-App behind because it was still open for writing.
const busyRetry = 10 * time.Millisecond

func (p *peer) busyPasses() int {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	return p.busy
}

// prunesDue is when the prunes the last pass put off may be judged, or
// zero.
func (p *peer) prunesDue() time.Time {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	return p.pruneAt
}

func (p *peer) snapshot() PeerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

func (r *Reconciler) setDown(p *peer, err error) {
	p.mu.Lock()
	was := p.status.Up || p.status.LastError == ""
	p.status.Up = false
	p.status.InSync = false
	p.status.LastError = err.Error()
	p.mu.Unlock()
	r.opts.Metrics.SetPeerUp(p.url, false)
	if was {
		r.opts.Logger.Warn("peer down: C-Apps will reach it when it answers again", "peer", p.url, "err", err)
	}
}

// fail records a failed reconcile of a peer that answered (up) or not.
func (r *Reconciler) fail(p *peer, up bool, err error) {
	p.mu.Lock()
	changed := p.status.LastError != err.Error()
	p.status.Up = up
	p.status.InSync = false
	p.status.LastError = err.Error()
	p.mu.Unlock()
	r.opts.Metrics.SetPeerUp(p.url, up)
	if changed {
		r.opts.Logger.Warn("reconcile failed; retrying with backoff", "peer", p.url, "err", err)
	}
}
