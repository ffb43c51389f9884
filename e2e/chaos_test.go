//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/tcpproxy"
	"github.com/depsync/depsync/internal/testcapp"
)

// chaosDuration is how long the fault loop runs: CHAOS_DURATION (a Go
// duration), else 30s, the short run that is part of `make test`.
func chaosDuration(t *testing.T) time.Duration {
	if s := os.Getenv("CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "CHAOS_DURATION")
		return d
	}
	return 30 * time.Second
}

// chaosCounts is what a chaos run reports.
type chaosCounts struct {
	ops, carWrites, slowWrites, deletes    atomic.Int64
	workerKills, managerKills, svnRestarts atomic.Int64
	staleLocks, observed, partial          atomic.Int64
	// svnCuts counts cuts of the manager's route to SVN, svnFallbacks
	// those after which the manager reported direct mode.
	svnCuts, svnFallbacks atomic.Int64
	diskFulls             atomic.Int64
	// carbonappsMoves counts moves of the manager's carbonapps away and
	// back; appsLost the C-Apps the worker lost meanwhile.
	carbonappsMoves, appsLost atomic.Int64
}

// The kinds of fault of the random schedule.
const (
	faultWorkerKill  = iota
	faultManagerKill // kill -9 of the manager
	faultSVNRestart  // the SVN server stopped, for everyone
	faultStaleLock   // the worker down, an svn killed in its working copy
	faultSVNCut      // the manager's route to SVN cut, the worker's kept
	faultDiskFull    // the worker's file system full
	faultAppsMove    // the manager's carbonapps moved away and back
	numFaults
)

var faultNames = [numFaults]string{"worker kill -9", "manager kill -9", "SVN server restart", "stale lock in the worker's working copy",
	"manager's route to SVN cut", "worker's disk full", "manager's carbonapps moved away and back"}

