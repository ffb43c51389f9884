package svn

import (
	"bufio"
	"context"
	"io"
	"strings"
)

// DeleteURL removes url (a file or a whole folder) from the repository with
// one commit: how a manager removes a tenant's folder once a person has
// approved it.
func (c *Client) DeleteURL(ctx context.Context, url, message string) error {
	msgFile, done, err := c.messageFile("delete", url, message)
	if err != nil {
		return err
	}
	defer done()
	args := []string{"--file", msgFile, "--force-log", "--encoding", "UTF-8"}
	return c.run(ctx, &call{op: "delete", args: args, paths: []string{url}, target: url, auth: true})
}

// ListFiles returns the number of files below url (svn list -R, folders
// not counted) and the paths, relative to url, of the first max of them
// (all of them when max <= 0): what a folder's deletion would remove.
func (c *Client) ListFiles(ctx context.Context, url string, max int) (int, []string, error) {
	var (
		n     int
		paths []string
	)
	err := c.run(ctx, &call{
		op: "list", args: []string{"--recursive"}, paths: []string{url},
		target: url, auth: true,
		stdout: func(r io.Reader) error {
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				line := sc.Text()
				if line == "" || strings.HasSuffix(line, "/") {
					continue
				}
				n++
				if max <= 0 || len(paths) < max {
					paths = append(paths, line)
				}
			}
			return sc.Err()
		},
	})
	return n, paths, err
}
