package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/syncer/internal/tenant"
)

const (
	// NotifyTimeout bounds one notice: a slow or down peer must not hold
	// anything up, and the peer's poll catches up anyway.
	NotifyTimeout = 2 * time.Second
	// probeEvery is how often a peer that got nothing else lately is asked
	// for /healthz, so that /v1/status says it is down within 10 s of it
	// dying: a probe at most probeEvery (+20% jitter) after the last
	// word, which fails within probeTimeout.
	probeEvery   = 3 * time.Second
	probeTimeout = 2 * time.Second
	// maxProbes bounds the probes in flight at once: 50 peers make no
	// storm, and 16 hosts that never answer take one probeTimeout.
	maxProbes = 16
)

// Notifier tells peers about new revisions: one goroutine per peer, each
// sending only the latest revision, so a slow peer neither blocks the
// manager nor the other peers, and notices to it do not pile up.
type Notifier struct {
	peers  []*peerLink
	client *http.Client
	token  string
	node   string
	self   string
	// mode returns the sender's mode for each notice (nil: none sent);
	// held how many deletions it holds.
	mode func() string
	held func() int
	sent *prometheus.CounterVec
	log  *slog.Logger
	// every and probeTimeout are probeEvery and probeTimeout (tests
	// shorten them); probes holds a slot per probe in flight.
	every, probeTimeout time.Duration
	probes              chan struct{}
}

// peerLink is one peer the notifier sends to.
type peerLink struct {
	url  string
	kick chan struct{} // capacity 1: a new revision is waiting

	mu     sync.Mutex
	latest int64 // revision to send
	// tenants are the tenants the next notice concerns, each with its
	// newest revision; all: every tenant (a change of mode, --once).
	tenants     map[int]int64
	all         bool
	sent        int64 // revision last sent successfully
	contacted   bool
	up          bool
	lastSuccess time.Time
	lastError   string
	lastTry     time.Time
}

// Options are what a Notifier is made of.
type Options struct {
	// URLs are the peers' base URLs.
	URLs   []string
	Client *http.Client
	// Token authenticates the notices; Node and Self name the sender.
	Token, Node, Self string
	// Mode returns the sender's mode for each notice (nil: none sent);
	// Held how many deletions it holds, < 0 when it cannot tell yet.
	Mode func() string
	Held func() int
	// Sent counts the notices sent, by peer and result
	// (depsync_notify_sent_total).
	Sent *prometheus.CounterVec
	Log  *slog.Logger
}

// NewNotifier makes the notifier of o.URLs; Run drives it.
func NewNotifier(o Options) *Notifier {
	n := &Notifier{client: o.Client, token: o.Token, node: o.Node, self: o.Self, mode: o.Mode, held: o.Held,
		sent: o.Sent, log: o.Log, every: probeEvery, probeTimeout: probeTimeout, probes: make(chan struct{}, maxProbes)}
	for _, u := range o.URLs {
		n.peers = append(n.peers, &peerLink{url: u, kick: make(chan struct{}, 1)})
	}
	return n
}

// Run drives the peers' goroutines until ctx is done.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range n.peers {
		wg.Add(1)
		go func() { defer wg.Done(); n.loop(ctx, p) }()
	}
	wg.Wait()
}

// Notify queues rev of every tenant for every peer and returns at once.
func (n *Notifier) Notify(rev int64) { n.queue(rev, 0, true) }

// NotifyTenant queues revision rev of one tenant's folder for every peer
// and returns at once. Notices to a peer coalesce: the next one names every
// tenant queued since the last.
func (n *Notifier) NotifyTenant(id int, rev int64) { n.queue(rev, id, false) }

