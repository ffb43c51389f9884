package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

const valid = `
role: manager
carbon:
  home: /opt/wso2ei/wso2/analytics
svn:
  url: http://svn.example:8080/svn/depsync
  username: carbon
peers: [https://node2:9780]
`

func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", valid)
	c, err := Load(Options{File: f})
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, "127.0.0.1:9780", c.Listen)
	assert.Equal(t, "/opt/wso2ei/wso2/analytics/repository/deployment/server", c.Carbon.DeploymentDir)
	assert.Equal(t, "/opt/wso2ei/wso2/analytics/repository/conf/carbon.xml", c.Carbon.ConfigFile)
	assert.Equal(t, "/opt/wso2ei/wso2/analytics/depsync-state", c.StateDir)
	assert.True(t, c.SVN.AppendTenantID)
	assert.True(t, c.Sync.Prune)
	assert.Equal(t, 5*time.Second, c.SVN.PollInterval)
	assert.Equal(t, 300*time.Millisecond, c.Sync.Debounce)
	assert.Equal(t, 10*time.Minute, c.Sync.ApprovalTTL)
	assert.Equal(t, 10*time.Minute, Sync{}.ApprovalTimeout(), "a Config built in code")
	assert.Equal(t, 2*time.Second, c.Sync.DeleteSettle)
	assert.Equal(t, 3, c.SVN.FailThreshold)
	assert.NotEmpty(t, c.NodeName)
	assert.Equal(t, f, c.Source)
}

func TestCarbonXMLPathPrefersEIProfile(t *testing.T) {
	home := t.TempDir()
	assert.Equal(t, filepath.Join(home, "repository", "conf", "carbon.xml"), CarbonXMLPath(home))
	require.NoError(t, os.MkdirAll(filepath.Join(home, "conf"), 0o755))
	writeFile(t, filepath.Join(home, "conf"), "carbon.xml", "<Server/>")
	assert.Equal(t, filepath.Join(home, "conf", "carbon.xml"), CarbonXMLPath(home))
}

func TestEnvOverridesFile(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", valid)
	t.Setenv("DEPSYNC_SVN_URL", "svn://127.0.0.1:3690/repo")
	t.Setenv("DEPSYNC_SVN_PASSWORD", "s3cret")
	t.Setenv("DEPSYNC_TOKEN", "tok-0123456789abcdef0123456789abcdef")
	t.Setenv("DEPSYNC_SYNC_DEBOUNCE", "1s")
	t.Setenv("DEPSYNC_CARBON_TENANTS", "1,7")
	c, err := Load(Options{File: f})
	require.NoError(t, err)
	assert.Equal(t, "svn://127.0.0.1:3690/repo", c.SVN.URL)
	assert.Equal(t, "s3cret", c.SVN.Password.Reveal())
	assert.Equal(t, "tok-0123456789abcdef0123456789abcdef", c.Token.Reveal())
	assert.Equal(t, time.Second, c.Sync.Debounce)
	assert.Equal(t, []int{1, 7}, c.Carbon.Tenants)
	assert.False(t, c.Carbon.AllTenants)
	for _, v := range []string{"all", " ALL "} {
		t.Setenv("DEPSYNC_CARBON_TENANTS", v)
		c, err = Load(Options{File: f})
		require.NoError(t, err)
		assert.True(t, c.Carbon.AllTenants, v)
		assert.Empty(t, c.Carbon.Tenants)
	}
}

