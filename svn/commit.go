package svn

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

const propExecutable = "svn:executable"

// Commit makes the repository match the given paths of the working copy dir
// (all of it when no paths are given) and commits them. It returns the new
// revision, or 0 and nil when there was nothing to commit.
//
// Before committing it reconciles the working copy with the disk, so callers
// need not know svn's bookkeeping:
//   - unversioned (and svn:ignore'd) paths are added with their missing
//     parents, with auto-props off. With paths given, only those paths are
//     added: a directory path is added alone, never with unversioned files
//     below it that the caller did not name (the whole tree, with no paths,
//     adds everything);
//   - missing paths (deleted outside svn) are deleted;
//   - obstructed paths (a file replaced by a directory or the other way
//     round) are deleted from svn and added again as what is on disk;
//   - a file whose executable bit changed gets svn:executable set or
//     removed.
//
// Then it commits exactly those targets, plus the directories it had to add
// as parents. Paths in conflict fail with ErrConflict before anything is
// changed. A commit that is out of date updates the targets (local text
// wins: --accept mine-full) and is retried once; a locked working copy is cleaned up and the step retried once.
func (c *Client) Commit(ctx context.Context, dir, message string, paths ...string) (int64, error) {
	return c.CommitWith(ctx, dir, message, CommitOptions{}, paths...)
}

// CommitOptions changes what CommitWith does with what it finds.
type CommitOptions struct {
	// Deletable, when not nil, names the paths (slash, relative to dir)
	// the caller means to delete, a directory with what is below it. A
	// versioned path found missing that none of them covers vanished after
	// the caller looked: it is neither deleted nor committed, and stays
	// missing for the caller's next look (a committer that guards its
	// deletions must not have a modification turned into one).
	Deletable []string
}

// CommitWith is Commit with options.
func (c *Client) CommitWith(ctx context.Context, dir, message string, opts CommitOptions, paths ...string) (int64, error) {
	abs, targets, err := wcTargets("commit", dir, paths)
	if err != nil {
		return 0, err
	}
	commitTargets, err := c.reconcile(ctx, abs, targets, opts.Deletable)
	if err != nil {
		return 0, err
	}
	if len(commitTargets) == 0 {
		return 0, nil
	}
	rev, err := c.commit(ctx, abs, message, commitTargets)
	if !errors.Is(err, ErrOutOfDate) {
		return rev, err
	}
	c.logger().Warn("svn: commit out of date; updating and retrying", "dir", abs, "error", err)
	// The files being committed are the committer's truth: a text conflict
	// resolves to them (mine-full) and svn never writes conflict markers
	// into them, not even for a moment.
	if _, uerr := c.UpdateWith(ctx, abs, UpdateOptions{Accept: "mine-full"}, commitTargets...); uerr != nil {
		return 0, errors.Join(err, uerr)
	}
	return c.commit(ctx, abs, message, commitTargets)
}

func (c *Client) commit(ctx context.Context, abs, message string, targets []string) (int64, error) {
	msgFile, done, err := c.messageFile("commit", abs, message)
	if err != nil {
		return 0, err
	}
	defer done()
	var rev int64
	err = c.run(ctx, &call{
		op: "commit", args: []string{"--file", msgFile, "--force-log", "--encoding", "UTF-8"},
		paths: targets, dir: abs, target: abs, auth: true, targets: true, wc: abs,
		stdout: func(r io.Reader) (err error) { rev, err = parseCommitted(r); return err },
	})
	return rev, err
}

