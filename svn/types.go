package svn

// What svn reports, as the client returns it.

import (
	"net/url"
	"strings"
	"time"
)

// Info describes a working-copy path or a repository URL (svn info --xml).
type Info struct {
	Path        string // as svn printed it
	URL         string
	RelativeURL string // "^/path"
	RepoRoot    string
	RepoUUID    string
	// Revision is the working copy's base revision for a path, or the
	// repository's HEAD revision for a URL.
	Revision          int64
	LastChangedRev    int64
	LastChangedAuthor string
	LastChangedDate   time.Time
	Kind              string // "file" or "dir"
	WCRoot            string // working copies only
	Schedule          string // working copies only: "normal", "add", "delete", "replace"
	Depth             string // working copies only
}

// RepoPath is the item's path in its repository, unescaped: "" for the
// root, "/a/b" below it. It is taken from RelativeURL, or else from URL
// below RepoRoot; ok is false when neither tells.
func (i *Info) RepoPath() (p string, ok bool) {
	if rel, found := strings.CutPrefix(i.RelativeURL, "^"); found {
		p, ok = rel, strings.HasPrefix(rel, "/")
	} else if i.RepoRoot != "" {
		p, ok = strings.CutPrefix(strings.TrimRight(i.URL, "/"), strings.TrimRight(i.RepoRoot, "/"))
		ok = ok && (p == "" || p[0] == '/')
	}
	if !ok {
		return "", false
	}
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	return strings.TrimRight(p, "/"), true
}

// Change is one line of svn update's or checkout's output.
type Change struct {
	Path string // relative to the working copy, slash-separated; "." is its root
	// Action is "A" (added), "U" (updated), "D" (deleted), "G" (merged),
	// "C" (conflict, including tree conflicts), "E" (existed) or
	// "R" (replaced). A property-only change has the property column's
	// letter ("U", "G" or "C").
	Action string
	// Raw is svn's four status columns: text, properties, lock, tree
	// conflict.
	Raw string
}

// UpdateResult is what Update did.
type UpdateResult struct {
	Revision  int64
	Changed   []Change
	Conflicts []string // paths left in conflict (text, property or tree); resolved ones (--accept) are not listed
	Restored  []string // missing files svn restored from the pristine copy
	Skipped   []string // paths svn skipped (e.g. still in conflict)
	// Targets is the revision each target went to, when several were
	// given (relative, slash-separated): svn takes HEAD for each in turn,
	// so a commit made meanwhile leaves them at different revisions.
	// Revision is then the last one's.
	Targets map[string]int64
}

// UpdateOptions tune [Client.UpdateWith].
type UpdateOptions struct {
	// Accept is svn's --accept: "postpone" (the default with
	// --non-interactive), "base", "working", "mine-conflict",
	// "theirs-conflict", "mine-full" or "theirs-full".
	Accept string
	// Force makes unversioned obstructing items part of the working copy
	// instead of tree conflicts.
	Force bool
	// Revision updates to that revision instead of HEAD (when > 0).
	Revision int64
	// Depth limits this update (svn's --depth: "empty", "files",
	// "immediates", "infinity"); "" is the working copy's own depth.
	Depth string
	// IgnoreExternals skips svn:externals.
	IgnoreExternals bool
	// Parents makes the missing parent folders of the given paths (svn's
	// --parents): an update of a file in a folder new since the working
	// copy's revision.
	Parents bool
}

// StatusEntry is one item of svn status --xml.
type StatusEntry struct {
	Path string // relative to the working copy, slash-separated; "." is its root
	// Item is svn's item status: "unversioned", "missing", "modified",
	// "added", "deleted", "replaced", "conflicted", "obstructed",
	// "ignored", "incomplete", "external", "normal" or "none".
	Item string
	// Props is the property status: "none", "normal", "modified" or
	// "conflicted".
	Props string
	// Kind is "file" or "dir" (symlinks are "file", as svn versions
	// them); "" when unknown. For items that are on disk it is the kind on
	// disk (for "obstructed" items, the kind that is in the way).
	Kind         string
	Locked       bool   // working-copy lock (left by an interrupted svn: run Cleanup)
	LockOwner    string // repository lock owner ("?" if unknown), "" if not locked
	TreeConflict bool
	Copied       bool
	Switched     bool
	Revision     int64 // base revision, -1 if none (unversioned, newly added)
	// LastChangedRev is the last revision the item changed in.
	LastChangedRev int64
}

// Conflicted reports whether the entry has any kind of conflict.
func (e StatusEntry) Conflicted() bool {
	return e.Item == "conflicted" || e.Props == "conflicted" || e.TreeConflict
}

// StatusOptions tune [Client.StatusWith].
type StatusOptions struct {
	// Verbose lists unchanged versioned items too.
	Verbose bool
	// Depth is svn's --depth; "" means infinity.
	Depth string
}

// LogEntry is one revision of svn log --xml -v.
type LogEntry struct {
	Revision int64
	Author   string
	Message  string
	Date     time.Time
	Paths    []string // repository paths changed, e.g. "/webapps/a.war"
	Changes  []LogChange
}

// LogChange is one changed path of a LogEntry.
type LogChange struct {
	Path   string
	Action string // "A", "M", "D", "R"
	Kind   string // "file", "dir" or ""
}