// queue queues rev for every peer: of every tenant (all), or of tenant id.
func (n *Notifier) queue(rev int64, id int, all bool) {
	for _, p := range n.peers {
		p.mu.Lock()
		p.latest = max(p.latest, rev)
		if all {
			p.all = true
		} else {
			if p.tenants == nil {
				p.tenants = map[int]int64{}
			}
			p.tenants[id] = max(p.tenants[id], rev)
		}
		p.mu.Unlock()
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// take returns what the next notice to p says and clears it: a lost
// notice is made good by the peer's poll.
func (p *peerLink) take() (int64, []api.NoticeTenant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rev, all, ts := p.latest, p.all, p.tenants
	p.all, p.tenants = false, nil
	if all || len(ts) == 0 {
		return rev, nil
	}
	out := make([]api.NoticeTenant, 0, len(ts))
	for id, r := range ts {
		out = append(out, api.NoticeTenant{ID: id, Revision: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return rev, out
}

// SendAll sends rev to every peer in parallel and waits (for --once).
func (n *Notifier) SendAll(ctx context.Context, rev int64) {
	var wg sync.WaitGroup
	for _, p := range n.peers {
		wg.Add(1)
		go func() { defer wg.Done(); n.send(ctx, p, rev, nil) }()
	}
	wg.Wait()
}

// loop sends p the notices queued for it, and probes it when idle.
func (n *Notifier) loop(ctx context.Context, p *peerLink) {
	probe := time.NewTimer(tenant.Jitter(n.every))
	defer probe.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			rev, tenants := p.take()
			n.send(ctx, p, rev, tenants)
		case <-probe.C:
			// A notice sent since the last tick says as much as a probe.
			p.mu.Lock()
			idle := time.Since(p.lastTry) >= n.every/2
			p.mu.Unlock()
			if idle {
				n.probe(ctx, p)
			}
			probe.Reset(tenant.Jitter(n.every))
		}
	}
}

// send sends p one notice of rev (and of tenants, nil: every tenant).
func (n *Notifier) send(ctx context.Context, p *peerLink, rev int64, tenants []api.NoticeTenant) {
	notice := api.Notice{Revision: rev, Node: n.node, URL: n.self, Tenants: tenants}
	if n.mode != nil {
		notice.Mode = n.mode()
	}
	if n.held != nil {
		if h := n.held(); h < 0 {
			notice.HoldsUnknown = true
		} else {
			notice.DeletionsHeld = h
		}
	}
	body, _ := json.Marshal(notice)
	start := time.Now()
	err := n.post(ctx, p.url+"/v1/notify", body)
	result := tenant.ResultSuccess
	if err != nil {
		result = tenant.ResultError
	}
	n.sent.WithLabelValues(p.url, result).Inc()
	wasUp := n.record(p, err)
	switch {
	case err != nil && (wasUp || !p.contactedBefore()):
		n.log.Warn("peer not notified; it will catch up by polling", "peer", p.url, "revision", rev, "error", err)
	case err != nil:
		n.log.Debug("peer still not notified", "peer", p.url, "revision", rev, "error", err)
	default:
		n.log.Debug("peer notified", "peer", p.url, "revision", rev, "took", time.Since(start).Round(time.Microsecond))
		p.mu.Lock()
		p.sent = max(p.sent, rev)
		p.mu.Unlock()
	}
}

// contactedBefore reports whether p was ever tried.
func (p *peerLink) contactedBefore() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.contacted
}

// probe asks a peer's /healthz whether it is up.
func (n *Notifier) probe(ctx context.Context, p *peerLink) {
	select {
	case n.probes <- struct{}{}:
		defer func() { <-n.probes }()
	case <-ctx.Done():
		return
	}
	ctx, cancel := context.WithTimeout(ctx, n.probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/healthz", nil)
	if err == nil {
		var resp *http.Response
		if resp, err = n.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("/healthz: %s", resp.Status)
			}
		}
	}
	if wasUp := n.record(p, err); err != nil && wasUp {
		n.log.Warn("peer down", "peer", p.url, "error", err)
	}
}

// record updates a peer's state and returns whether it was up before.
func (n *Notifier) record(p *peerLink, err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasUp := p.up
	p.lastTry = time.Now()
	if err != nil {
		p.up = false
		p.lastError = err.Error()
	} else {
		if !wasUp && p.contacted {
			n.log.Info("peer up again", "peer", p.url)
		}
		p.up = true
		p.lastSuccess = p.lastTry
		p.lastError = ""
	}
	p.contacted = true
	return wasUp
}

// post posts body to url within NotifyTimeout.
func (n *Notifier) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, NotifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	httpauth.Set(req, n.token)
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		var e api.Error
		if json.Unmarshal(msg, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

// Heard records a notice from a peer (a worker hearing from its manager):
// that peer is up, and this is its last success as seen from here.
func (n *Notifier) Heard(url string) {
	for _, p := range n.peers {
		if p.url == url {
			p.mu.Lock()
			p.up, p.lastSuccess, p.lastError = true, time.Now(), ""
			p.mu.Unlock()
		}
	}
}

// Status is every peer as /v1/status shows it.
func (n *Notifier) Status() []api.PeerStatus {
	out := make([]api.PeerStatus, 0, len(n.peers))
	for _, p := range n.peers {
		p.mu.Lock()
		ps := api.PeerStatus{URL: p.url, Up: p.up, LastError: p.lastError}
		if !p.lastSuccess.IsZero() {
			t := p.lastSuccess.UTC()
			ps.LastSuccess = &t
		}
		p.mu.Unlock()
		out = append(out, ps)
	}
	return out
}

// WithProbes marks down each peer of ps (the reconciler's view in direct
// mode, which only its passes update) that this node's last word with it
// (a probe or a notice) failed after the reconciler's last success: a peer
// that died shows down within the probes' time, not at the next pass.
func (n *Notifier) WithProbes(ps []api.PeerStatus) []api.PeerStatus {
	for i := range ps {
		for _, p := range n.peers {
			if p.url != ps[i].URL {
				continue
			}
			p.mu.Lock()
			down := p.contacted && !p.up && (ps[i].LastSuccess == nil || p.lastTry.After(*ps[i].LastSuccess))
			if down {
				ps[i].Up = false
				if ps[i].LastError == "" {
					ps[i].LastError = p.lastError
				}
			}
			p.mu.Unlock()
		}
	}
	return ps
}
