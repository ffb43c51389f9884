package main

import (
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY returns the terminal end of a new pseudo-terminal, its other end
// drained so that writes never block.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	require.NoError(t, err)
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { tty.Close() })
	go io.Copy(io.Discard, master) // ends when the cleanup closes it
	return tty
}

// TestProgressOnATerminal: a terminal gets the bar.
func TestProgressOnATerminal(t *testing.T) {
	tty := openPTY(t)
	require.True(t, isTerminal(tty))
	p := newProgress(tty, sized(2<<20), 1)
	require.NotNil(t, p)
	p.done(0, 2<<20)
	assert.True(t, p.bar.IsFinished())
	p.stop()
}
