package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// ShutdownBudget is how long a stopping server lets the requests in flight
// (an upload) finish; those still running then are cut.
const ShutdownBudget = 10 * time.Second

// CutWait bounds the wait for the handlers of cut requests to return: they
// do at their next read of the closed connection.
const CutWait = 5 * time.Second

// Serve runs srv on ln (TLS when srv.TLSConfig is set) until ctx ends, then
// stops it. The listener closes at once, and so does a connection that
// waited for a slot; a PUT or DELETE of a C-App that still arrives (on a
// connection opened before) gets 503. Requests in flight get up to
// ShutdownBudget to finish; those still running then are cut: their
// connections are closed and Serve waits for their handlers to return, so
// that an upload removes its temporary file before the process exits. A
// stop that had to cut is still a clean stop: Serve returns nil, an error
// only when the server failed or a handler did not return once cut.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	stop := make(chan struct{})
	base := srv.BaseContext
	srv.BaseContext = func(l net.Listener) context.Context {
		c := context.Background()
		if base != nil {
			c = base(l)
		}
		return StoppingContext(c, stop)
	}
	live := &liveConns{next: srv.ConnState, stop: stop}
	srv.ConnState = live.hook

	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	close(stop)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownBudget)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Still running after the budget: cut. The listener is closed
		// already; Close's error can only say so again.
		_ = srv.Close()
		err = nil
		if n := live.wait(CutWait); n > 0 {
			err = fmt.Errorf("%d connections still served %s after the stop cut them", n, CutWait)
		}
	}
	<-errc
	return err
}

// stoppingKey is the context key of the channel Serve closes when it
// begins to stop.
type stoppingKey struct{}

// StoppingContext returns ctx marked so that Stopping reports true for a
// request under it once stop is closed: what Serve gives each connection.
func StoppingContext(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stoppingKey{}, stop)
}

// Stopping reports whether the server serving r (with Serve) has
// begun to stop.
func Stopping(r *http.Request) bool {
	stop, _ := r.Context().Value(stoppingKey{}).(<-chan struct{})
	if stop == nil {
		return false
	}
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// liveConns counts the connections being served (from StateNew to
// StateClosed: a handler running holds its connection open), so that a
// stop can wait for cut handlers to return. Once stop is closed, a new
// connection (one that waited for a slot in the accept loop) is closed at
// once.
type liveConns struct {
	next func(net.Conn, http.ConnState) // the server's own hook (the connGate)
	stop <-chan struct{}

	mu      sync.Mutex
	n       int
	drained chan struct{} // closed when n drops to 0, while wait waits
}

func (l *liveConns) hook(c net.Conn, st http.ConnState) {
	if l.next != nil {
		l.next(c, st)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateNew:
		l.n++
		select {
		case <-l.stop:
			closeConn(c)
		default:
		}
	case http.StateClosed, http.StateHijacked:
		l.n--
		if l.n == 0 && l.drained != nil {
			close(l.drained)
			l.drained = nil
		}
	}
}

// wait waits up to d for every connection to be closed, and returns how
// many are still open.
func (l *liveConns) wait(d time.Duration) int {
	l.mu.Lock()
	if l.n == 0 {
		l.mu.Unlock()
		return 0
	}
	drained := make(chan struct{})
	l.drained = drained
	l.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-drained:
		return 0
	case <-t.C:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
