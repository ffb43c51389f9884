//go:build linux

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
)

// The rows of issue 14 (tenants at scale), every comparison in one run: a
// manager and a worker over Apache mod_dav_svn with default settings and
// carbon.tenants: all, each tenant holding one small C-App. Targets: idle
// CPU with 100 tenants at most 1.5x that with 1, RSS under 64 MB; the
// first sync of 100 tenants within 3x that of 10; one change among 100
// tenants within 1.2x of the same with one; a tenant made at runtime on
// the worker within 5 s.

// tenantsAll is the setting under which every row runs: tenants are found
// at runtime, as a Carbon that creates tenants while it runs needs.
var tenantsAll = map[string]any{"carbon.tenants": "all"}

// tenants adds the rows of issue 14 to t.
func tenants(b *testing.B, bin string, t *table, trials int) {
	const (
		idleGroup   = "issue 14: tenants, idle"
		syncGroup   = "issue 14: tenants, first sync"
		changeGroup = "issue 14: tenants, one change"
		newGroup    = "issue 14: tenants, made at runtime"
	)
	window := daemontest.IdleWindow(b)

	// One tenant (the super tenant): idle, then one change at a time.
	one := daemontest.NewTenants(b, bin, 1, tenantsAll)
	one.Start(b, 5*time.Minute)
	idle1 := tenantsIdle(b, one, window)
	change1 := tenantsChange(b, one, trials, func(int) int { return daemontest.SuperTenant })
	one.Stop(b)

	// 100 tenants: its first sync is the first trial of that row; then
	// idle, one change at a time in one of them, and tenants made while
	// both daemons run.
	syncTrials := min(trials, 3)
	hundred := daemontest.NewTenants(b, bin, 100, tenantsAll)
	settle()
	sync100 := []time.Duration{hundred.Start(b, 10*time.Minute)}
	idle100 := tenantsIdle(b, hundred, window)
	// A different tenant each trial, spread over all of them.
	change100 := tenantsChange(b, hundred, trials, func(i int) int { return 1 + (i*37)%99 })
	var made []time.Duration
	var madeErr error
	for i := 0; i < trials; i++ {
		id := 1000 + i
		settle()
		d, err := hundred.Propagate(b, id, fmt.Sprintf("NewTenant%dApp", id), 2*time.Minute)
		if err != nil {
			madeErr = fmt.Errorf("tenant %d: %w", id, err)
			continue
		}
		made = append(made, d)
		time.Sleep(200 * time.Millisecond)
	}
	hundred.Stop(b)

	for i, name := range []string{"manager", "worker"} {
		t.addNote(idleGroup, name+", 1 tenant", idle1[i].String())
		ratio := "no ratio: not one clock tick with 1 tenant"
		if idle1[i].CPU > 0 {
			ratio = fmt.Sprintf("%.2fx the CPU with 1 tenant", idle100[i].CPU/idle1[i].CPU)
		}
		t.addNote(idleGroup, name+", 100 tenants", fmt.Sprintf("%s: %s (target: at most 1.5x; RSS under 64 MB)", idle100[i], ratio))
	}

	// The first sync of 10 and of 100 tenants, a fresh pair each trial;
	// and its floor, svn alone doing the same work, a fresh server each.
	var sync10, floor10, floor100 []time.Duration
	for i := 0; i < syncTrials; i++ {
		sync10 = append(sync10, tenantsFirstSync(b, bin, 10))
		if i > 0 {
			sync100 = append(sync100, tenantsFirstSync(b, bin, 100))
		}
		settle()
		floor10 = append(floor10, daemontest.SVNFirstSync(b, 10))
		settle()
		floor100 = append(floor100, daemontest.SVNFirstSync(b, 100))
	}
	what := func(n int, target string) string {
		return fmt.Sprintf("%d tenants, a small C-App each, on both nodes (%d %s%s)", n, syncTrials, plural(syncTrials, "trial"), target)
	}
	floor := func(n int) string {
		return fmt.Sprintf("svn alone, %d tenants: one mkdir, checkout, add and commit of them all on the manager, one checkout on the worker", n)
	}
	base := t.add(syncGroup, what(10, ""), "", summarize(sync10, nil))
	t.add(syncGroup, what(100, "; target within 3x"), base, summarize(sync100, nil))
	base = t.add(syncGroup, floor(10), "", summarize(floor10, nil))
	t.add(syncGroup, floor(100), base, summarize(floor100, nil))
	t.add(syncGroup, what(100, ", against svn alone"), t.key(syncGroup, floor(100)), summarize(sync100, nil))

	base = t.add(changeGroup, "a new C-App in the only tenant (the super tenant)", "", change1)
	t.add(changeGroup, "a new C-App in one of 100 tenants (target within 1.2x)", base, change100)

	t.add(newGroup, "a tenant folder with a C-App made on the manager, on the worker (100 tenants present; target within 5 s)",
		"", summarize(made, madeErr))
}

// tenantsIdle lets the pair settle for one poll interval, then measures
// both daemons over window.
func tenantsIdle(b *testing.B, c *daemontest.Tenants, window time.Duration) []daemontest.Idle {
	time.Sleep(5 * time.Second)
	return daemontest.MeasureIdle(b, window, c.Manager, c.Worker)
}

// tenantsChange drops a new small C-App into tenant(i)'s carbonapps on the
// manager, trials times, and times each until it is on the worker.
func tenantsChange(b *testing.B, c *daemontest.Tenants, trials int, tenant func(i int) int) stats {
	var ds []time.Duration
	var lastErr error
	for i := 0; i < trials; i++ {
		id := tenant(i)
		settle()
		d, err := c.Propagate(b, id, fmt.Sprintf("Change%dApp", i), 2*time.Minute)
		if err != nil {
			lastErr = fmt.Errorf("tenant %d: %w", id, err)
			continue
		}
		ds = append(ds, d)
		time.Sleep(200 * time.Millisecond)
	}
	return summarize(ds, lastErr)
}

// tenantsFirstSync starts a fresh pair with n tenants and returns how long
// it took until the worker held every tenant's C-App.
func tenantsFirstSync(b *testing.B, bin string, n int) time.Duration {
	c := daemontest.NewTenants(b, bin, n, tenantsAll)
	settle()
	d := c.Start(b, 10*time.Minute)
	c.Stop(b)
	return d
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
