// Package svn is a typed client for the Subversion command-line tool, the
// layer every sync decision of depsync stands on.
//
// Each operation runs the real svn binary with --non-interactive,
// --no-auth-cache and an isolated --config-dir (so ~/.subversion never
// interferes), passes the password on standard input with
// --password-from-stdin (never in argv), puts "--" before path arguments and
// escapes svn's peg-revision syntax in paths containing "@". A per-call
// timeout or a cancelled context kills svn's whole process group. svn's
// failures come back as *Error values classified by svn's E###### codes, so
// callers can test them with errors.Is (ErrUnreachable, ErrAuth, ErrLocked,
// ErrOutOfDate, ...).
//
// The client heals itself where that is safe: a locked working copy gets
// "svn cleanup" and one retry, and an out-of-date commit gets an update and
// one retry. Everything else is returned to the caller.
//
// depsync decides alone what is synced: auto-props (including inherited
// svn:auto-props), global-ignores and svn:ignore have no effect on Commit, so
// binary artifacts such as .car files stay byte-identical.
package svn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/depsync/depsync/internal/atomicfile"
)

// Defaults of [Options].
const (
	DefaultBinary       = "svn"
	DefaultTimeout      = 10 * time.Minute
	DefaultProbeTimeout = 30 * time.Second
	// DefaultHTTPTimeout is svn's own http-timeout (seconds of silence on
	// an HTTP connection before svn gives up).
	DefaultHTTPTimeout = 60 * time.Second
	// DefaultKillGrace is how long svn may take to exit after SIGTERM
	// before its process group gets SIGKILL.
	DefaultKillGrace = time.Second
)

// MinVersion is the oldest svn the client works with:
// --password-from-stdin appeared in 1.10.
const MinVersion = "1.10"

// ConfigDirName is the directory under the state dir that holds the
// client's isolated svn configuration.
const ConfigDirName = "svn-config"

// Options configures [New]. Zero values get defaults.
type Options struct {
	// Binary is the svn executable, a path or a name looked up in PATH.
	// Default "svn".
	Binary string
	// Username and Password authenticate to svn:// and http(s):// servers.
	// The password never appears in argv, logs or errors.
	Username string
	Password string
	// ConfigDir is the isolated svn configuration directory. If empty it
	// is StateDir/svn-config; one of the two is required.
	ConfigDir string
	StateDir  string
	// Timeout bounds every call except probes (default 10m).
	Timeout time.Duration
	// ProbeTimeout bounds Version, CheckVersion and RemoteRevision
	// (default 30s).
	ProbeTimeout time.Duration
	// HTTPTimeout is written to the config as svn's http-timeout
	// (default 60s; rounded up to whole seconds).
	HTTPTimeout time.Duration
	// KillGrace is how long svn gets after SIGTERM before SIGKILL
	// (default 1s).
	KillGrace time.Duration
	// TrustServerCert accepts any TLS server certificate failure
	// (--trust-server-cert-failures=unknown-ca,cn-mismatch,expired,
	// not-yet-valid,other). Use only for self-signed test servers.
	TrustServerCert bool
	// Logger receives one debug record per svn run and warnings when the
	// client heals a working copy. Nil discards.
	Logger *slog.Logger
}

// Client runs svn commands. Create it with [New]; it is safe for concurrent
// use, but svn itself serialises work on one working copy (concurrent calls
// on the same working copy fail with, or heal, ErrLocked).
//
// Client's String, GoString and LogValue never reveal Password.
type Client struct {
	Binary          string
	Username        string
	Password        string
	ConfigDir       string
	Timeout         time.Duration
	ProbeTimeout    time.Duration
	KillGrace       time.Duration
	TrustServerCert bool
	Logger          *slog.Logger

	st *state
}

// state is the mutable part of a Client, behind a pointer so that Client
// values can be copied.
type state struct {
	mu        sync.Mutex
	versionOK bool
}

