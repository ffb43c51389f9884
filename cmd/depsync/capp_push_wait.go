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

// waitReport says whether every node of the cluster holds the C-Apps and,
// with --until deployed, whether Carbon deployed them.
type waitReport struct {
	OK      bool          `json:"ok"`
	Until   string        `json:"until"`
	Nodes   []string      `json:"nodes"`
	Lacking []waitLacking `json:"lacking,omitempty"`
	// Faulty are the C-Apps a node's Carbon log says are faulty.
	Faulty []waitState `json:"faulty,omitempty"`
	// States is each C-App on each node as the last round saw it.
	States []waitState `json:"states,omitempty"`
	// NoCarbonLog are the nodes counted by presence: they read no
	// Carbon log.
	NoCarbonLog []string `json:"no_carbon_log,omitempty"`
}

// redactNodes is nodes as a report prints them (never nil: JSON says []).
func redactNodes(nodes []string) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = redact(n)
	}
	return out
}

// lackingOf is what a wait's last round found lacking, as a report prints
// it.
func lackingOf(lacks []client.Lack, wait time.Duration) []waitLacking {
	var out []waitLacking
	for _, l := range lacks {
		x := waitLacking{Node: redact(l.Node), File: l.File}
		if l.Err != nil {
			x.Error = nodeError(l.Node, l.Err, wait)
		}
		if l.Carbon != nil {
			x.State = l.Carbon.State
		}
		out = append(out, x)
	}
	return out
}

type waitLacking struct {
	Node  string `json:"node"`
	File  string `json:"file,omitempty"`
	Error string `json:"error,omitempty"`
	// State is Carbon's last word on a C-App the node holds but Carbon
	// has not deployed since it landed ("" when it said nothing).
	State string `json:"state,omitempty"`
}

// waitState is one C-App on one node.
type waitState struct {
	Node string `json:"node"`
	File string `json:"file"`
	ID   string `json:"id"`
	// Present: the node holds the bytes pushed.
	Present bool `json:"present"`
	// CarbonLog: the node reads a Carbon log it can open.
	CarbonLog bool `json:"carbon_log"`
	// State is what the node's Carbon log says (deploying, deployed,
	// faulty, undeployed, unknown), "" when it says nothing.
	State string `json:"state,omitempty"`
	// Current: Carbon wrote this state after the bytes landed on the node, or the node read it live after that.
	Current bool       `json:"current"`
	Time    *time.Time `json:"time,omitempty"`
	// Error is Carbon's first error line for a faulty C-App.
	Error string `json:"error,omitempty"`
	Done  bool   `json:"done"`
}

// waitForCluster waits up to o.wait for every node of the cluster to hold
// the C-Apps and, with --until deployed, for Carbon to deploy them there
// (see client.Client.WaitForCluster). Carbon's verdict on a node counts
// from the node's own time of the push (results), else from the file's
// mtime there. The token goes only where it may: the nodes, the peers they
// list when those pass the --node rules (a node's peers are its
// configuration), and a worker's manager only when it is already known:
// one of nodes, a configured peer or this config's node.
func waitForCluster(ctx context.Context, a *app, cfg *config.Config, c *client.Client, nodes []string, capps []*localCApp, results []pushResult, o *pushOptions) *waitReport {
	want := make([]client.Want, len(capps))
	ids := map[string]string{}
	for i, ca := range capps {
		want[i] = client.Want{File: ca.file, SHA256: ca.app.SHA256}
		ids[ca.file] = ca.app.ID
	}
	received := map[string]map[string]time.Time{}
	for _, r := range results {
		if r.received == nil || r.storedBy == "" {
			continue
		}
		if received[r.storedBy] == nil {
			received[r.storedBy] = map[string]time.Time{}
		}
		received[r.storedBy][r.File] = *r.received
	}
	return waitForWant(ctx, a, cfg, c, nodes, want, ids, received, o.until, o.wait)
}

