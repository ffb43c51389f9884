package syncer_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestE2EWorkerWaitsForTheNoticedRevisionOnItsReplica: a worker reads from
// a replica fed by svnsync that lags its master. Noticed of a revision its
// server lacks, it looks again shortly until the replica has it, not at its
// next poll (a minute away), and shows what it waits for meanwhile.
func TestE2EWorkerWaitsForTheNoticedRevisionOnItsReplica(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "svnsync", "apache2", "htpasswd")
	master := svntest.New(t, svntest.HTTP)
	replica := svntest.New(t, svntest.HTTP)
	// svnsync sets revision properties on the replica: its hook must
	// allow it. Both repositories are local, so it goes by file://.
	hook := filepath.Join(replica.RepoPath, "hooks", "pre-revprop-change")
	require.NoError(t, os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	fileURL := func(s *svntest.Server) string { return "file://" + filepath.ToSlash(s.RepoPath) }
	svnsync := func(args ...string) {
		t.Helper()
		out, err := exec.Command("svnsync", append(append([]string{}, args...), "--non-interactive")...).CombinedOutput()
		require.NoError(t, err, "svnsync %v: %s", args, out)
	}
	svnsync("initialize", fileURL(replica), fileURL(master))

	bin := daemontest.Binary(t)
	slowPoll := map[string]any{"sync.debounce": "100ms", "sync.max_delay": "1s", "svn.poll_interval": "60s"}
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: replica, Settings: slowPoll})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: master,
		Peers: []string{worker.URL}, Settings: fast})
	worker.SetPeers(t, manager.URL)
	manager.Start(t)
	waitReady(t, manager)
	svnsync("synchronize", fileURL(replica))
	worker.Start(t)
	waitReady(t, worker)

	head := func(s *svntest.Server) int64 {
		out := s.SVN(t, "info", "--show-item", "revision", s.URL)
		n, err := strconv.ParseInt(regexp.MustCompile(`\d+`).FindString(out), 10, 64)
		require.NoError(t, err, out)
		return n
	}
	before := head(master)
	require.NoError(t, os.MkdirAll(filepath.Join(manager.Dir, "carbonapps"), 0o755))
	testcapp.Write(t, filepath.Join(manager.Dir, "carbonapps"), "App_1.0.0.car", "App", "1.0.0")
	daemontest.Eventually(t, 20*time.Second, "the manager's commit", func() bool { return head(master) > before })
	want := head(master)

	// While the replica lags, the worker shows the revision it waits for.
	daemontest.Eventually(t, 5*time.Second, "wanted_revision on the worker", func() bool {
		ts := status(t, worker).Tenants
		return len(ts) == 1 && ts[0].WantedRevision == want && ts[0].Revision < want && !ts[0].InStep
	})
	assert.Greater(t, lagMetric(t, worker), 0.0, "depsync_replica_lag_revisions while the replica lags")

	svnsync("synchronize", fileURL(replica))
	synced := time.Now()
	app := filepath.Join(worker.Dir, "carbonapps", "App_1.0.0.car")
	daemontest.Eventually(t, 5*time.Second, "the C-App on the worker", func() bool {
		_, err := os.Stat(app)
		return err == nil
	})
	assert.Less(t, time.Since(synced), 1500*time.Millisecond, "the worker took the revision at its next poll, not when its replica had it")
	daemontest.Eventually(t, 5*time.Second, "the worker in step", func() bool {
		ts := status(t, worker).Tenants
		return len(ts) == 1 && ts[0].Revision >= want && ts[0].InStep
	})
	assert.Equal(t, 0.0, lagMetric(t, worker))
}

// lagMetric is the worker's depsync_replica_lag_revisions (its one tenant).
func lagMetric(t *testing.T, n *daemontest.Node) float64 {
	t.Helper()
	resp, err := http.Get(n.URL + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	m := regexp.MustCompile(`(?m)^depsync_replica_lag_revisions\{[^}]*\} (\S+)$`).FindSubmatch(body)
	require.NotNil(t, m, "no depsync_replica_lag_revisions in /metrics")
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	return v
}
