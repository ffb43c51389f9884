package svn

import (
	"context"
	"path/filepath"
)

// Relocate points the working copy dir at another server of the same
// repository: every URL of it that starts with from starts with to
// instead (svn relocate FROM TO, the prefix form). Nothing is checked out
// again; svn asks the server at to for the repository's UUID first and
// fails, leaving dir as it was, rather than point it at another repository. It is bounded by ProbeTimeout: one question to the server and
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
