package syncer_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
	"github.com/depsync/depsync/syncer"
)

// fast settings keep the end-to-end tests short.
var fast = map[string]any{
	"sync.debounce":     "100ms",
	"sync.max_delay":    "1s",
	"svn.poll_interval": "1s",
}

// pair starts a worker and a manager over a fresh Apache mod_dav_svn
// repository, after setup has prepared their directories.
func pair(t *testing.T, setup func(manager, worker *daemontest.Node)) (srv *svntest.Server, manager, worker *daemontest.Node) {
	t.Helper()
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv = svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	worker = daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: fast})
	manager = daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Peers: []string{worker.URL}, Settings: fast})
	// A worker names its manager (status, 409 replies) only when it is
	// one of its peers.
	worker.SetPeers(t, manager.URL)
	if setup != nil {
		setup(manager, worker)
	}
	manager.Start(t)
	worker.Start(t)
	waitReady(t, manager)
	waitReady(t, worker)
	return srv, manager, worker
}

func waitReady(t *testing.T, n *daemontest.Node) {
	t.Helper()
	daemontest.Eventually(t, time.Minute, n.Name+" /readyz", func() bool {
		code, err := n.Get("/readyz", nil)
		return err == nil && code == http.StatusOK
	})
}

func waitSame(t *testing.T, manager, worker *daemontest.Node, timeout time.Duration) {
	t.Helper()
	var why string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var ok bool
		if ok, why = sameSynced(manager.Dir, worker.Dir); ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("trees differ after %s: %s", timeout, why)
}

// sameSynced compares two trees leaving out what depsync never syncs.
func sameSynced(a, b string) (bool, string) {
	var cfg config.Config
	ta, err := daemontest.Tree(a)
	if err != nil {
		return false, err.Error()
	}
	tb, err := daemontest.Tree(b)
	if err != nil {
		return false, err.Error()
	}
	ignored := func(p string) bool {
		for _, part := range strings.Split(p, "/") {
			if cfg.Ignored(part) {
				return true
			}
		}
		return false
	}
	for p, h := range ta {
		if ignored(p) {
			continue
		}
		if hb, ok := tb[p]; !ok {
			return false, "missing in " + b + ": " + p
		} else if hb != h {
			return false, "differs: " + p
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok && !ignored(p) {
			return false, "extra in " + b + ": " + p
		}
	}
	return true, ""
}

func write(t *testing.T, dir, rel, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
}

func status(t *testing.T, n *daemontest.Node) syncer.Status {
	t.Helper()
	var st syncer.Status
	code, err := n.Get("/v1/status", &st)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	return st
}

func TestE2EAddModifyDelete(t *testing.T) {
	_, manager, worker := pair(t, func(m, _ *daemontest.Node) {
		// Files there before the manager's first start are committed.
		write(t, m.Dir, "synapse-configs/default/api/pre existing.xml", "<api name=\"pre\"/>\n")
	})
	waitSame(t, manager, worker, 30*time.Second)

	apps := filepath.Join(manager.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(apps, 0o755))
	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0")
	testcapp.Write(t, apps, "Ünï @cøde_1.0.0.car", "Unicode", "1.0.0")
	write(t, manager.Dir, "synapse-configs/default/api/with space@at.xml", "<api name=\"a\"/>\n")
	write(t, manager.Dir, "synapse-configs/default/local-entries/ünïcode/deep/e.xml", "<localEntry key=\"e\"/>\n")
	write(t, manager.Dir, "carbonapps/ignored.tmp", "never synced")
	write(t, manager.Dir, "carbonapps/.hidden.car.part", "never synced")
	start := time.Now()
	waitSame(t, manager, worker, 30*time.Second)
	t.Logf("add propagated in %s", time.Since(start))
	_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", "ignored.tmp"))
	assert.ErrorIs(t, err, os.ErrNotExist, "ignored files must not be synced")

	// Modify: a new version of a C-App and an XML file.
	testcapp.Write(t, apps, "App_1.0.0.car", "App", "1.0.0", testcapp.Artifacts("api_b"))
	write(t, manager.Dir, "synapse-configs/default/api/with space@at.xml", "<api name=\"a2\"/>\n")
	waitSame(t, manager, worker, 30*time.Second)

	// Delete a file and a whole directory.
	require.NoError(t, os.Remove(filepath.Join(apps, "Ünï @cøde_1.0.0.car")))
	require.NoError(t, os.RemoveAll(filepath.Join(manager.Dir, "synapse-configs", "default", "local-entries")))
	waitSame(t, manager, worker, 30*time.Second)
	// The trees compare files: the folder itself goes in the same update,
	// a moment after its files.
	daemontest.Eventually(t, 10*time.Second, "the deleted folder gone on the worker", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, "synapse-configs", "default", "local-entries"))
		return errors.Is(err, os.ErrNotExist)
	})

	st := status(t, manager)
	assert.Equal(t, "manager", st.Role)
	assert.Equal(t, "svn", st.Mode)
	require.Len(t, st.Tenants, 1)
	assert.Equal(t, -1234, st.Tenants[0].ID)
	assert.Positive(t, st.Tenants[0].Revision)
	require.Len(t, st.Peers, 1)
	assert.True(t, st.Peers[0].Up)
	daemontest.Eventually(t, 10*time.Second, "worker at the manager's revision", func() bool {
		return status(t, worker).Tenants[0].Revision >= st.Tenants[0].Revision
	})
	assert.Equal(t, manager.URL, status(t, worker).Manager)

	// A clean stop exits 0.
	assert.Equal(t, 0, worker.Stop(t))
	assert.Equal(t, 0, manager.Stop(t))
	if t.Failed() {
		return
	}
	for _, n := range []*daemontest.Node{manager, worker} {
		assert.NotContains(t, n.Logs(), daemontest.Token, "the token must never be logged")
	}
}

