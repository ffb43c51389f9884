// Package regfile opens and reads files that must be regular files: the
// files of a synced tree (the deployment directory, carbonapps), the config
// file, Carbon's configuration files, Carbon's log, TLS files. Such a path
// may name a FIFO (whose open waits for a writer, and whose read waits for
// data: the manager wedged in its completeness check, and SIGTERM could not
// stop it), a device such as /dev/zero (whose read never ends) or a
// directory. Each is refused with an error saying what it is before a byte
// is read, and whole-file reads are bounded, so that a wrong path can
// neither hang depsync nor grow its memory.
//
// Open is for files of a synced tree: it never follows a symlink, since a
// link there would make depsync read, and sync, what it points at.
// OpenFollowing and ReadFile are for files a person named (a config key, a
// command-line argument), which may well be links.
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
	// ErrNotRegular: the path names a symlink (for Open), a FIFO, a
	// device, a socket or a directory. Test with errors.Is; errors.As
	// finds the *NotRegularError, which names the kind.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file holds more than the caller's limit.
	ErrTooLarge = errors.New("file too large")
)

// NotRegularError is ErrNotRegular for one path, with its kind. Open and
// OpenFollowing return it inside an *fs.PathError, which names the path.
type NotRegularError struct {
	Path string
	Kind string // as Kind says: "symlink", "FIFO", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s (%s)", ErrNotRegular, withArticle(e.Kind))
}

// Is makes errors.Is(err, ErrNotRegular) true.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// Open opens path read-only if it is a regular file, and returns it with
// its FileInfo. The type is checked on the opened file (fstat), not on the
// path beforehand, so that nothing swapped in between is read. The open
// neither follows a symlink in the last component nor blocks on a FIFO
// (O_NONBLOCK, which changes nothing for reads of a regular file). Errors
// are *fs.PathError naming the path; errors.Is sees ErrNotRegular,
// fs.ErrNotExist, fs.ErrPermission.
func Open(path string) (*os.File, fs.FileInfo, error) {
	return open(path, noFollow)
}

// OpenFollowing is Open for a path a person named (a config key, capp push
// of a file anywhere): a symlink is followed, to a regular file only.
func OpenFollowing(path string) (*os.File, fs.FileInfo, error) {
	return open(path, 0)
}

func open(path string, flags int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|flags, 0)
	if err != nil {
		if isLoop(err) {
			return nil, nil, notRegular(path, "symlink")
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, nil, notRegular(path, Kind(fi.Mode()))
	}
	return f, fi, nil
}

func notRegular(path, kind string) error {
	return &fs.PathError{Op: "open", Path: path, Err: &NotRegularError{Path: path, Kind: kind}}
}

// ReadFile reads the regular file at path (following links) whole,
// refusing one of more than max bytes (checked on its size and again while
// reading, as it may grow) with an error that says so and names the path
// (errors.Is sees ErrTooLarge).
func ReadFile(path string, max int64) ([]byte, error) {
	f, fi, err := OpenFollowing(path)
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

// Describe is Kind with its article, for messages: "a FIFO", "an
// irregular file".
func Describe(m fs.FileMode) string { return withArticle(Kind(m)) }

func withArticle(kind string) string {
	if kind != "" && kind[0] == 'i' {
		return "an " + kind
	}
	return "a " + kind
}
