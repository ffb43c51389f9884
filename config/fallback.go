package config

import (
	"errors"
)

// checkFallbackURLs applies svn.url's rules to each of svn.fallback_urls,
// which must also differ from svn.url and from each other: each is another
// server of the same repository (the UUIDs are compared at start, where
// the servers can be asked).
func (c *Config) checkFallbackURLs(add func(key, val, format string, args ...any)) {
	if len(c.SVN.FallbackURLs) == 0 {
		return
	}
	if c.SVN.URL == "" {
		add("svn.fallback_urls", "", "needs svn.url: they are other servers of svn.url's repository")
		return
	}
	seen := []string{c.SVN.URL}
	for _, u := range c.SVN.FallbackURLs {
		switch err := CheckSVNURL(u); {
		case errors.Is(err, ErrSVNURLCredentials):
			add("svn.fallback_urls", "", "%v: use svn.username and svn.password_file", err)
			continue
		case err != nil:
			add("svn.fallback_urls", u, "%v", err)
			continue
		}
		for i, s := range seen {
			if SameSVNURL(u, s) {
				what := "is listed twice"
				if i == 0 {
					what = "is svn.url itself"
				}
				add("svn.fallback_urls", u, "%s: list the other servers of the repository", what)
				break
			}
		}
		seen = append(seen, u)
	}
}
