//go:build linux

package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
)

// replicaRows (issue 29) time a C-App from the manager, which commits to
// the master, to a worker that reads from a write-through replica fed by
// the master's post-commit hook (examples/svn), with the hook running
// svnsync at once and 2 s late, each against the same path by hand: svn
// commit on the master, wait for the replica to have the revision, svn
// update from the replica.
func replicaRows(b *testing.B, bin string, t *table, src string, trials int) {
	if _, err := exec.LookPath("svnsync"); err != nil {
		t.addNote("propagation 5 MB, worker on a replica", "all rows", "not measured: svnsync is not installed")
		return
	}
	for _, lag := range []time.Duration{0, 2 * time.Second} {
		group := "propagation 5 MB, replica 0 s behind (svnsync at once)"
		if lag > 0 {
			group = fmt.Sprintf("propagation 5 MB, replica %d s behind (the hook waits %d s)", int(lag.Seconds()), int(lag.Seconds()))
		}
		floor := t.add(group, "raw floor: svn commit on the master, wait for the replica, svn update from it", "",
			rawReplica(b, lag, src, trials))
		t.add(group, "depsync: manager on the master, worker on the replica", floor,
			depsyncReplica(b, bin, lag, src, trials))
	}
}

// rawReplica is the floor through a replica: svn commit in a working copy
// of the master, then, as soon as the replica has the revision (svnlook,
// every 10 ms), svn update of a working copy of the replica.
func rawReplica(b *testing.B, lag time.Duration, src string, trials int) stats {
	pair := svntest.NewExampleReplica(b)
	pair.SetSyncDelay(b, lag)
	a, c := b.TempDir(), b.TempDir()
	pair.Master.SVN(b, "checkout", "-q", pair.Master.URL, a)
	pair.Replica.SVN(b, "checkout", "-q", pair.Replica.URL, c)
	var ds []time.Duration
	for i := 0; i < trials; i++ {
		name := fmt.Sprintf("Raw%d_1.0.0.car", i)
		if err := daemontest.CopyFile(src, filepath.Join(a, name)); err != nil {
			b.Fatal(err)
		}
		settle()
		start := time.Now()
		pair.Master.SVN(b, "add", "-q", "--", filepath.Join(a, name))
		pair.Master.SVN(b, "commit", "-q", "-m", "raw", "--", a)
		rev := pair.Master.Youngest(b)
		for deadline := time.Now().Add(time.Minute); pair.Replica.Youngest(b) < rev; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("the replica lacks r%d a minute after its commit", rev)
			}
		}
		pair.Replica.SVN(b, "update", "-q", "--", c)
		ds = append(ds, time.Since(start))
	}
	return summarize(ds, nil)
}

// depsyncReplica times a drop on a manager committing to the master until
// the identical file is on a worker reading from the replica, both with
// default settings but the servers' credentials.
func depsyncReplica(b *testing.B, bin string, lag time.Duration, src string, trials int) stats {
	pair := svntest.NewExampleReplica(b)
	pair.SetSyncDelay(b, lag)
	worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker",
		Settings: exampleSVNSettings(b, pair.Replica.URL, svntest.ExampleWorker, pair.Replica.WorkerPassword)})
	manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", Peers: []string{worker.URL},
		Settings: exampleSVNSettings(b, pair.Master.URL, svntest.ExampleManager, pair.Master.Password)})
	return propagate(b, manager, worker, src, trials)
}
