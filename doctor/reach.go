package doctor

import (
	"fmt"
	"strings"
)

// IDNodesReachable is the check of the online mode (`depsync doctor
// --config`) that every node answered GET /v1/doctor. It is a contract for
// scripts like the other ids.
const IDNodesReachable = "nodes.reachable"

// Unreachable is a node the online mode could not ask for its facts.
type Unreachable struct {
	// Node names the node: its URL, redacted, since it never said its name.
	Node string
	// Err says why, in words an operator can act on.
	Err string
}

// RunOnline runs the checks over the nodes that answered (Run) and puts
// nodes.reachable first: ok when every node answered, else fail naming the
// others and why. A node that did not answer is a column of the report
// too, with a value in nodes.reachable only: the other checks compare the
// nodes that answered, so a split brain between those is still found.
func RunOnline(nodes []*Facts, down []Unreachable) (*Report, error) {
	r, err := Run(nodes)
	if err != nil {
		return nil, err
	}
	res := Result{ID: IDNodesReachable, Status: OK, Values: map[string]string{}}
	for _, n := range nodes {
		res.Values[n.Node] = "answered"
	}
	var names, why []string
	for _, d := range down {
		if _, dup := res.Values[d.Node]; dup || d.Node == "" {
			return nil, fmt.Errorf("doctor: node name %q is empty or not unique", d.Node)
		}
		res.Values[d.Node] = "unreachable"
		r.Nodes = append(r.Nodes, d.Node)
		names = append(names, d.Node)
		why = append(why, d.Err)
	}
	if len(down) == 0 {
		res.Detail = "every node answered GET /v1/doctor"
	} else {
		res.Status = Fail
		res.Detail = strings.Join(why, "; ") + " (the other checks compare the nodes that answered only)"
		res.Fix = fmt.Sprintf("make depsync run and answer on %s: check its URL in peers, the API token "+
			"(token_file or DEPSYNC_TOKEN, the same on every node) and tls.ca_file, then run depsync doctor again",
			strings.Join(names, ", "))
	}
	r.Checks = append([]Result{res}, r.Checks...)
	return r, nil
}
