package daemontest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Drop places src in dir under name the way a deployment tool should:
// written under a dot name (which depsync ignores), then renamed.
func Drop(t testing.TB, src, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "."+name+".part")
	if err := CopyFile(src, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// CopyFile copies src to dst.
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// WaitIdentical polls until dst holds the same bytes as src (size first,
// then sha256) and returns how long it took from start.
func WaitIdentical(src, dst string, start time.Time, timeout time.Duration) (time.Duration, error) {
	want, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	for time.Since(start) < timeout {
		if fi, err := os.Stat(dst); err == nil && fi.Size() == int64(len(want)) {
			if got, err := os.ReadFile(dst); err == nil && bytes.Equal(got, want) {
				return time.Since(start), nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s did not arrive within %s", filepath.Base(dst), timeout)
}

// XMLTree writes n small XML files below dir, 100 to a folder.
func XMLTree(t testing.TB, dir string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, "synapse-configs", "default", "api", fmt.Sprintf("group%03d", i/100), fmt.Sprintf("api%05d.xml", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		body := fmt.Sprintf("<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"api%05d\" context=\"/a%05d\"/>\n", i, i)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// WaitReady waits until the node's /readyz answers 200.
func WaitReady(t testing.TB, n *Node, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, n.Name+" /readyz", func() bool {
		code, _ := n.Get("/readyz", nil)
		return code == 200
	})
}
