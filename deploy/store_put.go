package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/internal/sfv"
)

// Put writes the C-App read from body to dir/file. The body goes to a
// temporary file in the directory, hashed while written and limited to
// MaxSize bytes; when wantSHA256 is not nil the hash must match it. The
// temporary file is fsynced, validated with package carbonapp and renamed
// into place, then the directory is fsynced. Whatever goes wrong, nothing is
// left behind. If dir/file already holds the same bytes, nothing is written
// and the status is "unchanged".
func (s *Store) Put(file string, body io.Reader, wantSHA256 []byte, opts PutOptions) (PutResult, error) {
	if !cappname.Valid(file) {
		return PutResult{}, cappname.ErrBad
	}
	tmp, err := s.createTemp(file)
	if err != nil {
		return PutResult{}, err
	}
	defer tmp.Cleanup() // nothing left behind unless committed

	h := sha256.New()
	n, err := copyHashed(tmp.File, h, body, s.maxSize)
	if we := (*writeError)(nil); errors.As(err, &we) {
		return PutResult{}, fmt.Errorf("write %s: %w", file, we.err)
	}
	if err != nil {
		return PutResult{}, fmt.Errorf("%w: %s after %d bytes: %w", errReceive, file, n, err)
	}
	if n > s.maxSize {
		return PutResult{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, s.maxSize)
	}
	if opts.Length > 0 && n != opts.Length {
		return PutResult{}, fmt.Errorf("%w: %s: received %d bytes, the request declared %d", errReceive, file, n, opts.Length)
	}
	sum := h.Sum(nil)
	if wantSHA256 != nil && !bytes.Equal(sum, wantSHA256) {
		return PutResult{}, fmt.Errorf("%w: received %d bytes with sha256 %x, expected %x", sfv.ErrDigestMismatch, n, sum, wantSHA256)
	}
	if err := tmp.Sync(); err != nil {
		return PutResult{}, fmt.Errorf("write %s: %w", file, err)
	}
	// The bytes were hashed while written: no need to read them again for that.
	app, err := (&carbonapp.Parser{}).ParseHashed(tmp.File, n, file, hex.EncodeToString(sum))
	if err != nil {
		return PutResult{}, &invalidError{err}
	}
	if err := tmp.Close(); err != nil {
		return PutResult{}, fmt.Errorf("write %s: %w", file, err)
	}
	res := PutResult{File: file, ID: app.ID, SHA256: hex.EncodeToString(sum)}

	defer s.pruneBackups() // after the unlock
	s.mu.Lock()
	defer s.mu.Unlock()
	final := filepath.Join(s.dir, file)
	status := StatusCreated
	if old, err := s.entryLocked(file); err == nil {
		if old.SHA256 == res.SHA256 {
			s.arrivedLocked(file, res.SHA256)
			res.Status = StatusUnchanged
			return res, nil
		}
		status = StatusUpdated
	} else if !errors.Is(err, fs.ErrNotExist) {
		return PutResult{}, err
	}
	dups, err := s.sameIDLocked(file, app.ID)
	if err != nil {
		return PutResult{}, err
	}
	if len(dups) > 0 && !opts.Replace {
		return PutResult{}, &DuplicateIDError{ID: app.ID, File: file, Other: dups[0]}
	}
	// The old files go first: Carbon must never see two files with one id.
	// A crash in between loses this C-App on this node only until the next
	// push or reconcile; the other order could leave Carbon with a failed
	// duplicate.
	for _, d := range dups {
		if err := s.backupLocked(d); err != nil {
			return PutResult{}, err
		}
		s.arrivedLocked(d, "")
		if err := os.Remove(filepath.Join(s.dir, d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return PutResult{}, fmt.Errorf("replace %s: %w", d, err)
		}
		delete(s.cache, d)
	}
	if status == StatusUpdated {
		if err := s.backupLocked(file); err != nil {
			return PutResult{}, err
		}
	}
	s.arrivedLocked(file, res.SHA256)
	// Synced and closed above: this renames and syncs the directory.
	if err := tmp.Commit(); err != nil {
		return PutResult{}, fmt.Errorf("install %s: %w", file, err)
	}
	if fi, err := os.Stat(final); err == nil {
		s.cache[file] = cached{key: keyOf(fi), entry: Entry{
			File: file, ID: app.ID, Name: app.Name, Version: app.Version,
			Size: n, SHA256: res.SHA256, MTime: fi.ModTime().UTC(),
		}}
	}
	res.Status = status
	res.Replaced = dups
	return res, nil
}

// sameIDLocked returns the other valid C-Apps of the directory with C-App
// id id. s.mu is held.
func (s *Store) sameIDLocked(file, id string) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list carbonapps: %w", err)
	}
	var out []string
	for _, de := range ents {
		name := de.Name()
		if name == file || !carbonapp.IsCApp(name) || !de.Type().IsRegular() {
			continue
		}
		e, err := s.entryLocked(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.ID == id {
			out = append(out, name)
		}
	}
	return out, nil
}

// createTemp opens the temporary file that Put fills and renames to
// dir/file: named tempPrefix... so that NewStoreWith removes it after a
// crash, in the directory (made first when missing and MkdirOnPut).
func (s *Store) createTemp(file string) (*atomicfile.File, error) {
	final := filepath.Join(s.dir, file)
	o := atomicfile.Options{Pattern: tempPrefix + "*.tmp", Perm: 0o644}
	f, err := atomicfile.Create(final, o)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(s.dir); errors.Is(serr, fs.ErrNotExist) {
			if !s.mkdirOnPut {
				return nil, fmt.Errorf("%w (%s)", ErrNoDir, s.dir)
			}
			if err := os.MkdirAll(s.dir, 0o755); err != nil {
				return nil, fmt.Errorf("carbonapps directory: %w", err)
			}
			f, err = atomicfile.Create(final, o)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return f, nil
}
