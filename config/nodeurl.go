package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// NormalURL returns a node's base URL as depsync compares two of them:
// scheme://host:port, scheme and host in lower case, the default port
// made explicit (https://m and HTTPS://M:443/ are one node). Or it says
// what keeps raw from being a node's base URL: only http and https, with
// a host, without credentials, a query (even an empty one), a fragment
// or a path. Both a worker judging a notice's manager and the CLI judging
// where a worker's refusal sends it compare by it, so that they agree on
// which URLs name the same node.
func NormalURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", errors.New("only http and https URLs")
	case u.User != nil:
		return "", errors.New("credentials in the URL")
	case u.Hostname() == "":
		return "", errors.New("no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return "", errors.New("a query or fragment")
	case strings.Trim(u.Path, "/") != "":
		return "", errors.New("a path: give the node's base URL")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port), nil
}

// maxShownURL bounds a node URL as printed: one a peer sends may be
// anything up to its request's limit.
const maxShownURL = 256

// RedactNodeURL returns a node URL fit to print, in logs, errors and the
// CLI's output alike: without credentials (RedactURL), query or fragment,
// at most 256 bytes (then "..."). It works on any string, URL or not, so
// that nothing escapes it.
func RedactNodeURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = RedactURL(s)
	if len(s) > maxShownURL {
		s = s[:maxShownURL] + "..."
	}
	return s
}
