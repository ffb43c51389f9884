package lease

import (
	"errors"
	"os"

	"github.com/depsync/depsync/internal/regfile"
	"golang.org/x/sys/unix"
)

func take(path string) (*os.File, error) {
	// Never blocks on a FIFO nor follows a symlink: only a regular file
	// can be proven complete.
	f, _, err := regfile.Open(path)
	if err != nil {
		return nil, nil
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
		f.Close()
		if errors.Is(err, unix.EAGAIN) {
			return nil, ErrBusy
		}
		return nil, nil
	}
	return f, nil
}

func release(f *os.File) {
	_, _ = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
	f.Close()
}
