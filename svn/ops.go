package svn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// Info runs svn info on a working-copy path or a URL.
func (c *Client) Info(ctx context.Context, pathOrURL string) (*Info, error) {
	target, dir := pathOrURL, ""
	if !IsURL(pathOrURL) {
		abs, err := filepath.Abs(pathOrURL)
		if err != nil {
			return nil, errorf("info", pathOrURL, nil, "%v", err)
		}
		target = abs
	}
	var infos []Info
	err := c.run(ctx, &call{
		op: "info", args: []string{"--xml", "--depth", "empty"}, paths: []string{target},
		dir: dir, target: target, timeout: c.ProbeTimeout, auth: true,
		stdout: func(r io.Reader) (err error) { infos, err = parseInfo(r); return err },
	})
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		return nil, errorf("info", target, ErrNotFound, "svn printed no entry")
	}
	return &infos[0], nil
}

// RemoteRevision returns the HEAD revision of the repository at url. It is
// a cheap probe (one svn info, bounded by ProbeTimeout).
func (c *Client) RemoteRevision(ctx context.Context, url string) (int64, error) {
	var infos []Info
	err := c.run(ctx, &call{
		op: "info", args: []string{"--xml", "--depth", "empty"}, paths: []string{url},
		target: url, timeout: c.ProbeTimeout, auth: true,
		stdout: func(r io.Reader) (err error) { infos, err = parseInfo(r); return err },
	})
	if err != nil {
		return 0, err
	}
	if len(infos) == 0 {
		return 0, errorf("info", url, ErrNotFound, "svn printed no entry")
	}
	return infos[0].Revision, nil
}

// Checkout checks url out into dir (created with its parents) and returns
// the revision checked out. With force, unversioned files already in dir
// become part of the working copy (svn's "E" existed) instead of tree
// conflicts; local contents are kept and show as modifications. Checking
// out into an existing working copy of the same URL updates it.
func (c *Client) Checkout(ctx context.Context, url, dir string, force bool) (int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, errorf("checkout", dir, nil, "%v", err)
	}
	args := []string{}
	if force {
		args = append(args, "--force")
	}
	res := &UpdateResult{}
	cl := &call{
		// svn parses the URL for a peg revision but not the destination.
		op: "checkout", args: args, paths: []string{pegEscape(url), abs}, noPeg: true, target: abs, auth: true,
		stdout: func(r io.Reader) error { *res = UpdateResult{}; return parseUpdate(r, abs, res) },
	}
	if isWorkingCopy(abs) {
		cl.wc = abs
	}
	if err := c.run(ctx, cl); err != nil {
		return 0, err
	}
	return res.Revision, nil
}

func isWorkingCopy(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".svn", "wc.db"))
	return err == nil
}

// Update updates dir (or the given paths inside it) to HEAD. Conflicts are
// postponed and reported in the result, not as an error.
func (c *Client) Update(ctx context.Context, dir string, paths ...string) (*UpdateResult, error) {
	return c.UpdateWith(ctx, dir, UpdateOptions{}, paths...)
}

// UpdateWith is Update with options.
func (c *Client) UpdateWith(ctx context.Context, dir string, opts UpdateOptions, paths ...string) (*UpdateResult, error) {
	abs, targets, err := wcTargets("update", dir, paths)
	if err != nil {
		return nil, err
	}
	total := &UpdateResult{}
	rev := opts.Revision
	for _, chunk := range chunkPaths(targets) {
		args := []string{}
		if opts.Accept != "" {
			args = append(args, "--accept", opts.Accept)
		}
		if opts.Force {
			args = append(args, "--force")
		}
		if rev > 0 {
			args = append(args, "--revision", strconv.FormatInt(rev, 10))
		}
		if opts.Depth != "" {
			args = append(args, "--depth", opts.Depth)
		}
		if opts.IgnoreExternals {
			args = append(args, "--ignore-externals")
		}
		res := &UpdateResult{}
		err := c.run(ctx, &call{
			op: "update", args: args, paths: chunk, dir: abs, target: abs, auth: true, wc: abs,
			stdout: func(r io.Reader) error { *res = UpdateResult{}; return parseUpdate(r, abs, res) },
		})
		if err != nil {
			return nil, err
		}
		// Later chunks go to the same revision as the first.
		rev = res.Revision
		total.Revision = res.Revision
		total.Changed = append(total.Changed, res.Changed...)
		total.Conflicts = append(total.Conflicts, res.Conflicts...)
		total.Restored = append(total.Restored, res.Restored...)
		total.Skipped = append(total.Skipped, res.Skipped...)
	}
	return total, nil
}

