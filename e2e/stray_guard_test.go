//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// TestStraysKeptWhileTheManagerHoldsDeletions: a C-App only the worker
// holds (pushed in direct mode, not yet in the repository) goes once the
// manager, in svn mode, says it does not hold it. While the manager holds
// deletions (its carbonapps moved away, or emptied), what it lacks is no
// such word: the worker keeps the C-App, however many updates come
// meanwhile, and drops it (with a copy) once the manager's files are back.
// A worker without peers, which cannot ask, learns the holds from the
// notices.
// Found by chaos: a manager back from an SVN outage with its carbonapps
// moved away had the worker drop the C-Apps pushed during the outage.
func TestStraysKeptWhileTheManagerHoldsDeletions(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	bin := daemontest.Binary(t)
	for _, tc := range []struct {
		name       string
		away, back func(apps, aside string) // aside: outside the deployment directory
		peerless   bool                     // a worker that cannot ask: it goes by the notices
	}{
		{
			name: "carbonapps moved away",
			away: func(apps, aside string) { require.NoError(t, os.Rename(apps, aside)) },
			back: func(apps, aside string) { require.NoError(t, os.Rename(aside, apps)) },
		},
		{
			name: "carbonapps emptied",
			away: func(apps, aside string) {
				require.NoError(t, os.Rename(filepath.Join(apps, "Kept_1.0.0.car"), aside))
			},
			back: func(apps, aside string) {
				require.NoError(t, os.Rename(aside, filepath.Join(apps, "Kept_1.0.0.car")))
			},
		},
		{
			name:     "carbonapps moved away, worker without peers",
			away:     func(apps, aside string) { require.NoError(t, os.Rename(apps, aside)) },
			back:     func(apps, aside string) { require.NoError(t, os.Rename(aside, apps)) },
			peerless: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := svntest.New(t, svntest.HTTP)
			w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
			m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL}, Settings: fast})
			if !tc.peerless {
				w.SetPeers(t, m.URL)
			}
			apps := filepath.Join(m.Dir, "carbonapps")
			require.NoError(t, os.MkdirAll(apps, 0o755))
			testcapp.Write(t, apps, "Kept_1.0.0.car", "Kept", "1.0.0")
			m.Start(t)
			w.Start(t)
			daemontest.Eventually(t, 60*time.Second, "first sync", converged(t, m, w))

			aside := filepath.Join(m.Home, "aside")
			tc.away(apps, aside)
			daemontest.Eventually(t, 20*time.Second, "the manager to show the hold", func() bool {
				return len(held(t, m).HeldDeletions) == 1
			})
			// Pushed through the API, as in direct mode (by hand it would
			// be drift, put back at the next poll).
			stray := filepath.Join(w.Dir, "carbonapps", "Stray_1.0.0.car")
			src := testcapp.Write(t, t.TempDir(), filepath.Base(stray), "Stray", "1.0.0")
			push := exec.Command(bin, "--config", w.ConfigFile, "capp", "push", src, "--node", w.URL, "--via", "direct", "--force")
			push.Env = w.Env()
			out, err := push.CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.FileExists(t, stray)
			// Updates keep coming: changes elsewhere on the manager.
			api := filepath.Join("synapse-configs", "default", "api", "a.xml")
			change := func(body string) {
				t.Helper()
				require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(m.Dir, api)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(m.Dir, api), []byte(body), 0o644))
				daemontest.Eventually(t, 20*time.Second, "the change to reach the worker", func() bool {
					got, err := os.ReadFile(filepath.Join(w.Dir, api))
					return err == nil && string(got) == body
				})
			}
			for i := range 3 {
				change(fmt.Sprintf("<api name=\"a%d\"/>", i))
			}
			assert.FileExists(t, stray, "the worker dropped a C-App while the manager held deletions")
			assert.FileExists(t, filepath.Join(w.Dir, "carbonapps", "Kept_1.0.0.car"))

			tc.back(apps, aside)
			daemontest.Eventually(t, 20*time.Second, "the hold to clear", func() bool {
				return len(held(t, m).HeldDeletions) == 0
			})
			change("<api name=\"back\"/>")
			daemontest.Eventually(t, 30*time.Second, "the stray to go once the manager can say", func() bool {
				_, err := os.Stat(stray)
				return os.IsNotExist(err)
			})
			assert.FileExists(t, filepath.Join(w.Dir, "carbonapps", "Kept_1.0.0.car"))
		})
	}
}
