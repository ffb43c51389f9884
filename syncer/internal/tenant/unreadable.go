package tenant

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/depsync/depsync/svn"
)

// UnreadableDir returns the folder (slash, relative to dir) whose entries
// svn could not read because one of their names is not UTF-8 (E000022:
// "Error converting entry in directory '...' to UTF-8"), or false.
func UnreadableDir(err error, dir string) (string, bool) {
	var se *svn.Error
	if !errors.As(err, &se) || !se.HasCode("E000022") {
		return "", false
	}
	const lead = "Error converting entry in directory '"
	i := strings.Index(se.Message, lead)
	if i < 0 {
		return "", false
	}
	rest := se.Message[i+len(lead):]
	j := strings.Index(rest, "' to UTF-8")
	if j < 0 {
		return "", false
	}
	p := rest[:j]
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	rel, rerr := filepath.Rel(dir, p)
	if rerr != nil || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
