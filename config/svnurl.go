package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrSVNURLCredentials: an svn URL carries a user name or password, which
// would end up in svn's argv, logs and carbon.xml. The caller says where
// they go instead (svn.username and svn.password_file, or the flags).
var ErrSVNURLCredentials = errors.New("must not carry credentials")

// CheckSVNURL applies svn.url's rules to s, wherever it comes from (the
// config, --svn-url): a URL svn understands (file://, svn://, svn+ssh://,
// http:// or https://) without credentials. The error says what is wrong,
// for the caller to put after the key or flag; a URL that does not parse
// gives a *url.Error, one with credentials ErrSVNURLCredentials.
func CheckSVNURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %w", err)
	case !oneOf(u.Scheme, "file", "svn", "svn+ssh", "http", "https"):
		return errors.New("must be file://, svn://, svn+ssh://, http:// or https://")
	case u.User != nil:
		return ErrSVNURLCredentials
	}
	return nil
}

// SameSVNURL reports whether two repository URLs name the same folder,
// however each was spelled: in the case of the scheme or host, with a
// default port, escaped or not, with a trailing slash. Carbon's SvnUrl (and
// so the URL its working copies were checked out from) may be spelled
// another way than svn.url, and svn.fallback_urls must not list svn.url
// again in another spelling.
func SameSVNURL(a, b string) bool {
	unescaped := func(s string) string {
		s = strings.TrimRight(s, "/")
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		return s
	}
	return unescaped(a) == unescaped(b) || canonicalURL(a) == canonicalURL(b)
}

// defaultPort is the port a URL of scheme may leave out, "" for none.
func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	case "svn":
		return "3690"
	case "svn+ssh":
		return "22"
	}
	return ""
}

// canonicalURL spells a repository URL one way: scheme and host in lower
// case, no default port, the path unescaped without a trailing slash.
func canonicalURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" {
		return s
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && port != defaultPort(scheme) {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + strings.TrimRight(u.Path, "/")
}
