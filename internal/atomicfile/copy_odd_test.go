//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/depsync/depsync/internal/regfile"
)

// TestCopyRefusesAFIFO: a FIFO in the place of the file to copy is refused
// at once, not waited on for a writer, and nothing is written.
func TestCopyRefusesAFIFO(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "App_1.0.0.car")
	require.NoError(t, syscall.Mkfifo(src, 0o644))
	dst := filepath.Join(dir, "out", "App_1.0.0.car")
	done := make(chan error, 1)
	go func() { done <- Copy(src, dst, CopyOptions{}) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, regfile.ErrNotRegular)
	case <-time.After(10 * time.Second):
		t.Fatal("Copy blocked on the FIFO")
	}
	_, err := os.Lstat(dst)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
