package syncer_test

import (
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

// downgradeWorkingCopy turns a working copy of svn 1.14 (format 31) into
// one of svn 1.8 (format 30), as an older client or Carbon's SVNKit leaves
// it: format 31 only added NODES.inherited_props.
func downgradeWorkingCopy(t *testing.T, wc string) {
	t.Helper()
	out, err := exec.Command("sqlite3", filepath.Join(wc, ".svn", "wc.db"),
		"ALTER TABLE NODES DROP COLUMN inherited_props; PRAGMA user_version = 30;").CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func wcFormat(t *testing.T, wc string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", filepath.Join(wc, ".svn", "wc.db"), "PRAGMA user_version;").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}

// TestOldFormatWorkingCopyIsUpgraded: a manager and a worker whose working
// copies Carbon's synchronizer left in an older format (svn refuses them
// with E155036) keep a copy of each under state_dir, upgrade them with svn
// upgrade, say so, and sync: the manager's pending C-App reaches the
// worker.
func TestOldFormatWorkingCopyIsUpgraded(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "svnserve", "sqlite3")
	srv := svntest.New(t, svntest.SVNServe)
	srv.SVN(t, "mkdir", "--parents", "-m", "Carbon's layout", srv.URL+"/-1234/carbonapps")
	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
	w.SetPeers(t, m.URL)
	for _, n := range []*daemontest.Node{m, w} {
		require.NoError(t, os.MkdirAll(filepath.Dir(n.Dir), 0o755))
		srv.SVN(t, "checkout", "--quiet", srv.URL+"/-1234", n.Dir)
		downgradeWorkingCopy(t, n.Dir)
		out, err := srv.TrySVN("info", n.Dir)
		require.Error(t, err)
		require.Contains(t, out, "E155036", "svn refuses the working copy as it is")
	}
	app := testcapp.Write(t, filepath.Join(m.Dir, "carbonapps"), "Pending_1.0.0.car", "Pending", "1.0.0")

	m.Start(t)
	w.Start(t)
	_, err := daemontest.WaitIdentical(app, filepath.Join(w.Dir, "carbonapps", "Pending_1.0.0.car"), time.Now(), time.Minute)
	require.NoError(t, err)
	for _, n := range []*daemontest.Node{m, w} {
		assert.Equal(t, "31", wcFormat(t, n.Dir), "%s upgraded", n.Name)
		copies, err := filepath.Glob(filepath.Join(n.StateDir, "upgraded", "*", "tenant-1234"))
		require.NoError(t, err)
		require.Len(t, copies, 1, "%s keeps one copy of its working copy as it was", n.Name)
		assert.Equal(t, "30", wcFormat(t, copies[0]), "the copy is as it was")
		assert.Contains(t, n.Logs(), "upgraded with svn upgrade")
		if n == m {
			assert.FileExists(t, filepath.Join(copies[0], "carbonapps", "Pending_1.0.0.car"), "the manager's copy holds its pending C-App")
		}
	}
}
