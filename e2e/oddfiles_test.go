//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestDirectModeSymlinkedCAppIsNotDeleted: in direct mode a C-App
// replaced by a symlink to the same bytes elsewhere is neither pushed as
// (nor through) the link nor taken for a deletion: the peer keeps its
// copy, and the manager lists the name as rejected, as it lists an invalid
// C-App (GET /v1/capps: error set). A FIFO named like a C-App blocks
// nothing: a C-App added afterwards is pushed.
func TestDirectModeSymlinkedCAppIsNotDeleted(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "One_1.0.0.car", "One", "1.0.0")
	w.Start(t)
	m.Start(t)
	wApps := filepath.Join(w.Dir, "carbonapps")
	daemontest.Eventually(t, 30*time.Second, "the worker to hold the C-App", converged(t, m, w))

	elsewhere := filepath.Join(m.Home, "elsewhere")
	require.NoError(t, os.MkdirAll(elsewhere, 0o755))
	require.NoError(t, os.Rename(filepath.Join(apps, "One_1.0.0.car"), filepath.Join(elsewhere, "One_1.0.0.car")))
	require.NoError(t, os.Symlink(filepath.Join(elsewhere, "One_1.0.0.car"), filepath.Join(apps, "One_1.0.0.car")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(apps, "Fifo_1.0.0.car"), 0o644))
	testcapp.Write(t, apps, "Two_1.0.0.car", "Two", "1.0.0")
	daemontest.Eventually(t, 15*time.Second, "the C-App added after the link on the worker", func() bool {
		_, err := os.Stat(filepath.Join(wApps, "Two_1.0.0.car"))
		return err == nil
	})
	for end := time.Now().Add(holdWindow(t)); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		fi, err := os.Lstat(filepath.Join(wApps, "One_1.0.0.car"))
		require.NoError(t, err, "the worker lost the C-App replaced by a link")
		require.True(t, fi.Mode().IsRegular(), "the worker's C-App is a %s", fi.Mode().Type())
		_, err = os.Lstat(filepath.Join(wApps, "Fifo_1.0.0.car"))
		require.ErrorIs(t, err, os.ErrNotExist, "the FIFO reached the worker")
	}
	daemontest.Eventually(t, 10*time.Second, "the link and the FIFO listed as rejected", func() bool {
		var entries []struct {
			File  string `json:"file"`
			Error string `json:"error"`
		}
		if _, err := m.Get("/v1/capps", &entries); err != nil {
			return false
		}
		found := 0
		for _, e := range entries {
			switch {
			case e.File == "One_1.0.0.car" && strings.Contains(e.Error, "symlink"),
				e.File == "Fifo_1.0.0.car" && strings.Contains(e.Error, "FIFO"):
				found++
			}
		}
		return found == 2
	})
	assert.NotContains(t, m.Logs(), "C-App deleted from peer")
}
