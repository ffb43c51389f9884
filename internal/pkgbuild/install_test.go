package pkgbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// make install PREFIX=/usr/local DESTDIR=...: the package's files, under
// the prefix, the units pointing at the prefix's binary, and the config
// of an earlier install left as it is.
func TestInstallUnderPrefix(t *testing.T) {
	dir, pages := stage(t, "/usr/local")
	dest := t.TempDir()
	files := Files(InstallLayout("/usr/local"), pages)
	kept, err := Install(dir, dest, files)
	require.NoError(t, err)
	assert.Empty(t, kept)
	for _, p := range []string{
		"usr/local/bin/depsync",
		"usr/local/lib/systemd/system/depsync.service",
		"usr/local/lib/systemd/system/depsync@.service",
		"etc/depsync/depsync.yaml",
		"usr/local/share/man/man1/depsync-capp-push.1.gz",
		"usr/local/share/bash-completion/completions/depsync",
		"usr/local/share/zsh/site-functions/_depsync",
		"usr/local/share/fish/vendor_completions.d/depsync.fish",
		"usr/local/share/doc/depsync/README.md",
		"usr/local/share/doc/depsync/copyright",
		"usr/local/share/depsync/prometheus/depsync-rules.yml",
		"usr/local/share/depsync/grafana/depsync-dashboard.json",
	} {
		_, err := os.Stat(filepath.Join(dest, p))
		assert.NoError(t, err, "make install writes %s", p)
	}
	_, err = os.Stat(filepath.Join(dest, "usr/local/share/lintian"))
	assert.ErrorIs(t, err, os.ErrNotExist, "lintian's overrides are the .deb's only")
	fi, err := os.Stat(filepath.Join(dest, "usr/local/bin/depsync"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())

	unit := readFile(t, filepath.Join(dest, "usr/local/lib/systemd/system/depsync@.service"))
	assert.Contains(t, unit, "ExecStart=/usr/local/bin/depsync run --config /etc/depsync/%i.yaml")
	assert.Contains(t, unit, "ExecStartPre=/usr/local/bin/depsync config check --config /etc/depsync/%i.yaml")
	assert.NotContains(t, unit, "/usr/bin/depsync")

	t.Run("units load", func(t *testing.T) {
		need(t, "systemd-analyze")
		verifyUnits(t, dest)
	})

	conf := filepath.Join(dest, "etc/depsync/depsync.yaml")
	require.NoError(t, os.WriteFile(conf, []byte("role: manager\n"), 0o640))
	kept, err = Install(dir, dest, files)
	require.NoError(t, err)
	assert.Equal(t, []string{conf}, kept)
	assert.Equal(t, "role: manager\n", readFile(t, conf), "a second make install keeps the operator's config")
}

// The units carry what the issue asks of them, whatever else changes.
func TestUnits(t *testing.T) {
	for _, u := range []string{"depsync.service", "depsync@.service"} {
		body := readFile(t, filepath.Join(repoRoot(t), "packaging/systemd", u))
		for _, want := range []string{"\nUser=depsync\n", "\nExecStartPre=/usr/bin/depsync config check --config ",
			"\nRestartPreventExitStatus=2\n", "\nProtectSystem=full\n", "\nReadWritePaths=-/usr/local\n", "\nWantedBy=multi-user.target\n"} {
			assert.Contains(t, body, want, u)
		}
		assert.NotContains(t, body, "ProtectHome=", "%s: Carbon homes under /home must stay writable", u)
	}
	assert.Contains(t, readFile(t, filepath.Join(repoRoot(t), "packaging/systemd/depsync@.service")),
		"\nExecStart=/usr/bin/depsync run --config /etc/depsync/%i.yaml ")
}

// verifyUnits runs systemd-analyze verify on both units installed under
// root: the host's own units stand in for the targets they are wanted by,
// and the man pages are checked as files, not through man(1).
func verifyUnits(t *testing.T, root string) {
	t.Helper()
	hostUnits := "/usr/lib/systemd/system"
	if _, err := os.Stat(hostUnits); err == nil {
		dst := filepath.Join(root, "usr/lib/systemd/system")
		require.NoError(t, os.MkdirAll(dst, 0o755))
		out, err := exec.Command("cp", "-an", hostUnits+"/.", dst).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", "--root="+root,
		"depsync.service", "depsync@ei.service").CombinedOutput()
	assert.NoError(t, err, "systemd-analyze verify: %s", out)
	assert.Empty(t, string(out), "systemd-analyze verify says nothing of a unit it finds right")
}
