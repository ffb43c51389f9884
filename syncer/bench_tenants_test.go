package syncer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
)

// tenantsPair starts a manager and a worker over Apache mod_dav_svn with
// the super tenant and n-1 more (poll_interval 5s, the default), each
// tenant holding one small file on the manager, and returns them once the
// worker holds every tenant's file, with how long that took.
func tenantsPair(b *testing.B, n int) (manager, worker *daemontest.Node, firstSync time.Duration) {
	b.Helper()
	bin := daemontest.Binary(b)
	srv := svntest.New(b, svntest.HTTP)
	ids := make([]int, 0, n-1)
	for id := 1; id < n; id++ {
		ids = append(ids, id)
	}
	settings := map[string]any{"carbon.tenants": ids}
	worker = daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: settings})
	manager = daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		Peers: []string{worker.URL}, Settings: settings})
	dir := func(node *daemontest.Node, id int) string {
		if id == 0 {
			return node.Dir
		}
		return filepath.Join(node.Home, "repository", "tenants", strconv.Itoa(id))
	}
	rel := filepath.Join("synapse-configs", "default", "api", "t.xml")
	for id := 0; id < n; id++ {
		p := filepath.Join(dir(manager, id), rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("<api name=\"t%d\"/>\n", id)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	manager.Start(b)
	worker.Start(b)
	daemontest.Eventually(b, 10*time.Minute, "every tenant on the worker", func() bool {
		for id := 0; id < n; id++ {
			if _, err := os.Stat(filepath.Join(dir(worker, id), rel)); err != nil {
				return false
			}
		}
		return true
	})
	firstSync = time.Since(start)
	daemontest.WaitReady(b, manager, 5*time.Minute)
	daemontest.WaitReady(b, worker, 5*time.Minute)
	return manager, worker, firstSync
}

// idleCPU measures the CPU of each node with its svn children (percent of a
// core) over window, and its RSS in MB at the end.
func idleCPU(b *testing.B, window time.Duration, nodes ...*daemontest.Node) (cpu, rss []float64) {
	b.Helper()
	before := make([]int64, len(nodes))
	for i, n := range nodes {
		_, all, _, err := procStat(n.Pid())
		if err != nil {
			b.Fatal(err)
		}
		before[i] = all
	}
	time.Sleep(window)
	const hz = 100 // USER_HZ
	for i, n := range nodes {
		_, all, kb, err := procStat(n.Pid())
		if err != nil {
			b.Fatal(err)
		}
		cpu = append(cpu, float64(all-before[i])/hz/window.Seconds()*100)
		rss = append(rss, float64(kb)/1024)
	}
	return cpu, rss
}

// BenchmarkTenantsIdle: idle CPU of the manager and the worker, each with
// its svn children, with 1 and with 100 tenants, in one run (issue 14: the
// idle cost must not depend on the number of tenants). BENCH_IDLE sets the
// window (default 20s).
func BenchmarkTenantsIdle(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	window := 20 * time.Second
	if s := os.Getenv("BENCH_IDLE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("BENCH_IDLE: %v", err)
		}
		window = d
	}
	measure := func(n int) (cpu, rss []float64) {
		manager, worker, _ := tenantsPair(b, n)
		defer manager.Stop(b)
		defer worker.Stop(b)
		time.Sleep(2 * time.Second) // let start-up settle
		return idleCPU(b, window, manager, worker)
	}
	cpu1, rss1 := measure(1)
	cpu100, rss100 := measure(100)
	b.ReportMetric(0, "ns/op")
	for i, name := range []string{"manager", "worker"} {
		ratio := cpu100[i] / max(cpu1[i], 0.01)
		b.ReportMetric(cpu1[i], name+"-cpu-1-tenant-%")
		b.ReportMetric(cpu100[i], name+"-cpu-100-tenants-%")
		b.ReportMetric(rss100[i], name+"-rss-100-tenants-MB")
		b.Logf("%s idle over %s, with its svn children: 1 tenant %.2f%% of a core (RSS %.1f MB), 100 tenants %.2f%% (RSS %.1f MB): %.2fx (race detector: %v)",
			name, window, cpu1[i], rss1[i], cpu100[i], rss100[i], ratio, raceEnabled)
	}
}

// BenchmarkTenantsFirstSync: the first sync of 10 and of 100 tenants (one
// small file each) on both nodes, from the start of the daemons to the
// worker holding every tenant's file, in one run.
func BenchmarkTenantsFirstSync(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	measure := func(n int) time.Duration {
		manager, worker, d := tenantsPair(b, n)
		manager.Stop(b)
		worker.Stop(b)
		return d
	}
	d10 := measure(10)
	d100 := measure(100)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(d10.Seconds(), "10-tenants-s")
	b.ReportMetric(d100.Seconds(), "100-tenants-s")
	b.ReportMetric(d100.Seconds()/d10.Seconds(), "x-10-tenants")
	b.Logf("first sync on both nodes: 10 tenants %.1f s, 100 tenants %.1f s: %.2fx (race detector: %v)",
		d10.Seconds(), d100.Seconds(), d100.Seconds()/d10.Seconds(), raceEnabled)
}