// waitForWant is waitForCluster for the bytes of want (ids: their C-App
// ids by file name), Carbon's verdict on a node counting from received
// (node, file: the node's own time it stored the file), else from the
// file's mtime there.
func waitForWant(ctx context.Context, a *app, cfg *config.Config, c *client.Client, nodes []string, want []client.Want, ids map[string]string,
	received map[string]map[string]time.Time, until string, wait time.Duration) *waitReport {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	res := c.WaitForCluster(ctx, client.WaitOptions{
		Nodes:    nodes,
		Want:     want,
		Until:    until,
		Received: received,
		OnNoCarbonLog: func(n string) {
			a.logger.Warn("node reads no Carbon log (carbon.log_file missing or unreadable there): counting it by presence, not by Carbon's verdict", "node", redact(n))
		},
		Known: append(append([]string{localURL(cfg)}, nodes...), cfg.Peers...),
		Check: func(n string) error { return checkNodeURL("peer", n, cfg.InsecureHTTP) },
	})
	rep := &waitReport{OK: res.OK, Until: until, Nodes: redactNodes(res.Nodes), NoCarbonLog: redactNodes(res.NoCarbonLog),
		Lacking: lackingOf(res.Lacking, wait)}
	for _, v := range res.Faulty {
		rep.Faulty = append(rep.Faulty, waitStateOf(v, ids))
	}
	for _, v := range res.States {
		rep.States = append(rep.States, waitStateOf(v, ids))
	}
	return rep
}

// waitStateOf is a verdict as the report shows it, with the C-App's id
// from ids by file name.
func waitStateOf(v client.Verdict, ids map[string]string) waitState {
	s := waitState{Node: redact(v.Node), File: v.File, ID: ids[v.File], Present: v.Present, CarbonLog: v.CarbonLog,
		Current: v.Current, Done: v.Done}
	if v.Carbon != nil {
		t := v.Carbon.Time
		s.State, s.Time, s.Error = v.Carbon.State, &t, v.Carbon.Error
	}
	return s
}

func untilVerb(until string) string {
	if until == client.UntilPresent {
		return "holds"
	}
	return "deployed"
}

func lackingSummary(l []waitLacking) string {
	by := map[string][]string{}
	var nodes []string
	for _, x := range l {
		if _, ok := by[x.Node]; !ok {
			nodes = append(nodes, x.Node)
		}
		what := x.File
		switch {
		case what == "":
			what = "unreachable"
		case x.State != "":
			what += " (Carbon: " + x.State + ", not since it landed)"
		}
		by[x.Node] = append(by[x.Node], what)
	}
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n + " lacks " + strings.Join(by[n], ", ")
		if len(by[n]) == 1 && by[n][0] == "unreachable" {
			parts[i] = n + " unreachable"
		}
	}
	return strings.Join(parts, "; ")
}

// faultySummary names each node and C-App Carbon found faulty, with
// Carbon's error line.
func faultySummary(f []waitState) string {
	parts := make([]string, len(f))
	for i, x := range f {
		parts[i] = fmt.Sprintf("%s: C-App %s (%s) is faulty: %s", x.Node, x.ID, x.File, dash(x.Error))
	}
	return strings.Join(parts, "; ")
}

func writeWaitReport(w io.Writer, r *waitReport) {
	for _, n := range r.NoCarbonLog {
		fmt.Fprintf(w, "warning: %s reads no Carbon log: counted by presence\n", n)
	}
	switch {
	case len(r.Faulty) > 0:
		for _, x := range r.Faulty {
			fmt.Fprintf(w, "FAULTY on %s: C-App %s (%s): %s\n", x.Node, x.ID, x.File, dash(x.Error))
		}
	case r.OK && r.Until == client.UntilPresent:
		fmt.Fprintf(w, "every node holds the C-Apps: %s\n", strings.Join(r.Nodes, ", "))
	case r.OK:
		fmt.Fprintf(w, "Carbon deployed the C-Apps on every node: %s\n", strings.Join(r.Nodes, ", "))
	default:
		fmt.Fprintf(w, "not in step: %s\n", lackingSummary(r.Lacking))
	}
}
