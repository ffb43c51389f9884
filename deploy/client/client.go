package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/backoff"
	"github.com/depsync/depsync/internal/guard"
	"github.com/depsync/depsync/internal/httpauth"
	"github.com/depsync/depsync/internal/tlsconf"
)

// Options configure a Client.
type Options struct {
	// Token is the bearer token of the nodes' /v1 API. It is sent in the
	// Authorization header only, and never logged.
	Token string
	// CAFile is a PEM bundle of the CAs that sign the nodes' certificates
	// (tls.ca_file); empty means the system roots.
	CAFile string
	// TLSConfig, when set, is used as is (CAFile is then ignored).
	TLSConfig *tls.Config
	// RetryMax is how many times a request is retried after a connection
	// error, a 429 or a 5xx (default 4; negative for none). Waits grow
	// exponentially from RetryWaitMin to RetryWaitMax, with full jitter.
	RetryMax     int
	RetryWaitMin time.Duration // default 200ms
	RetryWaitMax time.Duration // default 10s
	// Timeout bounds one attempt of List, Delete, Status and Approve
	// (default 30s).
	// A Put is bounded by its context only: a large C-App takes its time.
	Timeout time.Duration
	// FollowManager makes Put and Delete follow a worker's 409 to the
	// manager it names, once (what `depsync capp push` wants; a
	// reconciler never needs it), but only when that manager is one of
	// FollowAllowed and the move is not from https to http. Any other
	// manager gets a *ManagerNotAllowedError and nothing, not even the
	// token, is sent to it: a worker's idea of its manager can be
	// planted.
	FollowManager bool
	// FollowAllowed are the base URLs a worker's 409 may send Put and
	// Delete on to: the nodes the operator named, the configured peers,
	// this config's own node.
	FollowAllowed []string
	// CertFile and KeyFile, when set, are a certificate and key the
	// client presents when a node asks for one (tls.cert_file and
	// tls.key_file: the certificates of depsync tls init carry client
	// usage), so that a node can tell its manager's writes by it.
	CertFile, KeyFile string
	// Reconciler, when set, marks Put and Delete as coming from the
	// reconciler of the manager of that name (the Depsync-Reconciler
	// header), which is what makes a worker accept them.
	Reconciler string
	Logger     *slog.Logger
}

// Client talks to the peer C-App API of depsync nodes, with retries.
type Client struct {
	opts  Options
	rc    *retryablehttp.Client
	plain *http.Client // no retries, for probes
}

// New returns a Client. It fails only if CAFile, CertFile or KeyFile
// cannot be read.
func New(opts Options) (*Client, error) {
	if opts.RetryMax == 0 {
		opts.RetryMax = 4
	} else if opts.RetryMax < 0 {
		opts.RetryMax = 0
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = 200 * time.Millisecond
	}
	if opts.RetryWaitMax <= 0 {
		opts.RetryWaitMax = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	tlsCfg, err := tlsconf.Client(tlsconf.Options{Base: opts.TLSConfig, CAFile: opts.CAFile,
		CertFile: opts.CertFile, KeyFile: opts.KeyFile})
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.MaxIdleConnsPerHost = 8
	tr.ResponseHeaderTimeout = 0 // a PUT's reply comes after the upload has been validated
	tr.ExpectContinueTimeout = 2 * time.Second

	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: tr}
	rc.RetryMax = opts.RetryMax
	rc.RetryWaitMin = opts.RetryWaitMin
	rc.RetryWaitMax = opts.RetryWaitMax
	rc.Backoff = jitterBackoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.Logger = slogAdapter{opts.Logger}
	return &Client{opts: opts, rc: rc, plain: &http.Client{Transport: tr, Timeout: 5 * time.Second}}, nil
}

// AsReconciler returns a copy of c whose Put and Delete carry the
// Depsync-Reconciler header with the manager's node name.
func (c *Client) AsReconciler(node string) *Client {
	cc := *c
	cc.opts.Reconciler = node
	cc.opts.FollowManager = false
	return &cc
}

// jitterBackoff waits min*2^attempt, capped at max, with full jitter (a
// random time between half of it and all of it), or what a 429/503's
// Retry-After says when that is longer.
func jitterBackoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	d := backoff.Equal(backoff.Exponential(lo, hi, attempt))
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			if ra := time.Duration(s) * time.Second; ra > d && ra <= hi {
				d = ra
			}
		}
	}
	return d
}