// New checks opts, creates the isolated config directory (0700) with the
// client's config and servers files, and returns a Client. It runs nothing
// over the network; the svn version is checked on the first call (or
// explicitly with [Client.CheckVersion]).
func New(opts Options) (*Client, error) {
	c := &Client{
		Binary:          opts.Binary,
		Username:        opts.Username,
		Password:        opts.Password,
		ConfigDir:       opts.ConfigDir,
		Timeout:         opts.Timeout,
		ProbeTimeout:    opts.ProbeTimeout,
		KillGrace:       opts.KillGrace,
		TrustServerCert: opts.TrustServerCert,
		Logger:          opts.Logger,
		st:              &state{},
	}
	if c.Binary == "" {
		c.Binary = DefaultBinary
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.KillGrace <= 0 {
		c.KillGrace = DefaultKillGrace
	}
	if strings.ContainsAny(c.Username, "\r\n\x00") {
		return nil, errors.New("svn: username contains a line break or NUL")
	}
	if strings.ContainsAny(c.Password, "\r\n\x00") {
		// --password-from-stdin reads one line.
		return nil, errors.New("svn: password contains a line break or NUL")
	}
	if c.Password != "" && c.Username == "" {
		return nil, errors.New("svn: a password needs a username")
	}
	bin, err := lookBinary(c.Binary)
	if err != nil {
		return nil, err
	}
	c.Binary = bin

	if c.ConfigDir == "" {
		if opts.StateDir == "" {
			return nil, errors.New("svn: ConfigDir or StateDir is required")
		}
		c.ConfigDir = filepath.Join(opts.StateDir, ConfigDirName)
	}
	if c.ConfigDir, err = filepath.Abs(c.ConfigDir); err != nil {
		return nil, fmt.Errorf("svn: config dir: %w", err)
	}
	httpTimeout := opts.HTTPTimeout
	if httpTimeout <= 0 {
		httpTimeout = DefaultHTTPTimeout
	}
	if err := writeConfig(c.ConfigDir, httpTimeout); err != nil {
		return nil, fmt.Errorf("svn: config dir: %w", err)
	}
	return c, nil
}

// Find returns the path of the svn binary bin (DefaultBinary when ""), or
// an error of kind ErrNotInstalled: what New looks for first, for checks
// that run before a Client is made.
func Find(bin string) (string, error) {
	if bin == "" {
		bin = DefaultBinary
	}
	return lookBinary(bin)
}

func lookBinary(bin string) (string, error) {
	p, err := lookPath(bin)
	if err != nil {
		return "", &Error{Op: "version", Kind: ErrNotInstalled, Message: err.Error(), Err: err}
	}
	return p, nil
}

// configFile disables everything in svn's configuration that could change
// what is committed or make svn wait for a person. User config overrides
// /etc/subversion, so each relevant option is set explicitly.
const configFile = `### Written by depsync; rewritten on every start.
[auth]
password-stores =

[helpers]
editor-cmd = false

[tunnels]
ssh = $SVN_SSH ssh -q -o BatchMode=yes -o ConnectTimeout=30

[miscellany]
global-ignores =
enable-auto-props = no
interactive-conflicts = no
use-commit-times = no
no-unlock = no
mime-types-file =
preserved-conflict-file-exts =

[auto-props]

[working-copy]
exclusive-locking = false
`

const serversFile = `### Written by depsync; rewritten on every start.
[global]
store-passwords = no
store-plaintext-passwords = no
store-auth-creds = no
store-ssl-client-cert-pp = no
store-ssl-client-cert-pp-plaintext = no
http-timeout = %d
`

func writeConfig(dir string, httpTimeout time.Duration) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	secs := int64((httpTimeout + time.Second - 1) / time.Second)
	files := map[string]string{
		"config":  configFile,
		"servers": fmt.Sprintf(serversFile, secs),
		// svn writes a README.txt on first use when it is missing; an
		// empty one keeps parallel first runs from racing to create it.
		"README.txt": "Isolated svn configuration of depsync.\n",
	}
	for name, content := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(dir, "tmp"), 0o700)
}

// String describes the client without its password.
func (c Client) String() string {
	pw := ""
	if c.Password != "" {
		pw = " password=" + redacted
	}
	return fmt.Sprintf("svn.Client{binary=%s user=%q%s config_dir=%s timeout=%s trust_server_cert=%t}",
		c.Binary, c.Username, pw, c.ConfigDir, c.Timeout, c.TrustServerCert)
}

// GoString keeps %#v from revealing the password.
func (c Client) GoString() string { return c.String() }

// Format keeps every fmt verb (%v, %+v, %#v, %s, %q) from revealing the
// password.
func (c Client) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	_, _ = f.Write([]byte(c.String()))
}

// LogValue implements slog.LogValuer without the password.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("binary", c.Binary),
		slog.String("username", c.Username),
		slog.Bool("password_set", c.Password != ""),
		slog.String("config_dir", c.ConfigDir),
		slog.Duration("timeout", c.Timeout),
		slog.Bool("trust_server_cert", c.TrustServerCert),
	)
}

const redacted = "<redacted>"

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return discardLogger
	}
	return c.Logger
}

var discardLogger = slog.New(slog.DiscardHandler)

// Version returns the svn version, e.g. "1.14.2".
func (c *Client) Version(ctx context.Context) (string, error) {
	var out strings.Builder
	err := c.exec(ctx, &call{
		op:      "--version",
		args:    []string{"--quiet"},
		timeout: c.ProbeTimeout,
		plain:   true,
		stdout:  collect(&out, 4096),
	})
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(out.String())
	if v == "" {
		return "", &Error{Op: "--version", Message: "svn printed no version"}
	}
	return v, nil
}

// CheckVersion fails unless svn is at least [MinVersion]. Operations call it
// once before their first svn run.
func (c *Client) CheckVersion(ctx context.Context) error {
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	if !versionAtLeast(v, 1, 10) {
		return &Error{Op: "--version", Kind: ErrNotInstalled,
			Message: fmt.Sprintf("%s is svn %s; depsync needs svn %s or later (for --password-from-stdin)", c.Binary, v, MinVersion)}
	}
	c.st.mu.Lock()
	c.st.versionOK = true
	c.st.mu.Unlock()
	return nil
}

func (c *Client) ensureVersion(ctx context.Context) error {
	if c.st == nil {
		c.st = &state{}
	}
	c.st.mu.Lock()
	ok := c.st.versionOK
	c.st.mu.Unlock()
	if ok {
		return nil
	}
	return c.CheckVersion(ctx)
}

// versionAtLeast reports whether v ("1.14.2", "1.10.0-dev (r123)") is at
// least major.minor.
func versionAtLeast(v string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(v, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
