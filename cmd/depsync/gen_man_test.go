package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenManWritesAPagePerCommand(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	gen := func() string {
		dir := t.TempDir()
		var out, errb bytes.Buffer
		require.Equal(t, exitOK, run(context.Background(), []string{"gen-man", dir}, nil, &out, &errb), errb.String())
		return dir
	}
	a, b := gen(), gen()
	for _, page := range []string{"depsync.1", "depsync-capp-push.1", "depsync-config-check.1", "depsync-approve.1"} {
		pa, err := os.ReadFile(filepath.Join(a, page))
		require.NoError(t, err, "man %s", strings.TrimSuffix(page, ".1"))
		pb, err := os.ReadFile(filepath.Join(b, page))
		require.NoError(t, err)
		assert.Equal(t, string(pa), string(pb), "%s: the same bytes from the same commit", page)
		assert.Contains(t, string(pa), `"Nov 2023"`, "%s: dated at SOURCE_DATE_EPOCH", page)
	}
	_, err := os.Stat(filepath.Join(a, "depsync-gen-man.1"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the hidden command has no page")

	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	var out, errb bytes.Buffer
	assert.Equal(t, exitBadInput, run(context.Background(), []string{"gen-man", t.TempDir()}, nil, &out, &errb))
	assert.Contains(t, errb.String(), "SOURCE_DATE_EPOCH")
}
