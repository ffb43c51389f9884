// Package drift decides what is drift on a worker and how it is put back.
// A worker's deployment directory is the repository's (or, for what the
// manager pushed through the API, the manager's): a file a person adds,
// edits or removes there by hand makes the node deploy what no other node
// does. The worker watches its directory; for each path an event named,
// svn's status says how it differs from the repository, and Judge says
// whether that is drift. The set of drifted paths (Set) is what /v1/status
// lists; at the next poll the worker undoes each (Undo), after a copy.
package drift

import (
	"slices"
	"strings"
	"time"
)

// Change is what happened to a drifted path, as /v1/status shows it.
type Change string

// The changes a path can have drifted by.
const (
	// Added: the repository does not hold the path.
	Added Change = "added"
	// Changed: the path differs from the repository's version.
	Changed Change = "changed"
	// Removed: the repository holds the path and the directory does not.
	Removed Change = "removed"
)

// Facts are what the worker knows of one path when it judges it.
type Facts struct {
	// Item, Props and TreeConflict are svn's status of the path ("" Item:
	// svn listed nothing, the path is as the repository has it).
	Item         string
	Props        string
	TreeConflict bool
	// Ignored: a name sync.ignore (or the defaults) leaves out.
	Ignored bool
	// FromAPI: the path is as the C-App API (a manager's push, or a forced
	// one) last left it, present with those bytes or deleted.
	FromAPI bool
}

// Judge says whether a path is drift, and what happened to it. What the
// API wrote follows the rules of pushed C-Apps, not these; ignored names
// and what svn itself ignores are nobody's business; an incomplete or
// external item is svn's own state, not a person's edit.
func Judge(f Facts) (Change, bool) {
	if f.Ignored || f.FromAPI {
		return "", false
	}
	switch f.Item {
	case "unversioned":
		return Added, true
	case "missing", "deleted":
		return Removed, true
	case "modified", "replaced", "conflicted", "obstructed", "added":
		return Changed, true
	}
	if f.TreeConflict || f.Props == "modified" || f.Props == "conflicted" {
		return Changed, true
	}
	return "", false
}

// Action is how a drifted path is put back.
type Action int

// The actions of Undo.
const (
	// Remove deletes what the repository does not hold (after a copy).
	Remove Action = iota + 1
	// Revert has svn put the repository's version back (after a copy of
	// the local one, when there is one).
	Revert
	// RevertRemove has svn forget an item a person scheduled for addition,
	// then deletes it (after a copy).
	RevertRemove
)

// Undo says how to put a path back, from svn's status of it.
func Undo(item string) Action {
	switch item {
	case "unversioned":
		return Remove
	case "added":
		return RevertRemove
	}
	return Revert
}

// Copied says whether Undo's action replaces or removes local bytes that
// must be copied first (a removed file has none left).
func Copied(item string) bool {
	return item != "missing" && item != "deleted"
}

// Path is one drifted path.
type Path struct {
	Path   string
	Change Change
	// Item is svn's status of it when judged, for Undo.
	Item string
	// Since is when it was first seen drifted.
	Since time.Time
}

// Set is the drifted paths of one tenant, by path. The zero Set is empty.
type Set map[string]Path

// Update is the set after a look at looked (slash paths): each path looked
// at is in it when found (its judgement) says it drifted, and out
// otherwise ("." looked at stands for every path: a look at the whole
// tree). items are svn's status of the paths found. newly are the paths
// that were not in the set before (or drifted another way), sorted, for
// the log.
func (s Set) Update(looked []string, found map[string]Change, items map[string]string, now time.Time) (next Set, newly []Path) {
	next = make(Set, len(s)+len(found))
	for p, d := range s {
		if !coveredBy(p, looked) {
			next[p] = d
		}
	}
	for p, c := range found {
		if old, ok := s[p]; ok && old.Change == c {
			old.Item = items[p]
			next[p] = old
			continue
		}
		d := Path{Path: p, Change: c, Item: items[p], Since: now}
		next[p] = d
		newly = append(newly, d)
	}
	slices.SortFunc(newly, func(a, b Path) int { return strings.Compare(a.Path, b.Path) })
	return next, newly
}

// coveredBy reports whether p is one of looked, or looked is the whole
// tree.
func coveredBy(p string, looked []string) bool {
	for _, l := range looked {
		if l == "." || p == l {
			return true
		}
	}
	return false
}

// Due are the paths to put back at a poll at now: those seen drifted for at
// least wait, so that a change still being made (an editor's save in
// steps, a copy of several files) is taken whole, and what /v1/status
// says of it can be read before it goes. Sorted by path.
func (s Set) Due(now time.Time, wait time.Duration) []Path {
	var out []Path
	for _, d := range s {
		if now.Sub(d.Since) >= wait {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Path) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// First returns the count of the set and its first n paths by name.
func (s Set) First(n int) (int, []Path) {
	all := make([]Path, 0, len(s))
	for _, d := range s {
		all = append(all, d)
	}
	slices.SortFunc(all, func(a, b Path) int { return strings.Compare(a.Path, b.Path) })
	return len(all), all[:min(n, len(all))]
}

// Looked are the paths whose status tells about paths: each one and the
// folders above it (below the root), sorted and without duplicates. svn
// says nothing of a path inside a folder it does not version: the folder
// above it is the drift to find.
func Looked(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		for p != "" && p != "." && !seen[p] {
			seen[p] = true
			out = append(out, p)
			i := strings.LastIndex(p, "/")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	slices.Sort(out)
	return out
}
