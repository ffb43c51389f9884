package syncer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/depsync/depsync/internal/regfile"
	"github.com/depsync/depsync/svn"
)

// Odd paths: what a synced tree may hold that svn must not see as it is.
// A symlink would be committed as an svn:special link (an absolute one
// dangles on every worker, and the C-App it replaced is never deployed
// there); a FIFO blocks whoever opens it; a name svn cannot take (not UTF-8,
// a control character) fails every svn run that meets it. Each is rejected
// and reported as an invalid C-App is (/v1/status "rejected", the
// depsync_rejected_files metrics, one log line), looked at again only when
// it changes, and never taken for the deletion of the file it replaced:
// the repository keeps the last version. Everything else goes on.

// Reasons of the rejections of odd paths (the metrics' reason label).
const (
	reasonSymlink    = "symlink"
	reasonIrregular  = "not_regular_file"
	reasonBadName    = "bad_name"
	reasonSVNRefused = "svn_refused"
)

// badName says why svn cannot take a path's name, or "" when it can: svn
// keeps paths as UTF-8 (E000022, and every status of the folder holding
// such a name fails) without control characters (E160005 for a newline).
func badName(rel string) string {
	if !utf8.ValidString(rel) {
		return "not valid UTF-8"
	}
	for _, r := range rel {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("a control character (%U)", r)
		}
	}
	return ""
}

// oddKind says why a file of this mode is not synced ("" for a regular
// file or a directory), with the reason for the metrics.
func oddKind(m fs.FileMode) (reason, kind string) {
	if m.IsRegular() || m.IsDir() {
		return "", ""
	}
	if m&fs.ModeSymlink != 0 {
		return reasonSymlink, "symlink"
	}
	return reasonIrregular, regfile.Kind(m)
}

// odd rejects c when it is an odd path (see above) and reports whether it
// is rejected, now or still. A path gone from disk is not odd: it is a
// deletion, or looked at again later.
func (g *gate) odd(c candidate) bool {
	abs := filepath.Join(g.dir, filepath.FromSlash(c.path))
	fi, err := os.Lstat(abs)
	if err != nil {
		return false
	}
	sig := fileSig{size: fi.Size(), mtime: fi.ModTime(), ctime: ctime(fi)}
	if r, ok := g.rejected[c.path]; ok && r.sig == sig && oddReason(r.Reason) {
		return true // judged already; its next change brings it back
	}
	var reason string
	var why error
	if b := badName(c.path); b != "" && c.op != '-' {
		reason = reasonBadName
		why = fmt.Errorf("its name holds %s, which svn cannot commit: rename it", b)
	} else if c.unaddable {
		reason = reasonBadName
		why = errors.New("its new folder holds a name svn cannot read, and svn cannot add anything there: rename that one")
	} else if r, kind := oddKind(fi.Mode()); r != "" {
		reason = r
		why = fmt.Errorf("a %s, not a regular file: never committed as a link nor read; put the file itself here", kind)
	}
	if reason == "" {
		if r, ok := g.rejected[c.path]; ok && oddReason(r.Reason) {
			g.log.Info("path no longer odd; committing it", "path", c.path)
			g.unreject(c.path) // fixed: it goes on like any file
		}
		return false
	}
	g.reject(c.path, sig, reason, "path not committed; it is looked at again when it changes", why)
	return true
}

// oddReason reports whether a rejection's reason is an odd path's (the
// gate also rejects invalid C-Apps, judged by validCApp).
func oddReason(r string) bool {
	switch r {
	case reasonSymlink, reasonIrregular, reasonBadName, reasonSVNRefused:
		return true
	}
	return false
}

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

// unreadableDir returns the folder (slash, relative to dir) whose entries
// svn could not read because one of their names is not UTF-8 (E000022:
// "Error converting entry in directory '...' to UTF-8"), or false.
func unreadableDir(err error, dir string) (string, bool) {
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
			if badName(n) != "" {
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
