package svn

// Bringing a working copy to a revision: checkout and update.

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

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
	if IsWorkingCopy(abs) {
		cl.wc = abs
	}
	if err := c.run(ctx, cl); err != nil {
		return 0, err
	}
	return res.Revision, nil
}

// IsWorkingCopy reports whether dir is the root of a working copy (it has
// .svn/wc.db): svn 1.7 and later keep one .svn folder, at the root.
func IsWorkingCopy(dir string) bool {
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
		if opts.Parents {
			args = append(args, "--parents")
		}
		res := &UpdateResult{}
		err := c.run(ctx, &call{
			op: "update", args: args, paths: chunk, dir: abs, target: abs, auth: true, wc: abs,
			oneSleep: true,
			stdout:   func(r io.Reader) error { *res = UpdateResult{}; return parseUpdate(r, abs, res) },
		})
		// svn's own wait for the timestamps, done here once: given
		// targets in several working copies, svn waits up to a second.
		if err != nil || len(res.Changed)+len(res.Restored) > 0 {
			sleepForTimestamps(abs)
		}
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
		for t, n := range res.Targets {
			if total.Targets == nil {
				total.Targets = map[string]int64{}
			}
			total.Targets[t] = n
		}
	}
	return total, nil
}

// parseUpdate reads the output of svn update or checkout.
func parseUpdate(r io.Reader, dir string, res *UpdateResult) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	target := "" // "Updating 'target':" comes first when several are given
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Updating '") && strings.HasSuffix(line, "':"):
			target = relPath(dir, strings.TrimSuffix(strings.TrimPrefix(line, "Updating '"), "':"))
		case strings.HasPrefix(line, "Updated to revision "),
			strings.HasPrefix(line, "At revision "),
			strings.HasPrefix(line, "Checked out revision "):
			if n, ok := trailingRevision(line); ok {
				res.Revision = n
				if target != "" {
					if res.Targets == nil {
						res.Targets = map[string]int64{}
					}
					res.Targets[target] = n
				}
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
