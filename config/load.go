package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/depsync/depsync/internal/regfile"
)

// DefaultFiles are the config files tried, in order, when none is named.
var DefaultFiles = []string{"depsync.yaml", "/etc/depsync/depsync.yaml"}

// MaxConfigFileSize is the largest config file read: a config is a few
// kilobytes, so more is the wrong file (and a device would never end).
const MaxConfigFileSize = 1 << 20

// Options says where Load takes its settings from besides the environment.
type Options struct {
	// File is the config file named with --config; it must exist.
	// Empty means the first of DefaultFiles that exists, or none.
	File string
	// Overrides are values from command-line flags, by key (e.g. "role"),
	// taking precedence over the file and the environment.
	Overrides map[string]any
}

// Load reads the config file, the DEPSYNC_* environment and the overrides,
// fills in derived defaults and reads the secrets. It rejects keys the
// schema does not know and values of the wrong type, but does not check the
// result as a whole: call Validate for that.
func Load(opts Options) (*Config, error) {
	file, err := findFile(opts.File)
	if err != nil {
		return nil, err
	}
	v := viper.New()
	for k, val := range defaults() {
		v.SetDefault(k, val)
	}
	v.SetConfigType("yaml")
	if file != "" {
		data, err := regfile.ReadFile(file, MaxConfigFileSize)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := checkKeys(file, data); err != nil {
			return nil, err
		}
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("config %s: %w", file, err)
		}
	}
	v.SetEnvPrefix("DEPSYNC")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for k, val := range opts.Overrides {
		if _, ok := defaults()[k]; !ok {
			return nil, fmt.Errorf("override of unknown config key %q", k)
		}
		v.Set(k, val)
	}

	var c Config
	// carbon.tenants: all (or DEPSYNC_CARBON_TENANTS=all) follows every
	// tenant; the list of ids it replaces stays empty.
	if raw, ok := v.Get("carbon.tenants").(string); ok && strings.EqualFold(strings.TrimSpace(raw), TenantsAll) {
		c.Carbon.AllTenants = true
		v.Set("carbon.tenants", []int{})
	}
	if err := checkDurationUnits(v, opts.Overrides); err != nil {
		return nil, fmt.Errorf("config %s: %w", describe(file), err)
	}
	hook := mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(),
		byteSizeHook,
		splitList,
	)
	if err := v.Unmarshal(&c, viper.DecodeHook(hook)); err != nil {
		return nil, fmt.Errorf("config %s: %w", describe(file), err)
	}
	c.Source = file
	if err := c.derive(); err != nil {
		return nil, err
	}
	return &c, nil
}

// splitList turns a comma-separated string (from the environment) into a
// list of any element type, so DEPSYNC_CARBON_TENANTS=1,7 works.
func splitList(f, t reflect.Type, data any) (any, error) {
	if f.Kind() != reflect.String || t.Kind() != reflect.Slice {
		return data, nil
	}
	raw := strings.TrimSpace(data.(string))
	if raw == "" {
		return []string{}, nil
	}
	parts := strings.Split(raw, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, nil
}

func describe(file string) string {
	if file == "" {
		return "(environment)"
	}
	return file
}

func findFile(named string) (string, error) {
	if named != "" {
		abs, err := filepath.Abs(named)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("config file %s: %w", abs, err)
		}
		return abs, nil
	}
	for _, f := range DefaultFiles {
		if _, err := os.Stat(f); err == nil {
			return filepath.Abs(f)
		}
	}
	return "", nil
}

// checkKeys rejects keys the schema does not know, so that a typo is an
// error rather than a silently ignored setting.
func checkKeys(file string, data []byte) error {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	known := defaults()
	var unknown []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, val := range m {
			key := prefix + k
			if _, ok := known[key]; ok {
				continue
			}
			if sub, ok := val.(map[string]any); ok && isSection(known, key) {
				walk(key+".", sub)
				continue
			}
			unknown = append(unknown, key)
		}
	}
	walk("", doc)
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	errs := make(ValidationError, 0, len(unknown))
	for _, k := range unknown {
		errs = append(errs, FieldError{Key: k, Msg: "unknown key" + suggest(known, k)})
	}
	return fmt.Errorf("config %s: %w", file, errs)
}

