package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/config"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/client"
)

// clusterRow is one node of `depsync status --cluster`.
type clusterRow struct {
	Node string `json:"node"`
	URL  string `json:"url"`
	Role string `json:"role"`
	Mode string `json:"mode"`
	// ManagerMode is a worker's idea of its manager's mode.
	ManagerMode string           `json:"manager_mode,omitempty"`
	Revisions   []tenantRevision `json:"revisions"`
	// CApps counts the C-Apps the node holds; nil when they could not be
	// read.
	CApps *int `json:"capps"`
	// Drift counts the files the node reports as drift; nil from a node
	// that does not report drift.
	Drift         *int `json:"drift"`
	HeldDeletions int  `json:"held_deletions"`
	Answered      bool `json:"answered"`
	Ready         bool `json:"ready"`
	InStep        bool `json:"in_step"`
	// Why says why the node is not ready or not in step.
	Why string `json:"why,omitempty"`
}

// tenantRevision is a tenant's revision in a clusterRow.
type tenantRevision struct {
	Tenant   int   `json:"tenant"`
	Revision int64 `json:"revision"`
}

// clusterView is `depsync status --cluster -o json`.
type clusterView struct {
	Nodes  []clusterRow `json:"nodes"`
	InStep bool         `json:"in_step"`
}

// statusCluster reads node and the nodes it names (see
// client.Client.ReadCluster), prints one row per node, and fails (exit 1)
// unless every node answered and is ready and in step.
func (a *app) statusCluster(ctx context.Context, node string, nc *client.Client, output string) error {
	cfg, err := a.loadConfig(nil)
	if err != nil {
		return err
	}
	reports := nc.ReadCluster(ctx, client.ClusterOptions{
		Nodes: []string{node},
		Known: append([]string{node, localURL(cfg)}, cfg.Peers...),
		Check: func(n string) error { return checkNodeURL("peer", n, cfg.InsecureHTTP) },
	})
	view := clusterOf(reports)
	if output == "json" {
		out, err := json.MarshalIndent(view, "", "  ")
		if err != nil {
			return err
		}
		if _, err := a.stdout.Write(append(out, '\n')); err != nil {
			return err
		}
	} else {
		printCluster(a.stdout, view)
	}
	if !view.InStep {
		bad := 0
		for _, r := range view.Nodes {
			if r.Why != "" {
				bad++
			}
		}
		return failed(fmt.Errorf("%d of %d node(s) not answering, not ready or not in step", bad, len(view.Nodes)))
	}
	return nil
}

// clusterOf makes the rows of the nodes read and says whether the whole
// cluster is in step.
func clusterOf(reports []client.NodeReport) clusterView {
	var mgr *client.NodeReport
	for i := range reports {
		if st := reports[i].Status; st != nil && st.Role == config.RoleManager {
			mgr = &reports[i]
			break
		}
	}
	view := clusterView{InStep: len(reports) > 0}
	seen := map[string]bool{}
	for _, r := range reports {
		if st := r.Status; st != nil && st.Node != "" {
			// One node reached by two URLs (its peers' and the
			// operator's spelling): one row.
			if seen[st.Node] {
				continue
			}
			seen[st.Node] = true
		}
		row := clusterRow{URL: redact(r.URL)}
		if r.CAppsErr == nil && r.Status != nil {
			n := len(r.CApps)
			row.CApps = &n
		}
		if st := r.Status; st != nil {
			row.Answered, row.Ready = true, st.Ready
			row.Node, row.Role, row.Mode, row.ManagerMode = st.Node, st.Role, st.Mode, st.ManagerMode
			for _, t := range st.Tenants {
				row.Revisions = append(row.Revisions, tenantRevision{Tenant: t.ID, Revision: t.Revision})
			}
			for _, h := range st.HeldDeletions {
				row.HeldDeletions += h.Count
			}
			row.Drift = driftOf(r.Raw)
		}
		row.Why = stepVerdict(r, mgr)
		row.InStep = row.Why == ""
		view.InStep = view.InStep && row.InStep
		view.Nodes = append(view.Nodes, row)
	}
	return view
}

