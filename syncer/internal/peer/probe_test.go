package peer

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
)

// fastNotifier is a notifier of urls that probes every 20 ms.
func fastNotifier(urls []string) *Notifier {
	n := NewNotifier(Options{URLs: urls, Client: &http.Client{}, Token: "t", Node: "m", Self: "http://m",
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sent"}, []string{"peer", "result"}),
		Log:  slog.New(slog.DiscardHandler)})
	n.every, n.probeTimeout = 20*time.Millisecond, 200*time.Millisecond
	return n
}

func upOf(n *Notifier, url string) bool {
	for _, p := range n.Status() {
		if p.URL == url {
			return p.Up
		}
	}
	return false
}

// TestProbesSeeAPeerDie: with no notice to send, a peer is probed every
// few seconds: it shows up, then down once it stops answering, and the
// reconciler's older word in direct mode does not hide that.
func TestProbesSeeAPeerDie(t *testing.T) {
	alive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer alive.Close()
	dying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	n := fastNotifier([]string{alive.URL, dying.URL})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	require.Eventually(t, func() bool { return upOf(n, alive.URL) && upOf(n, dying.URL) }, 5*time.Second, 5*time.Millisecond)
	before := time.Now().UTC()
	dying.CloseClientConnections()
	dying.Close()
	require.Eventually(t, func() bool { return !upOf(n, dying.URL) }, 5*time.Second, 5*time.Millisecond)
	assert.True(t, upOf(n, alive.URL))

	// The reconciler last pushed before the peer died: the probe wins.
	merged := n.WithProbes([]api.PeerStatus{{URL: dying.URL, Up: true, LastSuccess: &before}, {URL: alive.URL, Up: true, LastSuccess: &before}})
	assert.False(t, merged[0].Up)
	assert.NotEmpty(t, merged[0].LastError)
	assert.True(t, merged[1].Up)
	// A push that succeeded after the failed probe says more.
	later := time.Now().Add(time.Hour)
	merged = n.WithProbes([]api.PeerStatus{{URL: dying.URL, Up: true, LastSuccess: &later}})
	assert.True(t, merged[0].Up)
}

// TestProbesOfManyPeersAreBounded: 50 peers that never answer are probed
// at most maxProbes at a time.
func TestProbesOfManyPeersAreBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers: the probe's deadline ends it
	}))
	defer srv.Close()
	var urls []string
	for i := range 50 {
		urls = append(urls, fmt.Sprintf("%s/p%d", srv.URL, i))
	}
	n := fastNotifier(urls)
	n.probeTimeout = 50 * time.Millisecond
	counter := &countingTransport{next: http.DefaultTransport}
	n.client = &http.Client{Transport: counter}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	require.Eventually(t, func() bool { return counter.total.Load() >= 150 }, 20*time.Second, 10*time.Millisecond)
	cancel()
	<-done
	assert.LessOrEqual(t, counter.most.Load(), int64(maxProbes))
	assert.Greater(t, counter.most.Load(), int64(1), "probes run in parallel")
}

// countingTransport counts the requests in flight through it.
type countingTransport struct {
	next                  http.RoundTripper
	mu                    sync.Mutex
	inFlight, most, total atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	now := c.inFlight.Add(1)
	c.most.Store(max(c.most.Load(), now))
	c.mu.Unlock()
	c.total.Add(1)
	defer c.inFlight.Add(-1)
	return c.next.RoundTrip(r)
}

// TestNotifierCoalescesTenants: notices queued for several tenants go out
// as one naming each with its newest revision; a change of mode names all.
func TestNotifierCoalescesTenants(t *testing.T) {
	p := &peerLink{url: "http://w", kick: make(chan struct{}, 1)}
	n := &Notifier{peers: []*peerLink{p}}
	n.NotifyTenant(7, 5)
	n.NotifyTenant(3, 6)
	n.NotifyTenant(7, 8)
	rev, ts := p.take()
	assert.Equal(t, int64(8), rev)
	assert.Equal(t, []api.NoticeTenant{{ID: 3, Revision: 6}, {ID: 7, Revision: 8}}, ts)
	n.NotifyTenant(3, 9)
	n.Notify(9)
	rev, ts = p.take()
	assert.Equal(t, int64(9), rev)
	assert.Nil(t, ts, "every tenant")
}