// parseUpdate reads the output of svn update or checkout.
func parseUpdate(r io.Reader, dir string, res *UpdateResult) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Updated to revision "),
			strings.HasPrefix(line, "At revision "),
			strings.HasPrefix(line, "Checked out revision "):
			if n, ok := trailingRevision(line); ok {
				res.Revision = n
			}
		case strings.HasPrefix(line, "Restored '"):
			res.Restored = append(res.Restored, relPath(dir, quoted(line)))
		case strings.HasPrefix(line, "Skipped "):
			res.Skipped = append(res.Skipped, relPath(dir, quoted(line)))
		case strings.HasSuffix(line, " marked as resolved."):
			// --accept resolved a conflict that svn reported above.
			p := relPath(dir, quoted(line))
			res.Conflicts = slices.DeleteFunc(res.Conflicts, func(c string) bool { return c == p })
		default:
			if ch, ok := parseChangeLine(line); ok {
				ch.Path = relPath(dir, ch.Path)
				res.Changed = append(res.Changed, ch)
				if strings.Contains(ch.Raw, "C") {
					res.Conflicts = append(res.Conflicts, ch.Path)
				}
			}
		}
	}
	return sc.Err()
}

// parseChangeLine parses "XXXX path": four status columns (text, props,
// lock, tree conflict), a space and the path.
func parseChangeLine(line string) (Change, bool) {
	if len(line) < 6 || line[4] != ' ' {
		return Change{}, false
	}
	raw := line[:4]
	const cols = "ADUCGERB "
	for i := 0; i < 4; i++ {
		if !strings.ContainsRune(cols, rune(raw[i])) {
			return Change{}, false
		}
	}
	if strings.TrimSpace(raw) == "" {
		return Change{}, false
	}
	ch := Change{Path: line[5:], Raw: raw}
	switch {
	case raw[3] == 'C':
		ch.Action = "C"
	case raw[0] != ' ':
		ch.Action = raw[:1]
	case raw[1] != ' ':
		ch.Action = raw[1:2]
	default:
		return Change{}, false // only a broken lock ("B")
	}
	return ch, true
}

// trailingRevision parses "... revision 42." lines.
func trailingRevision(line string) (int64, bool) {
	line = strings.TrimSuffix(strings.TrimSpace(line), ".")
	i := strings.LastIndexByte(line, ' ')
	n, err := strconv.ParseInt(line[i+1:], 10, 64)
	return n, err == nil
}

// quoted returns the text between the first and the last single quote.
func quoted(line string) string {
	i, j := strings.IndexByte(line, '\''), strings.LastIndexByte(line, '\'')
	if i < 0 || j <= i {
		return line
	}
	return line[i+1 : j]
}

// Status reports the items of dir (or of the given paths inside it) that
// are not unchanged: what "svn status --no-ignore" lists.
func (c *Client) Status(ctx context.Context, dir string, paths ...string) ([]StatusEntry, error) {
	return c.StatusWith(ctx, dir, StatusOptions{}, paths...)
}

// StatusWith is Status with options.
func (c *Client) StatusWith(ctx context.Context, dir string, opts StatusOptions, paths ...string) ([]StatusEntry, error) {
	abs, targets, err := wcTargets("status", dir, paths)
	if err != nil {
		return nil, err
	}
	entries, err := c.status(ctx, abs, targets, opts)
	if err != nil {
		return nil, err
	}
	c.fillKinds(ctx, abs, entries)
	return entries, nil
}

// status runs svn status --xml on targets (relative to abs).
func (c *Client) status(ctx context.Context, abs string, targets []string, opts StatusOptions) ([]StatusEntry, error) {
	var all []StatusEntry
	seen := map[string]bool{}
	for _, chunk := range chunkPaths(targets) {
		args := []string{"--xml", "--no-ignore"}
		if opts.Verbose {
			args = append(args, "--verbose")
		}
		if opts.Depth != "" {
			args = append(args, "--depth", opts.Depth)
		}
		var entries []StatusEntry
		err := c.run(ctx, &call{
			op: "status", args: args, paths: chunk, dir: abs, target: abs,
			warnErr: ErrNotWorkingCopy,
			stdout:  func(r io.Reader) (err error) { entries, err = parseStatus(r); return err },
		})
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			e.Path = relPath(abs, e.Path)
			if !seen[e.Path] {
				seen[e.Path] = true
				all = append(all, e)
			}
		}
	}
	return all, nil
}

