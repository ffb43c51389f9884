//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/tcpproxy"
	"github.com/depsync/depsync/internal/testcapp"
)

// watchPresence checks every 100 ms that path exists until stop is
// called, and returns how many checks found it absent.
func watchPresence(path string) (stop func() int64) {
	var absent atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := os.Stat(path); err != nil {
					absent.Add(1)
				}
			}
		}
	}()
	return func() int64 { close(done); wg.Wait(); return absent.Load() }
}

// TestSplitBrainManagerOnlySVNOutage: the manager alone loses its route
// to SVN (a proxy in front of the server, for it only) and pushes
// During_1.0.0.car to the worker in direct mode. The worker, which still
// reaches SVN, is restarted meanwhile: it must not drop the C-App as one
// the repository does not hold. Once SVN is back for the manager, the
// C-App is in the repository and the worker's working copy is clean.
func TestSplitBrainManagerOnlySVNOutage(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	hostport := strings.SplitN(strings.TrimPrefix(srv.URL, "http://"), "/", 2)
	require.Len(t, hostport, 2)
	proxy, err := tcpproxy.New(hostport[0])
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	viaProxy := "http://" + proxy.Addr() + "/" + hostport[1]

	bin := daemontest.Binary(t)
	w := daemontest.NewNode(t, bin, daemontest.Config{Name: "w", Role: "worker", SVN: srv, Settings: fast})
	settings := map[string]any{"svn.url": viaProxy}
	for k, v := range fast {
		settings[k] = v
	}
	m := daemontest.NewNode(t, bin, daemontest.Config{Name: "m", Role: "manager", SVN: srv, Peers: []string{w.URL},
		Settings: settings})
	w.SetPeers(t, m.URL)
	apps := filepath.Join(m.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "Before_1.0.0.car", "Before", "1.0.0")
	m.Start(t)
	w.Start(t)
	daemontest.Eventually(t, 60*time.Second, "first sync over SVN", converged(t, m, w))
	require.Equal(t, "svn", mode(t, m))

	proxy.Cut()
	daemontest.Eventually(t, 60*time.Second, "the manager alone to fall back to direct mode", func() bool {
		return mode(t, m) == "direct"
	})
	testcapp.Write(t, apps, "During_1.0.0.car", "During", "1.0.0")
	during := filepath.Join(w.Dir, "carbonapps", "During_1.0.0.car")
	daemontest.Eventually(t, 60*time.Second, "the worker to receive During by direct push", converged(t, m, w))
	stop := watchPresence(during)

	// The worker restarts during the outage and updates from SVN, which
	// does not hold During.
	w.Kill(t)
	w.Start(t)
	daemontest.WaitReady(t, w, 60*time.Second)
	time.Sleep(5 * time.Second) // a few polls and updates of the worker
	assert.Contains(t, w.Logs(), "C-Apps the repository does not hold kept on this worker")

	proxy.Restore()
	daemontest.Eventually(t, 90*time.Second, "svn mode again, During in the repository, clean working copies", func() bool {
		if mode(t, m) != "svn" {
			return false
		}
		if _, err := srv.TrySVN("info", srv.URL+"/-1234/carbonapps/During_1.0.0.car"); err != nil {
			return false
		}
		if ok, _ := daemontest.SameTree(m.Dir, w.Dir); !ok {
			return false
		}
		clean, _ := cleanWC(m.Dir, w.Dir)
		return clean
	})
	time.Sleep(2 * time.Second) // the worker's update after the commit, and its strays check
	absent := stop()
	assert.Zero(t, absent, "During_1.0.0.car was absent from the worker in %d checks (every 100 ms)", absent)
	_, err = os.Stat(during)
	require.NoError(t, err)
	clean, why := cleanWC(w.Dir)
	assert.True(t, clean, why)
}
