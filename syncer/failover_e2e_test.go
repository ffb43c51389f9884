package syncer_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// replicaOf makes a second Apache server of master's repository: the same
// UUID and user, fed by svnsync from the test (by file://, both being
// local). The returned func runs svnsync synchronize.
func replicaOf(t *testing.T, master *svntest.Server) (*svntest.Server, func()) {
	t.Helper()
	replica := svntest.New(t, svntest.HTTP)
	replica.SetPassword(t, master.Password)
	uuid := repoUUID(t, master)
	out, err := exec.Command("svnadmin", "setuuid", replica.RepoPath, uuid).CombinedOutput()
	require.NoError(t, err, "svnadmin setuuid: %s", out)
	hook := filepath.Join(replica.RepoPath, "hooks", "pre-revprop-change")
	require.NoError(t, os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	fileURL := func(s *svntest.Server) string { return "file://" + filepath.ToSlash(s.RepoPath) }
	svnsync := func(args ...string) {
		t.Helper()
		out, err := exec.Command("svnsync", append(append([]string{}, args...), "--non-interactive")...).CombinedOutput()
		require.NoError(t, err, "svnsync %v: %s", args, out)
	}
	svnsync("initialize", fileURL(replica), fileURL(master))
	return replica, func() { svnsync("synchronize", fileURL(replica)) }
}

func repoUUID(t *testing.T, s *svntest.Server) string {
	t.Helper()
	return strings.TrimSpace(s.SVN(t, "info", "--show-item", "repos-uuid", s.URL))
}

// wcURL is the URL of the working copy dir, as svn has it on disk.
func wcURL(t *testing.T, s *svntest.Server, dir string) string {
	t.Helper()
	return strings.TrimSpace(s.SVN(t, "info", "--show-item", "url", dir))
}

// TestE2EWorkerFailsOverToTheMasterAndBack: a worker reads from a replica,
// with the master in svn.fallback_urls. The replica stopped, the worker
// relocates its working copy to the master within fail_threshold polls
// (no new checkout), takes the manager's next change from there and shows
// the master as svn_url; the replica back and synced, it relocates back to
// it and takes the next change from it.
func TestE2EWorkerFailsOverToTheMasterAndBack(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "svnsync", "apache2", "htpasswd")
	master := svntest.New(t, svntest.HTTP)
	replica, svnsync := replicaOf(t, master)

	const threshold, poll = 3, time.Second
	bin := daemontest.Binary(t)
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: master, SVNURL: replica.URL,
		Settings: map[string]any{"sync.debounce": "100ms", "sync.max_delay": "1s", "svn.poll_interval": poll.String(),
			"svn.fail_threshold": threshold, "svn.fallback_urls": []string{master.URL}}})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: master,
		Peers: []string{worker.URL}, Settings: fast})
	worker.SetPeers(t, manager.URL)
	manager.Start(t)
	waitReady(t, manager)
	svnsync()
	worker.Start(t)
	waitReady(t, worker)
	assert.Equal(t, replica.URL, status(t, worker).SVNURL)
	assert.Equal(t, replica.URL+"/-1234", wcURL(t, master, worker.Dir))

	head := func(s *svntest.Server) int64 {
		out := s.SVN(t, "info", "--show-item", "revision", s.URL)
		n, err := strconv.ParseInt(regexp.MustCompile(`\d+`).FindString(out), 10, 64)
		require.NoError(t, err, out)
		return n
	}
	drop := func(name string) int64 {
		t.Helper()
		before := head(master)
		apps := filepath.Join(manager.Dir, "carbonapps")
		require.NoError(t, os.MkdirAll(apps, 0o755))
		testcapp.Write(t, apps, name+"_1.0.0.car", name, "1.0.0")
		daemontest.Eventually(t, 20*time.Second, "the manager's commit of "+name, func() bool { return head(master) > before })
		return head(master)
	}
	arrived := func(name string) bool {
		_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", name+"_1.0.0.car"))
		return err == nil
	}

	replica.Stop(t)
	stopped := time.Now()
	drop("Away")
	// fail_threshold failed looks, a poll apart (jittered), and a little.
	within := (threshold+2)*poll + 10*time.Second
	daemontest.Eventually(t, within, "the C-App from the master on the worker", func() bool { return arrived("Away") })
	t.Logf("failed over and updated %s after the replica stopped", time.Since(stopped).Round(time.Millisecond))
	assert.Equal(t, master.URL, status(t, worker).SVNURL)
	assert.Equal(t, master.URL+"/-1234", wcURL(t, master, worker.Dir), "relocated to the master")
	logs := worker.Logs()
	assert.Equal(t, 1, strings.Count(logs, "using another server of the repository"), "the switch is said once")
	assert.NotContains(t, logs, "level=ERROR")
	assert.NotContains(t, logs, "checking out the repository folder into the deployment directory\" dir="+worker.Dir+" url="+master.URL,
		"relocated, not checked out again")

	// A restart while on the master: the working copy at the master is
	// still the worker's (not "a working copy of another URL"), and the
	// replica still down, the worker fails over again.
	require.Equal(t, 0, worker.Stop(t))
	worker.Start(t)
	waitReady(t, worker)
	daemontest.Eventually(t, within, "the worker on the master again", func() bool {
		return status(t, worker).SVNURL == master.URL
	})

	replica.Start(t)
	svnsync()
	daemontest.Eventually(t, 4*poll+10*time.Second, "the worker back on the replica", func() bool {
		return status(t, worker).SVNURL == replica.URL
	})
	assert.Contains(t, worker.Logs(), "svn.url answers again")

	want := drop("Back")
	svnsync()
	daemontest.Eventually(t, 20*time.Second, "the C-App from the replica on the worker", func() bool { return arrived("Back") })
	daemontest.Eventually(t, 10*time.Second, "the worker at the revision", func() bool {
		ts := status(t, worker).Tenants
		return len(ts) == 1 && ts[0].Revision >= want
	})
	assert.Equal(t, replica.URL+"/-1234", wcURL(t, master, worker.Dir), "relocated back to the replica")
	assert.Equal(t, 1, strings.Count(worker.Logs(), "checking out the repository folder"), "one checkout, at the first start")
}

// TestE2EAFallbackURLOfAnotherRepositoryIsRefused: config check and run
// refuse a fallback URL serving another repository, exit 2, naming both
// URLs and both UUIDs, before anything starts; a fallback that does not
// answer is only a warning.
func TestE2EAFallbackURLOfAnotherRepositoryIsRefused(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	master := svntest.New(t, svntest.HTTP)
	other := svntest.New(t, svntest.HTTP)
	other.SetPassword(t, master.Password)
	bin := daemontest.Binary(t)
	node := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: master,
		Settings: map[string]any{"svn.fallback_urls": []string{other.URL}}})

	cli := func(args ...string) (int, string) {
		cmd := exec.Command(bin, append(args, "--config", node.ConfigFile)...)
		cmd.Env = node.Env()
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%v: %v", args, err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	for _, args := range [][]string{{"config", "check"}, {"run"}} {
		code, out := cli(args...)
		assert.Equal(t, 2, code, "%v: %s", args, out)
		for _, s := range []string{master.URL, other.URL, repoUUID(t, master), repoUUID(t, other)} {
			assert.Contains(t, out, s, "%v", args)
		}
		assert.NotContains(t, out, master.Password)
		assert.NotContains(t, out, "listening", "%v refused before it listens", args)
	}

	// A fallback that does not answer may come back: a warning.
	other.Stop(t)
	code, out := cli("config", "check")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "warning: "+other.URL+" does not answer")
}
