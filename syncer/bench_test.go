package syncer_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// The benchmarks of issue 6. Each one measures what it compares in the same
// run, on the same machine, and reports the ratio as a metric; ns/op is
// left out (these are system measurements, not loops). They run once
// whatever -benchtime says; BENCH_TRIALS (default 5) sets the trials of
// each side, BENCH_IDLE (default 60s) the idle window:
//
//	go test -run '^$' -bench . ./syncer/
//
// Targets: propagation within 3x the raw floor, idle CPU under 1% of a core
// and RSS under 50 MB with 10,000 files, the commit of one change in a
// 10,000-file tree within 1.5x of the same in a 100-file tree.

func trials(b *testing.B) int {
	if s := os.Getenv("BENCH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("BENCH_TRIALS=%q: want a positive integer", s)
		}
		return n
	}
	return 5
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// arrived polls until dst has src's size and bytes.
func arrived(src, dst string, timeout time.Duration) bool {
	want, err := os.ReadFile(src)
	if err != nil {
		return false
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(dst); err == nil && fi.Size() == int64(len(want)) {
			if got, err := os.ReadFile(dst); err == nil && bytes.Equal(got, want) {
				return true
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// BenchmarkPropagation5MB: a 5 MB C-App dropped in the manager's directory
// until it is whole in the worker's, against the raw floor (svn add and
// commit in one working copy, then svn update of another, back to back),
// with the default settings and with sync.debounce at 50ms.
func BenchmarkPropagation5MB(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	n := trials(b)
	src := testcapp.Write(b, b.TempDir(), "Bench5MB_1.0.0.car", "Bench5MB", "1.0.0", testcapp.Pad(5<<20))

	// The raw floor.
	srv := svntest.New(b, svntest.HTTP)
	wa, wb := b.TempDir(), b.TempDir()
	srv.SVN(b, "checkout", "-q", srv.URL, wa)
	srv.SVN(b, "checkout", "-q", srv.URL, wb)
	var raw []time.Duration
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("Raw%d_1.0.0.car", i)
		daemontest.Drop(b, src, wa, name)
		start := time.Now()
		srv.SVN(b, "add", "-q", "--", filepath.Join(wa, name))
		srv.SVN(b, "commit", "-q", "-m", "raw", "--", wa)
		srv.SVN(b, "update", "-q", "--", wb)
		raw = append(raw, time.Since(start))
	}

	bin := daemontest.Binary(b)
	measure := func(settings map[string]any) []time.Duration {
		srv := svntest.New(b, svntest.HTTP)
		worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv, Settings: settings})
		manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv,
			Peers: []string{worker.URL}, Settings: settings})
		manager.Start(b)
		worker.Start(b)
		defer manager.Stop(b)
		defer worker.Stop(b)
		daemontest.WaitReady(b, manager, 5*time.Minute)
		daemontest.WaitReady(b, worker, 5*time.Minute)
		var ds []time.Duration
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("Prop%d_1.0.0.car", i)
			start := time.Now()
			daemontest.Drop(b, src, filepath.Join(manager.Dir, "carbonapps"), name)
			if !arrived(src, filepath.Join(worker.Dir, "carbonapps", name), time.Minute) {
				b.Fatalf("%s did not arrive", name)
			}
			ds = append(ds, time.Since(start))
			time.Sleep(200 * time.Millisecond)
		}
		return ds
	}
	def := measure(nil)
	tuned := measure(map[string]any{"sync.debounce": "50ms"})

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(median(raw)), "raw-ms")
	b.ReportMetric(ms(median(def)), "depsync-ms")
	b.ReportMetric(ms(median(tuned)), "depsync-debounce50ms-ms")
	b.ReportMetric(float64(median(def))/float64(median(raw)), "x-raw")
	b.ReportMetric(float64(median(tuned))/float64(median(raw)), "x-raw-debounce50ms")
	b.Logf("propagation of 5 MB, median of %d: raw floor %.0f ms, depsync %.0f ms (%.2fx), with debounce 50ms %.0f ms (%.2fx)",
		n, ms(median(raw)), ms(median(def)), float64(median(def))/float64(median(raw)),
		ms(median(tuned)), float64(median(tuned))/float64(median(raw)))
}

// revision reads a node's revision from /v1/status.
func revision(b *testing.B, n *daemontest.Node) int64 {
	var st struct {
		Tenants []struct {
			Revision int64 `json:"revision"`
		} `json:"tenants"`
	}
	if _, err := n.Get("/v1/status", &st); err != nil || len(st.Tenants) == 0 {
		return -1
	}
	return st.Tenants[0].Revision
}

// manager starts a manager with an n-file tree and waits for its first
// commit of it.
func benchManager(b *testing.B, bin string, n int, settings map[string]any) *daemontest.Node {
	srv := svntest.New(b, svntest.HTTP)
	m := daemontest.NewNode(b, bin, daemontest.Config{Name: fmt.Sprintf("manager-%d", n), Role: "manager", SVN: srv, Settings: settings})
	daemontest.XMLTree(b, m.Dir, n)
	m.Start(b)
	daemontest.WaitReady(b, m, 5*time.Minute)
	daemontest.Eventually(b, 10*time.Minute, "the initial commit", func() bool {
		out, err := srv.TrySVN("ls", "-R", srv.URL+"/-1234/synapse-configs")
		return err == nil && strings.Count(out, ".xml") == n
	})
	return m
}