// TestChaos runs a manager, a worker and an SVN server (Apache mod_dav_svn)
// as real processes. A driver keeps changing the manager's deployment
// directory while faults are injected at random; an observer opens every
// C-App the moment it appears on the worker. At the end, with everything
// running again, the two trees must converge to exactly what the driver
// left, with clean working copies and no partial C-App ever seen; and while
// the manager's carbonapps was away, the worker lost none of its C-Apps.
//
// The manager reaches SVN through a TCP proxy that a fault cuts, the
// worker directly. The worker's deployment directory sits on a small tmpfs
// that a fault fills; that needs root, and without it the fault is left out
// (or the test fails under DEPSYNC_REQUIRE_INTEGRATION=1).
func TestChaos(t *testing.T) {
	svntest.Require(t, "svn", "svnadmin", "apache2", "htpasswd")
	duration := chaosDuration(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		_, err := fmt.Sscan(s, &seed)
		require.NoError(t, err, "CHAOS_SEED")
	}
	t.Logf("chaos: duration %s, seed %d (CHAOS_SEED=%d reproduces the choices)", duration, seed, seed)

	srv := svntest.New(t, svntest.HTTP)
	bin := daemontest.Binary(t)
	tuning := map[string]any{
		"sync.debounce":      "150ms",
		"sync.max_delay":     "2s",
		"svn.poll_interval":  "1s",
		"svn.fail_threshold": 2,
		// Deletions pile up while SVN is away and go in one pass when it
		// is back: no share of them is too many here. The guard's other
		// checks (a vanished folder, an emptied carbonapps) stay on.
		"sync.max_delete": "100%",
	}
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	proxy, err := tcpproxy.New(u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, proxy.Close()) })
	viaProxy := *u
	viaProxy.Host = proxy.Addr()

	worker := daemontest.NewNode(t, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: tuning})
	manager := daemontest.NewNode(t, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
		SVNURL: viaProxy.String(), Peers: []string{worker.URL}, Settings: tuning})

	kinds := make([]int, 0, numFaults)
	for k := range numFaults {
		kinds = append(kinds, k)
	}
	// The worker's deployment directory on a small file system of its own:
	// a tmpfs on its parent, so that the filler sits beside it.
	smallDisk, err := mountSmallFS(filepath.Dir(worker.Dir), chaosFSSize)
	if err != nil {
		if os.Getenv("DEPSYNC_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("chaos: the full-disk fault cannot run: %v", err)
		}
		t.Logf("chaos: full-disk fault skipped: %v (set DEPSYNC_REQUIRE_INTEGRATION=1 to fail instead)", err)
		kinds = slices.DeleteFunc(kinds, func(k int) bool { return k == faultDiskFull })
	} else {
		t.Cleanup(func() {
			worker.Kill(t) // nothing of it may hold the mount
			if err := smallDisk.unmount(); err != nil {
				t.Errorf("chaos: unmount %s: %v", smallDisk.dir, err)
			}
		})
	}

	require.NoError(t, os.MkdirAll(filepath.Join(manager.Dir, "carbonapps"), 0o755))
	manager.Start(t)
	worker.Start(t)

	var counts chaosCounts
	var violations, lostApps violationList
	ctx, stop := context.WithTimeout(context.Background(), duration)
	defer stop()

	var wg sync.WaitGroup
	obsCtx, stopObserver := context.WithCancel(context.Background())
	wg.Add(1)
	go func() {
		defer wg.Done()
		observe(obsCtx, filepath.Join(worker.Dir, "carbonapps"), &counts, &violations)
	}()

	d := &driver{t: t, dir: manager.Dir, rng: rand.New(rand.NewPCG(seed, 1)), counts: &counts}
	// The driver runs as long as the faults do, which may be a little
	// past the duration (see below).
	driveCtx, stopDriver := context.WithCancel(context.Background())
	defer stopDriver()
	driverDone := make(chan struct{})
	go func() {
		defer close(driverDone)
		d.run(driveCtx)
	}()

	faults := rand.New(rand.NewPCG(seed, 2))
	// Each round runs every kind of fault once, in a random order, and the
	// first round always runs to its end, so even a short run injects them
	// all (a round takes about half a minute). Every fault restores what it
	// took before the next one starts.
	var round []int
	rounds := 0
	faultsStart := time.Now()
	for ctx.Err() == nil || rounds == 0 {
		gap := time.Duration(500+faults.IntN(2000)) * time.Millisecond
		if ctx.Err() == nil {
			if !sleepCtx(ctx, gap) && rounds > 0 {
				break
			}
		} else {
			time.Sleep(gap)
		}
		if len(round) == 0 {
			round = slices.Clone(kinds)
			faults.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		}
		kind := round[0]
		round = round[1:]
		if len(round) == 0 {
			rounds++
		}
		t.Logf("chaos: %s %s", time.Now().Format("15:04:05.000"), faultNames[kind])
		switch kind {
		case faultWorkerKill:
			worker.Kill(t)
			counts.workerKills.Add(1)
			time.Sleep(time.Duration(100+faults.IntN(1000)) * time.Millisecond)
			worker.Start(t)
		case faultManagerKill:
			manager.Kill(t)
			counts.managerKills.Add(1)
			time.Sleep(time.Duration(100+faults.IntN(1000)) * time.Millisecond)
			manager.Start(t)
		case faultSVNRestart:
			srv.Stop(t)
			counts.svnRestarts.Add(1)
			time.Sleep(time.Duration(500+faults.IntN(3000)) * time.Millisecond)
			srv.Start(t)
		case faultStaleLock:
			// A stale lock: an svn process killed mid-operation in the
			// worker's working copy while the daemon is down.
			worker.Kill(t)
			counts.workerKills.Add(1)
			if _, err := os.Stat(filepath.Join(worker.Dir, ".svn")); err == nil && srv.LeaveStaleLock(t, worker.Dir) {
				counts.staleLocks.Add(1)
			}
			worker.Start(t)
		case faultSVNCut:
			counts.svnCuts.Add(1)
			restart := faults.IntN(2) == 0
			if restart {
				counts.workerKills.Add(1)
			}
			if cutManagerSVN(t, proxy, manager, worker, time.Duration(1000+faults.IntN(3000))*time.Millisecond, restart) {
				counts.svnFallbacks.Add(1)
			} else {
				t.Logf("chaos: the manager did not report direct mode within %s of losing its route to SVN", svnCutMaxWait)
			}
		case faultDiskFull:
			counts.diskFulls.Add(1)
			if err := fillWorkerDisk(smallDisk, time.Duration(1000+faults.IntN(4000))*time.Millisecond); err != nil {
				t.Errorf("chaos: full disk: %v", err)
			}
		case faultAppsMove:
			counts.carbonappsMoves.Add(1)
			had, lost, err := moveAppsAway(d, worker, time.Duration(2000+faults.IntN(4000))*time.Millisecond)
			if err != nil {
				t.Errorf("chaos: %v", err)
			}
			if len(lost) > 0 {
				counts.appsLost.Add(int64(len(lost)))
				lostApps.add(fmt.Sprintf("the worker lost %d of the %d C-Apps it held while the manager's carbonapps was away: %s",
					len(lost), had, strings.Join(lost, ", ")))
			}
		}
		t.Logf("chaos: %s %s: over", time.Now().Format("15:04:05.000"), faultNames[kind])
	}
	faultsTime := time.Since(faultsStart)
	stopDriver()
	<-driverDone // the observer keeps watching while the cluster converges
	want, err := daemontest.Tree(manager.Dir)
	require.NoError(t, err)

	start := time.Now()
	converged := false
	var why string
	for time.Since(start) < 2*time.Minute {
		if ok, w := daemontest.SameTree(manager.Dir, worker.Dir); ok {
			if clean, w := cleanWC(manager.Dir, worker.Dir); clean {
				converged = true
				break
			} else {
				why = w
			}
		} else {
			why = w
		}
		time.Sleep(100 * time.Millisecond)
	}
	convergeTime := time.Since(start)
	stopObserver()
	wg.Wait()

	report := fmt.Sprintf("chaos: %s (faults for %s), seed %d: %d operations (%d C-App writes, %d slow, %d deletes), "+
		"%d worker kills, %d manager kills, %d SVN restarts, %d stale locks, "+
		"svnCuts %d (%d fell back to direct), diskFulls %d, carbonappsMoves %d (%d C-Apps lost meanwhile); "+
		"observer opened %d C-Apps, %d partial or invalid; converged in %s",
		duration, faultsTime.Round(time.Second), seed, counts.ops.Load(), counts.carWrites.Load(), counts.slowWrites.Load(), counts.deletes.Load(),
		counts.workerKills.Load(), counts.managerKills.Load(), counts.svnRestarts.Load(), counts.staleLocks.Load(),
		counts.svnCuts.Load(), counts.svnFallbacks.Load(), counts.diskFulls.Load(), counts.carbonappsMoves.Load(), counts.appsLost.Load(),
		counts.observed.Load(), counts.partial.Load(), convergeTime.Round(time.Millisecond))
	fmt.Println(report)
	t.Log(report)
	if smallDisk != nil {
		if used, err := smallDisk.used(); err == nil {
			t.Logf("chaos: the worker's file system holds %d MiB of %d MiB", used>>20, chaosFSSize>>20)
		}
	}

	if expectDeletionHold {
		assert.Empty(t, lostApps.list(), "a vanished carbonapps on the manager must hold the deletion, not empty the worker")
	}
	if !converged {
		repo := t.TempDir()
		srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", repo)
		why += "\n" + divergence(manager.Dir, worker.Dir, repo)
	}
	require.True(t, converged, "trees or working copies did not converge within 2m: %s", why)
	// Every change the driver made is accounted for: the manager still holds
	// exactly what the driver left (depsync never touched it), and so do
	// the worker and the repository.
	got, err := daemontest.Tree(manager.Dir)
	require.NoError(t, err)
	require.Equal(t, d.model(), got, "the manager's tree is not what the driver left")
	require.Equal(t, want, got)
	repo := t.TempDir()
	srv.SVN(t, "checkout", "-q", srv.URL+"/-1234", repo)
	ok, diff := daemontest.SameTree(manager.Dir, repo)
	require.True(t, ok, "repository HEAD differs from the manager: %s", diff)
	require.Empty(t, violations.list(), "observer saw partial or invalid C-Apps on the worker")
}

