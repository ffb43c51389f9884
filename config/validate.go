package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// FieldError says what is wrong with one key.
type FieldError struct {
	Key   string
	Value string
	Msg   string
}

func (e FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s: %q: %s", e.Key, e.Value, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Key, e.Msg)
}

// ValidationError lists every problem found, one per key.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	lines := make([]string, len(v))
	for i, e := range v {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Validate checks the configuration as a whole, as the daemon needs it.
// It returns a ValidationError naming every bad key, or nil.
func (c *Config) Validate() error {
	var errs ValidationError
	add := func(key, val, format string, args ...any) {
		errs = append(errs, FieldError{Key: key, Value: val, Msg: fmt.Sprintf(format, args...)})
	}

	switch c.Role {
	case RoleManager, RoleWorker:
	case "":
		add("role", "", "required: must be manager or worker")
	default:
		add("role", c.Role, "must be manager or worker")
	}

	if err := CheckNodeName(c.NodeName); err != nil {
		add("node_name", c.NodeName, "%v", err)
	}

	loopback := true
	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", c.Listen, "must be host:port, e.g. 127.0.0.1:9780")
	} else {
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			add("listen", c.Listen, "port must be a number from 0 to 65535")
		}
		loopback = isLoopback(host)
	}
	if !loopback && c.Token == "" {
		add("token_file", c.TokenFile, "required when listen (%s) is not a loopback address: set token_file or DEPSYNC_TOKEN", c.Listen)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls", "", "cert_file and key_file go together: set both or neither")
	}
	if !loopback && !c.TLS.Enabled() && !c.InsecureHTTP {
		add("listen", c.Listen, "is not a loopback address, and without TLS the token and every C-App cross the network in clear: "+
			"set tls.cert_file and tls.key_file (depsync tls init writes them), "+
			"or set insecure_http: true to accept plain HTTP")
	}

	if c.Carbon.DeploymentDir == "" {
		add("carbon.home", "", "required (or carbon.deployment_dir): the Carbon home whose deployment directory is synced")
	}
	for _, id := range c.Carbon.Tenants {
		if id <= 0 {
			add("carbon.tenants", strconv.Itoa(id), "tenant ids are positive integers (the super tenant -1234 is always synced)")
		}
	}
	if c.Carbon.AllTenants && c.Carbon.Home == "" {
		add("carbon.tenants", TenantsAll, "needs carbon.home to find repository/tenants/<id>")
	}
	if c.Carbon.AllTenants && c.SVN.URL != "" && !c.SVN.AppendTenantID {
		add("carbon.tenants", TenantsAll, "needs svn.append_tenant_id: true so that each tenant has its own folder in the repository")
	}
	if len(c.Carbon.Tenants) > 0 && c.Carbon.Home == "" {
		add("carbon.tenants", "", "needs carbon.home to find repository/tenants/<id>")
	}
	if len(c.Carbon.Tenants) > 0 && c.SVN.URL != "" && !c.SVN.AppendTenantID {
		add("carbon.tenants", "", "needs svn.append_tenant_id: true so that each tenant has its own folder in the repository")
	}
	c.checkStateDir(add)
	if c.Carbon.WriteConfig && c.Carbon.ConfigFile == "" {
		add("carbon.write_config", "true", "needs carbon.home or carbon.config_file to find carbon.xml")
	}

	if c.SVN.URL != "" {
		switch err := CheckSVNURL(c.SVN.URL); {
		case errors.Is(err, ErrSVNURLCredentials):
			add("svn.url", "", "%v: use svn.username and svn.password_file", err)
		case err != nil:
			add("svn.url", c.SVN.URL, "%v", err)
		}
	}
	c.checkFallbackURLs(add)
	c.checkDurations(add)
	if c.Sync.MaxDelay > 0 && c.Sync.Debounce > c.Sync.MaxDelay {
		add("sync.max_delay", c.Sync.MaxDelay.String(), "must not be shorter than sync.debounce (%s)", c.Sync.Debounce)
	}
	// Empty is the default (a Config built in code rather than loaded).
	if _, err := ParseDeleteLimit(c.Sync.MaxDelete); c.Sync.MaxDelete != "" && err != nil {
		add("sync.max_delete", c.Sync.MaxDelete, "%v", err)
	}
	if c.Backups.MaxBytes < 0 {
		add("backups.max_bytes", c.Backups.MaxBytes.String(), "must be a size such as 1GiB, or 0 for no size limit")
	}
	if c.SVN.FailThreshold < 1 {
		add("svn.fail_threshold", strconv.Itoa(c.SVN.FailThreshold), "must be at least 1")
	}
	for _, p := range c.Peers {
		u, err := url.Parse(p)
		switch {
		case err != nil || !oneOf(u.Scheme, "http", "https") || u.Host == "":
			add("peers", p, "must be a base URL such as http://node2:9780")
		case u.User != nil:
			// It would show in /metrics labels and /v1/status.
			add("peers", "", "must not carry credentials: the nodes share token_file or DEPSYNC_TOKEN")
		case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(p, "?") || strings.HasSuffix(p, "#"):
			add("peers", p, "must be a base URL without a query or fragment, such as https://node2:9780")
		case PlainHTTPOffLoopback(u) && !c.InsecureHTTP:
			add("peers", p, "is plain http:// to a host that is not loopback: the token and every C-App would cross the network in clear. "+
				"Use an https:// URL and set tls.ca_file to the CA that signed the peers' certificates (depsync tls init writes them), "+
				"or set insecure_http: true to accept plain HTTP")
		}
	}
	for _, pat := range c.Sync.Ignore {
		if _, err := filepath.Match(pat, "x"); err != nil || strings.Contains(pat, "/") {
			add("sync.ignore", pat, "must be a file name pattern such as *.log (no /)")
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackHost reports whether host (a name or an IP, without a port)
// is this machine's loopback: localhost, 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool { return isLoopback(host) }

// PlainHTTPOffLoopback reports whether u is plain http:// to a host that is
// not loopback: the token and the C-Apps would cross a network in clear.
func PlainHTTPOffLoopback(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, "http") && !isLoopback(u.Hostname())
}

// checkStateDir refuses a state_dir inside a synced directory: the manager
// would commit its own backups and svn config, and a worker's update would
// delete them.
func (c *Config) checkStateDir(add func(key, val, format string, args ...any)) {
	if c.StateDir == "" {
		return
	}
	state := realPath(c.StateDir)
	for _, t := range c.Tenants() {
		if t.Dir == "" {
			continue
		}
		if within(state, realPath(t.Dir)) {
			hint := "a directory outside it"
			if c.Carbon.Home != "" && !within(filepath.Join(c.Carbon.Home, "depsync-state"), t.Dir) {
				hint = filepath.Join(c.Carbon.Home, "depsync-state") + " (the default)"
			}
			add("state_dir", c.StateDir, "is inside the synced directory %s: its backups and svn config would be "+
				"synced and deleted with it. Set state_dir to %s", t.Dir, hint)
			return
		}
	}
}

// realPath cleans p and resolves the symlinks of the part of it that exists.
func realPath(p string) string {
	p = filepath.Clean(p)
	rest := ""
	for dir := p; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(dir) == dir {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Tenant is one deployment directory synced with one repository folder.
type Tenant struct {
	ID  int
	Dir string
	// URL is the repository folder, or "" when no SVN server is configured.
	URL string
}

// Tenants returns the super tenant followed by carbon.tenants, each with its
// directory and repository URL, mapped the way Carbon's
// SvnUrlAppendTenantId does.
func (c *Config) Tenants() []Tenant {
	ts := []Tenant{{ID: SuperTenantID, Dir: c.Carbon.DeploymentDir, URL: c.tenantURL(SuperTenantID)}}
	for _, id := range c.Carbon.Tenants {
		ts = append(ts, Tenant{
			ID:  id,
			Dir: filepath.Join(c.Carbon.Home, "repository", "tenants", strconv.Itoa(id)),
			URL: c.tenantURL(id),
		})
	}
	return ts
}

// TenantOf returns tenant id (not the super tenant) with its directory and
// repository URL, as Tenants maps them: for tenants found at runtime.
func (c *Config) TenantOf(id int) Tenant {
	return Tenant{
		ID:  id,
		Dir: filepath.Join(c.Carbon.Home, "repository", "tenants", strconv.Itoa(id)),
		URL: c.tenantURL(id),
	}
}

func (c *Config) tenantURL(id int) string {
	if c.SVN.URL == "" {
		return ""
	}
	if !c.SVN.AppendTenantID {
		return c.SVN.URL
	}
	return c.SVN.URL + "/" + strconv.Itoa(id)
}

// Ignored reports whether a file or directory name matches the default or
// configured ignore patterns.
func (c *Config) Ignored(name string) bool {
	for _, pats := range [][]string{DefaultIgnore, c.Sync.Ignore} {
		for _, p := range pats {
			if ok, _ := filepath.Match(p, name); ok {
				return true
			}
		}
	}
	return false
}
