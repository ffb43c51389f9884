package config

import (
	"errors"
	"fmt"
	"net/url"
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
