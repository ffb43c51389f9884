package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Move moves src (a file or a whole folder) to dst, creating dst's
// parents: a rename on one file system, else a copy of each file (whole or
// absent, symlinks kept as links) and then the removal of src. src is
// removed only once everything is copied.
func Move(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			// Kept as the link it is: removing src below must lose nothing.
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s: cannot move a %s across file systems", p, fi.Mode().Type())
		}
		return Copy(p, target, CopyOptions{KeepAttrs: true})
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(src)
}
