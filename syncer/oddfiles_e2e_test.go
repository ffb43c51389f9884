package syncer_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/syncer"
)

const apiDir = "synapse-configs/default/api"

// rejected returns the manager's rejections by path.
func rejected(t *testing.T, n *daemontest.Node) map[string]syncer.Rejection {
	t.Helper()
	out := map[string]syncer.Rejection{}
	for _, tn := range status(t, n).Tenants {
		for _, r := range tn.Rejected {
			out[r.Path] = r
		}
	}
	return out
}

// onWorker waits for a file of the manager's to reach the worker.
func onWorker(t *testing.T, worker *daemontest.Node, rel string) {
	t.Helper()
	daemontest.Eventually(t, 30*time.Second, rel+" on the worker", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, filepath.FromSlash(rel)))
		return err == nil
	})
}

// TestE2EFIFODoesNotWedgeTheManager: a FIFO in the deployment directory
// is rejected without being opened; a file written after it is committed,
// /readyz stays truthful and SIGTERM still stops the manager.
func TestE2EFIFODoesNotWedgeTheManager(t *testing.T) {
	_, manager, worker := pair(t, func(m, _ *daemontest.Node) {
		write(t, m.Dir, apiDir+"/a.xml", "<api name=\"a\"/>\n")
	})
	waitSame(t, manager, worker, 30*time.Second)

	require.NoError(t, syscall.Mkfifo(filepath.Join(manager.Dir, apiDir, "fifo.xml"), 0o644))
	write(t, manager.Dir, apiDir+"/after.xml", "<api name=\"after\"/>\n")
	require.NoError(t, os.MkdirAll(filepath.Join(manager.Dir, "carbonapps"), 0o755))
	testcapp.Write(t, filepath.Join(manager.Dir, "carbonapps"), "After_1.0.0.car", "After", "1.0.0")
	onWorker(t, worker, apiDir+"/after.xml")
	onWorker(t, worker, "carbonapps/After_1.0.0.car")
	daemontest.Eventually(t, 10*time.Second, "the FIFO rejected", func() bool {
		return rejected(t, manager)[apiDir+"/fifo.xml"].Reason == "not_regular_file"
	})
	_, err := os.Lstat(filepath.Join(worker.Dir, apiDir, "fifo.xml"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the FIFO reached the worker")
	code, err := manager.Get("/readyz", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)

	start := time.Now()
	assert.Equal(t, 0, manager.Stop(t), "exit code after SIGTERM")
	assert.Less(t, time.Since(start), 15*time.Second, "SIGTERM took too long")
}

// TestE2ESymlinksAreRejectedNotCommitted: in SVN mode a symlink is never
// committed (no svn:special link reaches the workers) and a C-App replaced
// by a symlink is neither committed as a link nor deleted: the repository
// and the worker keep the file, the manager shows the link as rejected.
func TestE2ESymlinksAreRejectedNotCommitted(t *testing.T) {
	srv, manager, worker := pair(t, func(m, _ *daemontest.Node) {
		write(t, m.Dir, apiDir+"/a.xml", "<api name=\"a\"/>\n")
		require.NoError(t, os.MkdirAll(filepath.Join(m.Dir, "carbonapps"), 0o755))
		testcapp.Write(t, filepath.Join(m.Dir, "carbonapps"), "App_1.0.0.car", "App", "1.0.0")
	})
	waitSame(t, manager, worker, 30*time.Second)

	// The C-App moved elsewhere and linked back in its place.
	elsewhere := filepath.Join(manager.Home, "elsewhere")
	require.NoError(t, os.MkdirAll(elsewhere, 0o755))
	car := filepath.Join(manager.Dir, "carbonapps", "App_1.0.0.car")
	require.NoError(t, os.Rename(car, filepath.Join(elsewhere, "App_1.0.0.car")))
	require.NoError(t, os.Symlink(filepath.Join(elsewhere, "App_1.0.0.car"), car))
	// New links: to a file outside, to a folder.
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(manager.Dir, apiDir, "passwd.xml")))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(manager.Dir, apiDir, "linkdir")))
	write(t, manager.Dir, apiDir+"/after.xml", "<api name=\"after\"/>\n")

	onWorker(t, worker, apiDir+"/after.xml")
	daemontest.Eventually(t, 15*time.Second, "the three links rejected", func() bool {
		r := rejected(t, manager)
		return r["carbonapps/App_1.0.0.car"].Reason == "symlink" && r[apiDir+"/passwd.xml"].Reason == "symlink" &&
			r[apiDir+"/linkdir"].Reason == "symlink"
	})
	// Another change goes through meanwhile, and the links still do not.
	write(t, manager.Dir, apiDir+"/later.xml", "<api name=\"later\"/>\n")
	onWorker(t, worker, apiDir+"/later.xml")

	fi, err := os.Lstat(filepath.Join(worker.Dir, "carbonapps", "App_1.0.0.car"))
	require.NoError(t, err, "the worker lost the C-App replaced by a link")
	assert.True(t, fi.Mode().IsRegular(), "the worker's C-App is a %s", fi.Mode().Type())
	for _, p := range []string{"passwd.xml", "linkdir"} {
		_, err := os.Lstat(filepath.Join(worker.Dir, apiDir, p))
		assert.ErrorIs(t, err, os.ErrNotExist, "%s reached the worker", p)
	}
	log := svnLog(t, srv)
	assert.NotContains(t, log, "passwd.xml")
	assert.NotContains(t, log, "linkdir")
	assert.Equal(t, 1, strings.Count(log, "/carbonapps/App_1.0.0.car"), "the C-App was committed again or deleted:\n%s", log)
	assert.Contains(t, manager.Logs(), "path not committed")

	// The link replaced by a file: committed, no longer rejected.
	require.NoError(t, os.Remove(filepath.Join(manager.Dir, apiDir, "passwd.xml")))
	write(t, manager.Dir, apiDir+"/passwd.xml", "<api name=\"passwd\"/>\n")
	onWorker(t, worker, apiDir+"/passwd.xml")
	daemontest.Eventually(t, 10*time.Second, "the rejection dropped", func() bool {
		_, still := rejected(t, manager)[apiDir+"/passwd.xml"]
		return !still
	})
}

