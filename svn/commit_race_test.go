package svn

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// TestCommitKeepsAFileWrittenAgainBeforeItsDeletion: a file missing when
// Commit looked is written again before svn delete runs (the race a chaos
// run found on a manager). The committer must not remove it from disk: the
// manager's tree is the source of truth.
func TestCommitKeepsAFileWrittenAgainBeforeItsDeletion(t *testing.T) {
	s := svntest.New(t, svntest.File)
	real, err := exec.LookPath("svn")
	require.NoError(t, err)
	// A wrapper that plays the writer: on "svn delete", the file is back.
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "svn")
	script := "#!/bin/sh\nfor a in \"$@\"; do if [ \"$a\" = delete ] && [ -n \"$REWRITE\" ]; then printf 'new\\n' > \"$REWRITE\"; fi; done\nexec " + real + " \"$@\"\n"
	require.NoError(t, os.WriteFile(wrapper, []byte(script), 0o755))

	c, _ := testClient(t, s, func(o *Options) { o.Binary = wrapper })
	ctx := t.Context()
	wc := checkout(t, c, s.URL)
	file := filepath.Join(wc, "app.xml")
	writeFile(t, file, "old\n", 0o644)
	_, err = c.Commit(ctx, wc, "base")
	require.NoError(t, err)

	require.NoError(t, os.Remove(file))
	t.Setenv("REWRITE", file)
	_, err = c.Commit(ctx, wc, "the file went away")
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err, "the file written again must still be on disk")
	require.Equal(t, "new\n", string(data))

	// The next commit brings it back to the repository.
	t.Setenv("REWRITE", "")
	_, err = c.Commit(ctx, wc, "back")
	require.NoError(t, err)
	st, err := c.Status(ctx, wc)
	require.NoError(t, err)
	require.Empty(t, st, "working copy clean, the file versioned again")
}
