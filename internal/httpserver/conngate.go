package httpserver

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Connection limits of the server (see Options).
const (
	// DefaultMaxConnsPerIP is how many of the MaxConns slots one client
	// address may hold.
	DefaultMaxConnsPerIP = 64
	// pressureIdle is the idle timeout of a keep-alive connection while
	// more than half the slots are taken (idleTimeout otherwise).
	pressureIdle = 5 * time.Second
)

// connLimits are what admit decides by.
type connLimits struct {
	max   int // connections served at once
	perIP int // of them from one client address; off when 0 or >= max
	// pressureIdle: with at least max/2 connections, an idle one is cut
	// after this long.
	pressureIdle time.Duration
}

// connView is what admit knows of a connection being served.
type connView struct {
	ip        string
	idle      bool      // between two requests of a keep-alive connection
	closing   bool      // closed to make room; its slot is freed once net/http is done with it
	idleSince time.Time // when idle
}

// admission is admit's verdict on a new connection.
type admission int

const (
	admitNow    admission = iota // serve it
	admitWait                    // every slot is taken: wait for one to free
	admitRefuse                  // its client holds its share, none idle: close it
)

// admit decides about a new connection from ip, given the connections
// being served: whether it is served now, waits for a slot or is refused,
// and which served connections to close first (indexes into conns).
// Only idle keep-alive connections are ever closed, the longest idle
// first: an idle connection never holds a slot that a client with a
// request needs. A client address over its share (perIP) loses its own
// idle connections, and when it has none its new connection is refused
// rather than made to wait, so that one client cannot fill the server;
// the others wait for a slot, as before.
func admit(conns []connView, ip string, now time.Time, l connLimits) (admission, []int) {
	cut := make([]bool, len(conns))
	var evict []int
	freeing := 0 // slots on their way to be freed
	for _, c := range conns {
		if c.closing {
			freeing++
		}
	}
	cutOne := func(i int) { cut[i] = true; evict = append(evict, i); freeing++ }
	// oldestIdle returns the longest idle connection not cut yet (of ip,
	// unless ip is ""), or -1.
	oldestIdle := func(ip string) int {
		best := -1
		for i, c := range conns {
			if !c.idle || c.closing || cut[i] || (ip != "" && c.ip != ip) {
				continue
			}
			if best < 0 || c.idleSince.Before(conns[best].idleSince) {
				best = i
			}
		}
		return best
	}

	if l.pressureIdle > 0 && 2*len(conns) >= l.max {
		for i, c := range conns {
			if c.idle && !c.closing && now.Sub(c.idleSince) >= l.pressureIdle {
				cutOne(i)
			}
		}
	}
	if l.perIP > 0 && l.perIP < l.max {
		mine := 0
		for i, c := range conns {
			if c.ip == ip && !c.closing && !cut[i] {
				mine++
			}
		}
		if mine >= l.perIP {
			j := oldestIdle(ip)
			if j < 0 {
				return admitRefuse, evict
			}
			cutOne(j)
		}
	}
	for len(conns)-freeing >= l.max {
		j := oldestIdle("")
		if j < 0 {
			break
		}
		cutOne(j)
	}
	if len(conns) < l.max {
		return admitNow, evict
	}
	return admitWait, evict
}

// connGate is the server's ConnState hook: it applies admit to each new
// connection. net/http calls ConnState with StateNew in its accept loop,
// before it serves the connection, so waiting there holds further
// connections in the listen queue, as netutil.LimitListener would.
type connGate struct {
	limits connLimits
	now    func() time.Time

	mu    sync.Mutex
	freed *sync.Cond // a connection was closed
	conns map[net.Conn]*connView
}

func newConnGate(l connLimits, now func() time.Time) *connGate {
	g := &connGate{limits: l, now: now, conns: map[net.Conn]*connView{}}
	g.freed = sync.NewCond(&g.mu)
	return g
}

// hook is the http.Server's ConnState.
func (g *connGate) hook(c net.Conn, st http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch st {
	case http.StateNew:
		g.admit(c)
	case http.StateIdle:
		if v := g.conns[c]; v != nil {
			v.idle, v.idleSince = true, g.now()
		}
	case http.StateActive:
		if v := g.conns[c]; v != nil {
			v.idle = false
		}
	case http.StateClosed, http.StateHijacked:
		delete(g.conns, c) // a refused connection was never there
		g.freed.Broadcast()
	}
}

// admit serves, or refuses, the new connection c, waiting for a slot when
// every one is taken. g.mu is held.
func (g *connGate) admit(c net.Conn) {
	ip := remoteIP(c)
	for {
		keys := make([]net.Conn, 0, len(g.conns))
		views := make([]connView, 0, len(g.conns))
		for k, v := range g.conns {
			keys = append(keys, k)
			views = append(views, *v)
		}
		verdict, evict := admit(views, ip, g.now(), g.limits)
		for _, i := range evict {
			g.conns[keys[i]].closing = true
			closeConn(keys[i])
		}
		switch verdict {
		case admitNow:
			g.conns[c] = &connView{ip: ip}
			return
		case admitRefuse:
			closeConn(c)
			return
		}
		g.freed.Wait()
	}
}

// remoteIP is the client address of c, without its port.
func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// closeConn closes c at once: a TLS connection's socket, since closing the
// *tls.Conn would first write an alert, which a client that does not read
// could make wait.
func closeConn(c net.Conn) {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = tc.NetConn()
	}
	_ = c.Close()
}
