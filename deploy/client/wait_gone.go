package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/deploy/cappname"
)

// Presence asks node whether it holds file and what its Carbon log last
// said of the C-App (GET /v1/capps/{file}); id, when known, is the C-App's
// id, which the node cannot read from a file it no longer holds.
func (c *Client) Presence(ctx context.Context, node, file, id string) (*api.CAppPresence, error) {
	if !cappname.Valid(file) {
		return nil, fmt.Errorf("%s: %w", file, cappname.ErrBad)
	}
	path := "/v1/capps/" + file
	if id != "" {
		path += "?id=" + url.QueryEscape(id)
	}
	var p api.CAppPresence
	if err := c.getJSON(ctx, node, path, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Gone is a C-App no node of a cluster may hold any longer: its file name
// and, when known, its C-App id (by which Carbon's log names it).
type Gone struct {
	File string
	ID   string
}

// GoneOptions say what Client.WaitGone waits for; Nodes, Known, Check,
// OnNoCarbonLog and Interval are as in WaitOptions.
type GoneOptions struct {
	Nodes         []string
	Gone          []Gone
	Known         []string
	Check         func(node string) error
	OnNoCarbonLog func(node string)
	Interval      time.Duration
}

// WaitGone polls o.Nodes, and the peers and manager they name, until no
// node holds any C-App of o.Gone and, on each node that reads a Carbon log,
// the log's last word on each is "undeployed" (or nothing: Carbon has not
// named it since its start); or until ctx is done (then OK is false and
// Lacking says what the last round found: a node that still holds a file,
// or whose Carbon has not undeployed it, with Carbon's last word). A node
// that reads no Carbon log, or predates GET /v1/capps/{file}, counts by
// presence (NoCarbonLog).
func (c *Client) WaitGone(ctx context.Context, o GoneOptions) *WaitResult {
	interval := o.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	cluster := c.newClusterNodes(o.Nodes, o.Known, o.Check)
	return pollCluster(ctx, cluster, interval, o.OnNoCarbonLog, func(ctx context.Context, nodes []string) []nodeRound {
		rounds := make([]nodeRound, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() { rounds[i] = c.checkGone(ctx, n, o.Gone) })
		}
		wg.Wait()
		return rounds
	})
}

// checkGone returns what node still holds of gone, or has not seen Carbon
// undeploy: Lack.Carbon then says Carbon's last word.
func (c *Client) checkGone(ctx context.Context, node string, gone []Gone) nodeRound {
	var r nodeRound
	for _, g := range gone {
		v := Verdict{Node: node, File: g.File}
		p, err := c.Presence(ctx, node, g.File, g.ID)
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusMethodNotAllowed {
			// A node of an older version: by presence in its list.
			p, err = c.presenceByList(ctx, node, g.File)
		}
		if err != nil {
			r.lacking = append(r.lacking, Lack{Node: node, File: g.File, Err: err})
			continue
		}
		v.Present, v.CarbonLog, v.Carbon = p.Present, p.CarbonLog, p.Carbon
		r.noLog = r.noLog || !p.CarbonLog
		switch {
		case v.Present:
			r.lacking = append(r.lacking, Lack{Node: node, File: g.File, Carbon: v.Carbon})
		case !v.CarbonLog, v.Carbon == nil, v.Carbon.State == string(carbonlog.Undeployed):
			v.Done = true
		default:
			r.lacking = append(r.lacking, Lack{Node: node, File: g.File, Carbon: v.Carbon})
		}
		r.states = append(r.states, v)
	}
	return r
}

// presenceByList is Presence for a node without GET /v1/capps/{file}: its
// list says whether it holds the file, nothing of Carbon.
func (c *Client) presenceByList(ctx context.Context, node, file string) (*api.CAppPresence, error) {
	entries, err := c.List(ctx, node)
	if err != nil {
		return nil, err
	}
	p := &api.CAppPresence{File: file}
	for _, e := range entries {
		if e.File == file {
			p.Present = true
		}
	}
	return p, nil
}
