package lease

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func take(path string) (*os.File, error) {
	f, err := os.Open(path)
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
