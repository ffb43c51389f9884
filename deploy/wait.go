package deploy

import (
	"context"
	"strings"
	"time"
)

// Want is a C-App every node of a cluster must hold: its file name and
// sha256 (hex).
type Want struct {
	File   string
	SHA256 string
}

// WaitOptions say what Client.WaitForCluster waits for.
type WaitOptions struct {
	// Nodes are the base URLs polled first (the nodes pushed to).
	Nodes []string
	// Want are the C-Apps each node must hold, byte for byte.
	Want []Want
	// Known are the base URLs a worker's manager (read from its
	// /v1/status) must be one of to be polled: a worker's idea of its
	// manager comes from a notice and can be planted, whereas the peers a
	// node lists are its configuration.
	Known []string
	// Check, when set, vets every URL before it is polled (the rules of
	// the nodes' URLs); one it refuses is not polled, and a warning says
	// so.
	Check func(node string) error
	// Interval is the pause between two rounds (default 500ms).
	Interval time.Duration
}

// WaitResult says whether every node of the cluster holds the C-Apps.
type WaitResult struct {
	OK bool
	// Nodes are the nodes polled, in the order they were found, as given
	// (not redacted).
	Nodes []string
	// Lacking is what the last round found missing.
	Lacking []Lack
}

// Lack is a node that lacks a C-App (File), or could not be read (Err).
type Lack struct {
	Node string
	File string
	Err  error
}

// WaitForCluster polls o.Nodes, and the peers and manager they name in
// /v1/status, until each holds every C-App of o.Want with its sha256, or
// ctx is done (then OK is false and Lacking says what the last round
// found). The token goes only where it may: the nodes, the peers they list
// when Check lets them through, and a worker's manager only when it is one
// of o.Known.
func (c *Client) WaitForCluster(ctx context.Context, o WaitOptions) *WaitResult {
	interval := o.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	known := map[string]bool{}
	for _, n := range o.Known {
		known[strings.TrimRight(n, "/")] = true
	}
	cluster := map[string]bool{}
	var order []string
	add := func(n string, mustBeKnown bool) {
		n = strings.TrimRight(n, "/")
		if n == "" || cluster[n] || (mustBeKnown && !known[n]) {
			return
		}
		if o.Check != nil {
			if err := o.Check(n); err != nil {
				c.opts.Logger.Warn("not polling a node a peer names: its URL breaks the --node rules", "url", RedactURL(n))
				return
			}
		}
		cluster[n] = true
		order = append(order, n)
	}
	for _, n := range o.Nodes {
		add(n, false)
	}
	statusRead := map[string]bool{}
	for {
		var lacking []Lack
		for i := 0; i < len(order); i++ { // order grows as peers are found
			n := order[i]
			if !statusRead[n] {
				if st, err := c.Status(ctx, n); err == nil {
					statusRead[n] = true
					add(st.Manager, true)
					for _, p := range st.Peers {
						add(p.URL, false)
					}
				}
			}
			lacking = append(lacking, c.lacks(ctx, n, o.Want)...)
		}
		nodes := append([]string(nil), order...)
		if len(lacking) == 0 {
			c.opts.Logger.Debug("every node holds the C-Apps", "nodes", redactAll(nodes))
			return &WaitResult{OK: true, Nodes: nodes}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return &WaitResult{OK: false, Nodes: nodes, Lacking: lacking}
		case <-t.C:
		}
	}
}

// lacks returns what node lacks of want, or that it could not be read.
func (c *Client) lacks(ctx context.Context, node string, want []Want) []Lack {
	list, err := c.List(ctx, node)
	if err != nil {
		return []Lack{{Node: node, Err: err}}
	}
	have := map[string]string{}
	for _, e := range list {
		have[e.File] = e.SHA256
	}
	var out []Lack
	for _, w := range want {
		if have[w.File] != w.SHA256 {
			out = append(out, Lack{Node: node, File: w.File})
		}
	}
	return out
}

func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = RedactURL(u)
	}
	return out
}
