package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy/cappname"
)

// History asks node for the SVN history of its C-Apps (GET /v1/history):
// of file alone when not "", the last n changes.
func (c *Client) History(ctx context.Context, node, file string, n int) (*api.History, error) {
	q := url.Values{}
	if file != "" {
		if !cappname.Valid(file) {
			return nil, fmt.Errorf("%s: %w", file, cappname.ErrBad)
		}
		q.Set("file", file)
	}
	if n > 0 {
		q.Set("n", strconv.Itoa(n))
	}
	p := api.HistoryPath
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var h api.History
	if err := c.getJSON(ctx, node, p, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Rollback asks the manager node to commit each file as it was at a
// revision (POST /v1/rollback). It is bounded by ctx alone: a checkout and
// a commit take their time.
func (c *Client) Rollback(ctx context.Context, node string, req api.RollbackRequest) (*api.RollbackReply, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	r, err := c.newRequest(ctx, http.MethodPost, node, api.RollbackPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := c.rc.Do(r)
	if err != nil {
		return nil, fmt.Errorf("%s: POST %s: %w", node, api.RollbackPath, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(node, resp)
	}
	var reply api.RollbackReply
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&reply); err != nil {
		return nil, fmt.Errorf("%s: reply to POST %s: %w", node, api.RollbackPath, err)
	}
	return &reply, nil
}
