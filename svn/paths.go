package svn

// URLs and the paths svn is given and prints.

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// IsURL reports whether s looks like a repository URL rather than a path.
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for _, r := range s[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// JoinURL appends path elements to a repository URL, escaping each segment
// ("a b#c" becomes "a%20b%23c"); "/" inside an element separates segments.
func JoinURL(base string, elem ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimRight(base, "/"))
	for _, e := range elem {
		for _, seg := range strings.Split(e, "/") {
			if seg == "" || seg == "." {
				continue
			}
			b.WriteByte('/')
			b.WriteString(url.PathEscape(seg))
		}
	}
	return b.String()
}

// wcTargets resolves dir and the caller's paths (relative to dir, or
// absolute inside it) into an absolute dir and relative targets; no paths
// means ".".
func wcTargets(op, dir string, paths []string) (string, []string, error) {
	if dir == "" {
		return "", nil, errorf(op, dir, nil, "no working copy directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, errorf(op, dir, nil, "%v", err)
	}
	if len(paths) == 0 {
		return abs, []string{"."}, nil
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		rel, err := relTarget(abs, p)
		if err != nil {
			return "", nil, errorf(op, abs, nil, "%v", err)
		}
		if !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	return abs, out, nil
}

func relTarget(abs, p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if strings.ContainsAny(p, "\n\r\x00") {
		return "", fmt.Errorf("path %q contains a line break or NUL, which svn cannot handle", p)
	}
	var rel string
	if filepath.IsAbs(p) {
		r, err := filepath.Rel(abs, p)
		if err != nil {
			return "", err
		}
		rel = r
	} else {
		rel = filepath.Clean(filepath.FromSlash(p))
	}
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q is outside the working copy %s", p, abs)
	}
	return rel, nil
}

// relPath turns a path svn printed (relative to dir, or absolute) into a
// slash-separated path relative to dir.
func relPath(dir, p string) string {
	if filepath.IsAbs(p) {
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			p = r
		} else if real, err := filepath.EvalSymlinks(dir); err == nil {
			if r, err := filepath.Rel(real, p); err == nil && !strings.HasPrefix(r, "..") {
				p = r
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}

// chunkPaths splits paths for subcommands without --targets so that each
// run stays below the argv limits.
func chunkPaths(paths []string) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, p := range paths {
		if len(cur) > 0 && (len(cur) >= maxArgPaths || size+len(p)+2 > maxArgBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, p)
		size += len(p) + 2
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
