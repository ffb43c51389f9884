package deploy

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/sfv"
)

// APIOptions configure the peer C-App API.
type APIOptions struct {
	Store *Store
	// Role is this node's role, config.RoleManager or config.RoleWorker. A
	// worker refuses PUT and DELETE that do not come from its manager's
	// reconciler with 409 and the manager's URL.
	Role string
	// ManagerURL returns the manager's base URL for those 409 replies; it
	// may be nil or return "" when the worker does not know it yet.
	ManagerURL func() string
	// ManagerHosts are the host names or IPs of this worker's manager(s):
	// the hosts of its configured peers. Over TLS a worker takes a
	// reconciler's writes only from a client whose certificate, verified
	// against tls.ca_file with client usage, names one of them exactly (a
	// DNS name, case aside, or an IP) and holds no wildcard name (403
	// otherwise). `depsync tls init` gives each name and IP to one node
	// only, so that certificate is the manager's. Without TLS the
	// Depsync-Reconciler header alone marks them: anyone with the token can
	// send it. Over TLS ?force=true needs a client certificate verified
	// against tls.ca_file (any node's).
	ManagerHosts []string
	// Token is the bearer token every request must carry.
	Token string
	// BootID identifies this run of the node in the Depsync-Boot header
	// of GET /v1/capps, so that a manager sees a restart (default: random
	// at NewAPI).
	BootID string
	// BodyStall is how long an upload may send nothing before it is cut
	// (default 30s; see GuardBody).
	BodyStall time.Duration
	// Carbon, when set, is the node's Carbon log reader: GET /v1/capps then
	// gives each C-App its Carbon state and says in CarbonLogHeader whether
	// the log is readable.
	Carbon CarbonStates
	// Tenant is the Carbon tenant of Store's carbonapps (default
	// carbonlog.SuperTenant).
	Tenant int
	// Now is the clock of PutResult.Received (default time.Now): the same
	// clock as Carbon's reader stamps CAppState.Seen with.
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
}

// CarbonStates is what the API reads of a *carbonlog.Reader.
type CarbonStates interface {
	Readable() bool
	State(tenant int, id string) (carbonlog.CAppState, bool)
	StateOfFile(tenant int, file string) (carbonlog.CAppState, bool)
}

// carbonState returns what the Carbon log says about the C-App of an
// entry: by its id, else by its file name. When both name a state, the
// later one wins (a new file of an id already deployed is first known by
// its name only).
func carbonState(c CarbonStates, tenant int, e Entry) *api.CarbonState {
	var best carbonlog.CAppState
	found := false
	if e.ID != "" {
		best, found = c.State(tenant, e.ID)
	}
	if s, ok := c.StateOfFile(tenant, e.File); ok && (!found || s.Seen.After(best.Seen)) {
		best, found = s, true
	}
	if !found {
		return nil
	}
	return &api.CarbonState{State: string(best.State), Time: best.Time, Seen: best.Seen, Live: best.Live, Error: best.Error}
}

type cappAPI struct {
	APIOptions
}

// NewAPI returns the handler of the peer C-App API: GET /v1/capps,
// GET /v1/capps/{file} (the bytes, or api.CAppPresence for an Accept of
// application/json), PUT /v1/capps/{file} and
// DELETE /v1/capps/{file}, behind the bearer token.
// Mount it on both "/v1/capps" and "/v1/capps/" of the daemon's mux. File
// names are checked on the raw, still escaped path, so no encoding trick
// (%2e%2e%2f, %00, %2f) gets past (400).
func NewAPI(opts APIOptions) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BodyStall <= 0 {
		opts.BodyStall = httpserver.DefaultBodyStall
	}
	if opts.Tenant == 0 {
		opts.Tenant = carbonlog.SuperTenant
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BootID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		opts.BootID = hex.EncodeToString(b[:])
	}
	a := &cappAPI{opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/capps", a.list)
	mux.HandleFunc("GET /v1/capps/{file}", a.get)
	mux.HandleFunc("PUT /v1/capps/{file}", a.put)
	mux.HandleFunc("DELETE /v1/capps/{file}", a.delete)
	return httpauth.Require(opts.Token, cappname.Guard(mux))
}

