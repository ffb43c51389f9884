//go:build linux

package e2e

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// driftStatus is what the drift tests read of a worker's /v1/status.
type driftStatus struct {
	Drift *struct {
		Count int `json:"count"`
		Paths []struct {
			Tenant int    `json:"tenant"`
			Path   string `json:"path"`
			Change string `json:"change"`
		} `json:"paths"`
	} `json:"drift"`
	Tenants []struct {
		InStep bool `json:"in_step"`
	} `json:"tenants"`
}

// listed returns the change /v1/status lists for rel ("" when not listed)
// and whether the worker says it is in step.
func (s driftStatus) listed(rel string) (change string, inStep bool) {
	inStep = len(s.Tenants) > 0
	for _, t := range s.Tenants {
		inStep = inStep && t.InStep
	}
	if s.Drift != nil {
		for _, p := range s.Drift.Paths {
			if p.Path == rel {
				return p.Change, inStep
			}
		}
	}
	return "", inStep
}

// count is how many paths drifted, -1 when the node does not say.
func (s driftStatus) count() int {
	if s.Drift == nil {
		return -1
	}
	return s.Drift.Count
}

func driftOf(t *testing.T, n *daemontest.Node) driftStatus {
	t.Helper()
	var s driftStatus
	_, err := n.Get("/v1/status", &s)
	require.NoError(t, err)
	return s
}

// backedUp reports whether <state_dir>/overwritten holds a copy of rel with
// the bytes want.
func backedUp(t *testing.T, n *daemontest.Node, rel string, want []byte) bool {
	t.Helper()
	found := false
	root := filepath.Join(n.StateDir, "overwritten")
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(filepath.ToSlash(p), "/"+rel) {
			return nil
		}
		if got, err := os.ReadFile(p); err == nil && bytes.Equal(got, want) {
			found = true
		}
		return nil
	})
	return found
}

