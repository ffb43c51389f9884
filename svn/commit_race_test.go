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

// TestCommitDeletesOnlyWhatTheCallerMeantTo: with CommitOptions.Deletable,
// a versioned path found missing that the caller did not name as a
// deletion (it vanished after the caller looked, as when a manager's
// carbonapps is moved away mid-commit) is neither deleted nor committed;
// a named deletion goes as before; without options every missing path is
// deleted.
func TestCommitDeletesOnlyWhatTheCallerMeantTo(t *testing.T) {
	for _, tc := range []struct {
		name        string
		deletable   []string // nil: no options
		targets     []string
		wantInRepo  []string // of a.car (modified, then gone), b.car (gone), d/c.xml (gone below a target)
		wantMissing []string
	}{
		{"a modification that vanished is left out", []string{"b.car"}, []string{"a.car", "b.car", "d"},
			[]string{"a.car", "d/c.xml"}, []string{"a.car", "d/c.xml"}},
		{"nothing deletable", []string{}, []string{"a.car", "b.car", "d"},
			[]string{"a.car", "b.car", "d/c.xml"}, []string{"a.car", "b.car", "d/c.xml"}},
		{"a directory covers what is below it", []string{"d"}, []string{"a.car", "d"},
			[]string{"a.car", "b.car"}, []string{"a.car", "b.car"}},
		{"no options: every missing path is deleted", nil, []string{"a.car", "b.car", "d"},
			nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := svntest.New(t, svntest.File)
			c, _ := testClient(t, s)
			ctx := t.Context()
			wc := checkout(t, c, s.URL)
			writeFile(t, filepath.Join(wc, "a.car"), "a1", 0o644)
			writeFile(t, filepath.Join(wc, "b.car"), "b1", 0o644)
			require.NoError(t, os.MkdirAll(filepath.Join(wc, "d"), 0o755))
			writeFile(t, filepath.Join(wc, "d", "c.xml"), "<c/>", 0o644)
			_, err := c.Commit(ctx, wc, "base")
			require.NoError(t, err)

			for _, p := range []string{"a.car", "b.car", "d/c.xml"} {
				require.NoError(t, os.Remove(filepath.Join(wc, filepath.FromSlash(p))))
			}
			opts := CommitOptions{Deletable: tc.deletable}
			_, err = c.CommitWith(ctx, wc, "what went", opts, tc.targets...)
			require.NoError(t, err)

			var inRepo []string
			for _, p := range []string{"a.car", "b.car", "d/c.xml"} {
				if _, err := s.TrySVN("cat", s.URL+"/"+p); err == nil {
					inRepo = append(inRepo, p)
				}
			}
			require.Equal(t, tc.wantInRepo, inRepo, "in the repository")
			st, err := c.Status(ctx, wc)
			require.NoError(t, err)
			var missing []string
			for _, e := range st {
				if e.Item == "missing" {
					missing = append(missing, e.Path)
				}
			}
			require.Equal(t, tc.wantMissing, missing, "left missing for the next look")
		})
	}
}
