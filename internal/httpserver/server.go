// Package httpserver builds and runs depsync's HTTP server: timeouts
// against slow clients, a cap on connections with idle ones making room
// (conngate.go), TLS with certificates re-read when they change, and a stop
// that lets uploads in flight finish within a budget before cutting them.
package httpserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/tlsconf"
)

// Server timeouts and limits.
const (
	// DefaultBodyStall is how long a request body may deliver less than
	// minProgress bytes before the request is cut.
	DefaultBodyStall = 30 * time.Second
	// DefaultWriteTimeout bounds the writing of each response, from its
	// first byte (and a handler's start), so a client that stops reading
	// cannot hold a connection: depsync's replies are small.
	DefaultWriteTimeout = 20 * time.Second
	// DefaultMaxConns caps the connections a node serves at once; more
	// wait to be accepted until one closes (an idle one is closed for
	// them).
	DefaultMaxConns   = 256
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// minProgress is what a body must deliver in each BodyStall period to
	// keep going: 64 KiB per 30 s is about 2 KB/s.
	minProgress = 64 << 10
)

// ErrBodyStalled is wrapped by the read error of a request body whose
// client stopped sending (see GuardBody).
var ErrBodyStalled = errors.New("the client stopped sending the body")

// Options tune NewWith; zero fields take the defaults.
type Options struct {
	// BodyStall: see GuardBody (default DefaultBodyStall).
	BodyStall time.Duration
	// WriteTimeout bounds writing each response (default
	// DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MaxConns caps concurrent connections (default DefaultMaxConns).
	MaxConns int
	// MaxConnsPerIP caps the connections of one client address (default
	// DefaultMaxConnsPerIP; none when it is not below MaxConns).
	MaxConnsPerIP int
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration
	// ErrorLog receives the server's own error lines (a failed TLS
	// handshake, a handler's panic); nil: the standard logger, which
	// bypasses the daemon's --log-format.
	ErrorLog *log.Logger
}

// New returns the daemon's HTTP server for h on addr, with the
// default Options: see NewWith.
func New(addr string, h http.Handler, tlsCfg config.TLS) *http.Server {
	return NewWith(addr, h, tlsCfg, Options{})
}

// NewWith returns the daemon's HTTP server for h on addr. It rejects
// bad C-App names under /v1/capps/ (400) before h's mux can clean the path
// (a ServeMux would redirect a literal "/v1/capps/../x.car"). It has
// timeouts against slow clients: headers must arrive within 10 s, an idle
// keep-alive connection closes after 2 min, a request body must keep
// flowing (GuardBody, at least 64 KiB every 30 s) however large it is, and
// each response must be written within WriteTimeout of its start (so a
// client that pipelines requests and never reads is cut). At most MaxConns
// connections are served at once, and idle keep-alive connections make
// room: a new connection closes the longest idle one when every slot is
// taken, and while half the slots are, a connection idle for 5 s is closed.
// One client address holds at most MaxConnsPerIP connections: over that its
// own idle ones are closed, or, with none, its new connection is. The
// others wait in the listen queue for a request in flight to end.
// With tlsCfg.Enabled() the server speaks TLS with the certificate and key
// files, re-read when they change, and asks for (without requiring) a
// client certificate, verified against tls.ca_file: what makes a
// reconciler's writes the manager's (see APIOptions.ManagerHosts). Start it
// with ListenAndServeTLS("", "") or Serve.
func NewWith(addr string, h http.Handler, tlsCfg config.TLS, o Options) *http.Server {
	if o.BodyStall <= 0 {
		o.BodyStall = DefaultBodyStall
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = readHeaderTimeout
	}
	if o.MaxConnsPerIP <= 0 {
		o.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	gate := newConnGate(connLimits{max: o.MaxConns, perIP: o.MaxConnsPerIP, pressureIdle: pressureIdle}, time.Now)
	srv := &http.Server{
		Addr:              addr,
		Handler:           guardAll(cappname.Guard(h), o.BodyStall, o.WriteTimeout),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         gate.hook,
		ErrorLog:          o.ErrorLog,
	}
	if tlsCfg.Enabled() {
		kp := &keyPair{cert: tlsCfg.CertFile, key: tlsCfg.KeyFile}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: kp.get,
			ClientAuth: tls.VerifyClientCertIfGiven}
		if tlsCfg.CAFile != "" {
			if pool, err := tlsconf.CAPool(tlsCfg.CAFile); err == nil {
				srv.TLSConfig.ClientCAs = pool
			} else {
				// Unverifiable: certificates are taken but not trusted, so
				// a worker refuses reconciler writes (403 says why)
				// instead of failing every handshake.
				srv.TLSConfig.ClientAuth = tls.RequestClientCert
			}
		}
	}
	return srv
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
	c, err := tlsconf.LoadKeyPair(k.cert, k.key)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	k.loaded, k.stamp = &c, stamp
	return k.loaded, nil
}

// guardAll applies GuardBody to every request that has a body, and bounds
// the writing of every response by writeTimeout: from the handler's start
// (which covers an interim "100 Continue"), and again from the response's
// first byte, so that a long upload or a slow handler is not cut, but a
// client that does not read is.
func guardAll(h http.Handler, stall, writeTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
		w = &deadlineWriter{ResponseWriter: w, timeout: writeTimeout}
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
		err = fmt.Errorf("%w for %s: %w", ErrBodyStalled, g.stall, err)
	}
	return n, err
}

func (g *guardedBody) Close() error { return g.body.Close() }

// deadlineWriter moves the write deadline to writeTimeout from the first
// byte of the response.
type deadlineWriter struct {
	http.ResponseWriter
	timeout time.Duration
	started bool
}

func (d *deadlineWriter) start() {
	if !d.started {
		d.started = true
		_ = http.NewResponseController(d.ResponseWriter).SetWriteDeadline(time.Now().Add(d.timeout))
	}
}

func (d *deadlineWriter) WriteHeader(code int) {
	if code >= 200 { // not an interim 1xx reply
		d.start()
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.start()
	return d.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
