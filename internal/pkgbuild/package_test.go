package pkgbuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildPackages builds the .deb and .rpm of this machine's architecture
// into out as make package does: scripts/pkgbuild, SOURCE_DATE_EPOCH set.
func buildPackages(t *testing.T, out string) (deb, rpm string) {
	t.Helper()
	bin := hostBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "pkgbuild"), "-version", testDescribe, "-arch", runtime.GOARCH,
		"-bins", binDir, "-host-bin", bin, "-out", out, "-maintainer", "depsync test <test@example.org>")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", testEpoch.Unix()))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "pkgbuild: %s", stderr.String())
	paths := strings.Fields(string(stdout))
	require.Len(t, paths, 2, "pkgbuild prints the .deb and the .rpm: %s", stdout)
	return paths[0], paths[1]
}

var (
	pkgOnce        sync.Once
	pkgDir         string
	pkgDeb, pkgRPM string
	pkgErr         error
)

// packages are the .deb and .rpm the tests share: built once per run.
func packages(t *testing.T) (deb, rpm string) {
	t.Helper()
	pkgOnce.Do(func() {
		if pkgDir, pkgErr = os.MkdirTemp("", "depsync-pkgbuild-dist-"); pkgErr != nil {
			return
		}
		ok := t.Run("build", func(t *testing.T) { pkgDeb, pkgRPM = buildPackages(t, pkgDir) })
		if !ok {
			pkgErr = fmt.Errorf("building the packages failed (see the build subtest)")
		}
	})
	require.NoError(t, pkgErr)
	return pkgDeb, pkgRPM
}

func TestPackagesAreReproducible(t *testing.T) {
	deb1, rpm1 := packages(t)
	deb2, rpm2 := buildPackages(t, t.TempDir())
	for _, pair := range [][2]string{{deb1, deb2}, {rpm1, rpm2}} {
		a, err := os.ReadFile(pair[0])
		require.NoError(t, err)
		b, err := os.ReadFile(pair[1])
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s: two builds of the same tree differ", filepath.Base(pair[0]))
	}
	assert.Equal(t, "depsync_1.2.3+4.gabc1234_"+runtime.GOARCH+".deb", filepath.Base(deb1))
	assert.Equal(t, "depsync-1.2.3+4.gabc1234-1."+rpmArch(runtime.GOARCH)+".rpm", filepath.Base(rpm1))
}

// wantPaths are files every package must have (besides the man pages).
var wantPaths = []string{
	"/usr/bin/depsync",
	"/usr/lib/systemd/system/depsync.service",
	"/usr/lib/systemd/system/depsync@.service",
	"/etc/depsync/depsync.yaml",
	"/usr/share/man/man1/depsync.1.gz",
	"/usr/share/man/man1/depsync-capp-push.1.gz",
	"/usr/share/man/man1/depsync-config-check.1.gz",
	"/usr/share/bash-completion/completions/depsync",
	"/usr/share/fish/vendor_completions.d/depsync.fish",
	"/usr/share/doc/depsync/README.md",
	"/usr/share/depsync/prometheus/depsync-rules.yml",
	"/usr/share/depsync/grafana/depsync-dashboard.json",
}

