package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/internal/regfile"
	"github.com/depsync/depsync/internal/sfv"
)

// PutRequest says how Client.Put sends a C-App.
type PutRequest struct {
	// File is the name on the node; default the base name of the path.
	File string
	// SHA256 is the file's digest if already known; else Put computes it.
	SHA256 []byte
	// Replace and Force set ?replace=true and ?force=true.
	Replace, Force bool
	// Progress, when set, is called with the number of bytes sent as they
	// go (from 0 again when a retry starts over), never concurrently.
	Progress func(sent int64)
}

// PutReply is what a node replied to a Put.
type PutReply struct {
	api.PutResult
	// Node is the node that stored the file: the one asked, or its manager
	// when a worker redirected the request.
	Node string `json:"-"`
	// Bytes is the size sent.
	Bytes int64 `json:"-"`
}

// Put streams the C-App at path to node with its Content-Digest. Each retry
// opens the file again. When the file changes between hashing and sending,
// the node refuses it (digest mismatch) and nothing is written there.
func (c *Client) Put(ctx context.Context, node, path string, pr PutRequest) (*PutReply, error) {
	if pr.File == "" {
		pr.File = filepath.Base(path)
	}
	if !cappname.Valid(pr.File) {
		return nil, fmt.Errorf("%s: %w", pr.File, cappname.ErrBad)
	}
	f, fi, err := regfile.OpenFollowing(path) // a FIFO would block every read after
	if err != nil {
		return nil, err
	}
	f.Close()
	size := fi.Size()
	if pr.SHA256 == nil {
		pr.SHA256, err = hashFile(path)
		if err != nil {
			return nil, err
		}
	}
	reply, err := c.put(ctx, node, path, size, pr)
	if err != nil {
		mgr, ferr := c.follow(node, err)
		if ferr != nil {
			return nil, ferr
		}
		if mgr != "" {
			c.opts.Logger.Info("worker refused the C-App; sending it to its manager", "node", config.RedactNodeURL(node), "manager", config.RedactNodeURL(mgr), "file", pr.File)
			return c.put(ctx, mgr, path, size, pr)
		}
	}
	return reply, err
}

func (c *Client) put(ctx context.Context, node, path string, size int64, pr PutRequest) (*PutReply, error) {
	q := url.Values{}
	if pr.Replace {
		q.Set("replace", "true")
	}
	if pr.Force {
		q.Set("force", "true")
	}
	p := "/v1/capps/" + pr.File
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	// The transport may still be reading an attempt's body when the next
	// attempt starts: only the latest one reports progress, one call at a
	// time.
	var progressMu sync.Mutex
	attempt := 0
	body := retryablehttp.ReaderFunc(func() (io.Reader, error) {
		f, _, err := regfile.OpenFollowing(path)
		if err != nil {
			return nil, err
		}
		if pr.Progress == nil {
			return f, nil
		}
		progressMu.Lock()
		attempt++
		mine := attempt
		pr.Progress(0)
		progressMu.Unlock()
		return &progressFile{f: f, fn: func(sent int64) {
			progressMu.Lock()
			if attempt == mine {
				pr.Progress(sent)
			}
			progressMu.Unlock()
		}}, nil
	})
	req, err := c.newRequest(ctx, http.MethodPut, node, p, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	// The node answers 401, 400, 409 or 413 before the body is sent, so a
	// refusal of a large C-App arrives as a reply, not as a reset
	// connection.
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Content-Digest", sfv.ContentDigest(pr.SHA256))
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: PUT %s: %w", node, pr.File, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, apiError(node, resp)
	}
	reply := &PutReply{Node: node, Bytes: size}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&reply.PutResult); err != nil {
		return nil, fmt.Errorf("%s: reply to PUT %s: %w", node, pr.File, err)
	}
	if want := hex.EncodeToString(pr.SHA256); reply.SHA256 != want {
		return nil, fmt.Errorf("%s: stored %s with sha256 %s, sent %s", node, pr.File, reply.SHA256, want)
	}
	return reply, nil
}

// progressFile reports bytes read from a file.
type progressFile struct {
	f    *os.File
	sent int64
	fn   func(int64)
}

func (p *progressFile) Close() error { return p.f.Close() }

func (p *progressFile) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	if n > 0 {
		p.sent += int64(n)
		p.fn(p.sent)
	}
	return n, err
}

// hashFile returns the SHA-256 of the file at path.
func hashFile(path string) ([]byte, error) {
	f, _, err := regfile.OpenFollowing(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
