package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// copyEntry is one copy under a time folder.
type copyEntry struct {
	path   string
	rel    string // relative to its time folder: the file it is a copy of
	folder time.Time
	id     string // the content's identity: copies of one content share it
	size   int64
}

// Prune removes copies oldest first while they are older than MaxAge or the
// bytes kept exceed MaxBytes, never the newest copy of a path, then objects
// no copy uses any more and empty folders. It updates Stats and the metric.
func (k *Keeper) Prune() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pruneLocked()
}

// Run prunes now and then every interval until ctx ends, so that the age
// limit holds while nothing new is kept.
func (k *Keeper) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := k.Prune(); err != nil {
			k.log.Warn("pruning backups failed; retrying later", "dir", k.root, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (k *Keeper) pruneLocked() error {
	folders, err := os.ReadDir(k.root)
	if errors.Is(err, fs.ErrNotExist) {
		k.setStats(nil, nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("backups: %w", err)
	}
	var copies []*copyEntry
	for _, f := range folders {
		t, err := time.Parse(FolderFormat, f.Name())
		if err != nil || !f.IsDir() {
			continue // not ours: left alone, and not counted
		}
		dir := filepath.Join(k.root, f.Name())
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // gone meanwhile, or unreadable: skip it
			}
			if d.IsDir() {
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			copies = append(copies, &copyEntry{path: p, rel: filepath.ToSlash(rel), folder: t, id: fileID(p, fi), size: fi.Size()})
			return nil
		})
		if err != nil {
			return fmt.Errorf("backups: %w", err)
		}
	}
	objects := map[string]string{} // file id -> object path
	objSize := map[string]int64{}
	if ents, err := os.ReadDir(filepath.Join(k.root, objectsDir)); err == nil {
		for _, e := range ents {
			p := filepath.Join(k.root, objectsDir, e.Name())
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if strings.HasPrefix(e.Name(), ".tmp-") {
				os.Remove(p) // a copy a crash interrupted
				continue
			}
			objects[fileID(p, fi)] = p
			objSize[fileID(p, fi)] = fi.Size()
		}
	}

	// Oldest first; within a folder by path, for a stable order.
	sort.Slice(copies, func(i, j int) bool {
		if !copies[i].folder.Equal(copies[j].folder) {
			return copies[i].folder.Before(copies[j].folder)
		}
		return copies[i].path < copies[j].path
	})
	newest := map[string]*copyEntry{}
	refs := map[string]int{}
	for _, c := range copies {
		newest[c.rel] = c
		refs[c.id]++
	}
	var total int64
	for id, n := range objSize {
		if refs[id] == 0 {
			// No copy uses it (a crash between object and link).
			os.Remove(objects[id])
			delete(objects, id)
			continue
		}
		total += n
	}
	counted := map[string]bool{}
	for _, c := range copies {
		if _, isObj := objects[c.id]; !isObj && !counted[c.id] {
			counted[c.id] = true
			total += c.size
		}
	}

	now := k.now()
	var kept []*copyEntry
	removed, freed := 0, int64(0)
	for _, c := range copies {
		old := k.opts.MaxAge > 0 && now.Sub(c.folder) > k.opts.MaxAge
		over := k.opts.MaxBytes > 0 && total > k.opts.MaxBytes
		if newest[c.rel] == c || (!old && !over) {
			kept = append(kept, c)
			continue
		}
		if err := os.Remove(c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			kept = append(kept, c)
			continue
		}
		removed++
		refs[c.id]--
		if refs[c.id] == 0 {
			if obj, ok := objects[c.id]; ok {
				os.Remove(obj)
				delete(objects, c.id)
			}
			total -= c.size
			freed += c.size
		}
	}
	removeEmptyDirs(k.root)
	k.setStats(kept, &total)
	if removed > 0 {
		k.log.Info("old backups removed (backups.max_age, backups.max_bytes)", "dir", k.root,
			"copies", removed, "freed_bytes", freed, "kept_bytes", total)
	}
	return nil
}

func (k *Keeper) setStats(kept []*copyEntry, total *int64) {
	s := Stats{MaxBytes: k.opts.MaxBytes, MaxAge: k.opts.MaxAge, Copies: len(kept)}
	if total != nil {
		s.Bytes = *total
	}
	if len(kept) > 0 {
		s.Oldest = kept[0].folder
		for _, c := range kept {
			if c.folder.Before(s.Oldest) {
				s.Oldest = c.folder
			}
		}
	}
	k.stats = s
	k.bytes.Set(float64(s.Bytes))
}

// removeEmptyDirs removes the time folders (and folders in them) that hold
// no file any more.
func removeEmptyDirs(root string) {
	folders, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, f := range folders {
		if _, err := time.Parse(FolderFormat, f.Name()); err != nil || !f.IsDir() {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(filepath.Join(root, f.Name()), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		// Deepest first: a folder empties once its subfolders are gone.
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i]) // fails, harmlessly, when not empty
		}
	}
}
