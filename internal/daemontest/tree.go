package daemontest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Tree maps each regular file below dir (slash-separated relative path) to
// its sha256. Dot files and dot directories (.svn) are left out, as depsync
// leaves them out of the sync.
func Tree(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		sum, err := fileSHA256(p)
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = sum
		return nil
	})
	return out, err
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SameTree reports whether two directories hold the same files with the
// same bytes, and if not, the first difference it finds.
func SameTree(a, b string) (bool, string) {
	ta, err := Tree(a)
	if err != nil {
		return false, err.Error()
	}
	tb, err := Tree(b)
	if err != nil {
		return false, err.Error()
	}
	for p, h := range ta {
		if hb, ok := tb[p]; !ok {
			return false, "missing in " + b + ": " + p
		} else if hb != h {
			return false, "differs: " + p
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok {
			return false, "extra in " + b + ": " + p
		}
	}
	return true, ""
}
