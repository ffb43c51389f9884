package syncer_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/depsync/depsync/internal/daemontest"
	"github.com/depsync/depsync/internal/svntest"
	"github.com/depsync/depsync/internal/testcapp"
)

// BenchmarkDirect5MB (issue 15): a 5 MB C-App dropped in the manager's
// carbonapps, with no SVN server, until it is whole in the worker's,
// against rsync of the same file into a second folder on the same host,
// both measured in this run with the default settings, for a file written
// elsewhere and renamed in (mv) and one copied straight in (cp). Each drop
// is a C-App of its own id, so that none replaces another.
//
//	BENCH_TRIALS=7 go test -run '^$' -bench BenchmarkDirect5MB -benchtime 1x ./syncer/
//
// Target: depsync's median at most 1.5x rsync's.
func BenchmarkDirect5MB(b *testing.B) {
	svntest.Require(b, "rsync")
	n := trials(b)
	srcDir := b.TempDir()
	srcs := make([]string, 2*n) // one for each mv and cp drop
	for i := range srcs {
		app := fmt.Sprintf("Direct%d", i)
		srcs[i] = testcapp.Write(b, srcDir, app+"_1.0.0.car", app, "1.0.0", testcapp.Pad(5<<20))
	}

	// rsync into a second folder: the raw floor.
	dst := b.TempDir()
	var raw []time.Duration
	for i, src := range srcs[:n] {
		name := fmt.Sprintf("Rsync%d_1.0.0.car", i)
		start := time.Now()
		if out, err := exec.Command("rsync", src, filepath.Join(dst, name)).CombinedOutput(); err != nil {
			b.Fatalf("rsync: %v: %s", err, out)
		}
		if !arrived(src, filepath.Join(dst, name), time.Minute) {
			b.Fatalf("%s did not arrive", name)
		}
		raw = append(raw, time.Since(start))
	}

	bin := daemontest.Binary(b)
	worker := daemontest.NewNode(b, bin, daemontest.Config{Name: "worker", Role: "worker"})
	manager := daemontest.NewNode(b, bin, daemontest.Config{Name: "manager", Role: "manager", Peers: []string{worker.URL}})
	worker.Start(b)
	manager.Start(b)
	defer manager.Stop(b)
	defer worker.Stop(b)
	daemontest.WaitReady(b, manager, time.Minute)
	daemontest.WaitReady(b, worker, time.Minute)
	drops := map[string]func(src, dir, name string){
		"mv": func(src, dir, name string) { daemontest.Drop(b, src, dir, name) },
		"cp": func(src, dir, name string) {
			if err := daemontest.CopyFile(src, filepath.Join(dir, name)); err != nil {
				b.Fatal(err)
			}
		},
	}
	got := map[string][]time.Duration{}
	for i := 0; i < n; i++ {
		for k, kind := range []string{"mv", "cp"} {
			src := srcs[2*i+k]
			name := fmt.Sprintf("%s%d_1.0.0.car", kind, i)
			start := time.Now()
			drops[kind](src, filepath.Join(manager.Dir, "carbonapps"), name)
			if !arrived(src, filepath.Join(worker.Dir, "carbonapps", name), time.Minute) {
				b.Fatalf("%s did not arrive", name)
			}
			got[kind] = append(got[kind], time.Since(start))
			time.Sleep(100 * time.Millisecond)
		}
	}

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(median(raw)), "rsync-ms")
	b.ReportMetric(ms(median(got["mv"])), "direct-mv-ms")
	b.ReportMetric(ms(median(got["cp"])), "direct-cp-ms")
	b.ReportMetric(float64(median(got["mv"]))/float64(median(raw)), "x-rsync-mv")
	b.ReportMetric(float64(median(got["cp"]))/float64(median(raw)), "x-rsync-cp")
	b.Logf("direct propagation of 5 MB, median of %d: rsync %.0f ms, depsync mv %.0f ms (%.2fx), cp %.0f ms (%.2fx)",
		n, ms(median(raw)), ms(median(got["mv"])), float64(median(got["mv"]))/float64(median(raw)),
		ms(median(got["cp"])), float64(median(got["cp"]))/float64(median(raw)))
}