// svnLog returns the repository's log, verbose, as text.
func svnLog(t *testing.T, srv *svntest.Server) string {
	t.Helper()
	return srv.SVN(t, "log", "-v", srv.URL)
}

func TestE2ESlowCAppIsCommittedWhole(t *testing.T) {
	srv, manager, worker := pair(t, nil)
	src := testcapp.Write(t, t.TempDir(), "Big_1.0.0.car", "Big", "1.0.0", testcapp.Pad(100<<20))
	data, err := os.ReadFile(src)
	require.NoError(t, err)

	// The observer opens the C-App on the worker whenever it is there: it
	// must never be anything but the whole file.
	dst := filepath.Join(worker.Dir, "carbonapps", "Big_1.0.0.car")
	stop := make(chan struct{})
	partial := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if fi, err := os.Stat(dst); err == nil && fi.Size() != int64(len(data)) {
				select {
				case partial <- fmt.Sprintf("worker had %d of %d bytes", fi.Size(), len(data)):
				default:
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	// Copy it in place like a slow cp: 4 MB every 250 ms, longer than
	// the quiet time, so the manager sees a "stable" file several times.
	dir := filepath.Join(manager.Dir, "carbonapps")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	f, err := os.Create(filepath.Join(dir, "Big_1.0.0.car"))
	require.NoError(t, err)
	const chunk = 4 << 20
	for off := 0; off < len(data); off += chunk {
		_, err := f.Write(data[off:min(off+chunk, len(data))])
		require.NoError(t, err)
		time.Sleep(250 * time.Millisecond)
	}
	require.NoError(t, f.Close())
	waitSame(t, manager, worker, time.Minute)
	close(stop)
	select {
	case msg := <-partial:
		t.Fatal(msg)
	default:
	}
	// Committed once, whole.
	assert.Equal(t, 1, strings.Count(svnLog(t, srv), "/-1234/carbonapps/Big_1.0.0.car"), "the C-App must be committed exactly once")
}

func TestE2EInvalidCAppIsNotCommitted(t *testing.T) {
	srv, manager, worker := pair(t, nil)
	write(t, manager.Dir, "carbonapps/Bad_1.0.0.car", "this is not a zip, whatever its name says")
	write(t, manager.Dir, "carbonapps/good.xml", "<x/>")
	daemontest.Eventually(t, 20*time.Second, "the invalid C-App in /v1/status", func() bool {
		st := status(t, manager)
		return len(st.Tenants[0].Rejected) == 1
	})
	rej := status(t, manager).Tenants[0].Rejected[0]
	assert.Equal(t, "carbonapps/Bad_1.0.0.car", rej.Path)
	assert.Equal(t, "not_zip", rej.Reason)
	assert.NotEmpty(t, rej.Error)
	daemontest.Eventually(t, 20*time.Second, "the valid file on the worker", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", "good.xml"))
		return err == nil
	})
	_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", "Bad_1.0.0.car"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NotContains(t, svnLog(t, srv), "Bad_1.0.0.car")

	resp, err := http.Get(manager.URL + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Contains(t, string(body), `depsync_rejected_files_total{reason="not_zip",tenant="-1234"} 1`)
	assert.Contains(t, string(body), `depsync_sync_operations_total{op="commit",result="success",tenant="-1234"}`)

	// Fixed: it is looked at again and committed.
	testcapp.Write(t, filepath.Join(manager.Dir, "carbonapps"), "Bad_1.0.0.car", "Bad", "1.0.0")
	waitSame(t, manager, worker, 20*time.Second)
	assert.Empty(t, status(t, manager).Tenants[0].Rejected)
}

func TestE2EWorkerLocalChangesAreBackedUp(t *testing.T) {
	_, manager, worker := pair(t, func(m, w *daemontest.Node) {
		write(t, m.Dir, "synapse-configs/default/api/a.xml", "<api name=\"manager\"/>\n")
		write(t, m.Dir, "carbonapps/keep.xml", "<keep/>\n")
		// The worker's directory is not a working copy yet and holds a
		// different a.xml and a file of its own.
		write(t, w.Dir, "synapse-configs/default/api/a.xml", "<api name=\"worker's own\"/>\n")
		write(t, w.Dir, "worker-only.txt", "mine\n")
	})
	daemontest.Eventually(t, 30*time.Second, "the worker's checkout", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, "carbonapps", "keep.xml"))
		return err == nil
	})
	backups := func() map[string]string {
		out := map[string]string{}
		root := filepath.Join(worker.StateDir, "overwritten")
		// What cannot be read (no folder yet, a temporary file renamed
		// meanwhile) is no backup yet.
		require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				data, err := os.ReadFile(p)
				if err != nil {
					return nil
				}
				rel, err := filepath.Rel(root, p)
				require.NoError(t, err)
				out[filepath.ToSlash(rel)] = string(data)
			}
			return nil
		}))
		return out
	}
	hasBackup := func(suffix, content string) bool {
		for p, c := range backups() {
			if strings.HasSuffix(p, "/"+suffix) && c == content {
				return true
			}
		}
		return false
	}
	daemontest.Eventually(t, 10*time.Second, "the backup of the worker's own a.xml (in-place checkout)", func() bool {
		return hasBackup("synapse-configs/default/api/a.xml", "<api name=\"worker's own\"/>\n")
	})
	data, err := os.ReadFile(filepath.Join(worker.Dir, "worker-only.txt"))
	require.NoError(t, err, "a file only the worker has stays")
	assert.Equal(t, "mine\n", string(data))
	require.NoError(t, os.Remove(filepath.Join(worker.Dir, "worker-only.txt")))
	waitSame(t, manager, worker, 30*time.Second)

	// A local edit on the worker, then a change on the manager.
	write(t, worker.Dir, "synapse-configs/default/api/a.xml", "<api name=\"hot fix\"/>\n")
	write(t, manager.Dir, "synapse-configs/default/api/a.xml", "<api name=\"manager v2\"/>\n")
	// And an unversioned file in the way of an incoming one.
	write(t, worker.Dir, "carbonapps/incoming.xml", "<worker/>\n")
	write(t, manager.Dir, "carbonapps/incoming.xml", "<manager/>\n")
	waitSame(t, manager, worker, 30*time.Second)
	daemontest.Eventually(t, 10*time.Second, "backups of the worker's edits", func() bool {
		return hasBackup("synapse-configs/default/api/a.xml", "<api name=\"hot fix\"/>\n") &&
			hasBackup("carbonapps/incoming.xml", "<worker/>\n")
	})
	clean(t, worker.Dir)
}

