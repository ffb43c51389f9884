package handover

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOldFormat(t *testing.T) {
	assert.False(t, OldFormat(nil))
	assert.False(t, OldFormat(errors.New("svn: E155007: not a working copy")))
	assert.True(t, OldFormat(errors.New("svn: E155036: Please see the 'svn upgrade' command")))
}

// TestUpgradeKeepsACopyFirst: the copy of the working copy as it was is
// made before svn upgrade runs, and is named when the upgrade fails.
func TestUpgradeKeepsACopyFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wc")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".svn"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".svn", "wc.db"), []byte("old"), 0o644))
	require.NoError(t, os.Symlink("wc.db", filepath.Join(dir, ".svn", "link")))
	state := t.TempDir()
	var copied []string
	u := Upgrade{Dir: dir, Tenant: -1234, StateDir: state, Log: slog.New(slog.DiscardHandler),
		SVN: func(_ context.Context, d string) error {
			assert.Equal(t, dir, d)
			var err error
			copied, err = filepath.Glob(filepath.Join(state, "upgraded", "*", "tenant-1234", ".svn", "wc.db"))
			require.NoError(t, err)
			return errors.New("svn: E155019: boom")
		}}
	err := u.Run(context.Background())
	require.Error(t, err)
	require.Len(t, copied, 1, "a copy was kept before svn upgrade ran")
	data, err2 := os.ReadFile(copied[0])
	require.NoError(t, err2)
	assert.Equal(t, "old", string(data))
	link, err2 := os.Readlink(filepath.Join(filepath.Dir(copied[0]), "link"))
	require.NoError(t, err2)
	assert.Equal(t, "wc.db", link, "links are copied as links")
	assert.Contains(t, err.Error(), "a copy of it as it was is in "+filepath.Dir(filepath.Dir(copied[0])))
	assert.Contains(t, err.Error(), "E155019")
}

func TestKeepDir(t *testing.T) {
	at := time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.FixedZone("x", 3600))
	assert.Equal(t, filepath.Join("/s", "upgraded", "20261101T090000.123Z", "tenant-1234"), keepDir("/s", -1234, at))
}
