package failover

import (
	"strings"
)

// bases are the servers' URLs of the repository: svn.url first, then the
// fallback URLs, each spelled as configured.
type bases []string

// of returns which base u is at or below, and the rest of u after it ("",
// or "/..."): the longest that matches, with scheme and host in any case
// (svn spells them in lower case) and either without a trailing slash.
func (b bases) of(u string) (int, string, bool) {
	best, rest, found := -1, "", false
	for i, base := range b {
		r, ok := below(u, base)
		if ok && (!found || len(base) > len(b[best])) {
			best, rest, found = i, r, true
		}
	}
	return best, rest, found
}

// rewrite moves u from the base it is below to base to; a URL below none
// is left as it is.
func (b bases) rewrite(u string, to int) string {
	i, rest, ok := b.of(u)
	if !ok || i == to {
		return u
	}
	return strings.TrimRight(b[to], "/") + rest
}

// below reports whether u is base or below it, and the rest of u.
func below(u, base string) (string, bool) {
	base = strings.TrimRight(base, "/")
	bh, bp := splitHost(base)
	uh, up := splitHost(u)
	if bh == "" || !strings.EqualFold(bh, uh) {
		return "", false
	}
	rest, ok := strings.CutPrefix(up, bp)
	if !ok || rest != "" && rest[0] != '/' {
		return "", false
	}
	return strings.TrimRight(rest, "/"), true
}

// splitHost splits a URL into "scheme://host[:port]" and its path.
func splitHost(u string) (string, string) {
	i := strings.Index(u, "://")
	if i < 0 {
		return "", u
	}
	j := strings.IndexByte(u[i+3:], '/')
	if j < 0 {
		return u, ""
	}
	return u[:i+3+j], u[i+3+j:]
}