// fillKinds sets Kind from the disk, or from svn info for items that are
// not on disk (missing, deleted). It is best effort.
func (c *Client) fillKinds(ctx context.Context, abs string, entries []StatusEntry) {
	var gone []string
	idx := map[string]int{}
	for i := range entries {
		fi, err := os.Lstat(filepath.Join(abs, filepath.FromSlash(entries[i].Path)))
		switch {
		case err == nil && fi.IsDir():
			entries[i].Kind = "dir"
		case err == nil:
			entries[i].Kind = "file"
		case entries[i].Item != "unversioned" && entries[i].Item != "ignored":
			gone = append(gone, filepath.FromSlash(entries[i].Path))
			idx[entries[i].Path] = i
		}
	}
	if len(gone) == 0 {
		return
	}
	var infos []Info
	err := c.run(ctx, &call{
		op: "info", args: []string{"--xml", "--depth", "empty"}, paths: gone, dir: abs, target: abs, targets: true,
		stdout: func(r io.Reader) (err error) { infos, err = parseInfo(r); return err },
	})
	if err != nil {
		c.logger().Debug("svn: kinds of missing items unknown", "dir", abs, "error", err)
	}
	for _, in := range infos {
		if i, ok := idx[relPath(abs, in.Path)]; ok {
			entries[i].Kind = in.Kind
		}
	}
}

// Revert reverts dir (or the given paths inside it) recursively. It does
// not delete unversioned files.
func (c *Client) Revert(ctx context.Context, dir string, paths ...string) error {
	abs, targets, err := wcTargets("revert", dir, paths)
	if err != nil {
		return err
	}
	return c.run(ctx, &call{op: "revert", args: []string{"--recursive"}, paths: targets, dir: abs, target: abs, targets: true, wc: abs})
}

// Cleanup runs svn cleanup on the working copy dir: it finishes or rolls
// back interrupted operations and removes stale working-copy locks. It never
// deletes unversioned or ignored files.
func (c *Client) Cleanup(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return errorf("cleanup", dir, nil, "%v", err)
	}
	return c.cleanup(ctx, abs)
}

func (c *Client) cleanup(ctx context.Context, abs string) error {
	return c.exec(ctx, &call{op: "cleanup", paths: []string{abs}, target: abs})
}

// Resolve marks conflicts in dir (or the given paths inside it) resolved,
// recursively, choosing accept ("working", "base", "mine-full",
// "theirs-full", "mine-conflict", "theirs-conflict").
func (c *Client) Resolve(ctx context.Context, dir, accept string, paths ...string) error {
	abs, targets, err := wcTargets("resolve", dir, paths)
	if err != nil {
		return err
	}
	if accept == "" {
		return errorf("resolve", abs, nil, "an --accept choice is required")
	}
	return c.run(ctx, &call{op: "resolve", args: []string{"--accept", accept, "--recursive"},
		paths: targets, dir: abs, target: abs, targets: true, wc: abs})
}

// Mkdir creates the directory url in the repository with one commit. With
// parents, missing parents are created too and an existing directory is not
// an error (like mkdir -p).
func (c *Client) Mkdir(ctx context.Context, url string, parents bool, message string) error {
	msgFile, done, err := c.messageFile("mkdir", url, message)
	if err != nil {
		return err
	}
	defer done()
	args := []string{"--file", msgFile, "--force-log", "--encoding", "UTF-8"}
	if parents {
		args = append(args, "--parents")
	}
	err = c.run(ctx, &call{op: "mkdir", args: args, paths: []string{url}, target: url, auth: true})
	if parents && errors.Is(err, ErrExists) {
		if info, ierr := c.Info(ctx, url); ierr == nil && info.Kind == "dir" {
			return nil
		}
	}
	return err
}

// Log returns the log of url (or a working-copy path) from revision from to
// revision to, with changed paths. A negative revision means HEAD; from >
// to lists newest first.
func (c *Client) Log(ctx context.Context, url string, from, to int64) ([]LogEntry, error) {
	target := url
	if !IsURL(url) {
		abs, err := filepath.Abs(url)
		if err != nil {
			return nil, errorf("log", url, nil, "%v", err)
		}
		target = abs
	}
	rev := func(n int64) string {
		if n < 0 {
			return "HEAD"
		}
		return strconv.FormatInt(n, 10)
	}
	var entries []LogEntry
	err := c.run(ctx, &call{
		op: "log", args: []string{"--xml", "--verbose", "--revision", rev(from) + ":" + rev(to)},
		paths: []string{target}, target: target, auth: true,
		stdout: func(r io.Reader) (err error) { entries, err = parseLog(r); return err },
	})
	return entries, err
}

