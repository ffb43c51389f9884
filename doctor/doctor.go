// Package doctor checks the minimum high-availability setup of WSO2 Carbon
// analytics nodes (EI 6.0-6.3 analytics profile, DAS 3.1 style) across all
// the nodes at once: it reads each node's profile configuration into Facts
// (ReadHome), and Run compares the nodes' facts with the checks of the "EI
// Analytics minimum high availability deployment" guide, each with a stable
// id, a verdict, every node's value and a fix naming the file, the element and
// the value to set.
//
// Facts hold only what the checks need: never a password, never a file's
// content. That is what lets a daemon later send its node's Facts to a peer
// (GET /v1/doctor) and fill the online-only fields (LocalAddrs, CApps,
// CarbonHome, Depsync) that a copy of the files cannot tell.
package doctor

import (
	"encoding/json"
	"fmt"

	"github.com/depsync/depsync/config"
)

// Status is a check's verdict.
type Status string

// Verdicts, in increasing gravity.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

func (s Status) rank() int {
	switch s {
	case Fail:
		return 2
	case Warn:
		return 1
	}
	return 0
}

// Result is the outcome of one check over every node.
type Result struct {
	// ID is stable: scripts may match on it.
	ID     string            `json:"id"`
	Status Status            `json:"status"`
	Values map[string]string `json:"values"`
	Detail string            `json:"detail"`
	Fix    string            `json:"fix"`
}

// Report is what `depsync doctor -o json` prints.
type Report struct {
	Nodes  []string `json:"nodes"`
	Checks []Result `json:"checks"`
}

// Failed reports whether any check failed (the command then exits 1).
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Check ids: a contract for scripts, spelled as issue 17 spells them.
const (
	IDClusteringEnabled    = "clustering.enabled"
	IDMembershipScheme     = "clustering.membership_scheme"
	IDMembers              = "clustering.members"
	IDLocalMemberHost      = "clustering.local_member_host"
	IDDomain               = "clustering.domain"
	IDEventProcessorMode   = "event_processor.mode"
	IDEventProcessorHosts  = "event_processor.hosts"
	IDEventProcessorPresen = "event_processor.presenter"
	IDSparkMaster          = "spark.master"
	IDSparkMasterCount     = "spark.master_count"
	IDDatasourcesShared    = "datasources.shared"
	IDDatasourcesAnalytics = "datasources.analytics"
	IDUserMgtDatasource    = "user_mgt.datasource"
	IDRegistryMounts       = "registry.mounts"
	IDDeploymentSyncRoles  = "deployment_sync.roles"
	IDCAppsSame            = "capps.same"
	IDPathsSymlink         = "paths.symlink"
)

// check is one rule over all nodes' facts.
type check struct {
	id    string
	files []string // files (relative to conf/) the check reads; a parse error in one fails it
	run   func(nodes []*Facts) Result
	// online checks run only when a caller filled their facts.
	online func(f *Facts) bool
}

// Run runs every check over the nodes' facts, in the order of the guide.
// Nodes are named by Facts.Node, which must be unique.
func Run(nodes []*Facts) (*Report, error) {
	seen := map[string]bool{}
	r := &Report{Nodes: []string{}, Checks: []Result{}}
	for _, n := range nodes {
		if n.Node == "" || seen[n.Node] {
			return nil, fmt.Errorf("doctor: node name %q is empty or not unique", n.Node)
		}
		seen[n.Node] = true
		r.Nodes = append(r.Nodes, n.Node)
	}
	nodes = withoutPasswords(nodes)
	for _, c := range checks {
		if c.online != nil {
			have := 0
			for _, n := range nodes {
				if c.online(n) {
					have++
				}
			}
			if have == 0 {
				continue // offline (--home): nothing to say
			}
			if have < len(nodes) {
				res := Result{ID: c.id, Status: Warn, Values: map[string]string{}}
				for _, n := range nodes {
					res.Values[n.Node] = "unknown"
					if c.online(n) {
						res.Values[n.Node] = "known"
					}
				}
				res.Detail = "only some nodes report this (the others were read from files, not asked live)"
				res.Fix = "run depsync doctor --config on a node whose peers all run depsync"
				r.Checks = append(r.Checks, res)
				continue
			}
		}
		if res, bad := fileErrors(c, nodes); bad {
			r.Checks = append(r.Checks, res)
			continue
		}
		res := c.run(nodes)
		res.ID = c.id
		if res.Values == nil {
			res.Values = map[string]string{}
		}
		if res.Status == "" {
			res.Status = OK
		}
		r.Checks = append(r.Checks, res)
	}
	return r, nil
}

// withoutPasswords returns copies of the nodes' facts with the credentials
// in every datasource URL redacted: ReadHome already leaves them out, but
// a peer running an older depsync may send them, and the checks quote the
// URLs in values, details and fixes.
func withoutPasswords(nodes []*Facts) []*Facts {
	out := make([]*Facts, len(nodes))
	for i, n := range nodes {
		c := *n
		c.Datasources = redactURLs(n.Datasources)
		c.Analytics = redactURLs(n.Analytics)
		out[i] = &c
	}
	return out
}

func redactURLs(ds map[string]Datasource) map[string]Datasource {
	if ds == nil {
		return nil
	}
	out := make(map[string]Datasource, len(ds))
	for name, d := range ds {
		d.URL = config.RedactURL(d.URL)
		out[name] = d
	}
	return out
}

// fileErrors fails a check whose files did not parse (or are missing) on a node.
func fileErrors(c check, nodes []*Facts) (Result, bool) {
	res := Result{ID: c.id, Status: Fail, Values: map[string]string{}}
	bad := false
	for _, n := range nodes {
		res.Values[n.Node] = "ok"
		for _, f := range c.files {
			if e, ok := n.Errors[f]; ok {
				bad = true
				res.Values[n.Node] = "unreadable"
				res.Detail = joinSentences(res.Detail, fmt.Sprintf("%s: %s", n.Node, e.Error()))
				res.Fix = joinSentences(res.Fix, fmt.Sprintf("repair %s on %s", e.File, n.Node)+lineNote(e))
			}
		}
	}
	return res, bad
}

func lineNote(e ParseError) string {
	if e.Line > 0 {
		return fmt.Sprintf(" at line %d (it must be well-formed: Carbon refuses to start otherwise)", e.Line)
	}
	return ""
}

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "; " + b
}

// JSON renders the report as `-o json` prints it.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }
