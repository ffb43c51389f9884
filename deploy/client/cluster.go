package client

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/depsync/depsync/api"
)

// maxClusterNodes bounds the nodes ReadCluster follows, whatever the
// nodes it reads name.
const maxClusterNodes = 1000

// ClusterOptions say where ReadCluster starts and whom it may ask.
type ClusterOptions struct {
	// Nodes are read first (the node asked).
	Nodes []string
	// Known are the URLs a worker's manager, as its /v1/status names it,
	// must be one of to be read: a worker learns its manager from a
	// notice, which can be planted, whereas its peers are its config.
	Known []string
	// Check vets every URL a node names before the token goes there.
	Check func(string) error
}

// NodeReport is one node of a cluster as ReadCluster found it.
type NodeReport struct {
	URL string
	// Status is the node's /v1/status, nil when it did not answer (Err
	// says why); Raw is the same as the node wrote it, with the fields
	// this client does not know.
	Status *api.Status
	Raw    json.RawMessage
	// CApps are the C-Apps the node holds (GET /v1/capps); CAppsErr says
	// why they could not be read.
	CApps    []api.Entry
	CAppsErr error
	Err      error
}

// ReadCluster reads the /v1/status and the C-Apps of o.Nodes, then of the
// peers each lists and the manager a worker names (when Known), and so on
// until no node names one not read yet. The nodes of a round are read in
// parallel, each call within the client's timeout and all within ctx.
// Reports come in the order the nodes were found.
func (c *Client) ReadCluster(ctx context.Context, o ClusterOptions) []NodeReport {
	cluster := c.newClusterNodes(o.Nodes, o.Known, o.Check)
	var reports []NodeReport
	for len(reports) < len(cluster.order) && len(reports) < maxClusterNodes {
		round := cluster.order[len(reports):]
		if len(reports)+len(round) > maxClusterNodes {
			round = round[:maxClusterNodes-len(reports)]
		}
		out := make([]NodeReport, len(round))
		var wg sync.WaitGroup
		for i, n := range round {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = c.readNode(ctx, n)
			}()
		}
		wg.Wait()
		for _, r := range out {
			if st := r.Status; st != nil {
				cluster.add(st.Manager, true)
				for _, p := range st.Peers {
					cluster.add(p.URL, false)
				}
			}
		}
		reports = append(reports, out...)
	}
	return reports
}

// readNode reads one node's status and C-Apps, at once.
func (c *Client) readNode(ctx context.Context, node string) NodeReport {
	r := NodeReport{URL: node}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.CApps, r.CAppsErr = c.List(ctx, node)
	}()
	raw, err := c.StatusJSON(ctx, node)
	if err == nil {
		var st api.Status
		if err = json.Unmarshal(raw, &st); err == nil {
			r.Status, r.Raw = &st, raw
		}
	}
	r.Err = err
	wg.Wait()
	return r
}
