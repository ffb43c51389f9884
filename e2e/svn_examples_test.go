//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestExampleSVNServers: a manager and a worker sync through svnserve and
// through Apache configured with the files of examples/svn, each node with
// the svn user its example config names (the manager's may write, the
// worker's only read): the authz file grants depsync what it needs. Both
// stay in svn mode, the worker reaches the manager's revision, and every
// revision is the manager's user's.
func TestExampleSVNServers(t *testing.T) {
	for _, kind := range []svntest.Kind{svntest.SVNServe, svntest.HTTP} {
		t.Run(string(kind), func(t *testing.T) {
			srv := svntest.NewExample(t, kind)
			bin := daemontest.Binary(t)
			settings := func(user, password string) map[string]any {
				pw := filepath.Join(t.TempDir(), "svn-password")
				require.NoError(t, os.WriteFile(pw, []byte(password+"\n"), 0o600))
				s := map[string]any{"svn.url": srv.URL, "svn.username": user, "svn.password_file": pw,
					// The test's CA is not in the system's store the daemons' svn reads.
					"svn.trust_server_cert": kind == svntest.HTTP}
				for k, v := range fast {
					s[k] = v
				}
				return s
			}
			w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker",
				Settings: settings(svntest.ExampleWorker, srv.WorkerPassword)})
			m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", Peers: []string{w.URL},
				Settings: settings(svntest.ExampleManager, srv.Password)})
			w.SetPeers(t, m.URL)
			apps := filepath.Join(m.Dir, "carbonapps")
			require.NoError(t, os.MkdirAll(apps, 0o755))
			testcapp.Write(t, apps, "A_1.0.0.car", "A", "1.0.0")
			testcapp.Write(t, apps, "B_1.0.0.car", "B", "1.0.0")
			m.Start(t)
			w.Start(t)

			revision := func(n *daemontest.Node) int64 {
				var s api.Status
				if _, err := n.Get("/v1/status", &s); err != nil || len(s.Tenants) == 0 {
					return -1
				}
				return s.Tenants[0].Revision
			}
			daemontest.Eventually(t, 60*time.Second, "the worker to hold the manager's C-Apps at its revision", func() bool {
				return converged(t, m, w)() && revision(m) > 0 && revision(w) == revision(m)
			})
			assert.Equal(t, "svn", mode(t, m), "the manager commits, it does not push")
			assert.Equal(t, "svn", mode(t, w))
			out := srv.SVN(t, "log", "-q", srv.URL)
			assert.Contains(t, out, "| "+svntest.ExampleManager+" |")
			assert.NotContains(t, out, svntest.ExampleWorker)
			out = srv.SVN(t, "ls", "-R", srv.URL)
			assert.Contains(t, out, "A_1.0.0.car")
		})
	}
}