// slogAdapter makes a slog.Logger a retryablehttp.LeveledLogger. Requests
// are logged at debug level; retryablehttp logs URLs, never headers, so the
// token does not appear.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Error(msg string, kv ...any) { a.l.Debug("http: "+msg, kv...) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.l.Debug("http: "+msg, kv...) }
func (a slogAdapter) Debug(msg string, kv ...any) { a.l.Debug("http: "+msg, kv...) }
func (a slogAdapter) Warn(msg string, kv ...any)  { a.l.Debug("http: "+msg, kv...) }

// APIError is an error reply of a node's API.
type APIError struct {
	Node       string
	StatusCode int
	Message    string
	// Manager is set when a worker refused the request (409): the
	// manager's URL, where to send it.
	Manager string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: %d %s", e.Node, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Manager != "" {
		s += " (manager: " + e.Manager + ")"
	}
	return s
}

// IsWorkerRefusal reports whether err is a worker's 409 that names (or
// would name) its manager, rather than a duplicate id.
func IsWorkerRefusal(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusConflict && strings.Contains(ae.Message, "this node is a worker")
}

// IsNotFound reports whether err is an API 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

func apiError(node string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{Node: node, StatusCode: resp.StatusCode}
	var je api.Error
	if json.Unmarshal(body, &je) == nil && je.Error != "" {
		e.Message, e.Manager = je.Error, je.Manager
	} else {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "..."
		}
	}
	return e
}

// Endpoint joins a node's base URL and a path (with query).
func Endpoint(node, path string) (string, error) {
	u, err := url.Parse(strings.TrimRight(node, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("node %q: must be a base URL such as http://node1:9780", node)
	}
	if u.User != nil {
		return "", fmt.Errorf("node %q: must not carry credentials: the token comes from token_file or DEPSYNC_TOKEN", u.Redacted())
	}
	return strings.TrimRight(node, "/") + path, nil
}

func (c *Client) newRequest(ctx context.Context, method, node, path string, body any) (*retryablehttp.Request, error) {
	u, err := Endpoint(node, path)
	if err != nil {
		return nil, err
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	httpauth.Set(req.Request, c.opts.Token)
	req.Header.Set("User-Agent", "depsync")
	if c.opts.Reconciler != "" {
		req.Header.Set(api.ReconcilerHeader, c.opts.Reconciler)
	}
	return req, nil
}

// getJSON GETs node+path into v, within the client's timeout.
func (c *Client) getJSON(ctx context.Context, node, path string, v any) error {
	_, err := c.getJSONHeader(ctx, node, path, v)
	return err
}

// getJSONHeader is getJSON that also returns the reply's header.
func (c *Client) getJSONHeader(ctx context.Context, node, path string, v any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodGet, node, path, nil)
	if err != nil {
		return nil, err
	}
	// Said outright, so that a path that may one day also serve bytes
	// (GET /v1/capps/{file}) keeps answering this client in JSON.
	req.Header.Set("Accept", "application/json")
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", node, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(node, resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v); err != nil {
		return nil, fmt.Errorf("%s: reply to GET %s: %w", node, path, err)
	}
	return resp.Header, nil
}

// List returns the C-Apps of node.
func (c *Client) List(ctx context.Context, node string) ([]api.Entry, error) {
	l, err := c.ListCarbon(ctx, node)
	if err != nil {
		return nil, err
	}
	return l.Entries, nil
}

// Listing is a node's reply to GET /v1/capps.
type Listing struct {
	Entries []api.Entry
	// CarbonLog is the node's api.CarbonLogHeader: api.CarbonLogReadable,
	// api.CarbonLogUnreadable, or "" from a node that reads no Carbon log
	// (or predates it). Only with a readable log is api.Entry.Carbon news.
	CarbonLog string
}

// CarbonReadable reports whether the node reads a Carbon log it can open.
func (l *Listing) CarbonReadable() bool { return l.CarbonLog == api.CarbonLogReadable }

// ListCarbon returns the C-Apps of node, with their Carbon states and
// whether the node's Carbon log is readable.
func (c *Client) ListCarbon(ctx context.Context, node string) (*Listing, error) {
	var out []api.Entry
	h, err := c.getJSONHeader(ctx, node, "/v1/capps", &out)
	if err != nil {
		return nil, err
	}
	return &Listing{Entries: out, CarbonLog: h.Get(api.CarbonLogHeader)}, nil
}

