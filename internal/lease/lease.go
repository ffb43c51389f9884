// Package lease tells whether a file is still open for writing and keeps
// writers off a file while it is read, with Linux's read leases (fcntl
// F_SETLEASE, F_RDLCK). The kernel grants a read lease only while no process
// has the file open for writing, and while one is held a process that opens
// the file for writing (or truncates it) waits until it is released. It is
// depsync's proof that a file is complete, and its guard around svn reading
// a C-App.
//
// Where leases are not to be had (another OS, a file of another user
// without CAP_LEASE, a file system without them) Take grants nothing and
// says nothing: the callers fall back to their quiet time and re-checks.
package lease

import (
	"errors"
	"os"
)

// ErrBusy says the file is open for writing somewhere.
var ErrBusy = errors.New("file is open for writing")

// Lease is a read lease held on a file; Release lets waiting writers go on.
type Lease struct{ f *os.File }

// Take opens path read-only and takes a read lease on it. It returns
// ErrBusy while some process has the file open for writing, and (nil, nil)
// when no lease can be had for another reason: nothing is proven then.
func Take(path string) (*Lease, error) {
	f, err := take(path)
	if err != nil || f == nil {
		return nil, err
	}
	return &Lease{f: f}, nil
}

// Release lets the lease go; a nil Lease is fine.
func (l *Lease) Release() {
	if l != nil {
		release(l.f)
	}
}

// Closed reports whether it is proven that no process has the file open
// for writing: a lease could be taken (and is let go at once).
func Closed(path string) bool {
	l, err := Take(path)
	if err != nil || l == nil {
		return false
	}
	l.Release()
	return true
}

// OpenForWriting reports whether it is proven that some process has the
// file open for writing.
func OpenForWriting(path string) bool {
	_, err := Take(path)
	if err != nil {
		return true
	}
	return false
}