func TestDebMetadataAndInstall(t *testing.T) {
	need(t, "root", "dpkg", "dpkg-deb", "useradd", "lintian", "systemd-analyze")
	deb, _ := packages(t)

	info := sh(t, nil, "dpkg-deb", "-I", deb)
	for _, want := range []string{"Package: depsync", "Version: 1.2.3+4.gabc1234", "Architecture: " + runtime.GOARCH,
		"Pre-Depends: passwd", "Recommends: subversion", "Maintainer: depsync test <test@example.org>"} {
		assert.Contains(t, info, want)
	}
	assert.Equal(t, "/etc/depsync/depsync.yaml\n", sh(t, nil, "sh", "-c", "dpkg-deb --ctrl-tarfile \"$0\" | tar -xO ./conffiles", deb),
		"the config file is a conffile, never overwritten")
	list := sh(t, nil, "dpkg-deb", "-c", deb)
	for _, p := range append(wantPaths, "/usr/share/zsh/vendor-completions/_depsync", "/usr/share/doc/depsync/copyright") {
		assert.Contains(t, list, "."+p+"\n", "the .deb installs %s", p)
	}

	lint := exec.Command("lintian", "--no-tag-display-limit", deb)
	out, _ := lint.CombinedOutput() // lintian exits 1 on warnings too: the E: lines decide
	for _, line := range strings.Split(string(out), "\n") {
		assert.False(t, strings.HasPrefix(line, "E: "), "lintian: %s", line)
	}

	// A throw-away root: dpkg's database and the accounts files, nothing
	// else. dpkg runs the maintainer scripts outside it with DPKG_ROOT set
	// (--force-script-chrootless), so the machine's own / is only read.
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log", "etc"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	for name, body := range map[string]string{
		"var/lib/dpkg/status": "",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":           "root:x:0:\n",
		"etc/shadow":          "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":         "root:*::\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(body), 0o644))
	}
	dpkg := func(args ...string) string {
		return sh(t, nil, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends",
			"--log=" + filepath.Join(root, "var/log/dpkg.log")}, args...)...)
	}
	dpkg("-i", deb)
	assert.Contains(t, dpkg("-s", "depsync"), "Status: install ok installed")

	got := sh(t, nil, filepath.Join(root, "usr/bin/depsync"), "--version")
	assert.Contains(t, got, "depsync "+testDescribe+"\n", "the installed binary reports git describe")

	assert.Regexp(t, `(?m)^depsync:x:\d+:\d+:depsync daemon:/var/lib/depsync:/usr/sbin/nologin$`, readFile(t, filepath.Join(root, "etc/passwd")),
		"the package creates the depsync system user")
	fi, err := os.Stat(filepath.Join(root, "etc/depsync"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
	fi, err = os.Stat(filepath.Join(root, "var/lib/depsync"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o750), fi.Mode().Perm())

	verifyUnits(t, root)

	// An operator's edit survives removal, and so does the state; the
	// binary does not.
	conf := filepath.Join(root, "etc/depsync/depsync.yaml")
	require.NoError(t, os.WriteFile(filepath.Join(root, "var/lib/depsync/state"), []byte("kept\n"), 0o600))
	require.NoError(t, os.WriteFile(conf, []byte("role: worker\n"), 0o640))
	dpkg("-r", "depsync")
	_, err = os.Stat(filepath.Join(root, "usr/bin/depsync"))
	assert.ErrorIs(t, err, os.ErrNotExist, "removed")
	b, err := os.ReadFile(conf)
	require.NoError(t, err, "dpkg -r keeps /etc/depsync")
	assert.Equal(t, "role: worker\n", string(b))
	_, err = os.Stat(filepath.Join(root, "var/lib/depsync/state"))
	assert.NoError(t, err, "dpkg -r keeps the state")
	assert.Contains(t, readFile(t, filepath.Join(root, "etc/passwd")), "\ndepsync:", "and the user")
}

func TestRPMMetadata(t *testing.T) {
	need(t, "rpm", "rpmlint")
	_, rpm := packages(t)
	info := sh(t, []string{"TZ=UTC"}, "rpm", "-qip", rpm)
	for _, want := range []string{"Name        : depsync", "Version     : 1.2.3+4.gabc1234", "Release     : 1",
		"Architecture: " + rpmArch(runtime.GOARCH), "Build Date  : Tue Nov 14 22:13:20 2023"} {
		assert.Contains(t, info, want)
	}
	list := sh(t, nil, "rpm", "-qlp", rpm)
	for _, p := range append(wantPaths, "/usr/share/zsh/site-functions/_depsync", "/usr/share/licenses/depsync/copyright") {
		assert.Contains(t, list, p+"\n", "the .rpm installs %s", p)
	}
	assert.Equal(t, "/etc/depsync/depsync.yaml\n", sh(t, nil, "rpm", "-qp", "--configfiles", rpm))
	assert.Contains(t, sh(t, nil, "rpm", "-qp", "--requires", rpm), "shadow-utils")
	scripts := sh(t, nil, "rpm", "-qp", "--scripts", rpm)
	for _, want := range []string{"postinstall scriptlet", "preuninstall scriptlet", "useradd", "systemctl stop"} {
		assert.Contains(t, scripts, want)
	}

	out, _ := exec.Command("rpmlint", "-r", filepath.Join(repoRoot(t), "packaging/rpmlintrc"), rpm).CombinedOutput()
	assert.Contains(t, string(out), " 0 errors,", "rpmlint: %s", out)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
