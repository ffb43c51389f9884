package svn

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// HasFolder reports whether url is a folder of the repository: one svn
// list of the folder holding it, the same for every sibling asked about
// (which is what lets many tenants' questions share one run).
func (c *Client) HasFolder(ctx context.Context, url string) (bool, error) {
	parent, name, err := SplitURL(url)
	if err != nil {
		return false, err
	}
	names, err := c.ListDirs(ctx, parent)
	if err != nil {
		return false, err
	}
	return slices.Contains(names, name), nil
}

// SplitURL splits a folder's URL into the URL of the folder holding it and
// its name, unescaped.
func SplitURL(u string) (parent, name string, err error) {
	trimmed := strings.TrimRight(u, "/")
	i := strings.LastIndexByte(trimmed, '/')
	if i < 0 {
		return "", "", fmt.Errorf("%s: not a URL with a parent folder", u)
	}
	name = trimmed[i+1:]
	if s, err := url.PathUnescape(name); err == nil {
		name = s
	}
	return trimmed[:i], name, nil
}

// ListDirs returns the names of the folders directly under url (svn list,
// depth immediates), without their trailing slash: one call that tells a
// worker every tenant folder of the repository.
func (c *Client) ListDirs(ctx context.Context, url string) ([]string, error) {
	var names []string
	err := c.run(ctx, &call{
		op: "list", args: []string{"--depth", "immediates"}, paths: []string{url},
		target: url, timeout: c.ProbeTimeout, auth: true,
		stdout: func(r io.Reader) error {
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				if name, ok := strings.CutSuffix(sc.Text(), "/"); ok && name != "" {
					names = append(names, name)
				}
			}
			return sc.Err()
		},
	})
	return names, err
}