// TestE2EOddNamesDoNotBlockOtherCommits: names svn cannot take (a newline,
// not UTF-8, in a known folder and in a new one) are rejected with the
// reason, and every other change of the tenant is still committed.
func TestE2EOddNamesDoNotBlockOtherCommits(t *testing.T) {
	_, manager, worker := pair(t, func(m, _ *daemontest.Node) {
		write(t, m.Dir, apiDir+"/a.xml", "<api name=\"a\"/>\n")
		write(t, m.Dir, apiDir+"/gone.xml", "<api name=\"gone\"/>\n")
	})
	waitSame(t, manager, worker, 30*time.Second)

	write(t, manager.Dir, apiDir+"/nl\nx.xml", "<api/>\n")
	write(t, manager.Dir, apiDir+"/bad\xff.xml", "<api/>\n")
	write(t, manager.Dir, "newdir/q\xff.xml", "<api/>\n")
	write(t, manager.Dir, "newdir/ok.xml", "<api/>\n")
	write(t, manager.Dir, apiDir+"/after.xml", "<api name=\"after\"/>\n")
	onWorker(t, worker, apiDir+"/after.xml")
	daemontest.Eventually(t, 15*time.Second, "the odd names rejected", func() bool {
		r := rejected(t, manager)
		return r[apiDir+"/nl\nx.xml"].Reason == "bad_name" && len(r) >= 3
	})

	// Later changes, a deletion among them, still go through, and the
	// start-up look at the whole tree after a restart too.
	write(t, manager.Dir, apiDir+"/later.xml", "<api name=\"later\"/>\n")
	require.NoError(t, os.Remove(filepath.Join(manager.Dir, apiDir, "gone.xml")))
	onWorker(t, worker, apiDir+"/later.xml")
	daemontest.Eventually(t, 15*time.Second, "the deletion on the worker", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, apiDir, "gone.xml"))
		return os.IsNotExist(err)
	})
	assert.Equal(t, 0, manager.Stop(t))
	manager.Start(t)
	write(t, manager.Dir, apiDir+"/restarted.xml", "<api name=\"restarted\"/>\n")
	onWorker(t, worker, apiDir+"/restarted.xml")
	code, err := manager.Get("/readyz", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	t.Logf("rejected: %v", rejected(t, manager))
	logs := manager.Logs()
	t.Logf("log lines: %d not committed, %d refused, %d commit failed", strings.Count(logs, "path not committed"),
		strings.Count(logs, "svn refused the path"), strings.Count(logs, "commit failed"))
	assert.NotContains(t, logs, "commit failed", "a commit failed over an odd name")
}