// TestDriftOnAWorkerIsSeenAndPutBack: what a person changes by hand in a
// worker's deployment directory (a C-App copied into carbonapps, an XML
// file edited) is listed as drift in its /v1/status within 2 s, counted by
// depsync_drift_files, and makes the worker not in step (depsync status
// exits 1); the next poll puts the repository's state back, after a copy
// in <state_dir>/overwritten, and the worker is in step again. A C-App
// pushed through the API (?force=true) is no drift.
// Found by an operator: a C-App copied by hand stayed, deployed by that
// node alone, until the rescan 10 minutes later, with the worker ready and
// in step.
func TestDriftOnAWorkerIsSeenAndPutBack(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	bin := daemontest.Binary(t)
	srv := svntest.New(t, svntest.HTTP)
	poll := 3 * time.Second
	settings := maps.Clone(fast)
	settings["svn.poll_interval"] = poll.String()
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: settings})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: settings})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Kept_1.0.0.car", "Kept", "1.0.0")
	api := "synapse-configs/default/api/a.xml"
	managers := []byte("<api name=\"a\"/>\n")
	require.NoError(t, os.MkdirAll(filepath.Join(m.Dir, filepath.Dir(api)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(m.Dir, api), managers, 0o644))
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 60*time.Second, "first sync", func() bool {
		got, err := os.ReadFile(filepath.Join(w.Dir, api))
		return err == nil && bytes.Equal(got, managers) && converged(t, m, w)()
	})
	inStep := func(t *testing.T) func() bool {
		return func() bool { code, _ := statusCLI(t, bin, w); return code == 0 }
	}
	daemontest.Eventually(t, 30*time.Second, "the worker in step", inStep(t))

	// seenThenPutBack waits for rel to be listed with change within 2 s of
	// the change, then for the poll to put it back.
	seenThenPutBack := func(t *testing.T, rel, change string, putBack func() bool) {
		t.Helper()
		daemontest.Eventually(t, 2*time.Second, rel+" listed as drift", func() bool {
			c, in := driftOf(t, w).listed(rel)
			return c == change && !in
		})
		assert.Contains(t, metricsOf(w), "depsync_drift_files 1")
		code, out := statusCLI(t, bin, w)
		assert.Equal(t, 1, code, "depsync status while the worker drifted:\n%s", out)
		assert.Contains(t, out, rel)
		daemontest.Eventually(t, poll+2*time.Second, rel+" put back", func() bool {
			s := driftOf(t, w)
			c, _ := s.listed(rel)
			return c == "" && s.count() == 0 && putBack()
		})
		daemontest.Eventually(t, 10*time.Second, "the worker in step again", inStep(t))
		assert.Equal(t, 1, strings.Count(w.Logs(), "drift put back: the repository's state is back\" tenant=-1234 path="+rel+" "),
			"each path put back is logged once")
	}

	t.Run("a C-App copied into carbonapps", func(t *testing.T) {
		rel := "carbonapps/Hand_1.0.0.car"
		hand := testcapp.Build(t, "Hand", "1.0.0")
		require.NoError(t, os.WriteFile(filepath.Join(w.Dir, rel), hand, 0o644))
		seenThenPutBack(t, rel, "added", func() bool {
			_, err := os.Stat(filepath.Join(w.Dir, rel))
			return os.IsNotExist(err)
		})
		assert.True(t, backedUp(t, w, rel, hand), "a copy of the C-App removed in <state_dir>/overwritten")
	})

	t.Run("an XML file edited", func(t *testing.T) {
		edit := []byte("<api name=\"hot fix\"/>\n")
		require.NoError(t, os.WriteFile(filepath.Join(w.Dir, api), edit, 0o644))
		seenThenPutBack(t, api, "changed", func() bool {
			got, err := os.ReadFile(filepath.Join(w.Dir, api))
			return err == nil && bytes.Equal(got, managers)
		})
		assert.True(t, backedUp(t, w, api, edit), "a copy of the edit in <state_dir>/overwritten")
	})

	t.Run("a file removed", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(w.Dir, "carbonapps", "Kept_1.0.0.car")))
		seenThenPutBack(t, "carbonapps/Kept_1.0.0.car", "removed", converged(t, m, w))
	})

	t.Run("a folder made by hand", func(t *testing.T) {
		rel := "synapse-configs/default/sequences"
		mine := []byte("<sequence name=\"mine\"/>\n")
		require.NoError(t, os.MkdirAll(filepath.Join(w.Dir, rel, "more"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(w.Dir, rel, "more", "s.xml"), mine, 0o644))
		seenThenPutBack(t, rel, "added", func() bool {
			_, err := os.Stat(filepath.Join(w.Dir, rel))
			return os.IsNotExist(err)
		})
		assert.True(t, backedUp(t, w, rel+"/more/s.xml", mine), "a copy of the folder's file in <state_dir>/overwritten")
	})

	t.Run("a C-App pushed with force is no drift", func(t *testing.T) {
		rel := "carbonapps/Forced_1.0.0.car"
		src := testcapp.Write(t, t.TempDir(), "Forced_1.0.0.car", "Forced", "1.0.0")
		cmd := exec.Command(bin, "--config", w.ConfigFile, "capp", "push", src, "--node", w.URL, "--via", "direct", "--force")
		cmd.Env = w.Env()
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.FileExists(t, filepath.Join(w.Dir, rel))
		// A change by hand after it, put back by a poll: by then the
		// watch has looked at the forced C-App and a poll has come.
		listed := false
		edit := []byte("<api name=\"again\"/>\n")
		require.NoError(t, os.WriteFile(filepath.Join(w.Dir, api), edit, 0o644))
		daemontest.Eventually(t, poll+4*time.Second, "the edit after it put back", func() bool {
			s := driftOf(t, w)
			if c, _ := s.listed(rel); c != "" {
				listed = true
			}
			got, err := os.ReadFile(filepath.Join(w.Dir, api))
			return err == nil && bytes.Equal(got, managers) && s.count() == 0
		})
		assert.False(t, listed, "the forced C-App was listed as drift")
		assert.FileExists(t, filepath.Join(w.Dir, rel), "the forced C-App was removed")
		for _, line := range strings.Split(w.Logs(), "\n") {
			assert.False(t, strings.Contains(line, "drift") && strings.Contains(line, rel),
				"the forced C-App was taken for drift: %s", line)
		}
		daemontest.Eventually(t, 10*time.Second, "the worker in step", inStep(t))
	})
}
