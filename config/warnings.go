package config

import (
	"fmt"
	"io/fs"
	"os"
)

// Warnings returns what is allowed but unsafe in the config, one sentence
// each: insecure_http, then a token_file open to others. run logs them at
// start and config check prints them, from here, so that both say the
// same.
func (c *Config) Warnings() []string {
	var out []string
	if c.InsecureHTTP {
		out = append(out, "insecure_http: true: plain HTTP is allowed off loopback, so the API token and every C-App "+
			"may cross the network in clear; configure tls.* and https:// peers (depsync tls init) instead")
	}
	if w := c.TokenFileWarning(); w != "" {
		out = append(out, w)
	}
	return out
}

// TokenFileWarning says, in one sentence, why token_file is open to other
// users (readable or writable by its group or by others: a reader holds
// the key to every node, a writer can set one it knows), or returns ""
// when it is not, or there is no token_file. It is a warning, not an
// error: a group that only the depsync user belongs to may be deliberate.
func (c *Config) TokenFileWarning() string {
	if c.TokenFile == "" {
		return ""
	}
	fi, err := os.Stat(c.TokenFile)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return "" // an unreadable token_file is an error of its own
	}
	return fmt.Sprintf("token_file %s is mode %04o: %s can read or change the API token, the key to every node; "+
		"chmod 600 %s (owned by the user depsync runs as)", c.TokenFile, fi.Mode().Perm(), who(fi.Mode().Perm()), c.TokenFile)
}

// who names the users besides the owner that m lets in.
func who(m fs.FileMode) string {
	switch g, o := m&0o070 != 0, m&0o007 != 0; {
	case g && o:
		return "its group and every other user"
	case o:
		return "every other user"
	}
	return "its group"
}
