package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMENamesEveryCommand: the README's command table has a row for
// every command, cobra's own completion included, and that command works.
func TestREADMENamesEveryCommand(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(data), "\n## Commands\n")
	require.True(t, ok)
	table, _, _ = strings.Cut(table, "\n### ")
	root := newRootCmd(&app{})
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		assert.Contains(t, table, "| `depsync "+c.Name(), "README.md's command table lacks depsync %s", c.Name())
	}
	code, out, errOut := runCLI(t, "completion", "bash")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "bash completion")
}

// TestREADMELayoutMatchesTheTree: every Go package of the module has a row
// in the README's layout table (a row may name several, internal/X or only
// X), and every package the table names is in the tree.
func TestREADMELayoutMatchesTheTree(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(data), "| package | its job |")
	require.True(t, ok, "README.md has no layout table")
	table, _, _ = strings.Cut(table, "\n\n")

	pkgs := map[string]bool{}
	require.NoError(t, filepath.WalkDir("../..", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && p != "../.." && (strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" || e.Name() == "bin" || e.Name() == "dist") {
			return filepath.SkipDir
		}
		if !e.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			rel, err := filepath.Rel("../..", filepath.Dir(p))
			require.NoError(t, err)
			pkgs[filepath.ToSlash(rel)] = true
		}
		return nil
	}))
	require.Contains(t, pkgs, "syncer")
	for p := range pkgs {
		short := strings.TrimPrefix(p, "internal/")
		assert.True(t, strings.Contains(table, "`"+p+"`") || strings.Contains(table, "`"+short+"`"),
			"README.md's layout table has no row for package %s", p)
	}
	// The first column of each row names packages (and non-Go folders,
	// written with a trailing slash, or examples/).
	for _, row := range strings.Split(strings.TrimSpace(table), "\n")[1:] {
		cols := strings.Split(row, "|")
		require.Greater(t, len(cols), 2, "a row of the layout table: %q", row)
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cols[1], -1) {
			name := m[1]
			if strings.HasSuffix(name, "/") || strings.HasPrefix(name, "examples/") {
				continue
			}
			assert.True(t, pkgs[name] || pkgs["internal/"+name],
				"README.md's layout table names %s, which is not a package of the tree", name)
		}
	}
}
