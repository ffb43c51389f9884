package svn

import (
	"bytes"
	"context"
	"io"
	"strconv"
)

// CatAt returns the content of the file url as it was at revision rev (a
// peg revision: the file as it stood then, even if it was deleted or
// replaced since). A file that did not exist at rev is an error of kind
// ErrNotFound.
func (c *Client) CatAt(ctx context.Context, url string, rev int64) ([]byte, error) {
	var out []byte
	// svn takes the last "@" as the peg, so a URL holding "@" is safe.
	target := url + "@" + strconv.FormatInt(rev, 10)
	err := c.run(ctx, &call{
		op: "cat", paths: []string{target}, noPeg: true, target: url, auth: true,
		stdout: func(r io.Reader) error {
			var b bytes.Buffer
			if _, err := io.Copy(&b, r); err != nil {
				return err
			}
			out = b.Bytes()
			return nil
		},
	})
	return out, err
}
