// Package atomicfile is depsync's one way of writing a file that others may
// read at any moment: the bytes go to a temporary file in the destination's
// folder, are fsynced, the temporary file is renamed over the destination
// and the folder is fsynced. A reader sees the old file or the whole new
// one, never a part, and after a crash the file is the old or the new one.
// A failure leaves the old file as it was and no temporary file behind.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/depsync/depsync/internal/regfile"
)

// ErrNotDurable matches the error of a Commit whose rename was done but
// whose folder could not be fsynced: the new file is in place, but a crash
// may still undo the rename.
var ErrNotDurable = errors.New("the folder could not be synced to disk")

// Options configure Create. Every field is optional.
type Options struct {
	// Perm is the permission of the new file, less the umask, as with
	// os.OpenFile (default 0o600).
	Perm fs.FileMode
	// Pattern names the temporary file in the destination's folder; its
	// last "*" becomes a random string (default ".<base>.tmp-*": a dot
	// name, which Carbon's deployer and depsync's watcher ignore).
	Pattern string
}

// File is a temporary file that replaces its destination on Commit. Write
// to it (or to its *os.File) like any file; Cleanup after a failure.
type File struct {
	*os.File
	path   string
	closed bool
	done   bool
}

// Create opens a new temporary file, read-write, in the folder of path,
// destined to replace path. An error matches fs.ErrNotExist when that
// folder is missing.
func Create(path string, o Options) (*File, error) {
	perm := o.Perm
	if perm == 0 {
		perm = 0o600
	}
	pattern := o.Pattern
	if pattern == "" {
		pattern = "." + filepath.Base(path) + ".tmp-*"
	}
	prefix, suffix := pattern, ""
	if i := strings.LastIndex(pattern, "*"); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	dir := filepath.Dir(path)
	for range 100 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:])+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &File{File: f, path: path}, nil
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many names taken", dir)
}

// Close closes the temporary file without putting it in place; Commit and
// Cleanup may still follow. A second Close does nothing.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	return f.File.Close()
}

// Commit fsyncs the file (unless it was closed already: then the caller
// synced it), closes it, renames it over its destination and fsyncs the
// folder.
func (f *File) Commit() error { return f.CommitAs(f.path) }

// CommitAs is Commit to another path in the same folder, for a name known
// only once the content is written (a content hash).
func (f *File) CommitAs(path string) error {
	if f.done {
		return errors.New("atomicfile: committed already")
	}
	if !f.closed {
		if err := f.File.Sync(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := os.Rename(f.File.Name(), path); err != nil {
		return err
	}
	f.done = true
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("%w: %w", ErrNotDurable, err)
	}
	return nil
}

// Cleanup closes and removes the temporary file unless it was committed.
// Defer it right after Create.
func (f *File) Cleanup() error {
	if f.done {
		return nil
	}
	f.done = true
	cerr := f.Close()
	if err := os.Remove(f.File.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return cerr
}

// KeepAttrs gives the file fi's permission bits and modification time
// (set on the temporary file: write nothing after it).
func (f *File) KeepAttrs(fi fs.FileInfo) error {
	if err := os.Chmod(f.File.Name(), fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Chtimes(f.File.Name(), time.Now(), fi.ModTime())
}

// WriteFile writes data to path atomically with exactly the permission
// perm, whatever the umask.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, Options{Perm: perm})
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	return f.Commit()
}

// CopyOptions configure Copy.
type CopyOptions struct {
	// KeepAttrs gives the copy src's permission bits and modification
	// time (a backup). Otherwise a dst that exists keeps its permission
	// bits, and a new one gets Perm less the umask (default 0o600).
	KeepAttrs bool
	Perm      fs.FileMode
	// Hash, when set, receives the bytes copied.
	Hash io.Writer
}

// Copy copies the regular file src to dst atomically, creating dst's
// folder when missing (0o700).
func Copy(src, dst string, o CopyOptions) error {
	// Anything but a regular file is refused without blocking (a FIFO).
	in, fi, err := regfile.OpenFollowing(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	perm, exact := o.Perm, false
	if !o.KeepAttrs {
		if old, err := os.Lstat(dst); err == nil && old.Mode().IsRegular() {
			perm, exact = old.Mode().Perm(), true
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	out, err := Create(dst, Options{Perm: perm})
	if err != nil {
		return err
	}
	defer out.Cleanup()
	var w io.Writer = out.File
	if o.Hash != nil {
		w = io.MultiWriter(out.File, o.Hash)
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	switch {
	case o.KeepAttrs:
		err = out.KeepAttrs(fi)
	case exact:
		err = out.Chmod(perm)
	}
	if err != nil {
		return err
	}
	return out.Commit()
}

// SyncDir fsyncs the folder dir, which makes a rename in it durable. File
// systems that cannot sync a folder (EINVAL, ENOTSUP) count as synced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
