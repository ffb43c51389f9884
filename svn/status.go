package svn

// What changed in a working copy: svn status.

import (
	"context"
	"io"
	"os"
	"path/filepath"
)

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