// Status reads node's /v1/status.
func (c *Client) Status(ctx context.Context, node string) (*api.Status, error) {
	var st api.Status
	if err := c.getJSON(ctx, node, "/v1/status", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// StatusJSON returns node's /v1/status as the node wrote it, for a caller
// that shows it whole (`depsync status -o json`), fields this client does
// not know included.
func (c *Client) StatusJSON(ctx context.Context, node string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, node, "/v1/status", &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// StatusPath is the path of GET /v1/status, of one tenant when tenant is
// not "" (/v1/status?tenant=<id>), for Status and StatusJSON's path form.
func StatusPath(tenant string) string {
	if tenant == "" {
		return "/v1/status"
	}
	return "/v1/status?tenant=" + url.QueryEscape(tenant)
}

// StatusAt reads node's status at path (see StatusPath).
func (c *Client) StatusAt(ctx context.Context, node, path string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.getJSON(ctx, node, path, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// ErrApproveAll says a node too old to take a selection in POST
// /v1/approve approved every hold it had instead; Approve returns its reply
// with it, so the caller can show what went.
var ErrApproveAll = errors.New("this node's depsync is older and approved every held deletion, not only those asked for")

// Approve lets the deletions node holds through, once (POST /v1/approve):
// those of sel's scopes (all with none) whose digest is sel's (any with
// none), and returns them; Approved is empty, not nil, when none was held.
// It is sent once, never retried: an approval applies to what is held when
// it arrives, so a second one could let through a hold nobody saw.
func (c *Client) Approve(ctx context.Context, node string, sel api.ApproveRequest) (*api.ApproveReply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body []byte
	if len(sel.Scopes) > 0 || sel.Digest != "" {
		var err error
		if body, err = json.Marshal(sel); err != nil {
			return nil, fmt.Errorf("%s: POST /v1/approve: %w", node, err)
		}
	}
	req, err := c.newRequest(ctx, http.MethodPost, node, "/v1/approve", nil)
	if err != nil {
		return nil, err
	}
	if body != nil {
		// Sent by the plain client (never retried): the body is set here.
		req.Request.Body = io.NopCloser(bytes.NewReader(body))
		req.Request.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.rc.HTTPClient.Do(req.Request)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", node, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(node, resp)
	}
	var reply api.ApproveReply
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&reply); err != nil {
		return nil, fmt.Errorf("%s: reply to POST /v1/approve: %w", node, err)
	}
	if reply.Approved == nil {
		reply.Approved = []guard.Hold{}
	}
	if body != nil && len(reply.Approved) > 0 && reply.ExpiresAt == nil {
		// A node from before approvals took a selection approves every
		// hold whatever the body says: say so rather than echo it as
		// what was asked.
		return &reply, fmt.Errorf("%s: %w", node, ErrApproveAll)
	}
	return &reply, nil
}

// Probe reports whether node's depsync answers at all (any HTTP reply to
// GET /healthz), without retries.
func (c *Client) Probe(ctx context.Context, node string) error {
	u, err := Endpoint(node, "/healthz")
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.plain.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", node, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return nil
}

// Delete removes file from node. A worker's 409 is followed to its manager
// when FollowManager is set. A 404 is an error: test it with IsNotFound.
func (c *Client) Delete(ctx context.Context, node, file string, force bool) (servedBy string, err error) {
	err = c.delete(ctx, node, file, force)
	if err != nil {
		mgr, ferr := c.follow(node, err)
		if ferr != nil {
			return node, ferr
		}
		if mgr != "" {
			return mgr, c.delete(ctx, mgr, file, force)
		}
	}
	return node, err
}

func (c *Client) delete(ctx context.Context, node, file string, force bool) error {
	if !cappname.Valid(file) {
		return fmt.Errorf("%s: %w", file, cappname.ErrBad)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	p := "/v1/capps/" + file
	if force {
		p += "?force=true"
	}
	req, err := c.newRequest(ctx, http.MethodDelete, node, p, nil)
	if err != nil {
		return err
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: DELETE %s: %w", node, file, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return apiError(node, resp)
	}
	return nil
}
