package config

import (
	"net"
	"regexp"
	"strings"
)

// SelfURL is the base URL peers reach this node at, as a manager sends it
// with its notices: https when the server side of TLS is set (tls.cert_file
// and tls.key_file), else http, and the listen address, with node_name in
// place of a wildcard host (empty, 0.0.0.0 or ::), which a peer cannot
// reach. It is "" when listen is not host:port (Validate refuses that).
func (c *Config) SelfURL() string {
	u, ok := c.listenURL(c.NodeName)
	if !ok {
		return ""
	}
	return u
}

// LocalURL is this node's base URL as seen from the node itself, what the
// CLI asks when no --node is given: as SelfURL, but with 127.0.0.1 in place
// of a wildcard host, since a server listening on every address answers on
// loopback too, whatever node_name resolves to. When listen is not
// host:port it is kept as is after the scheme, so that the check of the
// node's URL names it.
func (c *Config) LocalURL() string {
	u, ok := c.listenURL("127.0.0.1")
	if !ok {
		return c.scheme() + "://" + c.Listen
	}
	return u
}

// listenURL is scheme://listen with wildcard in place of a wildcard host.
func (c *Config) listenURL(wildcard string) (string, bool) {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "", false
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = wildcard
	}
	return c.scheme() + "://" + net.JoinHostPort(host, port), true
}

func (c *Config) scheme() string {
	if c.TLS.Enabled() {
		return "https"
	}
	return "http"
}

// RedactURL returns a URL fit to print, with every credential it carries
// taken out, while what names the server and the database stays: the user
// info of scheme://user:password@host (dropped whole, as of a bare
// user:password@host), the password of Oracle's
// jdbc:oracle:thin:user/password@host, and the value of every parameter
// whose name ends in password, passwd or pwd, whichever way the driver
// writes its parameters (?password= and &password= of MySQL and
// PostgreSQL, ;password= of SQL Server, H2 and DB2, (password=...) of
// MySQL's address form). It works on any string, URL or not, and errs
// towards hiding too much: a value is hidden up to the separator its
// driver ends it with, so that no part of a secret shows.
func RedactURL(raw string) string {
	s := redactParams(raw)
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "jdbc:oracle:") {
		return redactOracle(s)
	}
	prefix, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	} else if strings.HasPrefix(strings.ToLower(s), "jdbc:") {
		// jdbc:h2:./db;... has no authority: an @ in it is not user info.
		return s
	}
	host, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return prefix + host + path
}

// secretParam finds a parameter holding a password, with the separator
// before it (or the start) in group 1.
var secretParam = regexp.MustCompile(`(?i)(^|[?&;:(,])\s*[a-z0-9_.\-]*(?:password|passwd|pwd)\s*=`)

// redactParams replaces the value of every password parameter by
// <redacted>. Where the value ends depends on how the parameter began:
// after ? or & at the next & (or #), after ( or , at the next ), else at
// the next ;. A value in {braces} (SQL Server) or quotes ends at the
// closing one.
func redactParams(s string) string {
	var out strings.Builder
	for {
		m := secretParam.FindStringSubmatchIndex(s)
		if m == nil {
			out.WriteString(s)
			return out.String()
		}
		out.WriteString(s[:m[1]])
		out.WriteString(redacted)
		rest := s[m[1]:]
		end := len(rest)
		switch {
		case strings.HasPrefix(rest, "{"):
			end = closing(rest, "}")
		case strings.HasPrefix(rest, `"`), strings.HasPrefix(rest, "'"):
			end = closing(rest, rest[:1])
		default:
			stops := ";"
			switch sep := s[m[2]:m[3]]; sep {
			case "?", "&":
				stops = "&#"
			case "(", ",":
				stops = ")"
			case "":
				stops = ";&"
			}
			if i := strings.IndexAny(rest, stops); i >= 0 {
				end = i
			}
		}
		s = rest[end:]
	}
}

// closing returns the index just past the quote that closes s[0], or
// len(s) when there is none (everything after the opening is hidden).
func closing(s, quote string) int {
	if i := strings.Index(s[1:], quote); i >= 0 {
		return i + 2
	}
	return len(s)
}

// redactOracle hides the password of jdbc:oracle:<driver>:user/password@...
// (possibly "quoted"): up to the last @, after which only the server's
// address or descriptor comes.
func redactOracle(s string) string {
	head := strings.Index(s[len("jdbc:oracle:"):], ":")
	if head < 0 {
		return s
	}
	head += len("jdbc:oracle:") + 1
	at := strings.LastIndex(s, "@")
	if at < head {
		return s
	}
	creds := s[head:at]
	user, _, hasPass := strings.Cut(creds, "/")
	if !hasPass {
		return s
	}
	return s[:head] + user + "/" + redacted + s[at:]
}
