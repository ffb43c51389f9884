package deploy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/httpserver"
	"github.com/depsync/depsync/internal/testcapp"
)

// BenchmarkPush200MB pushes a 200 MB C-App through the whole HTTP stack
// (loopback HTTP, the receiver's streaming write and hash, fsync, carbonapp
// validation, rename, directory fsync) and, in the same run, copies the same
// file with cp on the same disk. It reports both throughputs, their ratio
// (push/cp; the target is at least 0.5) and how much the process's peak RSS
// grew while pushing (streaming: it stays flat, far below the file size).
//
//	go test -run '^$' -bench Push200MB -benchtime 5x ./deploy/
func BenchmarkPush200MB(b *testing.B) {
	if testing.Short() {
		b.Skip("200 MB benchmark")
	}
	const size = 200 << 20
	srcDir := b.TempDir()
	src := testcapp.Write(b, srcDir, "Big_1.0.0.car", "Big", "1.0.0", testcapp.Pad(size))
	fi, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	dstDir := filepath.Join(b.TempDir(), "carbonapps")
	store, err := NewStore(dstDir, 0)
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	api := NewAPI(APIOptions{Store: store, Role: config.RoleManager, Token: testToken})
	mux.Handle("/v1/capps/", api)
	srv := httptest.NewServer(httpserver.New("", mux, config.TLS{}).Handler)
	defer srv.Close()
	c, err := client.New(client.Options{Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	cpDir := b.TempDir()
	dst := filepath.Join(dstDir, "Big_1.0.0.car")

	// The digest is known before the push, as for capp push (which
	// validates the file first) and the reconciler (which lists it); this
	// also warms the page cache for both sides alike.
	digest, err := fileSHA256(src)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	hwm0 := vmHWM()
	var pushT, cpT, cpSyncT time.Duration
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = os.Remove(dst)
		b.StopTimer()
		flushDirty() // each measure starts without the others' dirty pages
		b.StartTimer()
		start := time.Now()
		reply, err := c.Put(context.Background(), srv.URL, src, client.PutRequest{SHA256: digest})
		if err != nil {
			b.Fatal(err)
		}
		pushT += time.Since(start)
		if reply.Status != StatusCreated {
			b.Fatalf("status %s", reply.Status)
		}

		b.StopTimer()
		cpDst := filepath.Join(cpDir, "copy.car")
		_ = os.Remove(cpDst)
		flushDirty()
		start = time.Now()
		if out, err := exec.Command("cp", src, cpDst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		cpT += time.Since(start)
		// cp does not fsync; the push does. Also time cp followed by an
		// fsync of the copy, for a like-for-like durability figure.
		_ = os.Remove(cpDst)
		flushDirty()
		start = time.Now()
		if out, err := exec.Command("cp", src, cpDst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		if f, err := os.Open(cpDst); err == nil {
			_ = f.Sync()
			f.Close()
		}
		cpSyncT += time.Since(start)
		b.StartTimer()
	}
	b.StopTimer()
	mb := float64(fi.Size()) * float64(b.N) / 1e6
	push := mb / pushT.Seconds()
	cp := mb / cpT.Seconds()
	cpSync := mb / cpSyncT.Seconds()
	b.ReportMetric(push, "push_MB/s")
	b.ReportMetric(cp, "cp_MB/s")
	b.ReportMetric(cpSync, "cp+fsync_MB/s")
	b.ReportMetric(push/cp, "push/cp")
	b.ReportMetric(push/cpSync, "push/cp+fsync")
	if hwm0 > 0 {
		b.ReportMetric(float64(vmHWM()-hwm0)/1e6, "rss_growth_MB")
	}
}

// flushDirty writes every dirty page to disk (sync(1)).
func flushDirty() { _ = exec.Command("sync").Run() }

// vmHWM returns the process's peak resident set size in bytes (Linux), or 0.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// fileSHA256 streams the file at path through SHA-256.
func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