// stepVerdict says why node r is not ready or not in step with the
// manager mgr (nil when none answered), "" when it is both. A worker is in
// step when, besides its own verdict, no tenant is behind the manager's
// revision (in SVN mode; a worker may be ahead, updated to a revision of
// the repository that another tenant's commit made) and it holds the
// manager's C-Apps, byte for byte, and no others.
func stepVerdict(r client.NodeReport, mgr *client.NodeReport) string {
	st := r.Status
	if st == nil {
		return "no answer: " + errText(r.Err)
	}
	if why := statusVerdict(st, false); why != "" {
		return why
	}
	if d := driftOf(r.Raw); d != nil && *d > 0 {
		return fmt.Sprintf("%d file(s) of drift", *d)
	}
	if st.Role == config.RoleManager {
		return ""
	}
	if mgr == nil {
		return "no manager answered to compare with"
	}
	if mgr.Status.Mode != api.ModeDirect {
		mine := map[int]int64{}
		for _, t := range st.Tenants {
			mine[t.ID] = t.Revision
		}
		for _, t := range mgr.Status.Tenants {
			if rev, ok := mine[t.ID]; ok && rev < t.Revision {
				return fmt.Sprintf("tenant %d at r%d, the manager at r%d", t.ID, rev, t.Revision)
			}
		}
	}
	switch {
	case r.CAppsErr != nil:
		return "its C-Apps could not be read: " + errText(r.CAppsErr)
	case mgr.CAppsErr != nil:
		return "the manager's C-Apps could not be read: " + errText(mgr.CAppsErr)
	}
	return cappsDiffer(mgr.CApps, r.CApps)
}

// cappsDiffer says how a worker's C-Apps differ from the manager's, ""
// when they are the same files with the same digests. A file the manager
// holds that is not a valid C-App yet is neither committed nor pushed: it
// is not looked for.
func cappsDiffer(manager, worker []deploy.Entry) string {
	want := map[string]string{}
	for _, e := range manager {
		if e.Valid() {
			want[e.File] = e.SHA256
		}
	}
	have := map[string]string{}
	for _, e := range worker {
		have[e.File] = e.SHA256
	}
	var lacks, extra, differ []string
	for f, sum := range want {
		switch got, ok := have[f]; {
		case !ok:
			lacks = append(lacks, f)
		case got != sum:
			differ = append(differ, f)
		}
	}
	for f := range have {
		if _, ok := want[f]; !ok {
			extra = append(extra, f)
		}
	}
	var parts []string
	for _, p := range []struct {
		what  string
		files []string
	}{{"lacks", lacks}, {"differs in", differ}, {"has besides", extra}} {
		if len(p.files) > 0 {
			sort.Strings(p.files)
			parts = append(parts, p.what+" "+firstFew(p.files, 3))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "C-Apps not the manager's: " + strings.Join(parts, "; ")
}

// firstFew lists at most n names, then how many more.
func firstFew(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, " ")
	}
	return strings.Join(s[:n], " ") + fmt.Sprintf(" (+%d more)", len(s)-n)
}

// driftOf reads the drift count of a /v1/status reply: its "drift" field,
// a count or an object with one. Nil when the node reports none.
func driftOf(raw json.RawMessage) *int {
	var m struct {
		Drift json.RawMessage `json:"drift"`
	}
	if json.Unmarshal(raw, &m) != nil || len(m.Drift) == 0 || string(m.Drift) == "null" {
		return nil
	}
	var n int
	if json.Unmarshal(m.Drift, &n) == nil {
		return &n
	}
	var d struct {
		Count *int `json:"count"`
	}
	if json.Unmarshal(m.Drift, &d) == nil {
		return d.Count
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// printCluster prints the rows as a table, then why each node that is not
// ready or in step is not.
func printCluster(w io.Writer, v clusterView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tURL\tROLE\tMODE\tREVISION\tC-APPS\tDRIFT\tHELD\tREADY\tIN STEP")
	for _, r := range v.Nodes {
		if !r.Answered {
			fmt.Fprintf(tw, "-\t%s\t-\t-\t-\t-\t-\t-\tno\tno\n", r.URL)
			continue
		}
		mode := r.Mode
		if r.ManagerMode != "" && r.ManagerMode != r.Mode {
			mode += " (manager " + r.ManagerMode + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", dash(r.Node), r.URL, dash(r.Role), dash(mode),
			revisionsText(r.Revisions), countText(r.CApps), countText(r.Drift), r.HeldDeletions, yesNo(r.Ready), yesNo(r.InStep))
	}
	tw.Flush()
	for _, r := range v.Nodes {
		if r.Why != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.URL, r.Why)
		}
	}
	if v.InStep {
		fmt.Fprintln(w, "cluster in step")
	} else {
		fmt.Fprintln(w, "cluster NOT in step")
	}
}

// revisionsText is one revision, or tenant:revision for each of several
// tenants (the first 5).
func revisionsText(revs []tenantRevision) string {
	switch len(revs) {
	case 0:
		return "-"
	case 1:
		return strconv.FormatInt(revs[0].Revision, 10)
	}
	var parts []string
	for i, r := range revs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("+%d more", len(revs)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%d:%d", r.Tenant, r.Revision))
	}
	return strings.Join(parts, " ")
}

func countText(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