// list answers the node's manifest with an ETag of it and of this run
// (BootID), so that a manager can check cheaply, with If-None-Match, that
// nothing changed here: not the C-Apps, and no restart.
func (a *cappAPI) list(w http.ResponseWriter, r *http.Request) {
	entries, err := a.Store.List()
	if errors.Is(err, fs.ErrNotExist) {
		api.WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("%s (%s)", ErrNoDir, a.Store.Dir()))
		return
	}
	if err != nil {
		a.Logger.Error("list C-Apps", "err", err)
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	carbon := ""
	if a.Carbon != nil {
		carbon = api.CarbonLogUnreadable
		if a.Carbon.Readable() {
			carbon = api.CarbonLogReadable
		}
		for i := range entries {
			entries[i].Carbon = carbonState(a.Carbon, a.Tenant, entries[i])
		}
		w.Header().Set(api.CarbonLogHeader, carbon)
	}
	body, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		api.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	h := sha256.New()
	h.Write([]byte(a.BootID))
	h.Write([]byte(carbon))
	h.Write(body)
	etag := `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
	w.Header().Set(api.BootHeader, a.BootID)
	w.Header().Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

// stopping answers 503 to a change that arrives once the node has begun to
// stop (see Serve): an upload begun now could not be sure to finish within
// the stop's budget. Clients retry it; the manager's reconciler does by
// itself.
func (a *cappAPI) stopping(w http.ResponseWriter, r *http.Request) bool {
	if !httpserver.Stopping(r) {
		return false
	}
	a.Metrics.received("stopping")
	a.Logger.Info("C-App change refused: this node is stopping", "method", r.Method, "file", r.PathValue("file"))
	w.Header().Set("Retry-After", "10")
	api.WriteError(w, http.StatusServiceUnavailable,
		"this node is stopping: nothing was changed; send it again once the node is back")
	return true
}

// refuse answers 409 with the manager's URL when this node is a worker and
// the request neither comes from the manager's reconciler nor is forced.
func (a *cappAPI) refuse(w http.ResponseWriter, r *http.Request) bool {
	if a.Role != config.RoleWorker {
		return false
	}
	if boolParam(r, "force") {
		if err := clusterCert(r); err != nil {
			a.Metrics.received("forbidden")
			a.Logger.Warn("forced write refused: no certificate of the cluster", "remote", r.RemoteAddr, "err", err)
			api.WriteError(w, http.StatusForbidden, "?force=true over TLS needs a client certificate of the cluster: "+err.Error()+
				"; present a tls.cert_file signed by this node's tls.ca_file (depsync capp push/rm --force send the config's)")
			return true
		}
		return false
	}
	if r.Header.Get(api.ReconcilerHeader) != "" {
		if err := a.managerCert(r); err != nil {
			a.Metrics.received("forbidden")
			a.Logger.Warn("reconciler write refused: not the manager's certificate", "remote", r.RemoteAddr, "err", err)
			api.WriteError(w, http.StatusForbidden, "reconciler writes over TLS come only from the manager: "+err.Error()+
				"; the manager presents its tls.cert_file (signed by this node's tls.ca_file, with client usage, for a host of this node's peers)")
			return true
		}
		return false
	}
	mgr := ""
	if a.ManagerURL != nil {
		mgr = a.ManagerURL()
	}
	msg := "this node is a worker: send C-Apps to the manager, the one source of truth"
	if mgr == "" {
		msg += " (its URL is not known here yet)"
	}
	msg += "; ?force=true applies it here anyway, until the manager's next reconcile"
	api.WriteJSON(w, http.StatusConflict, api.Error{Error: msg, Manager: mgr})
	return true
}

// managerCert checks, over TLS, that the client presented a certificate
// of the cluster (clusterCert) that names one of ManagerHosts exactly and
// holds no wildcard name. Without TLS there is nothing to check.
func (a *cappAPI) managerCert(r *http.Request) error {
	if err := clusterCert(r); err != nil || r.TLS == nil {
		return err
	}
	leaf := r.TLS.VerifiedChains[0][0]
	for _, n := range leaf.DNSNames {
		if strings.Contains(n, "*") {
			return fmt.Errorf("the client certificate (%s) holds the wildcard name %s: a manager's certificate names its hosts "+
				"exactly (depsync tls init refuses wildcards)", leaf.Subject.CommonName, n)
		}
	}
	for _, h := range a.ManagerHosts {
		if namesHost(leaf, h) {
			return nil
		}
	}
	return fmt.Errorf("the client certificate (%s) names none of this node's peers %v", leaf.Subject.CommonName, a.ManagerHosts)
}

// clusterCert checks, over TLS, that the client presented a certificate
// verified against tls.ca_file (the handshake verified it, with client
// usage). Without TLS there is nothing to check.
func clusterCert(r *http.Request) error {
	if r.TLS == nil {
		return nil
	}
	if len(r.TLS.PeerCertificates) == 0 {
		return errors.New("no client certificate presented")
	}
	if len(r.TLS.VerifiedChains) == 0 {
		return errors.New("the client certificate is not signed by tls.ca_file")
	}
	return nil
}

// namesHost reports whether the certificate names host exactly: one of its
// IP addresses when host is an IP, else one of its DNS names, case and a
// final dot aside. Unlike x509.Certificate.VerifyHostname, no wildcard.
func namesHost(c *x509.Certificate, host string) bool {
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		for _, a := range c.IPAddresses {
			if a.Equal(ip) {
				return true
			}
		}
		return false
	}
	host = strings.TrimSuffix(host, ".")
	for _, n := range c.DNSNames {
		if strings.EqualFold(strings.TrimSuffix(n, "."), host) {
			return true
		}
	}
	return false
}

func boolParam(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "true" || v == "1"
}

func (a *cappAPI) put(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	if a.stopping(w, r) || a.refuse(w, r) {
		return
	}
	want, err := sfv.ParseContentDigest(r.Header.Values("Content-Digest"))
	if err != nil {
		a.Metrics.received("bad_request")
		api.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	max := a.Store.MaxSize()
	if r.ContentLength > max {
		a.Metrics.received("too_large")
		api.WriteError(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("%s: %d bytes, over the limit of %d", ErrTooLarge, r.ContentLength, max))
		return
	}
	body := http.MaxBytesReader(w, httpserver.GuardBody(w, r.Body, a.BodyStall), max+1)
	start := time.Now()
	res, err := a.Store.Put(file, body, want, PutOptions{Replace: boolParam(r, "replace"), Length: r.ContentLength})
	if err != nil {
		code, kind := putErrorCode(err)
		a.Metrics.received(kind)
		lvl := slog.LevelWarn
		if code >= 500 {
			lvl = slog.LevelError
		}
		a.Logger.Log(r.Context(), lvl, "C-App refused", "file", file, "code", code, "err", err,
			"reconciler", r.Header.Get(api.ReconcilerHeader))
		msg := err.Error()
		if code == http.StatusInsufficientStorage {
			msg = "no space left on this node's carbonapps file system: nothing was stored; free space there (the manager retries by itself): " + msg
		}
		api.WriteError(w, code, msg)
		return
	}
	a.Metrics.received(res.Status)
	a.Logger.Info("C-App received", "file", file, "id", res.ID, "status", res.Status, "sha256", res.SHA256,
		"replaced", res.Replaced, "duration", time.Since(start).Round(time.Millisecond),
		"reconciler", r.Header.Get(api.ReconcilerHeader))
	code := http.StatusOK
	if res.Status == StatusCreated {
		code = http.StatusCreated
	}
	reply := res
	if res.Status != StatusUnchanged {
		// Taken after the rename, on the clock of the Carbon log reader:
		// a client waiting for Carbon's verdict on these bytes counts
		// only lines read from now on, without comparing clocks.
		t := a.Now().UTC()
		reply.Received = &t
	}
	api.WriteJSON(w, code, reply)
}

func putErrorCode(err error) (int, string) {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, cappname.ErrBad):
		return http.StatusBadRequest, "bad_name"
	case errors.Is(err, sfv.ErrDigestMismatch):
		return http.StatusBadRequest, "digest_mismatch"
	case errors.Is(err, ErrTooLarge), errors.As(err, &mbe), errors.Is(err, carbonapp.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, ErrInvalidCApp):
		return http.StatusUnprocessableEntity, "invalid"
	case errors.Is(err, ErrDuplicateID):
		return http.StatusConflict, "duplicate_id"
	case errors.Is(err, httpserver.ErrBodyStalled):
		return http.StatusRequestTimeout, "timeout"
	case errors.Is(err, errReceive):
		return http.StatusBadRequest, "interrupted"
	case isNoSpace(err):
		return http.StatusInsufficientStorage, "no_space"
	case errors.Is(err, ErrNoDir):
		return http.StatusServiceUnavailable, "no_dir"
	}
	return http.StatusInternalServerError, "error"
}

func (a *cappAPI) delete(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	if a.stopping(w, r) || a.refuse(w, r) {
		return
	}
	err := a.Store.Delete(file)
	switch {
	case err == nil:
		a.Metrics.received("deleted")
		a.Logger.Info("C-App deleted", "file", file, "reconciler", r.Header.Get(api.ReconcilerHeader))
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrNotFound):
		api.WriteError(w, http.StatusNotFound, fmt.Sprintf("%s: %s", ErrNotFound, file))
	case errors.Is(err, cappname.ErrBad):
		api.WriteError(w, http.StatusBadRequest, err.Error())
	default:
		a.Logger.Error("delete C-App", "file", file, "err", err)
		api.WriteError(w, http.StatusInternalServerError, err.Error())
	}
}
