package pkgbuild

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/svntest"
)

// testDescribe is the git describe the test binary and packages carry.
const testDescribe = "v1.2.3-4-gabc1234"

// need skips the test when a tool is missing (or it is not root, for
// "root"), and fails it under DEPSYNC_REQUIRE_INTEGRATION=1.
func need(t *testing.T, tools ...string) {
	t.Helper()
	var miss []string
	for _, tool := range tools {
		if tool == "root" {
			if os.Geteuid() != 0 {
				miss = append(miss, "root")
			}
			continue
		}
		if _, err := exec.LookPath(tool); err != nil {
			miss = append(miss, tool)
		}
	}
	if len(miss) > 0 {
		svntest.Unsupported(t, "pkgbuild: needs %s (make deps installs the tools; run as root)", strings.Join(miss, ", "))
	}
}

// repoRoot is the source tree: two folders up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	require.NoError(t, err)
	return r
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// hostBinary builds depsync for this machine once per test run, as make
// package does (static, stripped, with testDescribe as its version), into
// <binDir>/linux_<arch>/depsync, and scripts/pkgbuild into
// <binDir>/pkgbuild: packages are built by that program, as make package
// does, and outside this test binary's race detector, which would make
// compressing 20 MB take minutes.
func hostBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "depsync-pkgbuild-bin-")
		if binErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		for _, b := range []struct{ out, ldflags, pkg string }{
			{filepath.Join(binDir, "linux_"+runtime.GOARCH, "depsync"),
				"-s -w -X main.version=" + testDescribe + " -X main.commit=abc1234", "./cmd/depsync"},
			{filepath.Join(binDir, "pkgbuild"), "", "./scripts/pkgbuild"},
		} {
			cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", b.ldflags, "-o", b.out, b.pkg)
			cmd.Dir = repoRoot(t)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
			if out, err := cmd.CombinedOutput(); err != nil {
				binErr = &buildError{err: err, out: string(out)}
				return
			}
		}
	})
	require.NoError(t, binErr)
	return filepath.Join(binDir, "linux_"+runtime.GOARCH, "depsync")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + ": " + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{binDir, pkgDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// stage puts the files of a package together in a new folder, with the
// host binary as the packaged one, and returns the folder and man pages.
func stage(t *testing.T, prefix string) (string, []string) {
	t.Helper()
	bin := hostBinary(t)
	dir := t.TempDir()
	pages, err := Stage(context.Background(), dir, StageOptions{Repo: repoRoot(t), HostBin: bin,
		Version: mustVersion(t), Epoch: testEpoch, Maintainer: "depsync test <test@example.org>", Prefix: prefix})
	require.NoError(t, err)
	b, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "depsync"), b, 0o755))
	return dir, pages
}

var testEpoch = time.Unix(1700000000, 0).UTC()

func mustVersion(t *testing.T) string {
	t.Helper()
	v, err := Version(testDescribe)
	require.NoError(t, err)
	return v
}

// sh runs a command and returns its standard output; it fails the test
// when the command fails.
func sh(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s: %s%s", name, strings.Join(args, " "), out, stderr.String())
	return string(out)
}
