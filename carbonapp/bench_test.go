package carbonapp

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Benchmarks, and the sha256 pass against sha256sum on the same file:
//
//	go test -run '^$' -bench . -benchtime 10x ./carbonapp/
//
// BenchmarkSHA256 reports x-sha256sum: depsync's sha256 throughput divided by
// sha256sum's on the same file in the same run (it fails under 0.8).

var bench struct {
	sync.Mutex
	dir   string
	paths map[int]string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchCApp writes, once per run, a C-App of about size bytes shaped like
// real ones: XML artifacts plus connector archives of incompressible data
// (jars in zips), deflated.
func benchCApp(b *testing.B, size int) string {
	b.Helper()
	bench.Lock()
	defer bench.Unlock()
	if p, ok := bench.paths[size]; ok {
		return p
	}
	if bench.dir == "" {
		d, err := os.MkdirTemp("", "carbonapp-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bench.dir, bench.paths = d, map[int]string{}
	}
	p := filepath.Join(bench.dir, fmt.Sprintf("Bench_%d.car", size))
	if err := writeBenchCApp(p, size); err != nil {
		b.Fatal(err)
	}
	bench.paths[size] = p
	return p
}

func writeBenchCApp(path string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := zip.NewWriter(bw)
	w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	add := func(name string, body []byte) error {
		fw, err := w.Create(name)
		if err != nil {
			return err
		}
		_, err = fw.Write(body)
		return err
	}
	deps := ""
	const xmlArtifacts = 12
	for i := range xmlArtifacts {
		name := fmt.Sprintf("Artifact%02d", i)
		deps += fmt.Sprintf(`<dependency artifact="%s" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>`+"\n", name)
		if err := add(name+"_1.0.0/artifact.xml", []byte(artifactXMLFor(name, "1.0.0", "synapse/api", "EnterpriseServiceBus", name+"-1.0.0.xml"))); err != nil {
			return err
		}
		if err := add(name+"_1.0.0/"+name+"-1.0.0.xml", []byte(`<api xmlns="http://ws.apache.org/ns/synapse" name="`+name+`" context="/`+name+`"><resource methods="GET"><inSequence><respond/></inSequence></resource></api>`)); err != nil {
			return err
		}
	}
	rng := rand.NewChaCha8([32]byte{42})
	const chunk = 25 << 20
	for i, left := 0, size-16<<10; left > 0; i, left = i+1, left-chunk {
		name := fmt.Sprintf("connector%d", i)
		deps += fmt.Sprintf(`<dependency artifact="%s" version="1.0.0" include="true" serverRole="EnterpriseServiceBus"/>`+"\n", name)
		if err := add(name+"_1.0.0/artifact.xml", []byte(artifactXMLFor(name, "1.0.0", "synapse/lib", "EnterpriseServiceBus", name+"-1.0.0.zip"))); err != nil {
			return err
		}
		body := make([]byte, min(left, chunk))
		if _, err := rng.Read(body); err != nil {
			return err
		}
		if err := add(name+"_1.0.0/"+name+"-1.0.0.zip", body); err != nil {
			return err
		}
	}
	if err := add("artifacts.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><artifacts>
<artifact name="Bench" version="`+fmt.Sprint(size)+`" type="carbon/application">
`+deps+`</artifact>
</artifacts>
`)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// benchFiles are the C-Apps benchmarked: a 1.4 MB and a 100 MB one, plus the
// real 1.4 MB sample when DEPSYNC_TESTDATA is set.
func benchFiles(b *testing.B) []struct{ name, path string } {
	files := []struct{ name, path string }{
		{"1.4MB", benchCApp(b, 1_400_000)},
		{"100MB", benchCApp(b, 100_000_000)},
	}
	if root := os.Getenv("DEPSYNC_TESTDATA"); root != "" {
		p := filepath.Join(root, "capps", "valid", "HealthCareCompositeExporter_1.0.0.car")
		if _, err := os.Stat(p); err == nil {
			files = append(files, struct{ name, path string }{"real-1.4MB", p})
		}
	}
	return files
}

func BenchmarkParse(b *testing.B) {
	for _, f := range benchFiles(b) {
		b.Run(f.name, func(b *testing.B) {
			st, err := os.Stat(f.path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseFile(f.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSHA256(b *testing.B) {
	for _, f := range benchFiles(b) {
		b.Run(f.name, func(b *testing.B) {
			file, err := os.Open(f.path)
			if err != nil {
				b.Fatal(err)
			}
			defer file.Close()
			st, err := file.Stat()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size())
			for b.Loop() {
				if _, err := hashReaderAt(file, st.Size()); err != nil {
					b.Fatal(err)
				}
			}
			ours := b.Elapsed() / time.Duration(b.N)
			theirs, err := sha256sumTime(f.path, st.Size())
			if err != nil {
				b.Logf("no comparison with sha256sum: %v", err)
				return
			}
			ratio := theirs.Seconds() / ours.Seconds()
			b.ReportMetric(float64(st.Size())/theirs.Seconds()/1e6, "sha256sum-MB/s")
			b.ReportMetric(ratio, "x-sha256sum")
			if ratio < 0.8 {
				b.Errorf("sha256 throughput is %.2f× sha256sum's on the same file (want ≥ 0.8): %v vs %v per pass", ratio, ours, theirs)
			}
		})
	}
}

// sha256sumTime is the time sha256sum takes to hash the file once: the best
// of 3 runs, each hashing it several times in one process so that starting
// the process does not count.
func sha256sumTime(path string, size int64) (time.Duration, error) {
	bin, err := exec.LookPath("sha256sum")
	if err != nil {
		return 0, err
	}
	reps := int(max(1, min(50, 200e6/max(size, 1))))
	args := make([]string, reps)
	for i := range args {
		args[i] = path
	}
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%v: %s", err, out)
		}
		best = min(best, time.Since(start)/time.Duration(reps))
	}
	return best, nil
}
