package daemontest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/svntest"
)

// SVNFirstSync is the floor under the first sync of n tenants: svn alone
// doing what any first sync with one working copy per tenant must do,
// batched as far as svn allows, over Apache mod_dav_svn like Tenants.
// On the manager: one mkdir of every tenant's folder, one checkout of them
// all, one add of every tenant's C-App, one commit; then, on the worker,
// one checkout of them all. It returns how long the five svn runs took,
// one after the other, without svn's wait for timestamps after each
// working copy (depsync waits once per run, not once per working copy).
func SVNFirstSync(t testing.TB, n int) time.Duration {
	t.Helper()
	srv := svntest.New(t, svntest.HTTP)
	defer srv.Stop(t)
	t.Setenv("SVN_I_LOVE_CORRUPTED_WORKING_COPIES_SO_DISABLE_SLEEP_FOR_TIMESTAMPS", "yes")
	root := t.TempDir()
	manager, worker := filepath.Join(root, "manager"), filepath.Join(root, "worker")
	c := &Tenants{src: filepath.Join(root, "src")}
	if err := os.Mkdir(c.src, 0o755); err != nil {
		t.Fatal(err)
	}
	urls := make([]string, n)
	adds := make([]string, n)
	for i := range n {
		id := i + 1
		urls[i] = srv.URL + "/tenants/" + strconv.Itoa(id)
		adds[i] = filepath.Join(manager, strconv.Itoa(id), "carbonapps")
	}
	for _, d := range []string{manager, worker} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The C-Apps are there before the start, as for Tenants.Start: the
	// checkout leaves them as they are, unversioned.
	for i, dir := range adds {
		app := c.capp(t, TenantApp(i+1))
		Drop(t, app, dir, filepath.Base(app))
	}
	start := time.Now()
	srv.SVN(t, append([]string{"mkdir", "--parents", "-m", "tenants"}, urls...)...)
	srv.SVN(t, append(append([]string{"checkout", "-q"}, urls...), manager)...)
	srv.SVN(t, append([]string{"add", "-q"}, adds...)...)
	srv.SVN(t, append([]string{"commit", "-q", "-m", "C-Apps"}, adds...)...)
	srv.SVN(t, append(append([]string{"checkout", "-q"}, urls...), worker)...)
	return time.Since(start)
}
