package pkgbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scripts/check-size.sh (make lint, so CI) fails on a tracked file over
// 1 MB, such as a committed binary, and lets testdata and untracked files be.
func TestCheckSizeFailsOnALargeTrackedFile(t *testing.T) {
	need(t, "git")
	script := filepath.Join(repoRoot(t), "scripts/check-size.sh")
	repo := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	check := func() (string, error) {
		cmd := exec.Command("bash", script)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	write := func(rel string, size int) {
		p := filepath.Join(repo, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, make([]byte, size), 0o644))
	}
	git("init", "-q")
	write("main.go", 100)
	write("internal/x/testdata/big.car", 2<<20)
	write("depsync", 2<<20) // untracked, as .gitignore keeps it
	git("add", "main.go", "internal/x/testdata/big.car")
	out, err := check()
	assert.NoError(t, err, out)

	write("my file.bin", 1<<20+1)
	git("add", "my file.bin")
	out, err = check()
	assert.Error(t, err)
	assert.Contains(t, out, "my file.bin is 1048577 bytes")
}
