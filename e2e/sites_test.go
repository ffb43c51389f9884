//go:build linux

package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// The lag the test gives the replica: the master's post-commit
// hook waits this long before it runs svnsync.
const replicaLag = 2 * time.Second

// TestE2EWorkerReadsFromAHookFedReplica (issue 29, "Done when" 1): two
// Apaches on loopback set up with the README's "Several sites" files, a
// master and a write-through replica fed by the master's post-commit hook
// that waits 2 s before svnsync. The manager commits to the master; the
// worker reads from the replica and polls once a minute. A C-App dropped
// on the manager is on the worker within 1.5 s of the replica having its
// revision (so within the lag + 1.5 s, not at the next poll), and
// depsync_replica_lag_revisions goes above 0 meanwhile and back to 0.
func TestE2EWorkerReadsFromAHookFedReplica(t *testing.T) {
	pair := svntest.NewExampleReplica(t)
	pair.SetSyncDelay(t, replicaLag)
	master, replica := pair.Master, pair.Replica
	bin := daemontest.Binary(t)
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker",
		Settings: siteSettings(t, replica.URL, svntest.ExampleWorker, replica.WorkerPassword,
			map[string]any{"svn.poll_interval": "60s"})})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", Peers: []string{worker.URL},
		Settings: siteSettings(t, master.URL, svntest.ExampleManager, master.Password, nil)})
	worker.SetPeers(t, manager.URL)
	apps := filepath.Join(manager.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Keeper_1.0.0.car", "Keeper", "1.0.0")
	manager.Start(t)
	daemontest.WaitReady(t, manager, time.Minute)
	daemontest.Eventually(t, time.Minute, "the manager's first commit on the replica", func() bool {
		return master.Youngest(t) > 0 && replica.Youngest(t) == master.Youngest(t)
	})
	worker.Start(t)
	daemontest.WaitReady(t, worker, time.Minute)
	daemontest.Eventually(t, 30*time.Second, "the worker in step", func() bool { return converged(t, manager, worker)() })
	// The earlier commits' hooks are done: none of their svnsync runs
	// (late, or waiting for svnsync's lock on the replica) copies the
	// C-App's revision before its own hook's delay.
	pair.WaitSyncsDone(t, 30*time.Second)

	before := master.Youngest(t)
	dropped := time.Now()
	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0")
	app := filepath.Join(worker.Dir, "carbonapps", "App_1.0.0.car")
	var committed, synced, arrived time.Time
	var want int64
	maxLag, sawWanted := 0.0, false
	for deadline := time.Now().Add(30 * time.Second); arrived.IsZero(); time.Sleep(20 * time.Millisecond) {
		require.False(t, time.Now().After(deadline), "the C-App is not on the worker 30 s after it was dropped")
		now := time.Now()
		if committed.IsZero() && master.Youngest(t) > before {
			committed, want = now, master.Youngest(t)
		}
		if !committed.IsZero() && synced.IsZero() && replica.Youngest(t) >= want {
			synced = now
		}
		if lag, ok := lagRevisions(worker); ok {
			maxLag = max(maxLag, lag)
		}
		if ts := tenantsOf(worker); len(ts) == 1 && want > 0 && ts[0].WantedRevision >= want && ts[0].Revision < want {
			sawWanted = true
		}
		if _, err := os.Stat(app); err == nil {
			arrived = now
		}
	}
	require.False(t, committed.IsZero(), "the C-App reached the worker before the manager's commit was seen")
	require.False(t, synced.IsZero(), "the C-App reached the worker before its replica had the revision")
	t.Logf("dropped -> committed %v, -> on the replica %v, -> on the worker %v",
		committed.Sub(dropped), synced.Sub(dropped), arrived.Sub(dropped))
	assert.GreaterOrEqual(t, synced.Sub(committed), replicaLag-100*time.Millisecond, "the replica did not lag as the hook says")
	assert.Less(t, arrived.Sub(synced), 1500*time.Millisecond, "the worker took the revision long after its replica had it (at a poll?)")
	assert.True(t, sawWanted, "/v1/status never showed the worker wanting the revision its replica lacked")
	assert.Greater(t, maxLag, 0.0, "depsync_replica_lag_revisions never went above 0 while the replica lagged")
	daemontest.Eventually(t, 10*time.Second, "the worker in step at the master's revision, lag 0", func() bool {
		ts := tenantsOf(worker)
		lag, ok := lagRevisions(worker)
		return len(ts) == 1 && ts[0].Revision >= want && ts[0].InStep && ok && lag == 0
	})
}

// TestE2EManagerCommitsThroughAWriteThroughReplica: a manager at the
// replica's site may use the write-through replica as its svn.url: its
// commit lands on the master, comes back to the replica by the master's
// hook, and reaches a worker reading from the replica.
func TestE2EManagerCommitsThroughAWriteThroughReplica(t *testing.T) {
	pair := svntest.NewExampleReplica(t)
	master, replica := pair.Master, pair.Replica
	bin := daemontest.Binary(t)
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker",
		Settings: siteSettings(t, replica.URL, svntest.ExampleWorker, replica.WorkerPassword, nil)})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", Peers: []string{worker.URL},
		Settings: siteSettings(t, replica.URL, svntest.ExampleManager, replica.Password, nil)})
	worker.SetPeers(t, manager.URL)
	apps := filepath.Join(manager.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Keeper_1.0.0.car", "Keeper", "1.0.0")
	manager.Start(t)
	worker.Start(t)
	daemontest.WaitReady(t, manager, time.Minute)
	daemontest.WaitReady(t, worker, time.Minute)

	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0")
	daemontest.Eventually(t, 30*time.Second, "the C-App on the worker", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", "App_1.0.0.car"))
		return err == nil && converged(t, manager, worker)()
	})
	assert.Equal(t, "svn", mode(t, manager), "the manager commits through the replica, it does not push")
	assert.Contains(t, master.SVN(t, "ls", "-R", master.URL), "App_1.0.0.car", "the commit through the replica is on the master")
	assert.Contains(t, master.SVN(t, "log", "-q", master.URL), "| "+svntest.ExampleManager+" |")
	daemontest.Eventually(t, 10*time.Second, "the replica at the master's revision", func() bool {
		return replica.Youngest(t) == master.Youngest(t)
	})
}

// siteSettings are a node's settings for the example server at url, as
// user, with its password in a file: fast but for extra.
func siteSettings(t *testing.T, url, user, password string, extra map[string]any) map[string]any {
	t.Helper()
	s := exampleSVNSettings(t, url, user, password)
	maps.Copy(s, fast)
	maps.Copy(s, extra)
	return s
}

// exampleSVNSettings are the svn settings of a node of the example server
// at url, as user, with its password in a file.
func exampleSVNSettings(t testing.TB, url, user, password string) map[string]any {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "svn-password")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"svn.url": url, "svn.username": user, "svn.password_file": pw,
		// The test's CAs are not in the system's store the daemons' svn reads.
		"svn.trust_server_cert": true}
}

// tenantsOf is n's /v1/status tenants (none if it does not answer).
func tenantsOf(n *daemontest.Node) []api.TenantStatus {
	var s api.Status
	if _, err := n.Get("/v1/status", &s); err != nil {
		return nil
	}
	return s.Tenants
}

var lagLine = regexp.MustCompile(`(?m)^depsync_replica_lag_revisions\{[^}]*\} (\S+)$`)

// lagRevisions is n's depsync_replica_lag_revisions (of its one tenant).
func lagRevisions(n *daemontest.Node) (float64, bool) {
	m := lagLine.FindStringSubmatch(metricsOf(n))
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}
