// Package regfile opens and reads files that must be regular files: the
// config file, Carbon's configuration files, Carbon's log. Such a path may
// name a FIFO (whose open waits for a writer, and whose read waits for
// data), a device such as /dev/zero (whose read never ends) or a directory.
// Each is refused with an error saying what it is before a byte is read,
// and whole-file reads are bounded, so that a wrong path can neither hang
// depsync nor grow its memory.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

var (
	// ErrNotRegular: the path names a FIFO, a device, a socket or a
	// directory (after following symlinks).
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file holds more than the caller's limit.
	ErrTooLarge = errors.New("file too large")
)

// Open opens the regular file at path for reading and returns it with its
// file info. The type is checked on the opened file (fstat), not on the
// path beforehand, so that nothing swapped in between is read; the open
// itself is non-blocking, so that a FIFO without a writer is refused rather
// than waited for. (O_NONBLOCK changes nothing for a regular file.) Errors
// are *fs.PathError naming the path; errors.Is sees ErrNotRegular,
// fs.ErrNotExist, fs.ErrPermission.
func Open(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(fi.Mode()))}
	}
	return f, fi, nil
}

// ReadFile reads the regular file at path whole, refusing one of more than
// max bytes (checked on its size and again while reading, as it may grow)
// with an error that says so and names the path (errors.Is sees
// ErrTooLarge).
func ReadFile(path string, max int64) ([]byte, error) {
	f, fi, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := func(size int64) error {
		what := "more than"
		if size > 0 {
			what = fmt.Sprintf("%d bytes, more than", size)
		}
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %s the %d bytes allowed for it: is it the right file?", ErrTooLarge, what, max)}
	}
	if fi.Size() > max {
		return nil, tooLarge(fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > max {
		return nil, tooLarge(0)
	}
	return data, nil
}

// Kind names the type of a file that is not a regular one, for messages.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a regular file"
	}
	return "mode " + m.String()
}
