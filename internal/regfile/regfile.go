// Package regfile opens files of a synced tree (the deployment directory,
// carbonapps) the one safe way: regular files only, never through a
// symlink, and never blocking on the open. A FIFO opened the usual way
// blocks until a writer comes (the manager wedged in its completeness
// check, and SIGTERM could not stop it); a device such as /dev/zero reads
// forever; a symlink would make depsync read, and sync, what it points at.
// Everything that opens a path in a synced tree to read it goes through
// Open, so that each such file is refused with ErrNotRegular instead.
package regfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular says the path is not a regular file: a symlink, a FIFO, a
// socket, a device or a directory. Test with errors.Is; the error names
// the kind (Kind).
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError is ErrNotRegular for one path, with its kind.
type NotRegularError struct {
	Path string
	Kind string // as Kind says: "symlink", "FIFO", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.Path, e.Kind)
}

// Is makes errors.Is(err, ErrNotRegular) true.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// Open opens path read-only if it is a regular file, and returns it with
// its FileInfo (from the open file, so that a swap between a look and the
// open is seen). The open neither follows a symlink in the last component
// nor blocks on a FIFO (O_NONBLOCK, which changes nothing for reads of a
// regular file). Anything else is a *NotRegularError.
func Open(path string) (*os.File, fs.FileInfo, error) {
	return open(path, noFollow)
}

// OpenFollowing is Open for a path a person named (capp push of a file
// anywhere): a symlink is followed, to a regular file only.
func OpenFollowing(path string) (*os.File, fs.FileInfo, error) {
	return open(path, 0)
}

func open(path string, flags int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|flags, 0)
	if err != nil {
		if isLoop(err) {
			return nil, nil, &NotRegularError{Path: path, Kind: "symlink"}
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Kind: Kind(fi.Mode())}
	}
	return f, fi, nil
}

// Kind names the type of a file mode: "regular file", "directory",
// "symlink", "FIFO", "socket", "device", or "irregular file".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "irregular file"
	}
}
