package manager

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/depsync/depsync/svn"
	"github.com/depsync/depsync/syncer/internal/gate"
)

// What svn refuses of a commit, and the folders it cannot read: the odd
// paths themselves are judged by the gate (package gate).

// refusedCodes are svn's errors about one path it cannot take, whatever
// the rest of the commit: a name not UTF-8 (E000022) or with a control
// character (E160005), a node kind it does not version (E200007), a link
// in the way of a parent (E195015), a path that is not a working copy
// (W155007, E155007: a link to a folder), a new file whose new folder is
// not part of the commit (E200009: svn added the folder, then refused the
// file, in an earlier commit).
var refusedCodes = []string{"E000022", "E160005", "E200007", "E195015", "W155007", "E155007", "E200009"}

// quoted finds the paths svn names in its messages: '/abs/path'.
var quoted = regexp.MustCompile(`'([^']+)'`)

// refusedPaths returns the paths of ready (slash, relative to dir) that a
// failed svn run refused for themselves (refusedCodes): each one svn
// names, and each below a folder it names. It returns nothing for any
// other error, or when svn names the whole tree: then the commit as a
// whole failed, and nothing is rejected.
func refusedPaths(err error, dir string, ready []string) []string {
	var se *svn.Error
	if !errors.As(err, &se) {
		return nil
	}
	refused := false
	for _, c := range refusedCodes {
		refused = refused || se.HasCode(c)
	}
	if !refused {
		return nil
	}
	named := map[string]bool{}
	for _, m := range quoted.FindAllStringSubmatch(se.Message, -1) {
		p := m[1]
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		rel, rerr := filepath.Rel(dir, p)
		if rerr != nil || rel == "." || strings.HasPrefix(rel, "..") {
			continue
		}
		named[filepath.ToSlash(rel)] = true
	}
	var out []string
	for _, p := range ready {
		for q := p; q != "." && q != "/"; q = path.Dir(q) {
			if named[q] {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// around rewrites svn status targets (slash, relative; "." the whole tree)
// so that none reads the entries of a folder in bad, whose names svn
// cannot read: such a folder, and at depth infinity each folder above one,
// is replaced by what it holds, as read here. It also returns the names
// found there that svn cannot take, to be rejected. What svn would have
// said of the replaced folders themselves (a file gone from one of them)
// waits until the name is fixed: a deletion held back, never one made up.
func around(targets []string, bad map[string]bool, infinity bool, list func(string) ([]string, error)) (out, odd []string, err error) {
	above := func(t string) bool {
		for b := range bad {
			if t == "." || strings.HasPrefix(b, t+"/") {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	queue := append([]string(nil), targets...)
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		if seen[t] {
			continue
		}
		seen[t] = true
		if !bad[t] && !(infinity && above(t)) {
			out = append(out, t)
			continue
		}
		names, err := list(t)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range names {
			p := path.Join(t, n)
			if gate.BadName(n) != "" {
				odd = append(odd, p)
				continue
			}
			queue = append(queue, p)
		}
	}
	return out, odd, nil
}

// listNames is around's list on disk: the names in a folder of the tree
// that ignored does not leave out (none when it is not a folder, or gone).
func listNames(root string, ignored func(string) bool) func(string) ([]string, error) {
	return func(rel string) ([]string, error) {
		ents, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, nil // not a folder, or gone: nothing to name
		}
		var names []string
		for _, e := range ents {
			if !ignored(e.Name()) {
				names = append(names, e.Name())
			}
		}
		return names, nil
	}
}
