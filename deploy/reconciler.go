package deploy

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// ReconcilerOptions configure a Reconciler.
type ReconcilerOptions struct {
	// Store is the manager's own carbonapps directory: the source of truth.
	Store *Store
	// Peers are the base URLs of the nodes to keep in step (not this one).
	Peers []string
	// Client talks to the peers; the Reconciler uses a copy that marks its
	// requests with the Depsync-Reconciler header (NodeName).
	Client *Client
	// Prune removes from peers the C-Apps this node does not hold.
	Prune bool
	// NodeName is this node's name, sent in the Depsync-Reconciler header.
	NodeName string
	// Interval is how often each peer is reconciled when nothing happens
	// (default 30s, jittered by ±20%).
	Interval time.Duration
	// RetryMin and RetryMax bound the exponential backoff, with jitter,
	// between attempts at a peer that is down or whose reconcile failed
	// (default 500ms and 15s). A down peer is probed (GET /healthz) at that
	// pace and reconciled as soon as it answers.
	RetryMin, RetryMax time.Duration
	Logger             *slog.Logger
	Metrics            *Metrics
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
}

// Reconciler keeps each peer's carbonapps directory in step with the
// Store's, level-triggered: each pass compares the two manifests, pushes
// what the peer lacks or holds different, and (with Prune) deletes what
// this node does not hold. Every peer has its own goroutine, so a slow or
// down peer delays nobody.
type Reconciler struct {
	opts   ReconcilerOptions
	client *Client
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

	mu     sync.Mutex
	status PeerStatus
}

// NewReconciler returns a Reconciler; call Run to start it.
func NewReconciler(opts ReconcilerOptions) (*Reconciler, error) {
	if opts.Store == nil || opts.Client == nil {
		return nil, errors.New("reconciler: Store and Client are required")
	}
	if opts.NodeName == "" {
		return nil, errors.New("reconciler: NodeName is required")
	}
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 15 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Reconciler{opts: opts, client: opts.Client.AsReconciler(opts.NodeName)}
	seen := map[string]bool{}
	for _, u := range opts.Peers {
		if _, err := endpoint(u, ""); err != nil {
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
		wg.Go(func() { errs[i] = r.syncPeer(ctx, p) })
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
			err = r.syncPeer(ctx, p)
		}
		if ctx.Err() != nil {
			return
		}
		next := jitter(r.opts.Interval, 0.2)
		if err != nil {
			failures++
			next = jitterBackoff(r.opts.RetryMin, r.opts.RetryMax, failures-1, nil)
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

func jitter(d time.Duration, frac float64) time.Duration {
	return time.Duration(float64(d) * (1 - frac + 2*frac*rand.Float64()))
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
	r.opts.Metrics.peerUp(p.url, false)
	if was {
		r.opts.Logger.Warn("peer down: C-Apps will reach it when it answers again", "peer", p.url, "err", err)
	}
}

// syncPeer is one level-triggered reconcile of one peer.
func (r *Reconciler) syncPeer(ctx context.Context, p *peer) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	log := r.opts.Logger.With("peer", p.url)

	local, err := r.opts.Store.List()
	if err != nil {
		r.fail(p, p.snapshot().Up, err)
		return err
	}
	remote, err := r.client.List(ctx, p.url)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			r.fail(p, true, err)
		} else {
			r.setDown(p, err)
		}
		return err
	}
	if !p.snapshot().Up {
		r.opts.Metrics.peerUp(p.url, true)
		log.Info("peer up: reconciling its C-Apps")
	}
	p.mu.Lock()
	p.status.Up = true
	p.mu.Unlock()
	r.opts.Metrics.peerUp(p.url, true)

	remoteBy := make(map[string]Entry, len(remote))
	for _, e := range remote {
		remoteBy[e.File] = e
	}
	localNames := make(map[string]bool, len(local))
	ids := make(map[string]string, len(local)) // C-App id -> first file holding it
	var errs []error
	pushed, deleted := 0, 0
	for _, l := range local {
		localNames[l.File] = true
		if !l.Valid() {
			// Not (yet) a C-App: leave the peer's copy, if any, alone.
			continue
		}
		if first, ok := ids[l.ID]; ok {
			// Carbon deploys only one of them here; pushing both with
			// replace would make the peer flip between them forever.
			if r.warnOnce("dup:"+l.File, "two files hold one C-App id: only the first is pushed", "id", l.ID, "pushed", first, "skipped", l.File) {
				r.opts.Metrics.push(p.url, ResultError, 0)
			}
			continue
		}
		ids[l.ID] = l.File
		if rm, ok := remoteBy[l.File]; ok && rm.SHA256 == l.SHA256 {
			continue
		}
		sum, err := hex.DecodeString(l.SHA256)
		path, perr := r.opts.Store.Path(l.File)
		if err != nil || perr != nil {
			continue
		}
		start := time.Now()
		reply, err := r.client.Put(ctx, p.url, path, PutRequest{File: l.File, SHA256: sum, Replace: true})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.opts.Metrics.push(p.url, ResultError, 0)
			errs = append(errs, fmt.Errorf("push %s: %w", l.File, err))
			continue
		}
		pushed++
		r.opts.Metrics.push(p.url, reply.Status, reply.Bytes)
		log.Info("C-App pushed", "file", l.File, "id", reply.ID, "status", reply.Status, "replaced", reply.Replaced,
			"bytes", reply.Bytes, "duration", time.Since(start).Round(time.Millisecond))
		for _, f := range reply.Replaced {
			delete(remoteBy, f)
		}
	}
	if r.opts.Prune {
		for _, rm := range remote {
			if localNames[rm.File] {
				continue
			}
			if _, ok := remoteBy[rm.File]; !ok {
				continue // replaced above
			}
			_, err := r.client.Delete(ctx, p.url, rm.File, false)
			if err != nil && !IsNotFound(err) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.opts.Metrics.push(p.url, ResultError, 0)
				errs = append(errs, fmt.Errorf("delete %s: %w", rm.File, err))
				continue
			}
			deleted++
			r.opts.Metrics.push(p.url, ResultDeleted, 0)
			log.Info("C-App deleted from peer", "file", rm.File, "id", rm.ID)
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.fail(p, true, err)
		p.mu.Lock()
		p.status.Pushed += pushed
		p.status.Deleted += deleted
		p.mu.Unlock()
		return err
	}
	now := time.Now()
	p.mu.Lock()
	p.status.InSync = true
	p.status.LastSuccess = now
	p.status.LastError = ""
	p.status.Pushed += pushed
	p.status.Deleted += deleted
	p.mu.Unlock()
	r.opts.Metrics.success(p.url, float64(now.UnixNano())/1e9)
	if pushed+deleted > 0 {
		log.Info("peer in step", "pushed", pushed, "deleted", deleted)
	}
	return nil
}

// fail records a failed reconcile of a peer that answered (up) or not.
func (r *Reconciler) fail(p *peer, up bool, err error) {
	p.mu.Lock()
	changed := p.status.LastError != err.Error()
	p.status.Up = up
	p.status.InSync = false
	p.status.LastError = err.Error()
	p.mu.Unlock()
	r.opts.Metrics.peerUp(p.url, up)
	if changed {
		r.opts.Logger.Warn("reconcile failed; retrying with backoff", "peer", p.url, "err", err)
	}
}
