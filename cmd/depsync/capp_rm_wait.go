package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy/client"
)

// rmWaitReport says whether every node of the cluster is rid of the
// C-Apps removed and, where it reads a Carbon log, Carbon undeployed them.
type rmWaitReport struct {
	OK    bool     `json:"ok"`
	Nodes []string `json:"nodes"`
	// Left is what the last round found: a node that still holds a file,
	// or whose Carbon has not said it undeployed it (state: its last
	// word), or that could not be read (error).
	Left []waitLacking `json:"left,omitempty"`
	// NoCarbonLog are the nodes counted by presence: they read no Carbon
	// log (or are of a version that does not say).
	NoCarbonLog []string `json:"no_carbon_log,omitempty"`
}

// waitForUndeploy waits up to wait for every node of the cluster (the
// nodes removed from, the peers they list, a worker's manager when it is a
// known node) to be rid of the C-Apps of results, and Carbon to have
// undeployed them there. The token goes where capp push --wait sends it.
func waitForUndeploy(ctx context.Context, a *app, cfg *config.Config, c *client.Client, nodes []string, results []rmResult, wait time.Duration) *rmWaitReport {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var gone []client.Gone
	seen := map[client.Gone]bool{}
	for _, r := range results {
		g := client.Gone{File: r.File, ID: r.ID}
		if r.Status == "deleted" && !seen[g] {
			seen[g] = true
			gone = append(gone, g)
		}
	}
	res := c.WaitGone(ctx, client.GoneOptions{
		Nodes: nodes,
		Gone:  gone,
		Known: append(append([]string{localURL(cfg)}, nodes...), cfg.Peers...),
		Check: func(n string) error { return checkNodeURL("peer", n, cfg.InsecureHTTP) },
		OnNoCarbonLog: func(n string) {
			a.logger.Warn("node reads no Carbon log (or does not say what it reads): counting it by presence, not by Carbon's word", "node", redact(n))
		},
	})
	return &rmWaitReport{OK: res.OK, Nodes: redactNodes(res.Nodes), NoCarbonLog: redactNodes(res.NoCarbonLog),
		Left: lackingOf(res.Lacking, wait)}
}

// leftSummary says what keeps a cluster from being rid of the C-Apps.
func leftSummary(left []waitLacking) string {
	parts := make([]string, len(left))
	for i, x := range left {
		switch {
		case x.Error != "":
			parts[i] = x.Error
		case x.State != "":
			parts[i] = fmt.Sprintf("%s: Carbon's last word on %s is %s, not undeployed", x.Node, x.File, x.State)
		default:
			parts[i] = fmt.Sprintf("%s still holds %s", x.Node, x.File)
		}
	}
	return strings.Join(parts, "; ")
}

func writeRmWaitReport(w io.Writer, r *rmWaitReport) {
	for _, n := range r.NoCarbonLog {
		fmt.Fprintf(w, "warning: %s reads no Carbon log: counted by presence\n", n)
	}
	if r.OK {
		fmt.Fprintf(w, "no node holds the C-Apps, and Carbon undeployed them: %s\n", strings.Join(r.Nodes, ", "))
		return
	}
	fmt.Fprintf(w, "not in step: %s\n", leftSummary(r.Left))
}