func TestOverridesWin(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", valid)
	t.Setenv("DEPSYNC_ROLE", "worker")
	c, err := Load(Options{File: f, Overrides: map[string]any{"role": "manager"}})
	require.NoError(t, err)
	assert.Equal(t, "manager", c.Role)
	_, err = Load(Options{File: f, Overrides: map[string]any{"nope": 1}})
	require.Error(t, err)
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, dir, "pw", "hunter2\n")
	tok := writeFile(t, dir, "tok", " \tabc-0123456789abcdef0123456789abcdef \t\r\n")
	f := writeFile(t, dir, "c.yaml", valid+"token_file: "+tok+"\n")
	c, err := Load(Options{File: f, Overrides: map[string]any{"svn.password_file": pw}})
	require.NoError(t, err)
	assert.Equal(t, "hunter2", c.SVN.Password.Reveal())
	assert.Equal(t, "abc-0123456789abcdef0123456789abcdef", c.Token.Reveal())

	_, err = Load(Options{File: f, Overrides: map[string]any{"svn.password_file": filepath.Join(dir, "missing")}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "svn.password_file")
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	for _, out := range []string{s.String(), s.GoString()} {
		assert.Equal(t, "<redacted>", out)
	}
	y, err := s.MarshalYAML()
	require.NoError(t, err)
	assert.Equal(t, "<redacted>", y)
	j, err := s.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `"<redacted>"`, string(j))
	assert.Equal(t, "", Secret("").String())
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name, body, wantKey string
	}{
		{"top level", "role: manager\nrolle: worker\n", "rolle"},
		{"nested", "role: manager\nsync:\n  debouce: 1s\n", "sync.debouce"},
		{"section as scalar child", "svn:\n  url: x\n  password: y\n", "svn.password"},
		{"deep", "tls:\n  cert_file: a\n  extra:\n    x: 1\n", "tls.extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, t.TempDir(), "c.yaml", tt.body)
			_, err := Load(Options{File: f})
			require.Error(t, err)
			var ve ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tt.wantKey, ve[0].Key)
			assert.Contains(t, err.Error(), "unknown key")
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"bad yaml", "role: [\n", "yaml"},
		{"bad duration", "sync:\n  debounce: soon\n", "debounce"},
		{"bad int", "svn:\n  fail_threshold: many\n", "fail_threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, t.TempDir(), "c.yaml", tt.body)
			_, err := Load(Options{File: f})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := Load(Options{File: filepath.Join(t.TempDir(), "none.yaml")})
	require.Error(t, err)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		extra   string
		wantKey string
		wantMsg string
	}{
		{"no role", "role: ''\n", "role", "required"},
		{"bad role", "role: boss\n", "role", "manager or worker"},
		{"bad scheme", "svn: {url: 'ftp://x'}\n", "svn.url", "must be file://, svn://, svn+ssh://, http:// or https://"},
		{"creds in url", "svn: {url: 'http://u:p@x/r'}\n", "svn.url", "must not carry credentials"},
		{"bad listen", "listen: nope\n", "listen", "host:port"},
		{"public listen needs token", "listen: 0.0.0.0:9780\n", "token_file", "not a loopback"},
		{"public listen needs tls", "listen: 0.0.0.0:9780\n", "listen", "tls.cert_file and tls.key_file"},
		{"all interfaces need tls", "listen: ':9780'\n", "listen", "insecure_http: true"},
		{"plain http peer", "peers: ['http://10.0.0.2:9780']\n", "peers", "tls.ca_file"},
		{"plain http peer by name", "peers: ['http://node2:9780']\n", "peers", "insecure_http: true"},
		{"peer with query", "peers: ['https://node2:9780?x=1']\n", "peers", "query"},
		{"state_dir in deployment dir", "carbon: {home: /opt/c}\nstate_dir: /opt/c/repository/deployment/server/st\n", "state_dir",
			"/opt/c/repository/deployment/server"},
		{"state_dir is deployment dir", "carbon: {home: /opt/c}\nstate_dir: /opt/c/repository/deployment/server\n", "state_dir",
			"Set state_dir to /opt/c/depsync-state"},
		{"state_dir in tenant dir", "carbon: {home: /opt/c, tenants: [3]}\nstate_dir: /opt/c/repository/tenants/3/x\n", "state_dir",
			"/opt/c/repository/tenants/3"},
		{"tls half", "tls: {cert_file: /x}\n", "tls", "go together"},
		{"zero poll", "svn: {poll_interval: 0s}\n", "svn.poll_interval", "positive"},
		{"approval_ttl negative", "sync: {approval_ttl: -1m}\n", "sync.approval_ttl", "at least 1s"},
		{"approval_ttl too short", "sync: {approval_ttl: 10ms}\n", "sync.approval_ttl", "at least 1s"},
		{"debounce over max", "sync: {debounce: 10s, max_delay: 1s}\n", "sync.max_delay", "sync.debounce"},
		{"negative settle", "sync: {delete_settle: -1s}\n", "sync.delete_settle", "at least 100ms"},
		{"threshold", "svn: {fail_threshold: 0}\n", "svn.fail_threshold", "at least 1"},
		{"bad peer", "peers: ['node2:9780']\n", "peers", "base URL"},
		{"fallback without url", "svn: {fallback_urls: ['http://b/r']}\n", "svn.fallback_urls", "needs svn.url"},
		{"fallback bad scheme", "svn: {url: 'http://a/r', fallback_urls: ['ftp://b/r']}\n", "svn.fallback_urls", "must be file://"},
		{"fallback creds", "svn: {url: 'http://a/r', fallback_urls: ['http://u:p@b/r']}\n", "svn.fallback_urls", "must not carry credentials"},
		{"fallback is url", "svn: {url: 'http://a/r', fallback_urls: ['HTTP://A/r/']}\n", "svn.fallback_urls", "is svn.url itself"},
		{"fallback twice", "svn: {url: 'http://a/r', fallback_urls: ['http://b/r', 'http://b/r']}\n", "svn.fallback_urls", "listed twice"},
		{"peer with credentials", "peers: ['http://u:secret@node2:9780']\n", "peers", "must not carry credentials"},
		{"bad ignore", "sync: {ignore: ['a/b']}\n", "sync.ignore", "no /"},
		{"bad tenant", "carbon: {home: /x, tenants: [0]}\n", "carbon.tenants", "positive"},
		{"tenants need append", "carbon: {home: /x, tenants: [1]}\nsvn: {url: 'file:///r', append_tenant_id: false}\n", "carbon.tenants", "append_tenant_id"},
		{"no dir", "carbon: {home: ''}\n", "carbon.home", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.extra
			if !strings.Contains(body, "role:") {
				body += "role: manager\n"
			}
			if !strings.Contains(body, "carbon:") {
				body += "carbon: {home: /opt/carbon}\n"
			}
			f := writeFile(t, t.TempDir(), "c.yaml", body)
			c, err := Load(Options{File: f})
			require.NoError(t, err)
			err = c.Validate()
			require.Error(t, err)
			var ve ValidationError
			require.True(t, errors.As(err, &ve))
			found := false
			for _, fe := range ve {
				if fe.Key == tt.wantKey && strings.Contains(fe.Error(), tt.wantMsg) {
					found = true
				}
			}
			assert.True(t, found, "want %s: %s in %v", tt.wantKey, tt.wantMsg, err)
		})
	}
}

