//go:build linux

package config

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadRefusesOddConfigFile: --config naming a FIFO, a device or a file
// far larger than any config is a clear error naming the file, at once:
// no hang, no unbounded read.
func TestLoadRefusesOddConfigFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	zero := filepath.Join(dir, "zero.yaml")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxConfigFileSize+1)) // sparse
	require.NoError(t, f.Close())

	for _, tc := range []struct{ path, want string }{
		{fifo, "read config: open " + fifo + ": not a regular file (a FIFO)"},
		{zero, "read config: open " + zero + ": not a regular file (a device)"},
		{big, "read config: read " + big + ": file too large: 1048577 bytes, more than the 1048576 bytes allowed for it: is it the right file?"},
	} {
		ch := make(chan error, 1)
		go func() { _, err := Load(Options{File: tc.path}); ch <- err }()
		select {
		case err := <-ch:
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) did not return", tc.path)
		}
	}
}
