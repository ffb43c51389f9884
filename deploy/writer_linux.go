package deploy

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openForWriting reports whether some process has the file at path open
// for writing: the kernel refuses a read lease (fcntl F_SETLEASE, F_RDLCK)
// with EAGAIN only then. A lease that is granted is let go at once. Any
// other refusal (a file of another user without CAP_LEASE, a file system
// without leases) proves nothing and reports false: validity alone decides,
// as before.
func openForWriting(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
		return errors.Is(err, unix.EAGAIN)
	}
	_, _ = unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
	return false
}