// reconcile schedules what is on disk under targets for commit and returns
// the commit targets; deletable is CommitOptions.Deletable.
func (c *Client) reconcile(ctx context.Context, abs string, targets []string, deletable []string) ([]string, error) {
	entries, err := c.status(ctx, abs, targets, StatusOptions{Verbose: true})
	if err != nil {
		return nil, err
	}
	var conflicted []string
	for _, e := range entries {
		if e.Conflicted() {
			conflicted = append(conflicted, e.Path)
		}
	}
	if len(conflicted) > 0 {
		return nil, errorf("commit", abs, ErrConflict, "%d path(s) in conflict, nothing committed: %s",
			len(conflicted), strings.Join(firstN(conflicted, 10), ", "))
	}

	whole := len(targets) == 1 && targets[0] == "."
	explicit := map[string]bool{}
	for _, t := range targets {
		explicit[filepath.ToSlash(t)] = true
	}
	var (
		toDelete  []string // missing: svn delete
		toReplace []string // obstructed: svn delete --keep-local, then add
		toAdd     []string
		vanished  = map[string]bool{} // added, then deleted on disk: nothing to commit
		execSet   []string            // propset svn:executable
		execDel   []string            // propdel svn:executable
		propCheck []string            // versioned files with properties: look for svn:executable
		execOnDsk = map[string]bool{}
	)
	covered := func(list []string, p string) bool {
		for _, q := range list {
			if q == p || q == "." || strings.HasPrefix(p, q+"/") {
				return true
			}
		}
		return false
	}
	for _, e := range entries {
		native := filepath.Join(abs, filepath.FromSlash(e.Path))
		switch e.Item {
		case "unversioned", "ignored":
			// Below a directory target, only what the caller named is
			// added: it checks each file (complete, valid) before naming
			// it, and an unchecked file must never ride in with its folder.
			if !whole && !explicit[e.Path] {
				continue
			}
			// Named paths are added exactly (a directory alone), so a
			// named directory does not cover the named files below it.
			if !whole || !covered(toAdd, e.Path) {
				toAdd = append(toAdd, e.Path)
			}
		case "missing":
			if covered(toDelete, e.Path) {
				continue
			}
			if e.Revision >= 0 && deletable != nil && !covered(deletable, e.Path) {
				// Gone since the caller looked: not its deletion to make.
				vanished[e.Path] = true
				continue
			}
			toDelete = append(toDelete, e.Path)
			if e.Revision < 0 {
				vanished[e.Path] = true
			}
		case "obstructed":
			if !covered(toReplace, e.Path) {
				toReplace = append(toReplace, e.Path)
			}
		case "normal", "modified", "added", "replaced":
			if covered(toReplace, e.Path) {
				continue
			}
			fi, err := os.Lstat(native)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			x := isExecutable(fi)
			if e.Props == "none" {
				if x {
					execSet = append(execSet, e.Path)
				}
				continue
			}
			propCheck = append(propCheck, e.Path)
			execOnDsk[e.Path] = x
		}
	}
	// Targets svn knows nothing about: inside an unversioned directory
	// (add them with their parents) or gone (nothing to do).
	kept := targets[:0:0]
	for _, t := range targets {
		st := filepath.ToSlash(t)
		known := false
		for _, e := range entries {
			if st == "." || e.Path == st || strings.HasPrefix(e.Path, st+"/") {
				known = true
				break
			}
		}
		if known {
			kept = append(kept, t)
			continue
		}
		if _, err := os.Lstat(filepath.Join(abs, t)); err == nil {
			if !whole || !covered(toAdd, st) {
				toAdd = append(toAdd, st)
			}
			kept = append(kept, t)
		}
	}

	toDelete, toReplace = topmost(toDelete), topmost(toReplace)
	if whole {
		toAdd = topmost(toAdd)
	} else {
		slices.Sort(toAdd)
		toAdd = slices.Compact(toAdd)
	}

	if len(propCheck) > 0 {
		props, err := c.proplist(ctx, abs, propCheck)
		if err != nil {
			return nil, err
		}
		for _, p := range propCheck {
			has := slices.Contains(props[p], propExecutable)
			switch x := execOnDsk[p]; {
			case x && !has:
				execSet = append(execSet, p)
			case !x && has:
				execDel = append(execDel, p)
			}
		}
	}

	native := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = filepath.FromSlash(p)
		}
		return out
	}
	if len(toDelete) > 0 {
		// --keep-local: these were missing at status time; a file written
		// again since then must stay on disk (the next commit adds it
		// back), never be removed by the committer.
		if err := c.run(ctx, &call{op: "delete", args: []string{"--force", "--keep-local"}, paths: native(toDelete),
			dir: abs, target: abs, targets: true, wc: abs}); err != nil {
			return nil, err
		}
	}
	if len(toReplace) > 0 {
		if err := c.run(ctx, &call{op: "delete", args: []string{"--force", "--keep-local"}, paths: native(toReplace),
			dir: abs, target: abs, targets: true, wc: abs}); err != nil {
			return nil, err
		}
		toAdd = append(toAdd, toReplace...)
	}
	added := map[string]bool{}
	if len(toAdd) > 0 {
		list, err := c.add(ctx, abs, native(toAdd), !whole)
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			added[p] = true
		}
	}
	if len(execSet) > 0 {
		if err := c.run(ctx, &call{op: "propset", args: []string{propExecutable, "*"}, paths: native(execSet),
			dir: abs, target: abs, targets: true, wc: abs}); err != nil {
			return nil, err
		}
	}
	for _, chunk := range chunkPaths(native(execDel)) {
		if err := c.run(ctx, &call{op: "propdel", args: []string{propExecutable}, paths: chunk,
			dir: abs, target: abs, wc: abs}); err != nil {
			return nil, err
		}
	}

	// Commit the targets, minus those that vanished, plus the parents
	// that were added for them (svn refuses to commit a child of an
	// added directory without it).
	var out []string
	seen := map[string]bool{}
	push := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, t := range kept {
		st := filepath.ToSlash(t)
		if vanished[st] {
			continue
		}
		for d := path.Dir(st); d != "." && d != "/"; d = path.Dir(d) {
			if added[d] {
				push(filepath.FromSlash(d))
			}
		}
		push(t)
	}
	return out, nil
}

// proplist returns the property names of paths (relative to abs).
func (c *Client) proplist(ctx context.Context, abs string, paths []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, chunk := range chunkPaths(paths) {
		native := make([]string, len(chunk))
		for i, p := range chunk {
			native[i] = filepath.FromSlash(p)
		}
		var props map[string][]string
		err := c.run(ctx, &call{
			op: "proplist", args: []string{"--xml"}, paths: native, dir: abs, target: abs,
			stdout: func(r io.Reader) (err error) { props, err = parseProplist(r); return err },
		})
		if err != nil {
			return nil, err
		}
		for p, names := range props {
			rp := relPath(abs, p)
			out[rp] = append(out[rp], names...)
		}
	}
	return out, nil
}

// topmost drops the paths that are inside another path of the list (svn
// add and delete recurse) and orders parents first.
func topmost(paths []string) []string {
	if len(paths) < 2 {
		return paths
	}
	sorted := slices.Clone(paths)
	slices.SortFunc(sorted, func(a, b string) int {
		if d := strings.Count(a, "/") - strings.Count(b, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	kept := map[string]bool{}
	out := sorted[:0]
	for _, p := range sorted {
		inside := kept["."]
		for d := path.Dir(p); !inside && d != "." && d != "/"; d = path.Dir(d) {
			inside = kept[d]
		}
		if !inside && !kept[p] {
			kept[p] = true
			out = append(out, p)
		}
	}
	return out
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], "...")
}
