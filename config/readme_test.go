package config

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestREADMEListsEveryKey: the config reference of README.md (the YAML
// block under "## Configuration") names every key of the schema, and no
// other: a key added to defaults() must be documented there.
func TestREADMEListsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	require.True(t, ok, "README.md has a Configuration section")
	_, block, ok := strings.Cut(section, "```yaml\n")
	require.True(t, ok, "the Configuration section has a YAML block")
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(block), &doc), "the config reference is valid YAML")

	var documented []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			documented = append(documented, prefix+k)
		}
	}
	walk("", doc)
	var schema []string
	for k := range defaults() {
		schema = append(schema, k)
	}
	sort.Strings(documented)
	sort.Strings(schema)
	assert.Equal(t, schema, documented, "README.md's config reference and the schema differ")
}