// driver makes random changes in the manager's deployment directory and
// keeps a model of what it left there.
type driver struct {
	t      *testing.T
	dir    string
	rng    *rand.Rand
	counts *chaosCounts

	// mu is held for each step, so that a fault can move carbonapps
	// between two steps; appsAway keeps the driver out of carbonapps
	// while it is moved away.
	mu       sync.Mutex
	appsAway bool
}

var xmlDirs = []string{"synapse-configs/default/api", "synapse-configs/default/sequences", "synapse-configs/default/local entries", "synapse-configs/ünïcode@dir"}

func (d *driver) run(ctx context.Context) {
	for ctx.Err() == nil {
		d.step()
		d.counts.ops.Add(1)
		if !sleepCtx(ctx, time.Duration(50+d.rng.IntN(250))*time.Millisecond) {
			return
		}
	}
}

func (d *driver) step() {
	d.mu.Lock()
	defer d.mu.Unlock()
	apps := d.list("carbonapps", ".car")
	n := d.rng.IntN(10)
	switch {
	case d.appsAway:
		n = 6 + d.rng.IntN(4) // XML only
	case n < 3 && len(apps) >= chaosMaxApps:
		n = 5 // full: a delete instead (see chaosFSSize)
	case n == 5 && len(apps) == 1:
		// Never the last one: the guard rightly holds the deletion that
		// empties carbonapps, until a person approves it.
		n = 3
	}
	switch {
	case n < 3 || (len(apps) == 0 && !d.appsAway): // a new C-App
		d.writeCApp(fmt.Sprintf("carbonapps/App%d_1.0.0.car", d.rng.IntN(1000)))
	case n < 5: // a new version of an existing one, copied over it
		d.writeCApp(apps[d.rng.IntN(len(apps))])
	case n < 6:
		d.remove(apps[d.rng.IntN(len(apps))])
	case n < 9:
		dir := xmlDirs[d.rng.IntN(len(xmlDirs))]
		p := filepath.Join(d.dir, dir, fmt.Sprintf("item %d.xml", d.rng.IntN(20)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			d.t.Errorf("driver: %v", err)
			return
		}
		body := fmt.Sprintf("<api name=\"x%d\" context=\"/x\"/>\n", d.rng.Int())
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			d.t.Errorf("driver: %v", err)
		}
	default:
		for _, dir := range xmlDirs {
			if xs := d.list(dir, ".xml"); len(xs) > 0 {
				d.remove(xs[d.rng.IntN(len(xs))])
				return
			}
		}
	}
}

