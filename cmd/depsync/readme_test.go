package main

import (
	"os"
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
