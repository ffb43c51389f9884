package deploy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
)

// Server timeouts.
const (
	// DefaultBodyStall is how long a request body may deliver less than
	// minProgress bytes before the request is cut.
	DefaultBodyStall  = 30 * time.Second
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// minProgress is what a body must deliver in each BodyStall period to
	// keep going: 64 KiB per 30 s is about 2 KB/s.
	minProgress = 64 << 10
)

var errBodyStalled = errors.New("the client stopped sending the body")

// NewServer returns the daemon's HTTP server for h on addr. It rejects bad
// C-App names under /v1/capps/ (400) before h's mux can clean the path (a
// ServeMux would redirect a literal "/v1/capps/../x.car"). It has timeouts
// against slow clients: headers must arrive within 10 s, an idle keep-alive
// connection closes after 2 min, and a request body must keep flowing
// (GuardBody, at least 64 KiB every 30 s) however large it is. With
// tlsCfg.Enabled() the server speaks TLS with the certificate and key
// files, re-read when they change: start it with ListenAndServeTLS("", "")
// or Serve.
func NewServer(addr string, h http.Handler, tlsCfg config.TLS) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           checkRawName(guardAll(h, DefaultBodyStall)),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	if tlsCfg.Enabled() {
		kp := &keyPair{cert: tlsCfg.CertFile, key: tlsCfg.KeyFile}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: kp.get}
	}
	return srv
}

// Serve runs srv on ln (TLS when srv.TLSConfig is set) until ctx ends, then
// shuts it down, giving requests in flight up to 10 s.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
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
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	return err
}

// keyPair loads a certificate and key, again whenever either file changes.
type keyPair struct {
	cert, key string
	mu        sync.Mutex
	loaded    *tls.Certificate
	stamp     [2]time.Time
}

func (k *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	var stamp [2]time.Time
	for i, p := range []string{k.cert, k.key} {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		stamp[i] = fi.ModTime()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.loaded != nil && stamp == k.stamp {
		return k.loaded, nil
	}
	c, err := tls.LoadX509KeyPair(k.cert, k.key)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	k.loaded, k.stamp = &c, stamp
	return k.loaded, nil
}

// guardAll applies GuardBody to every request that has a body.
func guardAll(h http.Handler, stall time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			// A shallow copy: the server must still see its own body
			// on the original request, to answer an unread
			// "Expect: 100-continue" request without waiting for it.
			r2 := new(http.Request)
			*r2 = *r
			r2.Body = GuardBody(w, r.Body, stall)
			r = r2
		}
		h.ServeHTTP(w, r)
	})
}

// GuardBody returns body with a read deadline that moves on as long as the
// client keeps sending: at least 64 KiB every stall period. A client that
// stalls is cut and the read fails. It needs a ResponseWriter that supports
// http.ResponseController deadlines (net/http's do); otherwise body is
// returned as it is.
func GuardBody(w http.ResponseWriter, body io.ReadCloser, stall time.Duration) io.ReadCloser {
	if stall <= 0 {
		stall = DefaultBodyStall
	}
	if g, ok := body.(*guardedBody); ok && g.stall <= stall {
		return body
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(stall)); err != nil {
		return body
	}
	return &guardedBody{body: body, rc: rc, stall: stall}
}

type guardedBody struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration
	since int64 // bytes since the deadline last moved
	done  bool
}

func (g *guardedBody) Read(p []byte) (int, error) {
	n, err := g.body.Read(p)
	g.since += int64(n)
	if g.since >= minProgress {
		g.since = 0
		_ = g.rc.SetReadDeadline(time.Now().Add(g.stall))
	}
	if err == io.EOF && !g.done {
		g.done = true
		_ = g.rc.SetReadDeadline(time.Time{})
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w for %s: %w", errBodyStalled, g.stall, err)
	}
	return n, err
}

func (g *guardedBody) Close() error { return g.body.Close() }