// BenchmarkCommitScale: one changed file, from the rename in the manager's
// directory to the new revision, in a 10,000-file tree against a 100-file
// tree.
func BenchmarkCommitScale(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	n := trials(b)
	bin := daemontest.Binary(b)
	settings := map[string]any{"sync.debounce": "50ms"}
	measure := func(files int) []time.Duration {
		m := benchManager(b, bin, files, settings)
		defer m.Stop(b)
		src := filepath.Join(b.TempDir(), "x.xml")
		var ds []time.Duration
		for i := 0; i < n; i++ {
			if err := os.WriteFile(src, []byte(fmt.Sprintf("<api name=\"changed%d\"/>\n", i)), 0o644); err != nil {
				b.Fatal(err)
			}
			before := revision(b, m)
			start := time.Now()
			daemontest.Drop(b, src, filepath.Join(m.Dir, "synapse-configs", "default", "api", "group000"), "api00000.xml")
			deadline := time.Now().Add(time.Minute)
			for revision(b, m) <= before {
				if time.Now().After(deadline) {
					b.Fatal("no commit within a minute")
				}
				time.Sleep(time.Millisecond)
			}
			ds = append(ds, time.Since(start))
			time.Sleep(200 * time.Millisecond)
		}
		return ds
	}
	small := measure(100)
	large := measure(10000)
	ratio := float64(median(large)) / float64(median(small))
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(median(small)), "100-files-ms")
	b.ReportMetric(ms(median(large)), "10000-files-ms")
	b.ReportMetric(ratio, "x-100-files")
	b.Logf("commit of one change, median of %d (debounce 50ms): 100 files %.0f ms, 10,000 files %.0f ms: %.2fx",
		n, ms(median(small)), ms(median(large)), ratio)
}

// BenchmarkIdle10000Files: the manager's and the worker's CPU and RSS over
// an idle window with a 10,000-file deployment directory.
func BenchmarkIdle10000Files(b *testing.B) {
	svntest.Require(b, "svn", "svnadmin", "apache2", "htpasswd")
	window := time.Minute
	if s := os.Getenv("BENCH_IDLE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("BENCH_IDLE: %v", err)
		}
		window = d
	}
	bin := daemontest.Binary(b)
	srv := svntest.New(b, svntest.HTTP)
	worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker", SVN: srv})
	manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", SVN: srv, Peers: []string{worker.URL}})
	daemontest.XMLTree(b, manager.Dir, 10000)
	manager.Start(b)
	worker.Start(b)
	defer manager.Stop(b)
	defer worker.Stop(b)
	daemontest.Eventually(b, 10*time.Minute, "the worker to hold the tree", func() bool {
		ok, _ := daemontest.SameTree(manager.Dir, worker.Dir)
		return ok
	})
	daemontest.WaitReady(b, manager, 5*time.Minute)
	daemontest.WaitReady(b, worker, 5*time.Minute)
	time.Sleep(2 * time.Second) // let start-up garbage be collected

	nodes := []*daemontest.Node{manager, worker}
	before := make([]int64, len(nodes))
	beforeAll := make([]int64, len(nodes))
	for i, n := range nodes {
		ticks, all, _, err := procStat(n.Pid())
		if err != nil {
			b.Fatal(err)
		}
		before[i], beforeAll[i] = ticks, all
	}
	time.Sleep(window)
	b.ReportMetric(0, "ns/op")
	const hz = 100 // USER_HZ
	for i, n := range nodes {
		ticks, all, rss, err := procStat(n.Pid())
		if err != nil {
			b.Fatal(err)
		}
		cpu := float64(ticks-before[i]) / hz / window.Seconds() * 100
		withSVN := float64(all-beforeAll[i]) / hz / window.Seconds() * 100
		b.ReportMetric(cpu, n.Name+"-cpu-%")
		b.ReportMetric(withSVN, n.Name+"-cpu-with-svn-%")
		b.ReportMetric(float64(rss)/1024, n.Name+"-rss-MB")
		b.Logf("%s idle over %s with 10,000 files: CPU %.2f%% of a core (%.2f%% with its svn probes), RSS %.1f MB (race detector: %v)",
			n.Name, window, cpu, withSVN, float64(rss)/1024, raceEnabled)
	}
}

// procStat returns a process's user+system clock ticks, its own and with
// those of its finished children (the svn runs), and its RSS in kB.
func procStat(pid int) (ticks, withChildren, rssKB int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	var perr error
	field := func(i int) int64 {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil && perr == nil {
			perr = fmt.Errorf("/proc/%d/stat field %d: %w", pid, i+3, err)
		}
		return v
	}
	ticks = field(11) + field(12)
	withChildren = ticks + field(13) + field(14)
	if perr != nil {
		return 0, 0, 0, perr
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			if rssKB, err = strconv.ParseInt(strings.Fields(l)[1], 10, 64); err != nil {
				return 0, 0, 0, fmt.Errorf("/proc/%d/status VmRSS: %w", pid, err)
			}
		}
	}
	return ticks, withChildren, rssKB, nil
}
