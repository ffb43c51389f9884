package deploy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/depsync/depsync/config"
)

// ManagerNotAllowedError is a worker's 409 naming a manager that Put and
// Delete do not follow: not one of ClientOptions.FollowAllowed, or plain
// http after https. Nothing was sent to that manager.
type ManagerNotAllowedError struct {
	Node    string // the worker asked (redacted)
	Manager string // the manager it named (redacted)
	// Downgrade is true when the manager is listed but the worker was
	// asked over https and the manager is http.
	Downgrade bool
}

func (e *ManagerNotAllowedError) Error() string {
	if e.Downgrade {
		return fmt.Sprintf("%s is a worker and names its manager %s, plain http after https: not followed, nothing was sent there",
			e.Node, e.Manager)
	}
	return fmt.Sprintf("%s is a worker and names its manager %s, which is not a known node: not followed, nothing was sent there",
		e.Node, e.Manager)
}

// follow returns the manager a worker's refusal err sends the request on
// to, "" when err is no such refusal (or following is off), or a
// *ManagerNotAllowedError.
func (c *Client) follow(node string, err error) (string, error) {
	var ae *APIError
	if !c.opts.FollowManager || !errors.As(err, &ae) || !IsWorkerRefusal(err) || ae.Manager == "" {
		return "", nil
	}
	mgr := normalURL(ae.Manager)
	if mgr == normalURL(node) {
		return "", nil
	}
	listed := false
	for _, a := range c.opts.FollowAllowed {
		if a != "" && normalURL(a) == mgr {
			listed = true
			break
		}
	}
	if !listed {
		return "", &ManagerNotAllowedError{Node: RedactURL(node), Manager: RedactURL(ae.Manager)}
	}
	if strings.HasPrefix(normalURL(node), "https://") && !strings.HasPrefix(mgr, "https://") {
		return "", &ManagerNotAllowedError{Node: RedactURL(node), Manager: RedactURL(ae.Manager), Downgrade: true}
	}
	return strings.TrimRight(ae.Manager, "/"), nil
}

// normalURL is a base URL as compared: scheme and host in lower case, no
// trailing slash. A URL with credentials, a query or a fragment never
// equals a listed one.
func normalURL(raw string) string {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "\x00invalid:" + raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return u.String()
}

// RedactURL returns a URL fit to print: without user info (a password),
// query or fragment. It works on any string, URL or not, so that nothing
// escapes it; the credentials go by config.RedactURL, the one rule for
// every URL depsync prints.
func RedactURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return config.RedactURL(s)
}
