// Package config loads, defaults and validates depsync's own configuration:
// a YAML file, DEPSYNC_* environment variables and command-line overrides,
// in rising order of precedence.
package config

import (
	"time"
)

// Roles a node can play.
const (
	RoleManager = "manager"
	RoleWorker  = "worker"
)

// TenantsAll is the value of carbon.tenants that follows every tenant.
const TenantsAll = "all"

// SuperTenantID is Carbon's id for the super tenant, whose artifacts live in
// repository/deployment/server.
const SuperTenantID = -1234

// Config is depsync's effective configuration. Field tags name the keys of
// the YAML file; nested keys join with "_" in DEPSYNC_* variables
// (svn.url is DEPSYNC_SVN_URL).
type Config struct {
	Role      string   `mapstructure:"role" yaml:"role"`
	NodeName  string   `mapstructure:"node_name" yaml:"node_name"`
	StateDir  string   `mapstructure:"state_dir" yaml:"state_dir"`
	Listen    string   `mapstructure:"listen" yaml:"listen"`
	TokenFile string   `mapstructure:"token_file" yaml:"token_file"`
	TLS       TLS      `mapstructure:"tls" yaml:"tls"`
	Carbon    Carbon   `mapstructure:"carbon" yaml:"carbon"`
	SVN       SVN      `mapstructure:"svn" yaml:"svn"`
	Peers     []string `mapstructure:"peers" yaml:"peers"`
	Sync      Sync     `mapstructure:"sync" yaml:"sync"`
	Backups   Backups  `mapstructure:"backups" yaml:"backups"`

	// InsecureHTTP allows plain HTTP off loopback (listen or peers); the
	// daemon logs a warning at start when it is set.
	InsecureHTTP bool `mapstructure:"insecure_http" yaml:"insecure_http"`

	// Token is the shared secret of the /v1 API, read from token_file or
	// DEPSYNC_TOKEN. It is never a key of the file.
	Token Secret `mapstructure:"-" yaml:"token,omitempty"`

	// Source is the config file that was read, or "" when none was found.
	Source string `mapstructure:"-" yaml:"-"`
}

// TLS configures the HTTP server and client. All empty means plain HTTP.
type TLS struct {
	CertFile string `mapstructure:"cert_file" yaml:"cert_file"`
	KeyFile  string `mapstructure:"key_file" yaml:"key_file"`
	CAFile   string `mapstructure:"ca_file" yaml:"ca_file"`
}

// Enabled reports whether the server side of TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" && t.KeyFile != "" }

// Carbon locates the Carbon server this node serves.
type Carbon struct {
	Home          string `mapstructure:"home" yaml:"home"`
	DeploymentDir string `mapstructure:"deployment_dir" yaml:"deployment_dir"`
	ConfigFile    string `mapstructure:"config_file" yaml:"config_file"`
	WriteConfig   bool   `mapstructure:"write_config" yaml:"write_config"`
	Tenants       []int  `mapstructure:"tenants" yaml:"tenants"`
	// AllTenants is carbon.tenants: all: every tenant, found at runtime
	// (repository/tenants/<id> on the manager, the repository's tenant
	// folders on a worker); Tenants is then empty.
	AllTenants bool `mapstructure:"-" yaml:"-"`
	// LogFile is Carbon's wso2carbon.log, read for each C-App's state;
	// "" means <home>/repository/logs/wso2carbon.log (see LogFilePath).
	LogFile string `mapstructure:"log_file" yaml:"log_file"`
}

// SVN configures the Subversion repository. An empty URL means there is no
// SVN server and C-Apps are pushed straight to peers.
type SVN struct {
	URL string `mapstructure:"url" yaml:"url"`
	// FallbackURLs are other servers of the same repository (a replica,
	// the master), tried in order when svn.url has been unreachable for
	// FailThreshold consecutive attempts (see package syncer/internal/failover).
	FallbackURLs    []string      `mapstructure:"fallback_urls" yaml:"fallback_urls"`
	Username        string        `mapstructure:"username" yaml:"username"`
	PasswordFile    string        `mapstructure:"password_file" yaml:"password_file"`
	AppendTenantID  bool          `mapstructure:"append_tenant_id" yaml:"append_tenant_id"`
	PollInterval    time.Duration `mapstructure:"poll_interval" yaml:"poll_interval"`
	FailThreshold   int           `mapstructure:"fail_threshold" yaml:"fail_threshold"`
	TrustServerCert bool          `mapstructure:"trust_server_cert" yaml:"trust_server_cert"`

	// Password comes from password_file or DEPSYNC_SVN_PASSWORD.
	Password Secret `mapstructure:"-" yaml:"password,omitempty"`
}

