package client

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/config"
)

// What Client.WaitForCluster waits for (WaitOptions.Until).
const (
	// UntilPresent: every node holds the bytes.
	UntilPresent = "present"
	// UntilDeployed: and, on every node with a readable Carbon log, Carbon
	// said "deployed" after the bytes landed there (the default).
	UntilDeployed = "deployed"
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
	// Until is UntilPresent or UntilDeployed (default UntilDeployed).
	Until string
	// Received are the nodes' own times of the arrival of the bytes
	// (PutReply.Received), by node URL then file: a Carbon verdict counts
	// only when Carbon wrote it at or after that time, or the node read it
	// live at or after it (see verdictIsFor), so an older "deployed" for
	// earlier bytes does not, even re-read after a restart. Where none is given, the
	// file's mtime on the node (when its bytes landed there, on the same
	// clock) serves. Clocks of the caller and the node are never compared.
	Received map[string]map[string]time.Time
	// OnNoCarbonLog, when set, is called once for each node that reads no
	// Carbon log (or cannot open it) while Until is UntilDeployed: such a
	// node counts by presence.
	OnNoCarbonLog func(node string)
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
	// Faulty are the C-Apps a node's Carbon log says are faulty since
	// their bytes landed there: the wait stops at the first round that
	// finds one, and OK is false.
	Faulty []Verdict
	// States is the last round's view of each C-App on each node read.
	States []Verdict
	// NoCarbonLog are the nodes counted by presence because they read no
	// Carbon log (only with UntilDeployed).
	NoCarbonLog []string
}

// Lack is a node that lacks a C-App (File), or could not be read (Err).
// Carbon, when set, is what its Carbon log said last: the node holds the
// bytes but Carbon has not (yet) deployed them.
type Lack struct {
	Node   string
	File   string
	Err    error
	Carbon *api.CarbonState
}

// Verdict is one C-App on one node, as a round of WaitForCluster saw it.
type Verdict struct {
	Node string
	File string
	// Present: the node holds the wanted bytes.
	Present bool
	// CarbonLog: the node reads a Carbon log and can open it.
	CarbonLog bool
	// Carbon is what the node's Carbon log says about the C-App, nil when
	// it says nothing.
	Carbon *api.CarbonState
	// Current: Carbon's state is about the bytes that landed on the node
	// (verdictIsFor).
	Current bool
	// Done: the node counts as done for this C-App.
	Done bool
}

// WaitForCluster polls o.Nodes, and the peers and manager they name in
// /v1/status, until each holds every C-App of o.Want with its sha256 and,
// with UntilDeployed, each node that reads a Carbon log says it deployed
// them since they landed there; or until a node says one is faulty (then
// Faulty lists it), or ctx is done (then OK is false and Lacking says what
// the last round found). Nodes are read in parallel, each call within the
// client's timeout. The token goes only where it may: the nodes, the peers
// they list when Check lets them through, and a worker's manager only when
// it is one of o.Known.
func (c *Client) WaitForCluster(ctx context.Context, o WaitOptions) *WaitResult {
	interval := o.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	if o.Until == "" {
		o.Until = UntilDeployed
	}
	received := map[string]map[string]time.Time{}
	for n, m := range o.Received {
		received[strings.TrimRight(n, "/")] = m
	}
	cluster := c.newClusterNodes(o.Nodes, o.Known, o.Check)
	res := pollCluster(ctx, cluster, interval, o.OnNoCarbonLog, func(ctx context.Context, nodes []string) []nodeRound {
		return c.round(ctx, nodes, o, received)
	})
	switch {
	case len(res.Faulty) > 0:
		c.opts.Logger.Debug("a node says a C-App is faulty", "nodes", redactAll(res.Nodes))
	case res.OK:
		c.opts.Logger.Debug("every node holds the C-Apps", "nodes", redactAll(res.Nodes), "until", o.Until)
	}
	return res
}

// pollCluster runs round over the nodes cluster finds, every interval,
// until a round finds a faulty verdict or nothing lacking (OK), or ctx is
// done: then it returns the last whole round's result, since a round cut
// short by the deadline says nothing new. onNoLog hears once of each node
// that reads no Carbon log.
func pollCluster(ctx context.Context, cluster *clusterNodes, interval time.Duration, onNoLog func(string),
	round func(context.Context, []string) []nodeRound) *WaitResult {
	noLog := map[string]bool{}
	var noLogOrder []string
	var last *WaitResult
	for {
		nodes := cluster.discover(ctx)
		rounds := round(ctx, nodes)
		if ctx.Err() != nil && last != nil {
			return last
		}
		res := &WaitResult{Nodes: nodes}
		for i, r := range rounds {
			if r.noLog && !noLog[nodes[i]] {
				noLog[nodes[i]] = true
				noLogOrder = append(noLogOrder, nodes[i])
				if onNoLog != nil {
					onNoLog(nodes[i])
				}
			}
			res.Lacking = append(res.Lacking, r.lacking...)
			res.Faulty = append(res.Faulty, r.faulty...)
			res.States = append(res.States, r.states...)
		}
		res.NoCarbonLog = append([]string(nil), noLogOrder...)
		if len(res.Faulty) > 0 {
			return res
		}
		if len(res.Lacking) == 0 {
			res.OK = true
			return res
		}
		last = res
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return res
		case <-t.C:
		}
	}
}

