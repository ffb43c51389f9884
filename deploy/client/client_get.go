package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"

	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/sfv"
)

// Fetched is a C-App as a node held it: its bytes, or nothing.
type Fetched struct {
	File string
	// Present is false when the node does not hold the file (Data and
	// SHA256 are then empty).
	Present bool
	Data    []byte
	// SHA256 is the digest of Data, checked against the node's
	// Content-Digest.
	SHA256 []byte
}

// Fetch GETs a C-App's bytes from node (GET /v1/capps/{file}), checking
// them against the reply's Content-Digest. A file the node does not hold
// is a Fetched with Present false, not an error. The bytes are kept in
// memory: C-Apps are bounded by the node's max size. Like Put, it is
// bounded by ctx alone: a large C-App takes its time.
func (c *Client) Fetch(ctx context.Context, node, file string) (*Fetched, error) {
	if !cappname.Valid(file) {
		return nil, fmt.Errorf("%s: %w", file, cappname.ErrBad)
	}
	req, err := c.newRequest(ctx, http.MethodGet, node, "/v1/capps/"+file, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/octet-stream")
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w", node, file, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return &Fetched{File: file}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(node, resp)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		return nil, fmt.Errorf("%s: GET %s answered %q, not the C-App's bytes: a depsync too old to serve them", node, file, ct)
	}
	want, err := sfv.ParseContentDigest(resp.Header.Values("Content-Digest"))
	if err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w", node, file, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, maxFetch)); err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w", node, file, err)
	}
	got := sha256.Sum256(buf.Bytes())
	if !bytes.Equal(got[:], want) {
		return nil, fmt.Errorf("%s: GET %s: %w", node, file, sfv.ErrDigestMismatch)
	}
	return &Fetched{File: file, Present: true, Data: buf.Bytes(), SHA256: got[:]}, nil
}

// maxFetch bounds what Fetch reads: far above any node's max C-App size.
const maxFetch = 4 << 30