// clean fails unless svn status shows no local change in dir (files only
// the node has, unversioned, are fine). The node's daemon may be running an
// svn command of its own on dir meanwhile (its drift look, a poll's
// update): a working copy it holds locked for that moment shows "L" and is
// asked again, for 10 s at most.
func clean(t *testing.T, dir string) {
	t.Helper()
	var out []byte
	dirty := func() bool {
		var err error
		out, err = exec.Command("svn", "status", "--", dir).CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" && !strings.HasPrefix(line, "?") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); dirty(); {
		if time.Now().After(deadline) || !locked(out) {
			t.Errorf("working copy %s not clean:\n%s", dir, out)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// locked reports whether every line svn status printed other than an
// unversioned file's is only a working-copy lock (column 3 "L").
func locked(status []byte) bool {
	for _, line := range strings.Split(strings.TrimSpace(string(status)), "\n") {
		if line == "" || strings.HasPrefix(line, "?") {
			continue
		}
		if len(line) < 3 || strings.TrimSpace(line[:2]) != "" || line[2] != 'L' {
			return false
		}
	}
	return true
}

func TestE2EWorkerKilledDuringUpdateConverges(t *testing.T) {
	_, manager, worker := pair(t, nil)
	// Enough to update for a while: many files and a big C-App.
	for i := 0; i < 300; i++ {
		write(t, manager.Dir, fmt.Sprintf("synapse-configs/default/api/g%d/api%03d.xml", i/50, i), fmt.Sprintf("<api n=\"%d\"/>\n", i))
	}
	testcapp.Write(t, filepath.Join(manager.Dir), "Big_1.0.0.car", "Big", "1.0.0", testcapp.Pad(30<<20))
	// Kill the worker as soon as the update has started writing.
	daemontest.Eventually(t, 30*time.Second, "the worker's update to start", func() bool {
		_, err := os.Stat(filepath.Join(worker.Dir, "synapse-configs"))
		return err == nil
	})
	worker.Kill(t)
	worker.Start(t)
	waitSame(t, manager, worker, time.Minute)
	daemontest.Eventually(t, 10*time.Second, "clean working copies", func() bool { return wcClean(worker.Dir) && wcClean(manager.Dir) })
}

func wcClean(dir string) bool {
	out, err := exec.Command("svn", "status", "--", dir).CombinedOutput()
	return err == nil && strings.TrimSpace(string(out)) == ""
}

func TestE2EStaleLockIsCleaned(t *testing.T) {
	srv, manager, worker := pair(t, nil)
	write(t, manager.Dir, "a.xml", "<a/>\n")
	waitSame(t, manager, worker, 30*time.Second)
	worker.Kill(t)
	for i := 0; i < 20; i++ {
		write(t, manager.Dir, fmt.Sprintf("more/f%02d.xml", i), strings.Repeat("x", 100000))
	}
	daemontest.Eventually(t, 30*time.Second, "the manager to commit", func() bool {
		return strings.Contains(svnLog(t, srv), "more/f19.xml")
	})
	// An svn killed mid-update leaves the working copy locked.
	locked := srv.LeaveStaleLock(t, worker.Dir)
	if !locked {
		svntest.Unsupported(t, "could not leave a stale lock on this machine")
	}
	worker.Start(t)
	waitSame(t, manager, worker, 30*time.Second)
	daemontest.Eventually(t, 10*time.Second, "a clean, unlocked working copy", func() bool { return wcClean(worker.Dir) })
	assert.Contains(t, worker.Logs(), "working copy locked; running cleanup")
}

// runOnce runs `depsync run --once` for a node and returns its exit code.
func runOnce(t *testing.T, n *daemontest.Node) (int, string) {
	t.Helper()
	cmd := exec.Command(n.Bin, "run", "--once", "--config", n.ConfigFile)
	cmd.Env = n.Env()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

func TestE2EOnce(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv, Settings: fast})
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: fast})

	require.NoError(t, os.MkdirAll(manager.Dir, 0o755))
	testcapp.Write(t, manager.Dir, "App_1.0.0.car", "App", "1.0.0")
	write(t, manager.Dir, "synapse-configs/default/api/a b.xml", "<api/>\n")
	code, out := runOnce(t, manager)
	require.Equal(t, 0, code, out)
	code, out = runOnce(t, worker)
	require.Equal(t, 0, code, out)
	ok, why := sameSynced(manager.Dir, worker.Dir)
	require.True(t, ok, why)

	// An invalid C-App fails the run (exit 1) and is not committed.
	write(t, manager.Dir, "Broken_1.0.0.car", "PK\x03\x04 truncated")
	code, out = runOnce(t, manager)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "invalid C-Apps not committed: Broken_1.0.0.car")
	assert.NotContains(t, svnLog(t, srv), "Broken")

	// Nothing to do is a success.
	require.NoError(t, os.Remove(filepath.Join(manager.Dir, "Broken_1.0.0.car")))
	code, out = runOnce(t, manager)
	assert.Equal(t, 0, code, out)
	code, out = runOnce(t, worker)
	assert.Equal(t, 0, code, out)
	assert.NotContains(t, out, srv.Password)
}

