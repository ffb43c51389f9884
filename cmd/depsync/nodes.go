package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
)

// Default --timeout values. A push carries a C-App that may be hundreds of
// megabytes over a slow link (1 GiB at 2 MB/s is under 10 minutes); the
// other calls are small JSON replies.
const (
	defaultPushTimeout = 10 * time.Minute
	defaultCallTimeout = 30 * time.Second
)

// redact is how every node URL is printed: without credentials, query or
// fragment. One helper, so that no command prints a URL another way.
func redact(u string) string { return config.RedactNodeURL(u) }

// checkNodeURL applies the rules of a node's base URL to a --node value
// (flag names where it came from): http or https with a host, no
// credentials, query or fragment, and plain http only to loopback unless
// the config says insecure_http. Errors are bad input and never print the
// URL's credentials.
func checkNodeURL(flag, raw string, insecure bool) error {
	shown := redact(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return badInput(fmt.Errorf("%s %q: must be a base URL such as https://node1:9780", flag, shown))
	case u.User != nil:
		return badInput(fmt.Errorf("%s %s: must not carry credentials (user:password@): the token comes from --token-file, "+
			"token_file or DEPSYNC_TOKEN", flag, shown))
	case strings.ContainsAny(raw, "?#"):
		return badInput(fmt.Errorf("%s %s: must be a base URL without a query or fragment, such as https://node1:9780", flag, shown))
	case config.PlainHTTPOffLoopback(u) && !insecure:
		return badInput(fmt.Errorf("%s %s: plain http:// to a host that is not loopback would send the token in clear: "+
			"use https:// (with tls.ca_file naming the CA of the nodes' certificates, see depsync tls init), "+
			"or set insecure_http: true in the config", flag, shown))
	}
	return nil
}

// resolveNodes returns the --node URLs, else the config's own node and its
// peers, checked and without duplicates.
func resolveNodes(cfg *config.Config, flagNodes []string) ([]string, error) {
	nodes, flag := flagNodes, "--node"
	if len(flagNodes) == 0 {
		nodes, flag = append([]string{localURL(cfg)}, cfg.Peers...), "peer"
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range nodes {
		n = strings.TrimRight(strings.TrimSpace(n), "/")
		if n == "" || seen[n] {
			continue
		}
		if err := checkNodeURL(flag, n, cfg.InsecureHTTP); err != nil {
			return nil, err
		}
		seen[n] = true
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, badInput(errors.New("no node to push to: give --node URL"))
	}
	return out, nil
}

// resolveNode returns the node of a command that asks one node (capp
// list, status): --node, else this config's own node, checked by the same
// rules as resolveNodes'. Only the node asked is checked: nothing is sent to
// the others.
func resolveNode(cfg *config.Config, flagNode string) (string, error) {
	if strings.TrimSpace(flagNode) != "" {
		nodes, err := resolveNodes(cfg, []string{flagNode})
		if err != nil {
			return "", err
		}
		return nodes[0], nil
	}
	n := strings.TrimRight(localURL(cfg), "/")
	if err := checkNodeURL("this node's URL (listen)", n, cfg.InsecureHTTP); err != nil {
		return "", err
	}
	return n, nil
}

// localURL is this node's API as seen from the node itself: the one rule
// is config.Config.LocalURL.
func localURL(c *config.Config) string { return c.LocalURL() }

// readToken returns the token of --token-file, else of the config. Both
// are read by config.ReadSecretFile, so they follow the same rules.
func readToken(cfg *config.Config, tokenFile string) (string, error) {
	if tokenFile != "" {
		tok, err := config.ReadSecretFile(tokenFile)
		if err == nil {
			err = config.CheckToken(tok)
		}
		if err != nil {
			return "", badInput(fmt.Errorf("--token-file %s: %w", tokenFile, err))
		}
		return tok, nil
	}
	if cfg.Token == "" {
		return "", badInput(errors.New("no API token: give --token-file, or set token_file or DEPSYNC_TOKEN"))
	}
	return cfg.Token.Reveal(), nil
}

// newDeployClient returns the client of the capp commands. follow makes a
// worker's 409 lead on to its manager, but only when that manager is one of
// nodes, a configured peer or this config's own node: the token goes
// nowhere else. timeout bounds List, Delete and Status calls. force (capp
// push/rm --force) has the client present this config's tls.cert_file and
// key_file, when set: over TLS a worker takes a forced write only from a
// client certificate of the cluster.
func newDeployClient(a *app, cfg *config.Config, tokenFile string, follow, force bool, nodes []string, timeout time.Duration) (*client.Client, error) {
	allowed := append(append(append([]string{}, nodes...), cfg.Peers...), localURL(cfg))
	o := client.Options{FollowManager: follow, FollowAllowed: allowed, Timeout: timeout}
	if force && cfg.TLS.CertFile != "" && cfg.TLS.KeyFile != "" {
		o.CertFile, o.KeyFile = cfg.TLS.CertFile, cfg.TLS.KeyFile
	}
	return deployClient(a, cfg, tokenFile, o)
}

// newNodeClient returns the client of a command that asks one node one
// thing (status, approve): one attempt, bounded by timeout, and no
// following of a worker to its manager.
func newNodeClient(a *app, cfg *config.Config, tokenFile string, timeout time.Duration) (*client.Client, error) {
	return deployClient(a, cfg, tokenFile, client.Options{RetryMax: -1, Timeout: timeout})
}

// deployClient completes o with the token (--token-file, else the
// config's), the CA (--ca-file, else tls.ca_file), the client certificate
// of --cert-file and --key-file, and the logger.
func deployClient(a *app, cfg *config.Config, tokenFile string, o client.Options) (*client.Client, error) {
	if err := a.tls.check(); err != nil {
		return nil, err
	}
	tok, err := readToken(cfg, tokenFile)
	if err != nil {
		return nil, err
	}
	o.Token, o.CAFile, o.Logger = tok, cfg.TLS.CAFile, a.logger
	// A certificate given on the command line is presented; else only
	// --force presents the config's tls.cert_file (newDeployClient): it is
	// the node's server certificate, whose key the operator running the
	// CLI may not (and need not) be able to read for anything else.
	if a.tls.certFile != "" {
		o.CertFile, o.KeyFile = a.tls.certFile, a.tls.keyFile
	}
	c, err := client.New(o)
	if err != nil {
		return nil, badInput(err)
	}
	return c, nil
}

// checkTimeout refuses a --timeout that is not positive.
func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return usageError{fmt.Errorf("--timeout %s: must be a positive duration such as 30s or 10m", d)}
	}
	return nil
}

