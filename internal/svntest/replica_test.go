package svntest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExampleReplica starts a master and a write-through replica with the
// files of examples/svn and checks that they do what the README's "Several
// sites" says: a commit through the replica lands on the master and comes
// back to the replica by the master's post-commit hook, after the hook's
// delay; nobody but the sync user writes into the replica's own
// repository, and svnsync-init.sh refuses a replica of another UUID.
func TestExampleReplica(t *testing.T) {
	p := NewExampleReplica(t)
	m, r := p.Master, p.Replica
	assert.Equal(t, output(t, "svnlook", "uuid", m.RepoPath), output(t, "svnlook", "uuid", r.RepoPath))

	// The manager commits through the replica: it is the master's revision.
	wc := filepath.Join(t.TempDir(), "wc")
	r.SVN(t, "checkout", r.URL, wc)
	require.NoError(t, os.WriteFile(filepath.Join(wc, "HelloWorld_1.0.0.car"), []byte("capp"), 0o644))
	r.SVN(t, "add", filepath.Join(wc, "HelloWorld_1.0.0.car"))
	r.SVN(t, "commit", "-m", "through the replica", wc)
	require.Equal(t, int64(1), m.Youngest(t), "the commit through the replica is on the master")
	waitYoungest(t, r.Server, 1, 10*time.Second)
	assert.Equal(t, "capp", r.SVN(t, "cat", r.URL+"/HelloWorld_1.0.0.car"))
	out, err := r.TrySVNAs(ExampleWorker, r.WorkerPassword, "cat", r.URL+"/HelloWorld_1.0.0.car")
	require.NoError(t, err, out)
	assert.Equal(t, "capp", out)
	assert.Contains(t, r.SVN(t, "log", "-q", "-r1", r.URL), "| "+ExampleManager+" |", "the replica's revision keeps its author")

	// With the hook's delay, the replica lags the master by at least that.
	p.SetSyncDelay(t, 2*time.Second)
	m.SVN(t, "mkdir", "-m", "on the master", m.URL+"/later")
	committed := time.Now()
	assert.Equal(t, int64(2), m.Youngest(t))
	waitYoungest(t, r.Server, 2, 15*time.Second)
	assert.GreaterOrEqual(t, time.Since(committed), 2*time.Second, "the replica had the revision before the hook's delay")

	// The replica's own repository takes svnsync's writes only.
	out, err = r.TrySVN("mkdir", "-m", "direct", p.SyncURL+"/direct")
	require.Error(t, err, "the manager's user must not write at /svn-sync:\n%s", out)
	assert.Regexp(t, `403 Forbidden|E175013|E170001|E215004|[Aa]uthoriz|Authentication failed`, out)
	out, err = r.TrySVN("mkdir", "-m", "direct", "file://"+r.RepoPath+"/direct")
	require.Error(t, err, "the replica's start-commit hook must refuse a commit but svnsync's:\n%s", out)
	assert.Contains(t, out, "read replica")
	out, err = r.TrySVN("propset", "--revprop", "-r1", "svn:log", "changed", "file://"+r.RepoPath)
	require.Error(t, err, "the replica's pre-revprop-change hook must refuse all but svnsync:\n%s", out)
	assert.Contains(t, out, "svnsync only")
	assert.Equal(t, int64(2), r.Youngest(t))

	// svnsync-init.sh checks the UUIDs before it starts anything.
	other := NewExample(t, HTTP)
	out, err = runInit(t, p.SyncURL, other.RepoPath, filepath.Join(t.TempDir(), "conf"), p.Replica.CACert, p.SyncPassword)
	require.Error(t, err, out)
	assert.Contains(t, out, "UUID")
}

func waitYoungest(t *testing.T, s *Server, rev int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for s.Youngest(t) < rev {
		if time.Now().After(deadline) {
			t.Fatalf("svntest: the replica has r%d, not r%d, after %v", s.Youngest(t), rev, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
