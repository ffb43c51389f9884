package carbonlog

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// writeBigLog writes a log of about size bytes: deploys, redeploys and
// faulty C-Apps with long stack traces, as a busy server would write.
func writeBigLog(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	block := []ev{deploying(su, "a.car"), artifact(su, "API", "OrderAPI", "a.car"), deployed(su, "A_1"),
		deploying(su, "b.car"),
		errorEv(su, "org.apache.synapse.config.xml.MediatorPropertyFactory", "Entry name is a required attribute for a Log property", trace...),
		errorEv(su, am, "Error occurred while deploying Carbon Application", trace...),
		info(su, am, "Reverting successfully deployed artifcats in this CApp : B_1"),
		undeploying(su, "A_1"), undeployed(su, "A_1")}
	k, _ := w.WriteString(render(layoutTID, base, []ev{start}))
	n += int64(k)
	for i := 0; n < size; i++ {
		k, _ := w.WriteString(render(layoutTID, base.Add(time.Duration(i)*time.Second), block))
		n += int64(k)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkReadLog reads a 100 MB log from the start, as Run does at
// start-up. Figures go to BENCHMARKS-style output (MB/s, allocations), and
// the peak heap growth is reported as "heap-MB".
func BenchmarkReadLog(b *testing.B) {
	path := filepath.Join(b.TempDir(), "wso2carbon.log")
	const size = 100 << 20
	writeBigLog(b, path, size)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := quietReader(path)
		r.Poll()
		if s, ok := r.State(su, "B_1"); !ok || s.State != Faulty {
			b.Fatalf("B_1: %+v", s)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if after.HeapInuse > before.HeapInuse && after.HeapInuse-before.HeapInuse > peak {
			peak = after.HeapInuse - before.HeapInuse
		}
		r.closeFile()
	}
	b.ReportMetric(float64(peak)/(1<<20), "heap-MB")
}

// TestReadBigLogHeapBounded reads a 30 MB log and checks that the live heap
// does not grow with it (the whole file is never held): a measure of
// memory, not of time.
func TestReadBigLogHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 30 MB file")
	}
	path := filepath.Join(t.TempDir(), "wso2carbon.log")
	writeBigLog(t, path, 30<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := quietReader(path)
	r.Poll()
	runtime.GC()
	runtime.ReadMemStats(&after)
	defer r.closeFile()
	if s, ok := r.State(su, "A_1"); !ok || s.State != Undeployed {
		t.Fatalf("A_1: %+v", s)
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 4<<20 {
		t.Fatalf("live heap grew by %d bytes reading a 30 MB log; want < 4 MB", grown)
	}
}

// BenchmarkManyNames measures what a log naming a million distinct C-Apps
// costs the daemon once read, against a log naming a thousand, in the same
// run: the heap the reader keeps ("heap-MB", "heap-ratio") and the time of
// what /v1/status and /metrics do with it, States and the gauge's Collect
// (ns/op for the million, "ratio" against the thousand). Bounded states
// keep both ratios near 1 (about 2 for time: up to 2*maxRecent states
// against a thousand).
func BenchmarkManyNames(b *testing.B) {
	read := func(n int) (*Reader, uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := quietReader(filepath.Join(b.TempDir(), "none.log"))
		manyNames(r.tr, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if after.HeapAlloc < before.HeapAlloc {
			return r, 0
		}
		return r, after.HeapAlloc - before.HeapAlloc
	}
	small, smallHeap := read(1_000)
	big, bigHeap := read(1_000_000)
	scrape := func(r *Reader) {
		_ = r.States()
		ch := make(chan prometheus.Metric, len(States))
		NewCollector(r).Collect(ch)
	}
	var smallTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t0 := time.Now()
		scrape(small)
		smallTime += time.Since(t0)
		b.StartTimer()
		scrape(big)
	}
	b.StopTimer()
	bigTime := b.Elapsed()
	b.ReportMetric(float64(bigHeap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(bigHeap)/float64(max(smallHeap, 1)), "heap-ratio")
	b.ReportMetric(float64(bigTime)/float64(max(smallTime, 1)), "ratio")
}