// nodeRound is what one round found on one node.
type nodeRound struct {
	lacking []Lack
	faulty  []Verdict
	states  []Verdict
	noLog   bool
}

// round reads every node in parallel. The first faulty verdict cuts the
// reads still in flight short: the wait fails at once, whatever a slow
// node does.
func (c *Client) round(ctx context.Context, nodes []string, o WaitOptions, received map[string]map[string]time.Time) []nodeRound {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]nodeRound, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			out[i] = c.check(ctx, n, o, received[n])
			if len(out[i].faulty) > 0 {
				cancel()
			}
		})
	}
	wg.Wait()
	return out
}

// check returns what node lacks of o.Want, whether Carbon deployed it or
// found it faulty, or that the node could not be read.
func (c *Client) check(ctx context.Context, node string, o WaitOptions, received map[string]time.Time) nodeRound {
	l, err := c.ListCarbon(ctx, node)
	if err != nil {
		return nodeRound{lacking: []Lack{{Node: node, Err: err}}}
	}
	have := map[string]api.Entry{}
	for _, e := range l.Entries {
		have[e.File] = e
	}
	r := nodeRound{noLog: o.Until == UntilDeployed && !l.CarbonReadable()}
	for _, w := range o.Want {
		e, ok := have[w.File]
		v := Verdict{Node: node, File: w.File, Present: ok && e.SHA256 == w.SHA256, CarbonLog: l.CarbonReadable()}
		if v.Present {
			v.Carbon = e.Carbon
			since, ok := received[w.File]
			if !ok {
				since = e.MTime
			}
			v.Current = verdictIsFor(e.Carbon, since)
		}
		switch {
		case !v.Present:
			r.lacking = append(r.lacking, Lack{Node: node, File: w.File})
		case o.Until != UntilDeployed || !v.CarbonLog:
			v.Done = true
		case v.Current && v.Carbon.State == string(carbonlog.Faulty):
			r.faulty = append(r.faulty, v)
		case v.Current && v.Carbon.State == string(carbonlog.Deployed):
			v.Done = true
		default:
			r.lacking = append(r.lacking, Lack{Node: node, File: w.File, Carbon: v.Carbon})
		}
		r.states = append(r.states, v)
	}
	return r
}

// verdictIsFor reports whether Carbon's word c is about bytes that landed
// on the node at since (the node's clock): Carbon wrote the line at or after
// since (its own timestamp, on the same host, kept to the millisecond), or
// the node read the line live at or after since. A line re-read from the
// log's history (the daemon restarted) has a fresh Seen that says nothing
// of when Carbon wrote it, so only its timestamp counts.
func verdictIsFor(c *api.CarbonState, since time.Time) bool {
	if c == nil {
		return false
	}
	if !c.Time.Before(since.Truncate(time.Millisecond)) {
		return true
	}
	return c.Live && !c.Seen.Before(since)
}

func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = config.RedactNodeURL(u)
	}
	return out
}

// clusterNodes are the nodes a wait polls: the nodes given, then the peers
// each lists in its /v1/status and the manager a worker names there when it
// is one of the known nodes (a worker's idea of its manager comes from a
// notice and can be planted, whereas its peers are its configuration);
// every URL vetted by check first. Nodes are told apart by nodeKey.
type clusterNodes struct {
	c          *Client
	known      map[string]bool
	check      func(string) error
	in         map[string]bool
	order      []string
	statusRead map[string]bool
}

func (c *Client) newClusterNodes(nodes, known []string, check func(string) error) *clusterNodes {
	k := &clusterNodes{c: c, known: map[string]bool{}, check: check, in: map[string]bool{}, statusRead: map[string]bool{}}
	for _, n := range known {
		k.known[nodeKey(n)] = true
	}
	for _, n := range nodes {
		k.add(n, false)
	}
	return k
}

// nodeKey is what tells two node URLs apart: config.NormalURL, as a
// worker compares a notice's manager with its peers, or the URL without its
// trailing slash when it is no node's base URL (a --node behind a path).
func nodeKey(n string) string {
	if k, err := config.NormalURL(n); err == nil {
		return k
	}
	return strings.TrimRight(n, "/")
}

func (k *clusterNodes) add(n string, mustBeKnown bool) {
	n = strings.TrimRight(n, "/")
	key := nodeKey(n)
	if n == "" || k.in[key] || (mustBeKnown && !k.known[key]) {
		return
	}
	if k.check != nil {
		if err := k.check(n); err != nil {
			k.c.opts.Logger.Warn("not polling a node a peer names: its URL breaks the --node rules", "url", config.RedactNodeURL(n))
			return
		}
	}
	k.in[key] = true
	k.order = append(k.order, n)
}

// discover reads the /v1/status of each node not read yet (a node that
// does not answer is asked again next time), adds what it names, and
// returns every node found so far, in the order found: the peers a node
// names are read in the same round.
func (k *clusterNodes) discover(ctx context.Context) []string {
	for i := 0; i < len(k.order); i++ { // order grows as peers are found
		n := k.order[i]
		if k.statusRead[n] {
			continue
		}
		if st, err := k.c.Status(ctx, n); err == nil {
			k.statusRead[n] = true
			k.add(st.Manager, true)
			for _, p := range st.Peers {
				k.add(p.URL, false)
			}
		}
	}
	return append([]string(nil), k.order...)
}
