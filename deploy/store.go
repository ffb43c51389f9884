package deploy

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/internal/backup"
)

// DefaultMaxSize is the largest C-App a Store accepts when NewStore is given
// no limit.
const DefaultMaxSize int64 = 1 << 30

// Statuses of a Put.
const (
	StatusCreated   = "created"
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
)

// Errors of the Store. Test with errors.Is; ErrDuplicateID comes as a
// *DuplicateIDError (errors.As) naming the other file, ErrInvalidCApp wraps
// the carbonapp error.
var (
	ErrBadName        = errors.New("bad C-App file name: only letters, digits, '.', '_' and '-', starting with a letter or digit, ending in .car, at most 255 bytes")
	ErrDigestMismatch = errors.New("content digest mismatch: the bytes received are not the ones sent")
	ErrInvalidCApp    = errors.New("not a valid C-App")
	ErrTooLarge       = errors.New("C-App too large")
	ErrDuplicateID    = errors.New("another file holds the same C-App id")
	ErrNotFound       = errors.New("no such C-App")
)

// errReceive: the body could not be read to its end.
var errReceive = errors.New("upload interrupted")

// DuplicateIDError says which existing file already holds the C-App id.
type DuplicateIDError struct {
	ID    string
	File  string // the file being written
	Other string // the existing file with the same id
}

func (e *DuplicateIDError) Error() string {
	return fmt.Sprintf("%s holds C-App %s, which %s also holds: Carbon refuses duplicate ids; replace (capp push --replace, ?replace=true) removes %s in the same step",
		e.Other, e.ID, e.File, e.Other)
}

// Is makes errors.Is(err, ErrDuplicateID) true.
func (e *DuplicateIDError) Is(target error) bool { return target == ErrDuplicateID }

// invalidError wraps a carbonapp error so that errors.Is matches both
// ErrInvalidCApp and the carbonapp sentinel.
type invalidError struct{ err error }

func (e *invalidError) Error() string        { return ErrInvalidCApp.Error() + ": " + e.err.Error() }
func (e *invalidError) Unwrap() []error      { return []error{ErrInvalidCApp, e.err} }
func (e *invalidError) Is(target error) bool { return target == ErrInvalidCApp }

// Entry describes one C-App of a carbonapps directory (see api.Entry).
type Entry = api.Entry

// PutOptions change how Put treats an existing C-App.
type PutOptions struct {
	// Replace removes another file holding the same C-App id in the same
	// step, instead of refusing with ErrDuplicateID.
	Replace bool
	// Length, when > 0, is the body's declared length (Content-Length): a
	// body that ends before or goes past it is an interrupted upload and
	// nothing is stored.
	Length int64
}

// PutResult is what Put did.
type PutResult struct {
	File   string `json:"file"`
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"` // created, updated or unchanged
	// Replaced names the files with the same id that Put removed.
	Replaced []string `json:"replaced,omitempty"`
}

// Store is a carbonapps directory that C-Apps are written to atomically.
// It is safe for concurrent use by one process; uploads stream in parallel
// and only the final checks and renames are serialized.
type Store struct {
	dir        string
	maxSize    int64
	mkdirOnPut bool

	// backups and backupPrefix place copies of the files the store
	// replaces or deletes: <overwritten>/<UTC time>/<backupPrefix>/<file>.
	// Nil backups: no copies.
	backups      *backup.Keeper
	backupPrefix string

	mu    sync.Mutex // serializes changes to the directory and the cache
	cache map[string]cached
}

type cached struct {
	key   fileKey
	entry Entry
}

// fileKey identifies a version of a file cheaply: when it is unchanged the
// cached hash and parse are reused.
type fileKey struct {
	size  int64
	mtime int64
	ino   uint64
}

func keyOf(fi fs.FileInfo) fileKey {
	return fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ino: inode(fi)}
}

// NewStore opens the carbonapps directory dir, creating it if missing, and
// removes the temporary files a crash may have left there. maxSize limits
// the size of one C-App (DefaultMaxSize when <= 0).
func NewStore(dir string, maxSize int64) (*Store, error) {
	return NewStoreWith(dir, StoreOptions{MaxSize: maxSize})
}

// StoreOptions configure NewStoreWith.
type StoreOptions struct {
	// MaxSize limits the size of one C-App (DefaultMaxSize when <= 0).
	MaxSize int64
	// NoCreate leaves a missing directory missing: on a manager, the
	// source of truth, an empty carbonapps made up in place of a vanished
	// one would read as "every C-App deleted"; in an SVN working copy an
	// empty folder the repository lacks would show as unversioned. List
	// then fails with an error matching fs.ErrNotExist until the directory
	// is back, and so does Put (ErrNoDir) unless MkdirOnPut.
	NoCreate bool
	// MkdirOnPut creates the missing directory when a C-App arrives (a
	// worker: it is not the source of truth, and a push must land).
	MkdirOnPut bool
}

// ErrNoDir: the carbonapps directory is missing and the store does not
// make it up (StoreOptions.NoCreate).
var ErrNoDir = errors.New("the carbonapps directory is missing; depsync waits for it rather than make up an empty one: put it back (or create it) and retry")

// NewStoreWith opens the carbonapps directory dir (see NewStore and
// StoreOptions).
func NewStoreWith(dir string, o StoreOptions) (*Store, error) {
	maxSize := o.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if !o.NoCreate {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("carbonapps directory: %w", err)
		}
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) && o.NoCreate {
		ents, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("carbonapps directory: %w", err)
	}
	for _, e := range ents {
		if isTemp(e.Name()) && !e.IsDir() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("remove stale temporary file: %w", err)
			}
		}
	}
	return &Store{dir: dir, maxSize: maxSize, mkdirOnPut: o.MkdirOnPut, cache: map[string]cached{}}, nil
}

