package client

import (
	"context"

	"github.com/depsync/depsync/doctor"
)

// Doctor reads node's GET /v1/doctor: the facts `depsync doctor` checks,
// as the node read them from its own files (no file content, no
// password), within the client's timeout. A node whose depsync predates
// the endpoint answers 404: test it with IsNotFound.
func (c *Client) Doctor(ctx context.Context, node string) (*doctor.Facts, error) {
	var f doctor.Facts
	if err := c.getJSON(ctx, node, doctor.Path, &f); err != nil {
		return nil, err
	}
	return &f, nil
}
