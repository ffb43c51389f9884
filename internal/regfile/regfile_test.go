package regfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("FIFOs and symlinks are Unix's")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "a.xml")
	require.NoError(t, os.WriteFile(file, []byte("<a/>"), 0o644))
	link := filepath.Join(dir, "link.xml")
	require.NoError(t, os.Symlink(file, link))
	fifo := filepath.Join(dir, "fifo.xml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))

	tests := []struct {
		name, path, kind string
	}{
		{"regular file", file, ""},
		{"symlink to a regular file", link, "symlink"},
		{"FIFO without a writer", fifo, "FIFO"},
		{"directory", dir, "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, _, err := Open(tt.path)
				if f != nil {
					f.Close()
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Open blocked")
			}
			if tt.kind == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrNotRegular)
			var nr *NotRegularError
			require.True(t, errors.As(err, &nr))
			assert.Equal(t, tt.kind, nr.Kind)
		})
	}
	_, _, err := Open(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
