package pkgbuild

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/depsync/depsync/internal/atomicfile"
)

// Install copies files from the staging directory stage under destdir (make
// install DESTDIR=...), each written whole or not at all. A Config file
// that is already there is left as it is (it is the operator's) and
// returned in kept.
func Install(stage, destdir string, files []File) (kept []string, err error) {
	for _, f := range files {
		if f.Kind == DebOnly {
			continue
		}
		dst := filepath.Join(destdir, f.Dst)
		if f.Kind == Dir {
			if err := os.MkdirAll(dst, fs.FileMode(f.Mode)); err != nil {
				return kept, fmt.Errorf("install: %w", err)
			}
			continue
		}
		if f.Kind == Config {
			if _, err := os.Lstat(dst); err == nil {
				kept = append(kept, dst)
				continue
			} else if !errors.Is(err, fs.ErrNotExist) {
				return kept, fmt.Errorf("install: %w", err)
			}
		}
		b, err := os.ReadFile(filepath.Join(stage, f.Src))
		if err != nil {
			return kept, fmt.Errorf("install: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return kept, fmt.Errorf("install: %w", err)
		}
		if err := atomicfile.WriteFile(dst, b, fs.FileMode(f.Mode)); err != nil {
			return kept, fmt.Errorf("install %s: %w", dst, err)
		}
	}
	return kept, nil
}
