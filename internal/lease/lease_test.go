package lease

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func linuxOnly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("file leases are Linux's")
	}
}

func file(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "A_1.0.0.car")
	require.NoError(t, os.WriteFile(p, []byte("bytes"), 0o644))
	return p
}

func TestClosedAndOpenForWriting(t *testing.T) {
	linuxOnly(t)
	tests := []struct {
		name   string
		open   int // how the test holds the file open meanwhile (0: not at all)
		closed bool
	}{
		{"nobody has it open", 0, true},
		{"open to read", os.O_RDONLY, true},
		{"open to write", os.O_WRONLY, false},
		{"open to read and write", os.O_RDWR, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := file(t)
			if tt.name != "nobody has it open" {
				f, err := os.OpenFile(p, tt.open, 0)
				require.NoError(t, err)
				defer f.Close()
			}
			assert.Equal(t, tt.closed, Closed(p))
			assert.Equal(t, !tt.closed, OpenForWriting(p))
		})
	}
}

func TestMissingFileProvesNothing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone")
	assert.False(t, Closed(p))
	assert.False(t, OpenForWriting(p))
	l, err := Take(p)
	assert.NoError(t, err)
	assert.Nil(t, l)
	l.Release() // a nil lease is fine
}

// TestWritersWaitForTheLease: while the lease is held, an open for writing
// would wait; O_NONBLOCK makes it fail at once with EWOULDBLOCK instead, so
// the test needs no timing.
func TestWritersWaitForTheLease(t *testing.T) {
	linuxOnly(t)
	p := file(t)
	l, err := Take(p)
	require.NoError(t, err)
	require.NotNil(t, l)
	_, err = os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.EWOULDBLOCK), "%v", err)

	l.Release()
	w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err, "released: the writer goes on")
	require.NoError(t, w.Close())
}

func TestBusyWhileAWriterHoldsIt(t *testing.T) {
	linuxOnly(t)
	p := file(t)
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	require.NoError(t, err)
	l, err := Take(p)
	assert.ErrorIs(t, err, ErrBusy)
	assert.Nil(t, l)
	require.NoError(t, w.Close())
	l, err = Take(p)
	require.NoError(t, err)
	assert.NotNil(t, l)
	l.Release()
}
