package daemontest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// SuperTenant is the id of Carbon's super tenant, whose artifacts are the
// deployment directory itself; every node syncs it.
const SuperTenant = -1234

// TenantDir is where tenant id's artifacts live on n: the deployment
// directory for the super tenant, repository/tenants/<id> for the others.
func TenantDir(n *Node, id int) string {
	if id == SuperTenant {
		return n.Dir
	}
	return filepath.Join(n.Home, "repository", "tenants", strconv.Itoa(id))
}

// Tenants is a manager and a worker over Apache mod_dav_svn (default
// settings, so poll_interval 5s) syncing several tenants, each of which
// holds one small valid C-App in its carbonapps on the manager: the set-up
// of issue 14's benchmarks, shared by syncer's and e2e's.
type Tenants struct {
	SVN             *svntest.Server
	Manager, Worker *Node
	// IDs are the tenants synced, the super tenant first.
	IDs []int

	src string // where the C-Apps are built before they are dropped
}

// NewTenants writes the configs of a manager and a worker with n tenants
// (the super tenant and tenants 1 to n-1) and each tenant's C-App on the
// manager; Start runs them. carbon.tenants is the list 1..n-1 unless
// settings set it (e.g. to "all"); settings may set any other key too.
func NewTenants(t testing.TB, bin string, n int, settings map[string]any) *Tenants {
	t.Helper()
	if n < 1 {
		t.Fatalf("daemontest: %d tenants: want at least the super tenant", n)
	}
	c := &Tenants{SVN: svntest.New(t, svntest.HTTP), IDs: []int{SuperTenant}, src: t.TempDir()}
	ids := make([]int, 0, n-1)
	for id := 1; id < n; id++ {
		ids = append(ids, id)
	}
	c.IDs = append(c.IDs, ids...)
	all := map[string]any{"carbon.tenants": ids}
	for k, v := range settings {
		all[k] = v
	}
	c.Worker = NewNode(t, bin, Config{Name: "worker", Role: "worker", SVN: c.SVN, Settings: all})
	c.Manager = NewNode(t, bin, Config{Name: "manager", Role: "manager", SVN: c.SVN,
		Peers: []string{c.Worker.URL}, Settings: all})
	for _, id := range c.IDs {
		name := TenantApp(id)
		Drop(t, c.capp(t, name), filepath.Join(TenantDir(c.Manager, id), "carbonapps"), name+"_1.0.0.car")
	}
	return c
}

// TenantApp is the name of the C-App NewTenants gives tenant id.
func TenantApp(id int) string {
	if id == SuperTenant {
		return "TenantSuperApp"
	}
	return fmt.Sprintf("Tenant%dApp", id)
}

// capp builds a small valid C-App called name (version 1.0.0) and returns
// its path.
func (c *Tenants) capp(t testing.TB, name string) string {
	t.Helper()
	return testcapp.Write(t, c.src, name+"_1.0.0.car", name, "1.0.0", testcapp.Artifacts("api_"+strings.ToLower(name)))
}

// Start runs the manager and the worker and returns how long it took from
// their start until the worker held every tenant's C-App, byte for byte;
// then it waits until both are ready.
func (c *Tenants) Start(t testing.TB, timeout time.Duration) time.Duration {
	t.Helper()
	want := make([][]byte, len(c.IDs))
	for i, id := range c.IDs {
		data, err := os.ReadFile(filepath.Join(c.src, TenantApp(id)+"_1.0.0.car"))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = data
	}
	start := time.Now()
	c.Manager.Start(t)
	c.Worker.Start(t)
	next := 0 // every tenant before next is on the worker
	Eventually(t, timeout, fmt.Sprintf("the C-Apps of all %d tenants on the worker", len(c.IDs)), func() bool {
		for ; next < len(c.IDs); next++ {
			id := c.IDs[next]
			got, err := os.ReadFile(filepath.Join(TenantDir(c.Worker, id), "carbonapps", TenantApp(id)+"_1.0.0.car"))
			if err != nil || !bytes.Equal(got, want[next]) {
				return false
			}
		}
		return true
	})
	took := time.Since(start)
	WaitReady(t, c.Manager, 5*time.Minute)
	WaitReady(t, c.Worker, 5*time.Minute)
	return took
}

// Stop stops both daemons and the SVN server.
func (c *Tenants) Stop(t testing.TB) {
	t.Helper()
	c.Manager.Stop(t)
	c.Worker.Stop(t)
	c.SVN.Stop(t)
}

// Propagate drops a new small C-App called app into tenant id's carbonapps
// on the manager (written aside, then renamed in) and returns how long it
// took until the identical file was in the tenant's carbonapps on the
// worker. The tenant's folder need not exist yet: with carbon.tenants:
// all, this is how a tenant made at runtime arrives.
func (c *Tenants) Propagate(t testing.TB, id int, app string, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	src := c.capp(t, app)
	name := filepath.Base(src)
	start := time.Now()
	Drop(t, src, filepath.Join(TenantDir(c.Manager, id), "carbonapps"), name)
	return WaitIdentical(src, filepath.Join(TenantDir(c.Worker, id), "carbonapps", name), start, timeout)
}

// IdleWindow is how long an idle measurement lasts: BENCH_IDLE (a Go
// duration), 60s by default.
func IdleWindow(t testing.TB) time.Duration {
	t.Helper()
	s := os.Getenv("BENCH_IDLE")
	if s == "" {
		return time.Minute
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("BENCH_IDLE=%q: want a positive duration such as 60s", s)
	}
	return d
}