func isSection(known map[string]any, key string) bool {
	for k := range known {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// suggest names the known keys of the same section, which is what the
// operator who made a typo needs to see.
func suggest(known map[string]any, key string) string {
	section := ""
	if i := strings.LastIndex(key, "."); i >= 0 {
		section = key[:i+1]
	}
	var keys []string
	for k := range known {
		if strings.HasPrefix(k, section) && !strings.Contains(k[len(section):], ".") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return "; known keys: " + strings.Join(keys, ", ")
}

// derive fills in defaults that depend on other values, makes paths
// absolute and reads the secrets.
func (c *Config) derive() error {
	if c.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "depsync"
		}
		c.NodeName = h
	}
	abs := func(p *string) {
		if *p != "" {
			if a, err := filepath.Abs(*p); err == nil {
				*p = a
			}
		}
	}
	for _, p := range []*string{&c.StateDir, &c.TokenFile, &c.TLS.CertFile, &c.TLS.KeyFile, &c.TLS.CAFile,
		&c.Carbon.Home, &c.Carbon.DeploymentDir, &c.Carbon.ConfigFile, &c.SVN.PasswordFile} {
		abs(p)
	}
	if c.Carbon.Home != "" {
		if c.Carbon.DeploymentDir == "" {
			c.Carbon.DeploymentDir = filepath.Join(c.Carbon.Home, "repository", "deployment", "server")
		}
		if c.Carbon.ConfigFile == "" {
			c.Carbon.ConfigFile = CarbonXMLPath(c.Carbon.Home)
		}
	}
	if c.StateDir == "" {
		base := c.Carbon.Home
		if base == "" {
			base, _ = os.Getwd()
		}
		c.StateDir = filepath.Join(base, "depsync-state")
	}
	c.SVN.URL = strings.TrimRight(c.SVN.URL, "/")
	for i, p := range c.Peers {
		c.Peers[i] = strings.TrimRight(p, "/")
	}

	var errs ValidationError
	tok, err := readSecret(c.TokenFile, "DEPSYNC_TOKEN")
	switch {
	case err != nil:
		errs = append(errs, FieldError{Key: "token_file", Value: c.TokenFile, Msg: err.Error()})
	case tok != "":
		if err := CheckToken(tok.Reveal()); err != nil {
			if c.TokenFile != "" {
				errs = append(errs, FieldError{Key: "token_file", Value: c.TokenFile, Msg: err.Error()})
			} else {
				errs = append(errs, FieldError{Key: "DEPSYNC_TOKEN", Msg: err.Error()})
			}
		}
	}
	c.Token = tok
	pw, err := readSecret(c.SVN.PasswordFile, "DEPSYNC_SVN_PASSWORD")
	if err != nil {
		errs = append(errs, FieldError{Key: "svn.password_file", Value: c.SVN.PasswordFile, Msg: err.Error()})
	}
	c.SVN.Password = pw
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// CarbonXMLPath returns where carbon.xml lives under a Carbon or EI profile
// home: <home>/conf/carbon.xml for EI 6 profiles when it exists, else the
// classic <home>/repository/conf/carbon.xml.
func CarbonXMLPath(home string) string {
	ei := filepath.Join(home, "conf", "carbon.xml")
	if _, err := os.Stat(ei); err == nil {
		return ei
	}
	return filepath.Join(home, "repository", "conf", "carbon.xml")
}

// readSecret reads a secret from a file (see ReadSecretFile) or, when no
// file is named, from an environment variable (surrounding whitespace
// trimmed the same way).
func readSecret(file, env string) (Secret, error) {
	if file == "" {
		return Secret(strings.TrimSpace(os.Getenv(env))), nil
	}
	s, err := ReadSecretFile(file)
	return Secret(s), err
}
