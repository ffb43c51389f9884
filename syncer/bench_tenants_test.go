package syncer_test

import (
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
)

// tenantsPair starts a manager and a worker over Apache mod_dav_svn with
// the super tenant and n-1 more (poll_interval 5s, the default), each
// tenant holding one small C-App on the manager, and returns them once the
// worker holds every tenant's C-App, with how long that took.
func tenantsPair(b *testing.B, n int) (*daemontest.Tenants, time.Duration) {
	b.Helper()
	c := daemontest.NewTenants(b, daemontest.Binary(b), n, nil)
	return c, c.Start(b, 10*time.Minute)
}

// BenchmarkTenantsIdle: idle CPU of the manager and the worker, each with
// its svn children, with 1 and with 100 tenants, in one run (issue 14: the
// idle cost must not depend on the number of tenants). BENCH_IDLE sets the
// window (default 60s).
func BenchmarkTenantsIdle(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	window := daemontest.IdleWindow(b)
	measure := func(n int) []daemontest.Idle {
		c, _ := tenantsPair(b, n)
		defer c.Stop(b)
		time.Sleep(5 * time.Second) // let start-up settle: one poll interval
		return daemontest.MeasureIdle(b, window, c.Manager, c.Worker)
	}
	one := measure(1)
	hundred := measure(100)
	b.ReportMetric(0, "ns/op")
	for i, name := range []string{"manager", "worker"} {
		ratio := hundred[i].CPU / max(one[i].CPU, 0.01)
		b.ReportMetric(one[i].CPU, name+"-cpu-1-tenant-%")
		b.ReportMetric(hundred[i].CPU, name+"-cpu-100-tenants-%")
		b.ReportMetric(hundred[i].RSSMB, name+"-rss-100-tenants-MB")
		b.ReportMetric(ratio, name+"-cpu-x-1-tenant")
		b.Logf("%s idle: 1 tenant: %s; 100 tenants: %s; %.2fx (race detector: %v)",
			name, one[i], hundred[i], ratio, raceEnabled)
	}
}

// BenchmarkTenantsFirstSync: the first sync of 10 and of 100 tenants (one
// small C-App each) on both nodes, from the start of the daemons to the
// worker holding every tenant's C-App, in one run.
func BenchmarkTenantsFirstSync(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	measure := func(n int) time.Duration {
		c, d := tenantsPair(b, n)
		c.Stop(b)
		return d
	}
	d10 := measure(10)
	d100 := measure(100)
	// The floor: svn alone doing the same work, batched as far as it goes.
	s10 := daemontest.SVNFirstSync(b, 10)
	s100 := daemontest.SVNFirstSync(b, 100)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(d10.Seconds(), "10-tenants-s")
	b.ReportMetric(d100.Seconds(), "100-tenants-s")
	b.ReportMetric(d100.Seconds()/d10.Seconds(), "x-10-tenants")
	b.ReportMetric(s100.Seconds()/s10.Seconds(), "svn-alone-x-10-tenants")
	b.Logf("first sync on both nodes: 10 tenants %.2f s, 100 tenants %.2f s: %.2fx; svn alone: %.2f s, %.2f s: %.2fx (race detector: %v)",
		d10.Seconds(), d100.Seconds(), d100.Seconds()/d10.Seconds(),
		s10.Seconds(), s100.Seconds(), s100.Seconds()/s10.Seconds(), raceEnabled)
}