// TestE2ESymlinkedCarbonappsIsExit2: a synced folder that is a symlink is
// refused at start (exit 2, naming it), in direct mode as in SVN mode,
// rather than synced through the link by one mode and as a link by the
// other.
func TestE2ESymlinkedCarbonappsIsExit2(t *testing.T) {
	n := daemontest.NewNode(t, daemontest.Binary(t), daemontest.Config{Name: "manager", Role: "manager", Settings: fast})
	real := filepath.Join(n.Home, "carbonapps.real")
	require.NoError(t, os.MkdirAll(real, 0o755))
	testcapp.Write(t, real, "App_1.0.0.car", "App", "1.0.0")
	require.NoError(t, os.MkdirAll(n.Dir, 0o755))
	require.NoError(t, os.Symlink(real, filepath.Join(n.Dir, "carbonapps")))
	cmd := exec.Command(n.Bin, "run", "--config", n.ConfigFile)
	cmd.Env = n.Env()
	cmd.WaitDelay = time.Second
	timer := time.AfterFunc(30*time.Second, func() {
		if err := cmd.Process.Kill(); err != nil {
			t.Errorf("kill after 30s: %v", err)
		}
	})
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	assert.Equal(t, 2, ee.ExitCode(), "%s", out)
	assert.Contains(t, string(out), "carbonapps is a symlink")
}

// TestE2EOddNameSurvivesAServerOutage: with a name that is not UTF-8 in
// the tree, a commit that fails for want of the server does not wedge the
// manager (svn cleanup, which cannot run then, would leave the working
// copy locked): the change goes once the server is back.
func TestE2EOddNameSurvivesAServerOutage(t *testing.T) {
	srv, manager, worker := pair(t, func(m, _ *daemontest.Node) {
		write(t, m.Dir, apiDir+"/a.xml", "<api name=\"a\"/>\n")
	})
	waitSame(t, manager, worker, 30*time.Second)
	write(t, manager.Dir, apiDir+"/bad\xff.xml", "<api/>\n")
	daemontest.Eventually(t, 15*time.Second, "the odd name rejected", func() bool {
		// JSON shows the byte that is not UTF-8 as U+FFFD.
		return rejected(t, manager)[apiDir+"/bad\ufffd.xml"].Reason == "bad_name"
	})

	srv.Stop(t)
	write(t, manager.Dir, apiDir+"/during.xml", "<api name=\"during\"/>\n")
	daemontest.Eventually(t, 30*time.Second, "a commit to fail", func() bool {
		return strings.Contains(manager.Logs(), "commit failed")
	})
	srv.Start(t)
	onWorker(t, worker, apiDir+"/during.xml")
	assert.NotContains(t, manager.Logs(), "E155004", "the working copy was left locked")
}
