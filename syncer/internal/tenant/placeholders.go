package tenant

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// placeholder is a file or directory heal made for svn cleanup.
type placeholder struct {
	path string
	dir  bool
}

// journalFile is where the placeholders of the heal in progress are
// recorded: <state_dir>/heal/<tenant>.placeholders.
func (wc *Files) journalFile() string {
	return filepath.Join(wc.StateDir, "heal", strconv.Itoa(wc.ID)+".placeholders")
}

// journal records p before it is made, synced, so that a crash between
// making it and removing it leaves a trace to clean up.
func (wc *Files) journal(p placeholder) error {
	file := wc.journalFile()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	kind := "f"
	if p.dir {
		kind = "d"
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", kind, p.path); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removePlaceholders removes what heal made, newest first, and the journal
// once nothing of it is left.
func (wc *Files) removePlaceholders(placed []placeholder) {
	left := 0
	for i := len(placed) - 1; i >= 0; i-- {
		if err := os.Remove(placed[i].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			left++
			wc.Log.Warn("placeholder not removed; it is tried again at the next heal or start",
				"path", placed[i].path, "error", err)
		}
	}
	if left == 0 {
		if err := os.Remove(wc.journalFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			wc.Log.Warn("heal journal not removed", "file", wc.journalFile(), "error", err)
		}
	}
}

// RemoveStalePlaceholders removes the placeholders a heal interrupted by a
// crash left in the live tree: empty files and empty directories it
// recorded, inside the deployment directory. Anything that has content
// now is somebody's and stays.
func (wc *Files) RemoveStalePlaceholders() {
	f, err := os.Open(wc.journalFile())
	if err != nil {
		return
	}
	var placed []placeholder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, p, ok := strings.Cut(sc.Text(), " ")
		if !ok || !within(wc.Dir, p) {
			continue
		}
		placed = append(placed, placeholder{path: p, dir: kind == "d"})
	}
	f.Close()
	removed := 0
	for i := len(placed) - 1; i >= 0; i-- {
		fi, err := os.Lstat(placed[i].path)
		if err != nil {
			continue
		}
		switch {
		case placed[i].dir && fi.IsDir():
			if os.Remove(placed[i].path) == nil { // only when empty
				removed++
			}
		case !placed[i].dir && fi.Mode().IsRegular() && fi.Size() == 0:
			if os.Remove(placed[i].path) == nil {
				removed++
			}
		}
	}
	if removed > 0 {
		wc.Log.Warn("placeholders an interrupted heal left in the deployment directory removed", "count", removed)
	}
	_ = os.Remove(wc.journalFile())
}

// within reports whether p is strictly inside dir.
func within(dir, p string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	return err == nil && rel != "." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != ".." &&
		filepath.IsAbs(p)
}
