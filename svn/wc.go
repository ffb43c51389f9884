package svn

// Working-copy operations: revert, cleanup, resolve, add, delete, relocate.

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
)

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

// Upgrade runs svn upgrade on the working copy dir: it brings a working
// copy made by an older svn (or SVNKit), which svn refuses with E155036,
// to this client's format. Only the .svn metadata changes; files stay.
func (c *Client) Upgrade(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return errorf("upgrade", dir, nil, "%v", err)
	}
	return c.exec(ctx, &call{op: "upgrade", paths: []string{abs}, target: abs})
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

// Relocate points the working copy dir at another server of the same
// repository: every URL of it that starts with from starts with to
// instead (svn relocate FROM TO, the prefix form). Nothing is checked out
// again; svn asks the server at to for the repository's UUID first and
// fails, leaving dir as it was, rather than point it at another
// repository. It is bounded by ProbeTimeout: one question to the server and
// a rewrite of the working copy's database.
func (c *Client) Relocate(ctx context.Context, dir, from, to string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return errorf("relocate", dir, nil, "%v", err)
	}
	if !IsURL(from) || !IsURL(to) {
		return errorf("relocate", abs, nil, "relocate takes two URLs, not %q and %q", from, to)
	}
	// The working copy goes as ".", from its own folder: only the URLs
	// need escaping from svn's peg syntax.
	return c.run(ctx, &call{op: "relocate", paths: []string{from, to, "."}, dir: abs, target: abs,
		timeout: c.ProbeTimeout, auth: true, wc: abs})
}
