//go:build linux

package carbonxml

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOddCarbonXML: a carbon.xml that is a FIFO, a device or far larger
// than any carbon.xml is bad input, named with what is wrong, and nothing
// is written next to it.
func TestOddCarbonXML(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.xml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	zero := filepath.Join(dir, "zero.xml")
	require.NoError(t, os.Symlink("/dev/zero", zero))
	big := filepath.Join(dir, "big.xml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileSize+1)) // sparse
	require.NoError(t, f.Close())

	for _, tc := range []struct {
		path, want string
		is         error
	}{
		{fifo, "carbon.xml " + fifo + ": not a regular file (a FIFO)", ErrNotRegular},
		{zero, "carbon.xml " + zero + ": not a regular file (a device)", ErrNotRegular},
		{big, "carbon.xml " + big + ": file too large: 8388609 bytes, more than the 8388608 bytes allowed for it: is it the right file?", ErrTooLarge},
	} {
		_, err := Read(tc.path)
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.ErrorIs(t, err, tc.is)
		assert.True(t, IsBadInput(err))
		_, err = Apply(tc.path, settings("worker"), ApplyOptions{})
		require.ErrorIs(t, err, tc.is)
		assert.True(t, IsBadInput(err))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "no backup, no temporary file")
}
