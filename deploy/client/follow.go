package client

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/depsync/depsync/config"
)

// ManagerNotAllowedError is a worker's 409 naming a manager that Put and
// Delete do not follow: not one of Options.FollowAllowed, or plain
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
// *ManagerNotAllowedError. URLs are compared as config.NormalURL compares
// them, as a worker compares a notice's manager with its peers: a manager
// URL that is not a node's base URL never equals a listed one.
func (c *Client) follow(node string, err error) (string, error) {
	var ae *APIError
	if !c.opts.FollowManager || !errors.As(err, &ae) || !IsWorkerRefusal(err) || ae.Manager == "" {
		return "", nil
	}
	mgr, merr := config.NormalURL(ae.Manager)
	if n, nerr := config.NormalURL(node); merr == nil && nerr == nil && n == mgr {
		return "", nil
	}
	listed := false
	for _, a := range c.opts.FollowAllowed {
		if n, aerr := config.NormalURL(a); merr == nil && aerr == nil && n == mgr {
			listed = true
			break
		}
	}
	if !listed {
		return "", &ManagerNotAllowedError{Node: config.RedactNodeURL(node), Manager: config.RedactNodeURL(ae.Manager)}
	}
	if u, perr := url.Parse(node); (perr != nil || strings.EqualFold(u.Scheme, "https")) && !strings.HasPrefix(mgr, "https://") {
		return "", &ManagerNotAllowedError{Node: config.RedactNodeURL(node), Manager: config.RedactNodeURL(ae.Manager), Downgrade: true}
	}
	return strings.TrimRight(ae.Manager, "/"), nil
}