// nodeError says what went wrong with node in words an operator can act
// on: a deadline becomes "no answer within --timeout", a manager that is not
// followed says how to follow it. URLs in it are redacted.
func nodeError(node string, err error, timeout time.Duration) string {
	var me *client.ManagerNotAllowedError
	switch {
	case errors.As(err, &me):
		if me.Downgrade {
			return err.Error() + "; pass its https:// URL with --node if it has one"
		}
		return err.Error() + "; if it is your manager, pass it with --node " + me.Manager
	case errors.As(err, new(x509.UnknownAuthorityError)):
		return redactIn(err.Error(), node) + "; give --ca-file (or set tls.ca_file in the config) with the CA that signed " +
			"the nodes' certificates (the ca.crt of depsync tls init)"
	case errors.As(err, new(x509.HostnameError)):
		return redactIn(err.Error(), node) + "; use a URL with one of the names or IPs the node's certificate was made for " +
			"(its --host in depsync tls init)"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s: no answer within --timeout %s (the node accepted the connection but did not reply; "+
			"is it overloaded or stuck? raise --timeout for a large C-App over a slow link)", redact(node), timeout)
	}
	return redactIn(err.Error(), node)
}

// redactIn replaces node, as given, by its redacted form in msg (the
// client's errors name the node they talked to).
func redactIn(msg, node string) string {
	if r := redact(node); r != node && node != "" {
		return strings.ReplaceAll(msg, node, r)
	}
	return msg
}

// askOne is the start of a command that asks one node one question
// (status, approve): -o and --timeout checked, the config loaded, the node
// resolved by the --node rules, and a client that makes one attempt within
// --timeout. Its errors are already the command's (exit 2).
func (a *app) askOne(node, tokenFile, output string, timeout time.Duration) (string, *client.Client, error) {
	if err := validOutput(output); err != nil {
		return "", nil, err
	}
	c, err := a.loadConfig(nil)
	if err != nil {
		return "", nil, err
	}
	if err := checkTimeout(timeout); err != nil {
		return "", nil, err
	}
	if node, err = resolveNode(c, node); err != nil {
		return "", nil, err
	}
	client, err := newNodeClient(a, c, tokenFile, timeout)
	if err != nil {
		return "", nil, err
	}
	return node, client, nil
}
