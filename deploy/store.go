package deploy

import (
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
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/internal/backup"
	"github.com/depsync/depsync/internal/regfile"
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
	ErrInvalidCApp = errors.New("not a valid C-App")
	ErrTooLarge    = errors.New("C-App too large")
	ErrDuplicateID = errors.New("another file holds the same C-App id")
	ErrNotFound    = errors.New("no such C-App")
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

// PutResult is what Put did, as the API sends it (the API sets Received).
type PutResult = api.PutResult

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
	// arrived is what Put and Delete last left of each file: its sha256,
	// or "" once deleted (see FromAPI).
	arrived map[string]string
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
		if IsTemp(e.Name()) && !e.IsDir() {
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

// Path returns the path of file in the directory (cappname.ErrBad if file is not
// a valid C-App file name).
func (s *Store) Path(file string) (string, error) {
	if !cappname.Valid(file) {
		return "", cappname.ErrBad
	}
	return filepath.Join(s.dir, file), nil
}

// List returns the C-Apps of the directory sorted by file name: every
// C-App name (carbonapp.IsCApp: ending in ".car", not dot-prefixed). Files that do
// not parse, and names that are not regular files (a symlink, a FIFO), are
// listed with Error set (see Entry). Hashes and parses are cached by (name,
// size, mtime, inode).
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
		if !carbonapp.IsCApp(name) || de.IsDir() {
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
	if !cappname.Valid(file) {
		return Entry{}, cappname.ErrBad
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
	f, fi, err := regfile.Open(p)
	var nr *regfile.NotRegularError
	if errors.As(err, &nr) {
		if nr.Kind == "directory" {
			return Entry{}, fs.ErrNotExist // not a C-App file at all
		}
		return irregularEntry(name, nr.Kind), nil
	}
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
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

// irregularEntry is the entry of a C-App name that is a symlink, a FIFO, a
// socket or a device: listed, so that it is neither taken for a deletion
// (a manager pruning its peers) nor hidden, but with Error set, so that it
// is never pushed. Nothing of it is read: a symlink would push what it
// points at, a FIFO would block the reader.
func irregularEntry(name, kind string) Entry {
	return Entry{File: name, Error: fmt.Sprintf("not a regular file (%s): not synced; put the C-App file itself in its place", kind)}
}

// Delete removes dir/file, or returns ErrNotFound.
func (s *Store) Delete(file string) error {
	if !cappname.Valid(file) {
		return cappname.ErrBad
	}
	defer s.pruneBackups() // after the unlock
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.backupLocked(file); err != nil {
		return err
	}
	s.arrivedLocked(file, "")
	if err := os.Remove(filepath.Join(s.dir, file)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return fmt.Errorf("remove %s: %w", file, err)
	}
	delete(s.cache, file)
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return fmt.Errorf("remove %s: %w", file, err)
	}
	return nil
}

// tempPrefix starts the name of every temporary file the Store writes:
// dot-prefixed and never ending in ".car", so Carbon's deployer and
// depsync's watcher both ignore it.
const tempPrefix = ".depsync-"

// IsTemp reports whether name is one of the Store's temporary files: an
// upload in progress, or one a crash left (removed when a Store opens).
func IsTemp(name string) bool { return strings.HasPrefix(name, tempPrefix) }
