package deploy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of direct push. A nil *Metrics records
// nothing.
type Metrics struct {
	PeerUp      *prometheus.GaugeVec   // depsync_peer_up{peer}
	Push        *prometheus.CounterVec // depsync_push_total{peer,result}
	PushBytes   *prometheus.CounterVec // depsync_push_bytes_total{peer}
	LastSuccess *prometheus.GaugeVec   // depsync_peer_last_success_timestamp_seconds{peer}
	Received    *prometheus.CounterVec // depsync_capp_received_total{result}
}

// Push results (the result label of depsync_push_total): the statuses of a
// PUT (created, updated, unchanged), "deleted", and "error".
const (
	ResultDeleted = "deleted"
	ResultError   = "error"
)

// NewMetrics creates the metrics and registers them on reg (none when reg
// is nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		PeerUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_peer_up",
			Help: "1 when the peer's depsync answered the last direct-mode reconcile or probe, else 0.",
		}, []string{"peer"}),
		Push: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_push_total",
			Help: "C-Apps pushed to (or deleted from) peers in direct mode, by result: created, updated, unchanged, deleted, error.",
		}, []string{"peer", "result"}),
		PushBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_push_bytes_total",
			Help: "Bytes of C-Apps sent to peers in direct mode.",
		}, []string{"peer"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "depsync_peer_last_success_timestamp_seconds",
			Help: "When the peer was last found or brought in step with this manager (Unix time).",
		}, []string{"peer"}),
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "depsync_capp_received_total",
			Help: "PUT and DELETE requests of the C-App API on this node, by result: created, updated, unchanged, deleted, or why they were refused.",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.PeerUp, m.Push, m.PushBytes, m.LastSuccess, m.Received)
	}
	return m
}

func (m *Metrics) received(result string) {
	if m != nil {
		m.Received.WithLabelValues(result).Inc()
	}
}

// SetPeerUp records whether peer answered (depsync_peer_up).
func (m *Metrics) SetPeerUp(peer string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.PeerUp.WithLabelValues(peer).Set(v)
}

// CountPush counts a C-App pushed to or deleted from peer, by result, and
// the bytes sent (depsync_push_total, depsync_push_bytes_total).
func (m *Metrics) CountPush(peer, result string, bytes int64) {
	if m == nil {
		return
	}
	m.Push.WithLabelValues(peer, result).Inc()
	if bytes > 0 {
		m.PushBytes.WithLabelValues(peer).Add(float64(bytes))
	}
}

// SetLastSuccess records when peer was last found or brought in step
// (depsync_peer_last_success_timestamp_seconds).
func (m *Metrics) SetLastSuccess(peer string, unix float64) {
	if m != nil {
		m.LastSuccess.WithLabelValues(peer).Set(unix)
	}
}