// Dir returns the carbonapps directory.
func (s *Store) Dir() string { return s.dir }

// MaxSize returns the size limit of one C-App.
func (s *Store) MaxSize() int64 { return s.maxSize }

// Path returns the path of file in the directory (ErrBadName if file is not
// a valid C-App file name).
func (s *Store) Path(file string) (string, error) {
	if !ValidName(file) {
		return "", ErrBadName
	}
	return filepath.Join(s.dir, file), nil
}

// List returns the C-Apps of the directory sorted by file name: every
// regular file ending in ".car" whose name does not start with a dot.
// Files that do not parse are listed with Error set (see Entry). Hashes and
// parses are cached by (name, size, mtime, inode).
func (s *Store) List() ([]Entry, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) && s.mkdirOnPut {
		return []Entry{}, nil // made when the first C-App arrives
	}
	if err != nil {
		return nil, fmt.Errorf("list carbonapps: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	out := []Entry{}
	for _, de := range ents {
		name := de.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".car") || !de.Type().IsRegular() {
			continue
		}
		e, err := s.entryLocked(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		seen[name] = true
		out = append(out, e)
	}
	for name := range s.cache {
		if !seen[name] {
			delete(s.cache, name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out, nil
}

// Get returns the entry of one file, or ErrNotFound.
func (s *Store) Get(file string) (Entry, error) {
	if !ValidName(file) {
		return Entry{}, ErrBadName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.entryLocked(file)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, ErrNotFound
	}
	return e, err
}

// entryLocked hashes and parses dir/name unless the cache already knows this
// version of it. s.mu is held.
func (s *Store) entryLocked(name string) (Entry, error) {
	p := filepath.Join(s.dir, name)
	f, err := os.Open(p)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Entry{}, err
	}
	if !fi.Mode().IsRegular() {
		return Entry{}, fs.ErrNotExist
	}
	k := keyOf(fi)
	if c, ok := s.cache[name]; ok && c.key == k {
		return c.entry, nil
	}
	e := Entry{File: name, Size: fi.Size(), MTime: fi.ModTime().UTC()}
	app, perr := carbonapp.Parse(f, fi.Size(), name)
	if perr == nil {
		e.ID, e.Name, e.Version, e.SHA256 = app.ID, app.Name, app.Version, app.SHA256
	} else {
		// The parser hashes valid C-Apps; hash the others here.
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
			return Entry{}, fmt.Errorf("read %s: %w", name, err)
		}
		e.SHA256 = hex.EncodeToString(h.Sum(nil))
		e.Error = perr.Error()
	}
	// A file still being written changes its size or mtime, so caching its
	// failed parse is safe: the next List looks again.
	s.cache[name] = cached{key: k, entry: e}
	return e, nil
}

// Put writes the C-App read from body to dir/file. The body goes to a
// temporary file in the directory, hashed while written and limited to
// MaxSize bytes; when wantSHA256 is not nil the hash must match it. The
// temporary file is fsynced, validated with package carbonapp and renamed
// into place, then the directory is fsynced. Whatever goes wrong, nothing is
// left behind. If dir/file already holds the same bytes, nothing is written
// and the status is "unchanged".
func (s *Store) Put(file string, body io.Reader, wantSHA256 []byte, opts PutOptions) (PutResult, error) {
	if !ValidName(file) {
		return PutResult{}, ErrBadName
	}
	tmp, err := s.createTemp()
	if err != nil {
		return PutResult{}, err
	}
	tmpPath := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()

	h := sha256.New()
	n, err := copyHashed(tmp, h, body, s.maxSize)
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
		return PutResult{}, fmt.Errorf("%w: received %d bytes with sha256 %x, expected %x", ErrDigestMismatch, n, sum, wantSHA256)
	}
	if err := tmp.Sync(); err != nil {
		return PutResult{}, fmt.Errorf("write %s: %w", file, err)
	}
	// The bytes were hashed while written: no need to read them again for that.
	app, err := (&carbonapp.Parser{}).ParseHashed(tmp, n, file, hex.EncodeToString(sum))
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
	if err := os.Rename(tmpPath, final); err != nil {
		return PutResult{}, fmt.Errorf("install %s: %w", file, err)
	}
	keep = true
	if err := syncDir(s.dir); err != nil {
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
		if name == file || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".car") || !de.Type().IsRegular() {
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

// Delete removes dir/file, or returns ErrNotFound.
func (s *Store) Delete(file string) error {
	if !ValidName(file) {
		return ErrBadName
	}
	defer s.pruneBackups() // after the unlock
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.backupLocked(file); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.dir, file)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return fmt.Errorf("remove %s: %w", file, err)
	}
	delete(s.cache, file)
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("remove %s: %w", file, err)
	}
	return nil
}

func (s *Store) createTemp() (*os.File, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := filepath.Join(s.dir, tempPrefix+hex.EncodeToString(b[:])+".tmp")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(s.dir); errors.Is(serr, fs.ErrNotExist) {
			if !s.mkdirOnPut {
				return nil, fmt.Errorf("%w (%s)", ErrNoDir, s.dir)
			}
			if err := os.MkdirAll(s.dir, 0o755); err != nil {
				return nil, fmt.Errorf("carbonapps directory: %w", err)
			}
			f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
