// Package backup keeps the copies depsync makes before it replaces or
// deletes a file, under <state_dir>/overwritten, and bounds them.
//
// # Layout
//
//	<root>/<UTC time>/<path>      a copy, as <path> was at that time
//	<root>/.objects/<sha256>      the one copy of each content
//
// <root> is <state_dir>/overwritten (Root); <UTC time> is FolderFormat;
// <path> is the file's path relative to the deployment directory, tenants
// other than the super tenant under tenants/<id>/ (Path). Each copy is a
// hard link to its content's object, so an identical copy already kept
// costs no space a second time. Copies are written through package
// atomicfile: a copy is whole or absent.
//
// # Retention
//
// Prune removes copies oldest first while they are older than MaxAge or the
// bytes kept exceed MaxBytes, but never the newest copy of a path: the last
// version a person may want back stays whatever the limits say.
package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/depsync/depsync/internal/atomicfile"
	"github.com/depsync/depsync/internal/regfile"
)

// FolderFormat names each backup folder by its UTC time; nanoseconds keep
// two backups in one second apart, and the names sort by time.
const FolderFormat = "20060102T150405.000000000Z"

// objectsDir is the content index under the root; the dot keeps it apart
// from the time folders.
const objectsDir = ".objects"

// Options configure a Keeper. Every field is optional.
type Options struct {
	// MaxAge is how long a copy is kept (0: no age limit).
	MaxAge time.Duration
	// MaxBytes caps the bytes kept (0: no size limit).
	MaxBytes int64
	Logger   *slog.Logger
	// Registerer receives depsync_backup_bytes.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Stats is what the backups hold, for /v1/status.
type Stats struct {
	// Bytes is the space the copies take (each content counted once).
	Bytes int64 `json:"bytes"`
	// Copies is the number of copies (paths under the time folders).
	Copies int `json:"copies"`
	// Oldest is the time of the oldest backup folder kept.
	Oldest   time.Time     `json:"oldest,omitzero"`
	MaxBytes int64         `json:"max_bytes"`
	MaxAge   time.Duration `json:"max_age"`
}

// Keeper writes and bounds the copies under one root. It is safe for
// concurrent use; copies and pruning are serialized.
type Keeper struct {
	root  string
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	bytes prometheus.Gauge

	mu    sync.Mutex
	last  time.Time // the last folder handed out, to keep them distinct
	stats Stats
}

// New returns a Keeper of root (<state_dir>/overwritten). It touches
// nothing on disk until a copy is kept or Prune runs.
func New(root string, opts Options) *Keeper {
	k := &Keeper{
		root: root,
		opts: opts,
		log:  opts.Logger,
		now:  opts.Now,
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "depsync_backup_bytes",
			Help: "Bytes kept under <state_dir>/overwritten (copies of replaced or deleted files), bounded by backups.max_bytes.",
		}),
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.now == nil {
		k.now = time.Now
	}
	k.stats.MaxBytes, k.stats.MaxAge = opts.MaxBytes, opts.MaxAge
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(k.bytes, limitGauge(opts.MaxBytes))
	}
	return k
}

// Root returns the directory the copies are under.
func (k *Keeper) Root() string { return k.root }

// Folder returns a new backup folder for copies made now,
// <root>/<UTC time>, distinct from every folder handed out before. It is
// not created until a copy goes there.
func (k *Keeper) Folder() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	t := k.now().UTC()
	if !t.After(k.last) {
		t = k.last.Add(time.Nanosecond)
	}
	k.last = t
	return filepath.Join(k.root, t.Format(FolderFormat))
}

// Keep copies the regular file src to <folder>/<rel> (folder from Folder)
// and returns that path. When sha256hex is the file's known SHA-256 and its
// content is kept already, or src is on the same file system, no byte is
// copied (a hard link); otherwise the bytes are copied once into the
// content index, hashed on the way. The copy keeps src's mode and
// modification time unless its content was kept before.
func (k *Keeper) Keep(folder, rel, src, sha256hex string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	dst := filepath.Join(folder, filepath.FromSlash(rel))
	if err := k.keepLocked(dst, src, sha256hex); err != nil {
		return "", fmt.Errorf("back up %s to %s: %w", src, dst, err)
	}
	return dst, nil
}

func (k *Keeper) keepLocked(dst, src, sum string) error {
	objs := filepath.Join(k.root, objectsDir)
	if err := os.MkdirAll(objs, 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	var obj string
	if validSum(sum) {
		obj = filepath.Join(objs, sum)
		if _, err := os.Lstat(obj); errors.Is(err, fs.ErrNotExist) {
			// Instant when src is on this file system; the caller
			// vouches that src holds sum (it replaces or deletes src
			// right after, so the inode is the backup's alone).
			if os.Link(src, obj) != nil {
				obj = ""
			}
		}
	}
	if obj == "" {
		var err error
		if obj, err = k.copyObject(src); err != nil {
			return err
		}
	}
	if err := os.Link(obj, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists already", dst)
		}
		// No hard links on this file system: a plain copy, not deduplicated.
		return atomicfile.Copy(obj, dst, atomicfile.CopyOptions{KeepAttrs: true})
	}
	return nil
}

// copyObject copies src into the content index and returns the object's
// path; when the content is there already the copy is dropped.
func (k *Keeper) copyObject(src string) (string, error) {
	objs := filepath.Join(k.root, objectsDir)
	// Never blocks on a FIFO nor follows a link put in the file's place.
	in, fi, err := regfile.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	// Named by its hash once written: the destination given here only
	// places the temporary file.
	tmp, err := atomicfile.Create(filepath.Join(objs, "pending"), atomicfile.Options{Pattern: ".tmp-*"})
	if err != nil {
		return "", err
	}
	defer func() { _ = tmp.Cleanup() }() // the copy goes unless committed
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), in); err != nil {
		return "", err
	}
	if err := tmp.KeepAttrs(fi); err != nil {
		return "", err
	}
	obj := filepath.Join(objs, hex.EncodeToString(h.Sum(nil)))
	if _, err := os.Lstat(obj); err == nil {
		return obj, nil // kept already: the copy goes
	}
	if err := tmp.CommitAs(obj); err != nil {
		return "", err
	}
	return obj, nil
}

func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Stats returns what the backups held at the last Keep or Prune.
func (k *Keeper) Stats() Stats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}
