package carbonxml

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/internal/regfile"
)

// MaxFileSize is the largest carbon.xml read. Carbon's own is tens of
// kilobytes; a larger file is not one.
const MaxFileSize = 8 << 20

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// DryRun computes the result and the diff and writes nothing.
	DryRun bool
	// Now stamps the backup's name; nil means time.Now.
	Now func() time.Time
}

// Read returns the live block of the carbon.xml at path.
func Read(path string) (*Block, error) {
	src, _, _, err := readFile(path)
	if err != nil {
		return nil, err
	}
	d, err := parse(src)
	if err != nil {
		return nil, fmt.Errorf("carbon.xml %s: %w", path, err)
	}
	b, err := d.readBlock()
	if err != nil {
		return nil, fmt.Errorf("carbon.xml %s: %w", path, err)
	}
	return b, nil
}

// Apply writes s into the carbon.xml at path. When the file changes, a
// backup is first written next to it (carbon.xml.depsync-<UTC time>.bak),
// the new content replaces the file atomically (temporary file, fsync,
// rename) with the file's mode and owner, and the file is read again to
// check the values. A symlink is followed: the file it points to is edited.
// Bad input (see IsBadInput) writes nothing.
func Apply(path string, s Settings, opts ApplyOptions) (*Result, error) {
	res := &Result{File: path}
	src, real, fi, err := readFile(path)
	if err != nil {
		return nil, err
	}
	out, created, err := edit(src, s)
	if err != nil {
		return nil, fmt.Errorf("carbon.xml %s: %w", path, err)
	}
	if bytes.Equal(out, src) {
		res.Status = StatusUnchanged
		return res, nil
	}
	res.Status = StatusUpdated
	if created {
		res.Status = StatusCreated
	}
	res.Diff = unifiedDiff(path, src, out, newRedactor(src, s))
	if opts.DryRun {
		return res, nil
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}

	// The file itself must be writable, not just its directory: a
	// read-only carbon.xml is the operator saying no.
	// O_NONBLOCK: a FIFO swapped in since the read fails here instead of
	// waiting for a reader.
	f, err := os.OpenFile(real, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			err = &reasonError{"no permission to write it", fs.ErrPermission}
		}
		return nil, fmt.Errorf("carbon.xml %s: %w", path, unwrapPath(err))
	}
	_ = f.Close()
	tmp, err := writeTemp(real, out, fi)
	if err != nil {
		return nil, fmt.Errorf("carbon.xml %s: %w", path, err)
	}
	defer func() { _ = tmp.Cleanup() }() // after a successful commit there is nothing to remove

	backup, err := writeBackup(real, src, fi, now().UTC())
	if err != nil {
		return nil, fmt.Errorf("carbon.xml %s: backup: %w", path, err)
	}
	res.Backup = backup

	// Someone else may have changed the file since it was read.
	cur, err := regfile.ReadFile(real, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("carbon.xml %s: %w", path, err)
	}
	if !bytes.Equal(cur, src) {
		_ = os.Remove(backup)
		return nil, fmt.Errorf("carbon.xml %s: %w", path, ErrChanged)
	}
	// A folder that could not be synced (ErrNotDurable) still holds the
	// new file: verify it as any other.
	if err := tmp.Commit(); err != nil && !errors.Is(err, atomicfile.ErrNotDurable) {
		return nil, fmt.Errorf("carbon.xml %s: replace: %w", path, err)
	}

	if err := verify(real, s); err != nil {
		// Put the original back; the backup stays for inspection.
		rtmp, rerr := writeTemp(real, src, fi)
		if rerr == nil {
			if rerr = rtmp.Commit(); errors.Is(rerr, atomicfile.ErrNotDurable) {
				rerr = nil
			}
			_ = rtmp.Cleanup()
		}
		if rerr != nil {
			return nil, fmt.Errorf("carbon.xml %s: %w: %v; restoring the original failed too (%v): copy %s back by hand", path, ErrVerify, err, rerr, backup)
		}
		return nil, fmt.Errorf("carbon.xml %s: %w: %v (the original was restored from %s)", path, ErrVerify, err, backup)
	}
	return res, nil
}

// verify reads the written file again and checks the values.
func verify(path string, s Settings) error {
	data, err := regfile.ReadFile(path, MaxFileSize)
	if err != nil {
		return err
	}
	d, err := parse(data)
	if err != nil {
		return err
	}
	b, err := d.readBlock()
	if err != nil {
		return err
	}
	return s.matches(b)
}

// readFile reads a carbon.xml, resolving symlinks, and returns its bytes,
// the real path and its file info.
func readFile(path string) ([]byte, string, fs.FileInfo, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("carbon.xml %s: %w", path, unwrapPath(err))
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, "", nil, fmt.Errorf("carbon.xml %s: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, "", nil, fmt.Errorf("carbon.xml %s: %w (%s)", path, ErrNotRegular, regfile.Describe(fi.Mode()))
	}
	// Checked again on the opened file, and bounded: the path may have
	// changed since the Stat.
	src, err := regfile.ReadFile(real, MaxFileSize)
	if err != nil {
		return nil, "", nil, fmt.Errorf("carbon.xml %s: %w", path, unwrapPath(err))
	}
	return src, real, fi, nil
}

// unwrapPath drops the *fs.PathError around err (the path is said once by
// the caller) and keeps what errors.Is needs.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &reasonError{"file not found", fs.ErrNotExist}
		case errors.Is(err, fs.ErrPermission):
			return &reasonError{"no permission to read it", fs.ErrPermission}
		}
		return pe.Err
	}
	return err
}

// writeTemp writes data to a new temporary file next to path with path's
// mode (and owner, where possible), synced to disk; Commit puts it in
// place.
func writeTemp(path string, data []byte, fi fs.FileInfo) (_ *atomicfile.File, err error) {
	f, err := atomicfile.Create(path, atomicfile.Options{Pattern: "." + filepath.Base(path) + ".depsync-*.tmp"})
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, &reasonError{"no permission to write in " + filepath.Dir(path), fs.ErrPermission}
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = f.Cleanup()
		}
	}()
	if _, err = f.Write(data); err != nil {
		return nil, err
	}
	if err = f.Chmod(fi.Mode().Perm()); err != nil {
		return nil, err
	}
	keepOwner(f.File, fi)
	if err = f.Sync(); err != nil {
		return nil, err
	}
	if err = f.Close(); err != nil {
		return nil, err
	}
	return f, nil
}

// writeBackup copies the original bytes to
// <file>.depsync-<UTC yyyymmddThhmmssZ>.bak (with -2, -3... when that name
// is taken), mode 0600 whatever the file's: it may hold a password.
func writeBackup(path string, data []byte, fi fs.FileInfo, t time.Time) (string, error) {
	base := path + ".depsync-" + t.Format("20060102T150405Z")
	for i := 1; i < 100; i++ {
		name := base + ".bak"
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ".bak"
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		keepOwner(f, fi)
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name)
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("too many backups named %s*.bak", base)
}

// reasonError says why in words of its own while errors.Is still sees err.
type reasonError struct {
	msg string
	err error
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.err }
