package svnbatch

import (
	"errors"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Where the calls of a batch meet: the folder holding every working copy,
// each call's paths relative to it, and which working copy a path svn
// printed belongs to.

// errNotBatchable: the calls cannot go in one run (they are each run alone).
var errNotBatchable = errors.New("calls cannot be batched")

// commonRoot returns the deepest directory holding every dir, or
// errNotBatchable when one dir holds another (or two are the same): each
// path svn prints must belong to exactly one of them.
func commonRoot(dirs []string) (string, error) {
	sorted := append([]string(nil), dirs...)
	sort.Strings(sorted)
	for i := 1; i < len(sorted); i++ {
		if atOrBelow(sorted[i-1], sorted[i]) {
			return "", errNotBatchable
		}
	}
	root := filepath.Dir(sorted[0])
	for _, d := range sorted[1:] {
		for !atOrBelow(root, d) {
			root = filepath.Dir(root)
		}
	}
	return root, nil
}

// atOrBelow reports whether p is dir or below it.
func atOrBelow(dir, p string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// targets are the calls' paths relative to root: each working copy's given
// paths, or the working copy itself.
func targets(root string, reqs []wcReq) []string {
	var out []string
	for _, r := range reqs {
		rel, _ := filepath.Rel(root, r.dir)
		if len(r.paths) == 0 {
			out = append(out, rel)
			continue
		}
		for _, p := range r.paths {
			out = append(out, inRoot(root, rel, p))
		}
	}
	return out
}

// inRoot is p, a path of the working copy at rel below root (relative to
// it, slash or native, or absolute), relative to root.
func inRoot(root, rel, p string) string {
	if filepath.IsAbs(p) {
		p, _ = filepath.Rel(root, p)
		return p
	}
	return filepath.Join(rel, filepath.FromSlash(p))
}

// owner finds which of dirs the slash path p (relative to root) is in and
// returns p relative to it.
func owner(root string, dirs []string, p string) (int, string, bool) {
	abs := filepath.Join(root, filepath.FromSlash(p))
	for i, d := range dirs {
		if atOrBelow(d, abs) {
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return 0, "", false
			}
			return i, filepath.ToSlash(rel), true
		}
	}
	return 0, "", false
}

// sameBase reports whether the URL's last segment names dir (so that a
// checkout into dir's parent lands in dir).
func sameBase(u, dir string) bool {
	last := path.Base(strings.TrimRight(u, "/"))
	if s, err := url.PathUnescape(last); err == nil {
		last = s
	}
	return last == filepath.Base(dir)
}

// joinMessages is the log message of one commit made of several: each
// tenant's message on a line of its own.
func joinMessages(msgs []string) string {
	return strings.Join(msgs, "\n")
}