// writeCApp writes a C-App in place the way cp does, sometimes slowly in
// chunks so that the manager sees it half-written.
func (d *driver) writeCApp(rel string) {
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(rel), ".car"), "_1.0.0")
	var pad int64
	if d.rng.IntN(4) == 0 {
		pad = int64(1+d.rng.IntN(4)) << 20
	}
	data := testcapp.Build(d.t, name, "1.0.0", testcapp.Pad(pad))
	p := filepath.Join(d.dir, rel)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		d.t.Errorf("driver: %v", err)
		return
	}
	defer f.Close()
	slow := pad > 0 && d.rng.IntN(2) == 0
	chunk := len(data)
	if slow {
		chunk = 256 << 10
		d.counts.slowWrites.Add(1)
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		if _, err := f.Write(data[off:end]); err != nil {
			d.t.Errorf("driver: %v", err)
			return
		}
		if slow {
			time.Sleep(30 * time.Millisecond)
		}
	}
	d.counts.carWrites.Add(1)
}

func (d *driver) remove(rel string) {
	if err := os.Remove(filepath.Join(d.dir, rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.t.Errorf("driver: %v", err)
	}
	d.counts.deletes.Add(1)
}

// list returns the relative paths of the files in dir with the suffix.
func (d *driver) list(dir, suffix string) []string {
	entries, err := os.ReadDir(filepath.Join(d.dir, dir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // moved away: none
		d.t.Errorf("driver: %v", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), suffix) {
			out = append(out, dir+"/"+e.Name())
		}
	}
	return out
}

// model is what the driver left: the manager's tree as the driver sees it.
func (d *driver) model() map[string]string {
	m, err := daemontest.Tree(d.dir)
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

// observe opens every .car that appears or changes in dir and records any
// that does not read as a complete, valid C-App. When dir goes (on today's
// main, a manager whose carbonapps vanished has it deleted on the worker),
// it waits for it to come back, watches it anew and opens what it holds.
func observe(ctx context.Context, dir string, counts *chaosCounts, v *violationList) {
	for ctx.Err() == nil {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			sleepCtx(ctx, 20*time.Millisecond)
			continue
		}
		observeDir(ctx, dir, counts, v)
	}
}

// observeDir watches dir until ctx is done or dir itself goes.
func observeDir(ctx context.Context, dir string, counts *chaosCounts, v *violationList) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		v.add("observer: " + err.Error())
		sleepCtx(ctx, time.Second)
		return
	}
	defer w.Close()
	if err := w.Add(dir); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			v.add("observer: " + err.Error())
		}
		return
	}
	// What arrived before the watch (at the start, or in a directory made
	// anew) is opened once.
	names, err := carNames(dir)
	if err != nil {
		v.add("observer: " + err.Error())
	}
	for _, name := range names {
		checkCApp(filepath.Join(dir, name), counts, v)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.Events:
			if ev.Name == dir && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
				return
			}
			name := filepath.Base(ev.Name)
			if !strings.HasSuffix(name, ".car") || strings.HasPrefix(name, ".") ||
				!(ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write)) {
				continue
			}
			checkCApp(ev.Name, counts, v)
		case err := <-w.Errors:
			v.add("observer: " + err.Error())
		}
	}
}

// checkCApp opens the C-App at p and records it if it is partial or
// invalid; one replaced or deleted since is fine.
func checkCApp(p string, counts *chaosCounts, v *violationList) {
	counts.observed.Add(1)
	if _, err := carbonapp.ParseFile(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if _, statErr := os.Stat(p); statErr != nil {
			return
		}
		counts.partial.Add(1)
		v.add(fmt.Sprintf("%s: %v", filepath.Base(p), err))
	}
}

type violationList struct {
	mu sync.Mutex
	v  []string
}

// add records s, with the time, to match it with the fault log lines.
func (l *violationList) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.v = append(l.v, time.Now().Format("15:04:05.000 ")+s)
}

func (l *violationList) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.v...)
}

// cleanWC reports whether `svn status` is empty in every working copy.
func cleanWC(dirs ...string) (bool, string) {
	for _, dir := range dirs {
		out, err := exec.Command("svn", "status", "--", dir).CombinedOutput()
		if err != nil {
			return false, fmt.Sprintf("svn status %s: %v: %s", dir, err, out)
		}
		if s := strings.TrimSpace(string(out)); s != "" {
			return false, "svn status " + dir + ":\n" + s
		}
	}
	return true, ""
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