// Sync tunes change detection and reconciliation.
type Sync struct {
	Debounce       time.Duration `mapstructure:"debounce" yaml:"debounce"`
	MaxDelay       time.Duration `mapstructure:"max_delay" yaml:"max_delay"`
	RescanInterval time.Duration `mapstructure:"rescan_interval" yaml:"rescan_interval"`
	Ignore         []string      `mapstructure:"ignore" yaml:"ignore"`
	Prune          bool          `mapstructure:"prune" yaml:"prune"`
	// MaxDelete is how many deletions one pass may propagate before they
	// are held for a person's approval: a share of the synced files such
	// as "50%", or a count such as "10". See DeleteLimit.
	MaxDelete string `mapstructure:"max_delete" yaml:"max_delete"`
	// ApprovalTTL is how long an approval of held deletions (depsync
	// approve) waits for the pass that uses it before it expires; 0 (a
	// Config built in code) is DefaultApprovalTTL. See ApprovalTimeout.
	ApprovalTTL time.Duration `mapstructure:"approval_ttl" yaml:"approval_ttl"`
	// DeleteSettle is how long deletions must stop coming before they are
	// judged together by the deletion guard: a folder still being emptied
	// (a long rm -rf) is judged whole, never slice by slice. 0 in a Config
	// built in code: DefaultDeleteSettle. See SettleWindow.
	DeleteSettle time.Duration `mapstructure:"delete_settle" yaml:"delete_settle"`
}

// Backups bounds the copies kept under <state_dir>/overwritten.
type Backups struct {
	// MaxAge is how long a copy is kept (0: no age limit).
	MaxAge time.Duration `mapstructure:"max_age" yaml:"max_age"`
	// MaxBytes caps the bytes kept, oldest copies first out; the newest
	// copy of each file is always kept. Written as "1GiB", "500MB", or a
	// number of bytes (0: no size limit).
	MaxBytes ByteSize `mapstructure:"max_bytes" yaml:"max_bytes"`
}

// DefaultIgnore are the patterns never synced, whatever sync.ignore says.
var DefaultIgnore = []string{".svn", ".*", "~*", "*.tmp", "*.part", "*.swp", "*.bk"}

// defaults holds every key of the schema with its default value; it is also
// the list of keys a file may use.
func defaults() map[string]any {
	return map[string]any{
		"role":                  "",
		"node_name":             "",
		"state_dir":             "",
		"listen":                "127.0.0.1:9780",
		"token_file":            "",
		"tls.cert_file":         "",
		"tls.key_file":          "",
		"tls.ca_file":           "",
		"carbon.home":           "",
		"carbon.deployment_dir": "",
		"carbon.config_file":    "",
		"carbon.write_config":   false,
		"carbon.tenants":        []int{},
		"carbon.log_file":       "",
		"svn.url":               "",
		"svn.fallback_urls":     []string{},
		"svn.username":          "",
		"svn.password_file":     "",
		"svn.append_tenant_id":  true,
		"svn.poll_interval":     "5s",
		"svn.fail_threshold":    3,
		"svn.trust_server_cert": false,
		"peers":                 []string{},
		"sync.debounce":         "300ms",
		"sync.max_delay":        "5s",
		"sync.rescan_interval":  "10m",
		"sync.ignore":           []string{},
		"sync.prune":            true,
		"sync.max_delete":       DefaultMaxDelete,
		"sync.approval_ttl":     "10m",
		"sync.delete_settle":    "2s",
		"backups.max_age":       "720h",
		"backups.max_bytes":     "1GiB",
		"insecure_http":         false,
	}
}

// Secret is a string that prints, logs and marshals as "<redacted>".
type Secret string

const redacted = "<redacted>"

// Reveal returns the secret's value; call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from revealing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalYAML implements yaml.Marshaler without revealing the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON implements json.Marshaler without revealing the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }
