package tenant

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/svnbatch"
)

// fakeSVN runs the svn calls of a heal: svn status, which finds nothing,
// and svn cleanup as cleanup says (nil: it succeeds). Other calls are not
// expected (nil interface: they panic).
type fakeSVN struct {
	svnbatch.SVN
	cleanup func() error
}

func (f *fakeSVN) StatusWith(context.Context, string, svn.StatusOptions, ...string) ([]svn.StatusEntry, error) {
	return nil, nil
}

func (f *fakeSVN) Cleanup(context.Context, string) error {
	if f.cleanup != nil {
		return f.cleanup()
	}
	return nil
}

// testFiles is the super tenant's deployment directory, made, with its
// state_dir and a fake svn.
func testFiles(t *testing.T) *Files {
	t.Helper()
	home := t.TempDir()
	wc := &Files{Dir: filepath.Join(home, "repository", "deployment", "server"), ID: -1234,
		StateDir: filepath.Join(home, "state"), Log: slog.New(slog.DiscardHandler), SVN: &fakeSVN{}}
	require.NoError(t, os.MkdirAll(wc.Dir, 0o755))
	return wc
}

// A crash while svn cleanup runs must not leave an empty C-App in the live
// tree: the placeholder is in the journal before it exists, and the next
// heal or start removes it.
func TestHealJournalsPlaceholdersAndRemovesStaleOnes(t *testing.T) {
	wc := testFiles(t)
	dir := wc.Dir
	gone := filepath.Join(dir, "carbonapps", "App_1.0.0.car")
	f := wc.SVN.(*fakeSVN)
	var journalled string
	f.cleanup = func() error {
		if _, err := os.Stat(gone); err == nil {
			data, err := os.ReadFile(filepath.Join(wc.StateDir, "heal", "-1234.placeholders"))
			assert.NoError(t, err, "the journal is written before the cleanup")
			journalled = string(data)
			return nil
		}
		return &svn.Error{Op: "cleanup", Message: "svn: E000002: Can't change perms of file '" + gone + "': No such file or directory"}
	}
	journal := filepath.Join(wc.StateDir, "heal", "-1234.placeholders")
	require.True(t, wc.Heal(context.Background()))
	assert.Contains(t, journalled, "f "+gone, "recorded before svn cleanup ran")
	assert.Contains(t, journalled, "d "+filepath.Join(dir, "carbonapps"))
	_, err := os.Stat(filepath.Join(dir, "carbonapps"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing left in the live tree")
	_, err = os.Stat(journal)
	assert.ErrorIs(t, err, os.ErrNotExist, "journal removed")

	// As a crash during cleanup leaves it.
	apps := filepath.Join(dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	require.NoError(t, os.WriteFile(gone, nil, 0o644))
	kept := filepath.Join(apps, "Real_1.0.0.car")
	require.NoError(t, os.WriteFile(kept, []byte("PK real content"), 0o644))
	outside := filepath.Join(t.TempDir(), "outside.car")
	require.NoError(t, os.WriteFile(outside, nil, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Dir(journal), 0o700))
	require.NoError(t, os.WriteFile(journal, []byte(strings.Join([]string{
		"d " + apps, "f " + gone, "f " + kept, "f " + outside, "f ../../etc/passwd", "garbage"}, "\n")+"\n"), 0o600))
	wc.RemoveStalePlaceholders()
	_, err = os.Stat(gone)
	assert.ErrorIs(t, err, os.ErrNotExist, "the empty placeholder is removed")
	assert.FileExists(t, kept, "a file with content is somebody's")
	assert.FileExists(t, outside, "nothing outside the deployment directory is touched")
	assert.DirExists(t, apps, "a directory that is not empty stays")
	_, err = os.Stat(journal)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestHealPutsPlaceholdersForFilesGoneSinceAnInterruptedSVN(t *testing.T) {
	wc := testFiles(t)
	gone := filepath.Join(wc.Dir, "gone dir", "App_1.0.0.car")
	var sawPlaceholder bool
	f := wc.SVN.(*fakeSVN)
	f.cleanup = func() error {
		if _, err := os.Stat(gone); err == nil {
			sawPlaceholder = true
			return nil
		}
		return &svn.Error{Op: "cleanup", Message: "svn: E000002: Can't change perms of file '" + gone + "': No such file or directory"}
	}
	require.True(t, wc.Heal(context.Background()))
	assert.True(t, sawPlaceholder)
	_, err := os.Stat(filepath.Dir(gone))
	assert.ErrorIs(t, err, os.ErrNotExist, "placeholders and their directories are removed again")

	// A cleanup failing for another reason is reported, not looped on.
	f.cleanup = func() error { return errors.New("svn: E000013: Permission denied") }
	assert.False(t, wc.Heal(context.Background()))
	// A path outside the working copy is never touched.
	f.cleanup = func() error { return errors.New("svn: E000002: Can't open file '/etc/x': No such file or directory") }
	assert.False(t, wc.Heal(context.Background()))
}
