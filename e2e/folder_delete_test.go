//go:build linux

package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// filesUnder counts the regular files below dir (none when it is gone).
func filesUnder(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// watchCount checks every 100 ms how many files dir holds until stop is
// called, and returns the fewest it saw.
func watchCount(dir string) (stop func() int) {
	least := atomic.Int64{}
	least.Store(int64(filesUnder(dir)))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if n := int64(filesUnder(dir)); n < least.Load() {
					least.Store(n)
				}
			}
		}
	})
	return func() int { close(done); wg.Wait(); return int(least.Load()) }
}

// emptyInSlices removes the files below dir a chunk at a time, pausing
// between chunks (as a long rm -rf does on a big tree), then the folders,
// deepest first, and dir itself.
func emptyInSlices(dir string, chunk int, pause time.Duration) error {
	var files, dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, f := range files {
		if err := os.Remove(f); err != nil {
			return err
		}
		if (i+1)%chunk == 0 {
			time.Sleep(pause)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if err := os.Remove(d); err != nil {
			return err
		}
	}
	return nil
}

// TestFolderEmptiedInSlicesHeldWhole: a top-level folder of a few thousand
// files removed a slice at a time, with pauses longer than the commit
// debounce (so that the manager commits several times while it runs), has
// none of its files deleted in the repository or on the worker: the
// manager waits until the folder is gone, then holds all of it as
// directory_gone. A change elsewhere meanwhile still goes. Approved, the
// deletion goes through.
func TestFolderEmptiedInSlicesHeldWhole(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	const n = 2000
	many := filepath.Join(m.Dir, "many")
	for i := range n {
		p := filepath.Join(many, fmt.Sprintf("d%02d", i/100), fmt.Sprintf("f%04d.xml", i))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf("<f n=\"%d\"/>\n", i)), 0o644))
	}
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0")
	m.Start(t)
	w.Start(t)
	wMany := filepath.Join(w.Dir, "many")
	daemontest.Eventually(t, 3*time.Minute, "the first sync of the folder", func() bool {
		return filesUnder(wMany) == n && countCApps(t, w.Dir) == 1
	})
	info := srv.SVN(t, "info", "--show-item", "revision", srv.URL+"/-1234")
	var base int
	_, err := fmt.Sscan(info, &base)
	require.NoError(t, err, info)

	least := watchCount(wMany)
	commitsBefore := countLines(m.Logs(), "committed")
	done := make(chan error, 1)
	go func() { done <- emptyInSlices(many, 100, 300*time.Millisecond) }()
	// Meanwhile, a change elsewhere.
	during := filepath.Join(m.Dir, "synapse-configs", "default", "api", "during.xml")
	require.NoError(t, os.MkdirAll(filepath.Dir(during), 0o755))
	require.NoError(t, os.WriteFile(during, []byte("<api name=\"during\"/>"), 0o644))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Minute):
		t.Fatal("the folder was not emptied within 2 minutes")
	}
	daemontest.Eventually(t, 60*time.Second, "the manager to hold the folder's deletion", func() bool {
		return len(held(t, m).HeldDeletions) == 1
	})
	s := held(t, m)
	assert.Equal(t, "directory_gone", s.HeldDeletions[0].Reason, "the whole folder, held as one")
	assert.Equal(t, n, s.HeldDeletions[0].Count, "the whole folder, held as one")
	daemontest.Eventually(t, 30*time.Second, "the change made meanwhile to reach the worker", func() bool {
		_, err := os.Stat(filepath.Join(w.Dir, "synapse-configs", "default", "api", "during.xml"))
		return err == nil
	})
	log := srv.SVN(t, "log", "-v", "-r", fmt.Sprintf("%d:HEAD", base+1), srv.URL+"/-1234")
	deleted := regexp.MustCompile(`(?m)^\s+D /-1234/many`).FindAllString(log, -1)
	assert.Zero(t, len(deleted), "no commit deletes a file of the folder while it is emptied")
	assert.Equal(t, n, least(), "the worker lost files of the folder while it was being emptied (%d commit(s) meanwhile)",
		countLines(m.Logs(), "committed")-commitsBefore)
	assert.Equal(t, n, filesUnder(wMany))

	// Approved: the folder goes, whole.
	cmd := exec.Command(bin, "approve", "--config", m.ConfigFile, "--node", m.URL)
	cmd.Env = m.Env()
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	daemontest.Eventually(t, 60*time.Second, "the approved deletion to reach the worker", func() bool {
		return filesUnder(wMany) == 0
	})
	assert.Empty(t, held(t, m).HeldDeletions)
	assert.Equal(t, 1, countCApps(t, w.Dir))
}

// countLines counts the lines of logs that hold s.
func countLines(logs, s string) int {
	return len(regexp.MustCompile(`(?m)^.*`+regexp.QuoteMeta(s)+`.*$`).FindAllString(logs, -1))
}

// TestDirectModeCAppsRemovedInSlicesHeldWhole: in direct mode, C-Apps
// removed from the manager two at a time (each slice below the
// 3-deletion floor), with pauses longer than the debounce, are pruned
// from no worker: the manager waits until they stop going, then holds the
// eight of twelve as one (over sync.max_delete). Approved, they go.
func TestDirectModeCAppsRemovedInSlicesHeldWhole(t *testing.T) {
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	var names []string
	for i := range 12 {
		n := fmt.Sprintf("App%02d", i)
		testcapp.Write(t, apps, n+"_1.0.0.car", n, "1.0.0")
		names = append(names, n+"_1.0.0.car")
	}
	w.Start(t)
	m.Start(t)
	assert.Equal(t, "direct", mode(t, m))
	wApps := filepath.Join(w.Dir, "carbonapps")
	daemontest.Eventually(t, 60*time.Second, "the worker to hold the twelve C-Apps", converged(t, m, w))

	least := watchCount(wApps)
	for i := 0; i < 8; i += 2 {
		for _, n := range names[i : i+2] {
			require.NoError(t, os.Remove(filepath.Join(apps, n)))
		}
		time.Sleep(400 * time.Millisecond) // an rm still running, slowly
	}
	daemontest.Eventually(t, 30*time.Second, "the manager to hold the eight deletions as one", func() bool {
		return metric(m, "depsync_deletions_held") == 8
	})
	assert.Contains(t, m.Logs(), "8 of 12 synced files would be deleted at once")
	assert.Equal(t, 12, least(), "the worker lost C-Apps while they were being removed from the manager")
	assert.Len(t, carsIn(t, wApps), 12)

	cmd := exec.Command(bin, "approve", "--config", m.ConfigFile, "--node", m.URL)
	cmd.Env = m.Env()
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	daemontest.Eventually(t, 30*time.Second, "the approved deletions to reach the worker", converged(t, m, w))
	assert.Len(t, carsIn(t, wApps), 4)
}
