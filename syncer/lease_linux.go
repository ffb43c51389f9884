package syncer

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// takeLease opens path read-only and takes a read lease on it (fcntl
// F_SETLEASE, F_RDLCK). The kernel refuses it with EAGAIN while any process
// has the file open for writing: errLeaseBusy. Any other refusal (EACCES
// for a file of another user without CAP_LEASE, a file system without
// leases) gives no lease and no error.
func takeLease(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
		f.Close()
		if errors.Is(err, unix.EAGAIN) {
			return nil, errLeaseBusy
		}
		return nil, nil
	}
	return f, nil
}

func releaseLease(f *os.File) {
	_, _ = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
	f.Close()
}