func TestTenants(t *testing.T) {
	c := &Config{Carbon: Carbon{Home: "/c", DeploymentDir: "/c/repository/deployment/server", Tenants: []int{3}},
		SVN: SVN{URL: "http://s/r", AppendTenantID: true}}
	ts := c.Tenants()
	require.Len(t, ts, 2)
	assert.Equal(t, Tenant{ID: -1234, Dir: "/c/repository/deployment/server", URL: "http://s/r/-1234"}, ts[0])
	assert.Equal(t, Tenant{ID: 3, Dir: "/c/repository/tenants/3", URL: "http://s/r/3"}, ts[1])
	c.SVN.AppendTenantID = false
	c.Carbon.Tenants = nil
	assert.Equal(t, "http://s/r", c.Tenants()[0].URL)
	c.SVN.URL = ""
	assert.Equal(t, "", c.Tenants()[0].URL)
}

func TestIgnored(t *testing.T) {
	c := &Config{Sync: Sync{Ignore: []string{"*.log"}}}
	for name, want := range map[string]bool{
		".svn": true, ".hidden": true, "~lock": true, "a.tmp": true, "a.part": true, "x.swp": true, "y.bk": true,
		"server.log": true, "App_1.0.0.car": false, "api.xml": false,
	} {
		assert.Equal(t, want, c.Ignored(name), name)
	}
}

// TestValidOffLoopback: what the TLS rules refuse is accepted once TLS is
// configured, or with insecure_http.
func TestValidOffLoopback(t *testing.T) {
	tok := writeFile(t, t.TempDir(), "tok", "0123456789abcdef0123456789abcdef\n")
	base := "role: manager\ncarbon: {home: /opt/c}\ntoken_file: " + tok + "\n"
	for name, body := range map[string]string{
		"tls listen":          "listen: 0.0.0.0:9780\ntls: {cert_file: /etc/depsync/n.crt, key_file: /etc/depsync/n.key}\n",
		"https peer":          "peers: ['https://10.0.0.2:9780']\ntls: {ca_file: /etc/depsync/ca.crt}\n",
		"loopback http peer":  "peers: ['http://127.0.0.1:9781', 'http://localhost:9782', 'http://[::1]:9783']\n",
		"insecure listen":     "listen: 0.0.0.0:9780\ninsecure_http: true\n",
		"insecure http peer":  "peers: ['http://10.0.0.2:9780']\ninsecure_http: true\n",
		"state_dir elsewhere": "state_dir: /var/lib/depsync\n",
		"state_dir sibling":   "state_dir: /opt/c/repository/deployment/server-state\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := writeFile(t, t.TempDir(), "c.yaml", base+body)
			c, err := Load(Options{File: f})
			require.NoError(t, err)
			require.NoError(t, c.Validate())
		})
	}
}

