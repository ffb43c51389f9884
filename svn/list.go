package svn

import (
	"bufio"
	"context"
	"io"
	"strings"
)

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
