//go:build linux

package e2e

import (
	"encoding/json"
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

// fast makes the daemons react quickly enough for a test.
var fast = map[string]any{
	"sync.debounce":      "100ms",
	"sync.max_delay":     "1s",
	"svn.poll_interval":  "500ms",
	"svn.fail_threshold": 2,
}

type status struct {
	Role  string `json:"role"`
	Mode  string `json:"mode"`
	Peers []struct {
		URL string `json:"url"`
		Up  bool   `json:"up"`
	} `json:"peers"`
}

// peersUp reports whether n's /v1/status lists every peer, all up.
func peersUp(n *daemontest.Node) bool {
	var s status
	if _, err := n.Get("/v1/status", &s); err != nil || len(s.Peers) != len(n.Peers) {
		return false
	}
	for _, p := range s.Peers {
		if !p.Up {
			return false
		}
	}
	return true
}

func mode(t *testing.T, n *daemontest.Node) string {
	var s status
	if _, err := n.Get("/v1/status", &s); err != nil {
		return "unreachable: " + err.Error()
	}
	return s.Mode
}

func converged(t *testing.T, a, b *daemontest.Node) func() bool {
	return func() bool {
		ok, _ := daemontest.SameTree(filepath.Join(a.Dir, "carbonapps"), filepath.Join(b.Dir, "carbonapps"))
		return ok
	}
}

// TestDirectModeWithoutSVN: no svn.url at all. The manager pushes C-Apps
// to both workers, removes what it no longer holds, and a worker that was
// down while a change happened receives it once it is back.
func TestDirectModeWithoutSVN(t *testing.T) {
	bin := daemontest.Binary(t)
	w1 := daemontest.NewNode(t, bin, daemontest.Config{Name: "w1", Role: "worker", Settings: fast})
	w2 := daemontest.NewNode(t, bin, daemontest.Config{Name: "w2", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w1.URL, w2.URL}, Settings: fast})
	w1.SetPeers(t, m.URL) // a worker's peer is its manager
	w2.SetPeers(t, m.URL)
	w1.Start(t)
	w2.Start(t)
	m.Start(t)
	assert.Equal(t, "direct", mode(t, m))

	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "One_1.0.0.car", "One", "1.0.0")
	testcapp.Write(t, apps, "Two_1.0.0.car", "Two", "1.0.0", testcapp.Pad(3<<20))
	daemontest.Eventually(t, 30*time.Second, "both workers to hold One and Two", func() bool {
		return converged(t, m, w1)() && converged(t, m, w2)()
	})
	daemontest.Eventually(t, 10*time.Second, "the manager's status to show both peers up", func() bool { return peersUp(m) })

	// w2 is down while One goes away and Three arrives.
	w2.Kill(t)
	require.NoError(t, os.Remove(filepath.Join(apps, "One_1.0.0.car")))
	testcapp.Write(t, apps, "Three_1.0.0.car", "Three", "1.0.0")
	daemontest.Eventually(t, 30*time.Second, "w1 to follow", converged(t, m, w1))
	w2.Start(t)
	daemontest.Eventually(t, 30*time.Second, "w2 to catch up after its restart", converged(t, m, w2))
	_, err := os.Stat(filepath.Join(w2.Dir, "carbonapps", "One_1.0.0.car"))
	assert.True(t, os.IsNotExist(err), "pruned C-App still on w2")

	// capp push to a worker is sent on to the manager, which pushes it on.
	src := testcapp.Write(t, t.TempDir(), "Four_1.0.0.car", "Four", "1.0.0")
	cmd := exec.Command(bin, "--config", w1.ConfigFile, "capp", "push", src, "--node", w1.URL, "--via", "direct", "--wait", "30s", "-o", "json")
	cmd.Env = m.Env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s%s", out, stderr.String())
	var res struct {
		Results []struct {
			Node, Status, Error string
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(out, &res), "%s", out)
	require.NotEmpty(t, res.Results)
	for _, r := range res.Results {
		assert.Empty(t, r.Error)
	}
	daemontest.Eventually(t, 30*time.Second, "Four everywhere", func() bool {
		return converged(t, m, w1)() && converged(t, m, w2)()
	})
	_, err = os.Stat(filepath.Join(apps, "Four_1.0.0.car"))
	assert.NoError(t, err, "the push went to the manager, the source of truth")
}

// TestFallbackToDirectAndBack: the SVN server stops mid-run. The manager
// falls back to direct push and the worker still converges; when the
// server is back, both return to svn mode with clean working copies and
// nothing lost or doubled.
func TestFallbackToDirectAndBack(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Before_1.0.0.car", "Before", "1.0.0")
	testcapp.Write(t, apps, "Gone_1.0.0.car", "Gone", "1.0.0")
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 30*time.Second, "first sync over SVN", converged(t, m, w))
	assert.Equal(t, "svn", mode(t, m))
	daemontest.Eventually(t, 10*time.Second, "the worker's status to show its manager up", func() bool { return peersUp(w) })

	srv.Stop(t)
	testcapp.Write(t, apps, "During_1.0.0.car", "During", "1.0.0")
	testcapp.Write(t, apps, "Before_1.0.0.car", "Before", "1.0.0", testcapp.Pad(1<<20)) // a new build of it
	require.NoError(t, os.Remove(filepath.Join(apps, "Gone_1.0.0.car")))
	daemontest.Eventually(t, 60*time.Second, "the manager to fall back to direct mode", func() bool {
		return mode(t, m) == "direct"
	})
	daemontest.Eventually(t, 60*time.Second, "the worker to converge by direct push", converged(t, m, w))

	assert.Contains(t, m.Logs(), "direct mode: pushing C-Apps straight to peers")
	srv.Start(t)
	daemontest.Eventually(t, 90*time.Second, "svn mode again with clean working copies", func() bool {
		if mode(t, m) != "svn" {
			return false
		}
		if ok, _ := daemontest.SameTree(m.Dir, w.Dir); !ok {
			return false
		}
		clean, _ := cleanWC(m.Dir, w.Dir)
		return clean
	})
	assert.Contains(t, m.Logs(), "SVN is back: leaving direct mode")
	repo := t.TempDir()
	srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", repo)
	ok, diff := daemontest.SameTree(m.Dir, repo)
	require.True(t, ok, "the repository does not hold the manager's state: %s", diff)
	// Nothing doubled: exactly the manager's C-Apps on the worker.
	entries, err := os.ReadDir(filepath.Join(w.Dir, "carbonapps"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"Before_1.0.0.car", "During_1.0.0.car"}, names)
}
