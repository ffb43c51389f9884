package pkgbuild

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/depsync/depsync/config"
)

// commentedKey is a line of packaging/depsync.yaml that is a key (or a
// comment inside a section) commented out: #role: "" or #  home: "".
var commentedKey = regexp.MustCompile(`^#(\s*[a-z_]+:(\s.*)?|\s+#.*)$`)

// uncomment turns the shipped config into the file an operator gets by
// uncommenting every key.
func uncomment(body string) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if commentedKey.MatchString(line) {
			line = line[1:]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// keys lists the dotted keys of a YAML mapping.
func keys(prefix string, m map[string]any) []string {
	var ks []string
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			ks = append(ks, keys(prefix+k+".", sub)...)
			continue
		}
		ks = append(ks, prefix+k)
	}
	sort.Strings(ks)
	return ks
}

// The packaged /etc/depsync/depsync.yaml shows every key of the schema at
// its default value, commented out: as shipped it changes nothing, and
// uncommenting any key keeps the default.
func TestShippedConfigHasEveryKeyAtItsDefault(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "DEPSYNC_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	body, err := os.ReadFile(filepath.Join(repoRoot(t), "packaging/depsync.yaml"))
	require.NoError(t, err)
	dir := t.TempDir()
	load := func(name, content string) *config.Config {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		c, err := config.Load(config.Options{File: p})
		require.NoError(t, err, "%s:\n%s", name, content)
		c.Source = ""
		return c
	}
	defaults := load("empty.yaml", "")
	assert.Equal(t, defaults, load("shipped.yaml", string(body)), "as shipped, the file sets nothing")
	open := uncomment(string(body))
	assert.Equal(t, defaults, load("uncommented.yaml", open), "every value shown is the default")

	// Every key of the schema is there: the keys config check prints.
	all, err := yaml.Marshal(defaults)
	require.NoError(t, err)
	var want, got map[string]any
	require.NoError(t, yaml.Unmarshal(all, &want))
	require.NoError(t, yaml.Unmarshal([]byte(open), &got))
	assert.Equal(t, keys("", want), keys("", got))
}
