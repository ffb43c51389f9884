package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/depsync/depsync/api"
)

// Manifest is a node's reply to GET /v1/capps.
type Manifest struct {
	Entries     []api.Entry
	ETag, Boot  string
	NotModified bool // If-None-Match matched: nothing changed there
}

// Manifest GETs node's C-Apps; with etag set, conditionally.
func (c *Client) Manifest(ctx context.Context, node, etag string) (Manifest, error) {
	req, err := c.newRequest(ctx, http.MethodGet, node, "/v1/capps", nil)
	if err != nil {
		return Manifest{}, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", node, err)
	}
	defer resp.Body.Close()
	m := Manifest{ETag: resp.Header.Get("ETag"), Boot: resp.Header.Get(api.BootHeader)}
	switch resp.StatusCode {
	case http.StatusNotModified:
		m.NotModified = true
		return m, nil
	case http.StatusOK:
	default:
		return Manifest{}, apiError(node, resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&m.Entries); err != nil {
		return Manifest{}, fmt.Errorf("%s: reply to GET /v1/capps: %w", node, err)
	}
	return m, nil
}