func TestStateDirThroughSymlink(t *testing.T) {
	home := t.TempDir()
	dep := filepath.Join(home, "repository", "deployment", "server")
	require.NoError(t, os.MkdirAll(dep, 0o755))
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(dep, link))
	c := &Config{Role: RoleManager, Listen: "127.0.0.1:9780", Carbon: Carbon{Home: home, DeploymentDir: dep},
		StateDir: filepath.Join(link, "state"), SVN: SVN{PollInterval: time.Second, FailThreshold: 1},
		Sync: Sync{Debounce: time.Second, MaxDelay: time.Second, RescanInterval: time.Second, MaxDelete: "50%"}}
	err := c.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "state_dir")
	assert.Contains(t, err.Error(), dep)
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := writeFile(t, dir, "big", strings.Repeat("x", MaxSecretFileSize+1))
	tests := []struct {
		name, path, want, err string
	}{
		{"trimmed", writeFile(t, dir, "ok", "\t secret value \r\n"), "secret value", ""},
		{"exactly the limit", writeFile(t, dir, "max", strings.Repeat("y", MaxSecretFileSize)), strings.Repeat("y", MaxSecretFileSize), ""},
		{"missing", filepath.Join(dir, "nope"), "", "not found"},
		{"empty", writeFile(t, dir, "empty", " \n\t"), "", "empty"},
		{"too big", big, "", "more than the 65536"},
		{"directory", dir, "", "a directory"},
		{"fifo", fifo, "", "a FIFO"},
		{"dev zero", "/dev/zero", "", "a device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got string
			var err error
			go func() { got, err = ReadSecretFile(tt.path); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("ReadSecretFile hangs")
			}
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestShortTokenNamesFileNotToken(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "tok", "0123456789\n")
	f := writeFile(t, dir, "c.yaml", valid+"token_file: "+tok+"\n")
	_, err := Load(Options{File: f})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "token_file")
	assert.Contains(t, err.Error(), tok)
	assert.Contains(t, err.Error(), "fewer than 32")
	assert.NotContains(t, err.Error(), "0123456789\"")
	assert.NotContains(t, strings.ReplaceAll(err.Error(), tok, ""), "0123456789")

	t.Setenv("DEPSYNC_TOKEN", "short-token")
	_, err = Load(Options{File: writeFile(t, dir, "c2.yaml", valid)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DEPSYNC_TOKEN")
	assert.NotContains(t, err.Error(), "short-token")

	for _, special := range []string{"/dev/zero", filepath.Join(dir, "fifo")} {
		if special != "/dev/zero" {
			require.NoError(t, syscall.Mkfifo(special, 0o600))
		}
		start := time.Now()
		_, err := Load(Options{File: writeFile(t, dir, "c3.yaml", valid+"token_file: "+special+"\n")})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not a regular file")
		assert.Less(t, time.Since(start), time.Second)
	}
}

func TestTenantsAllInTheFile(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", "role: worker\ncarbon: {home: /opt/c, tenants: all}\nsvn: {url: 'svn://127.0.0.1/r'}\n")
	c, err := Load(Options{File: f})
	require.NoError(t, err)
	assert.True(t, c.Carbon.AllTenants)
	assert.Empty(t, c.Carbon.Tenants)
	assert.Equal(t, Tenant{ID: 5, Dir: "/opt/c/repository/tenants/5", URL: "svn://127.0.0.1/r/5"}, c.TenantOf(5))
	f = writeFile(t, dir, "d.yaml", "role: worker\ncarbon: {home: /opt/c, tenants: some}\n")
	_, err = Load(Options{File: f})
	assert.Error(t, err, "a word other than all is refused")
}