func TestE2EWrongPasswordFailsLoudly(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	n := daemontest.NewNode(t, daemontest.Binary(t), daemontest.Config{Name: "manager", Role: "manager", SVN: srv})
	for _, args := range [][]string{{"run"}, {"run", "--once"}} {
		cmd := exec.Command(n.Bin, append(args, "--config", n.ConfigFile)...)
		cmd.Env = append(n.Env(), "DEPSYNC_SVN_PASSWORD=wrong-password")
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			killErr := cmd.Process.Kill()
			<-done
			t.Fatalf("%v did not give up on a wrong password (killed: %v):\n%s", args, killErr, out)
		}
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%s", out)
		assert.Equal(t, 1, ee.ExitCode(), "%s", out)
		assert.Contains(t, string(out), "authentication failed")
		assert.NotContains(t, string(out), "wrong-password")
		assert.NotContains(t, string(out), srv.Password)
	}
}

func TestE2ETenants(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	settings := map[string]any{"carbon.tenants": []int{7}}
	for k, v := range fast {
		settings[k] = v
	}
	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: settings})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Peers: []string{worker.URL}, Settings: settings})
	manager.Start(t)
	worker.Start(t)
	tenantDir := func(n *daemontest.Node) string { return filepath.Join(n.Home, "repository", "tenants", "7") }
	write(t, tenantDir(manager), "synapse-configs/default/api/t.xml", "<api name=\"tenant 7\"/>\n")
	write(t, manager.Dir, "super.xml", "<super/>\n")
	daemontest.Eventually(t, 30*time.Second, "both tenants on the worker", func() bool {
		a, errA := os.ReadFile(filepath.Join(tenantDir(worker), "synapse-configs", "default", "api", "t.xml"))
		b, errB := os.ReadFile(filepath.Join(worker.Dir, "super.xml"))
		return errA == nil && errB == nil && string(a) == "<api name=\"tenant 7\"/>\n" && string(b) == "<super/>\n"
	})
	out := srv.SVN(t, "ls", "-R", srv.URL)
	assert.Contains(t, out, "7/synapse-configs/default/api/t.xml")
	assert.Contains(t, out, "-1234/super.xml")
	st := status(t, worker)
	require.Len(t, st.Tenants, 2)
	assert.Equal(t, 7, st.Tenants[1].ID)
	assert.Equal(t, srv.URL+"/7", st.Tenants[1].URL)
}

func TestE2ENoRepositoryAtURLIsExit2(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	srv := svntest.New(t, svntest.HTTP)
	n := daemontest.NewNode(t, daemontest.Binary(t), daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Settings: map[string]any{"svn.url": strings.TrimSuffix(srv.URL, "/repo") + "/no-such-repo"}})
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
	assert.Contains(t, string(out), "no repository at")
}