// Add schedules the given paths inside dir for addition, with their
// missing parents, recursively, ignoring svn's ignore rules and auto-props
// (svn:executable is still set for executable files). Already versioned
// paths are skipped. It returns the paths scheduled (relative, slash).
func (c *Client) Add(ctx context.Context, dir string, paths ...string) ([]string, error) {
	abs, targets, err := wcTargets("add", dir, paths)
	if err != nil {
		return nil, err
	}
	return c.add(ctx, abs, targets, false)
}

// add schedules targets for addition with their parents. With exact, a
// directory is added alone (--depth empty), not with what it holds.
func (c *Client) add(ctx context.Context, abs string, targets []string, exact bool) ([]string, error) {
	var added []string
	args := []string{"--parents", "--force", "--no-ignore", "--no-auto-props"}
	if exact {
		args = append(args, "--depth", "empty")
	}
	err := c.run(ctx, &call{
		op: "add", args: args,
		paths: targets, dir: abs, target: abs, targets: true, wc: abs,
		stdout: func(r io.Reader) (err error) { added, err = parseAdd(r, abs); return err },
	})
	return added, err
}

// parseAdd reads svn add's "A         path" / "A  (bin)  path" lines.
func parseAdd(r io.Reader, dir string) ([]string, error) {
	var added []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(line) > 10 && line[0] == 'A' && (line[1:10] == "         " || line[1:10] == "  (bin)  ") {
			added = append(added, relPath(dir, line[10:]))
		}
	}
	return added, sc.Err()
}

// Delete schedules the given paths inside dir for deletion and removes them
// from disk (svn delete --force); missing paths are fine.
func (c *Client) Delete(ctx context.Context, dir string, paths ...string) error {
	if len(paths) == 0 {
		return errorf("delete", dir, nil, "no paths to delete")
	}
	abs, targets, err := wcTargets("delete", dir, paths)
	if err != nil {
		return err
	}
	return c.run(ctx, &call{op: "delete", args: []string{"--force"}, paths: targets, dir: abs, target: abs, targets: true, wc: abs})
}

// Import commits the contents of the local directory dir to url (created
// with its parents) without a working copy, ignoring svn's ignore rules and
// auto-props. It returns the new revision (0 if nothing was imported).
func (c *Client) Import(ctx context.Context, dir, url, message string) (int64, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, errorf("import", dir, nil, "%v", err)
	}
	msgFile, done, err := c.messageFile("import", abs, message)
	if err != nil {
		return 0, err
	}
	defer done()
	var rev int64
	err = c.run(ctx, &call{
		op: "import", args: []string{"--file", msgFile, "--force-log", "--encoding", "UTF-8", "--no-ignore", "--no-auto-props"},
		paths: []string{abs, url}, noPeg: true, target: url, auth: true, // import parses no pegs
		stdout: func(r io.Reader) (err error) { rev, err = parseCommitted(r); return err },
	})
	return rev, err
}

// parseCommitted finds "Committed revision N." in svn's output.
func parseCommitted(r io.Reader) (int64, error) {
	var rev int64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Committed revision ") {
			if n, ok := trailingRevision(line); ok {
				rev = n
			}
		}
	}
	return rev, sc.Err()
}

// messageFile writes a commit message to a private temp file for --file:
// any text works (leading "-", Unicode, a lone "."), line endings become LF
// and invalid UTF-8 and control characters are replaced, as svn:log requires.
func (c *Client) messageFile(op, target, message string) (string, func(), error) {
	f, err := os.CreateTemp(filepath.Join(c.ConfigDir, "tmp"), "msg-*")
	if err != nil {
		return "", nil, errorf(op, target, nil, "writing the log message: %v", err)
	}
	_, werr := f.WriteString(cleanMessage(message))
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return "", nil, errorf(op, target, nil, "writing the log message: %v", err)
	}
	return f.Name(), func() { _ = os.Remove(f.Name()) }, nil
}

func cleanMessage(m string) string {
	m = strings.ReplaceAll(m, "\r\n", "\n")
	m = strings.ReplaceAll(m, "\r", "\n")
	m = strings.ToValidUTF8(m, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, m)
}

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
