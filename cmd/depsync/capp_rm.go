package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/carbonapp"
	"github.com/depsync/depsync/deploy"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/deploy/client"
)

type rmResult struct {
	Node string `json:"node"`
	File string `json:"file"`
	// ID is the C-App id the file was named by, when it was given as one.
	ID         string `json:"id,omitempty"`
	Status     string `json:"status"` // deleted, not_found, failed
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
	Manager    string `json:"manager,omitempty"`
}

func newCappRmCmd(a *app) *cobra.Command {
	var nodes []string
	var tokenFile, output string
	var force bool
	var timeout, wait time.Duration
	cmd := &cobra.Command{
		Use:   "rm FILE|ID...",
		Short: "Remove C-Apps from nodes",
		Long: `Remove C-Apps from the carbonapps directory of each node: the --node list,
else this config's own node and its peers. Name each by its file name
(MyApp_1.0.0.car) or by its C-App id (MyApp_1.0.0, name_version from its
artifacts.xml, as capp list shows it): an id is looked up in each node's
list, and every file with that id there is removed. A worker sends you on to
its manager, which then removes the file from the workers itself (with
sync.prune). --force makes a worker remove it without its manager (an
emergency only: the manager's next reconcile puts back what it holds).
Over TLS a worker takes it only from a client certificate of the cluster:
--force presents the config's tls.cert_file.

A worker's refusal is followed to its manager only when that URL is one of
the --node URLs, a configured peer or this config's own node, and never from
https to http; otherwise nothing is sent there and the removal fails naming
the URL: pass it with --node to let it through. --timeout bounds each
removal (default 30s).

--wait polls, up to the time given, until no node of the cluster (the nodes
removed from, the peers each lists, a worker's manager when it is one of the
nodes above) holds the C-Apps and, on each node that reads Carbon's log, the
log says Carbon undeployed them; a node without a log counts by presence.

Exit codes: 0 removed everywhere (and, with --wait, undeployed everywhere),
1 a node failed or did not hold the file, or --wait ran out, 2 bad input.`,
		Example: `  depsync capp rm MyApp_1.0.0.car --node https://node1:9780
  depsync capp rm HelloWorld_1.0.0 --node https://node1:9780 --wait 60s`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			if wait < 0 {
				return usageError{fmt.Errorf("--wait %s: must not be negative", wait)}
			}
			for _, f := range files {
				if !cappname.Valid(f) && !validID(f) {
					return badInput(fmt.Errorf("%s: %w, nor a C-App id such as MyApp_1.0.0", f, cappname.ErrBad))
				}
			}
			cfg, err := a.loadConfig(nil)
			if err != nil {
				return err
			}
			targets, err := resolveNodes(cfg, nodes)
			if err != nil {
				return err
			}
			c, err := newDeployClient(a, cfg, tokenFile, true, force, targets, timeout)
			if err != nil {
				return err
			}
			perNode := make([][]rmResult, len(targets))
			var wg sync.WaitGroup
			for i, n := range targets {
				wg.Go(func() {
					for _, f := range files {
						perNode[i] = append(perNode[i], removeOne(cmd.Context(), c, n, f, force, timeout)...)
					}
				})
			}
			wg.Wait()
			var results []rmResult
			for _, rs := range perNode {
				results = append(results, rs...)
			}
			failures := 0
			for _, r := range results {
				if r.Error != "" {
					failures++
				}
			}
			var waited *rmWaitReport
			if wait > 0 && failures == 0 {
				waited = waitForUndeploy(cmd.Context(), a, cfg, c, targets, results, wait)
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				out := map[string]any{"results": results}
				if waited != nil {
					out["wait"] = waited
				}
				if err := enc.Encode(out); err != nil {
					return failed(err)
				}
			} else {
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NODE\tFILE\tSTATUS\tTIME")
				for _, r := range results {
					node := r.Node
					if r.Manager != "" {
						node += " -> " + r.Manager
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", node, r.name(), r.Status, (time.Duration(r.DurationMS) * time.Millisecond).String())
				}
				tw.Flush()
				for _, r := range results {
					if r.Error != "" && r.Status != "not_found" {
						fmt.Fprintf(a.stdout, "%s %s: %s\n", r.Node, r.name(), r.Error)
					}
				}
				if waited != nil {
					writeRmWaitReport(a.stdout, waited)
				}
			}
			switch {
			case failures > 0:
				return failed(fmt.Errorf("%d of %d removals failed", failures, len(results)))
			case waited != nil && !waited.OK:
				return failed(fmt.Errorf("--wait %s: not every node is rid of the C-Apps: %s", wait, leftSummary(waited.Left)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&nodes, "node", nil, "base URL of a node's depsync (repeatable; default this config's node and peers)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.BoolVar(&force, "force", false, "make a worker remove the file without its manager (emergency only)")
	f.DurationVar(&timeout, "timeout", defaultCallTimeout, "how long each node may take to answer")
	f.DurationVar(&wait, "wait", 0, "wait up to this long for no node of the cluster to hold the C-Apps and Carbon to undeploy them (e.g. 60s)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// name is how a removal names its C-App: the file, with the id it was
// given by.
func (r rmResult) name() string {
	switch {
	case r.ID == "":
		return r.File
	case r.File == "":
		return r.ID
	}
	return r.File + " (" + r.ID + ")"
}

// validID reports whether s can be a C-App id (name_version): what would
// be a valid file name with ".car" after it, not already ending in it in
// any case (App.CAR is a file name mistyped, not an id).
func validID(s string) bool {
	return !carbonapp.IsCApp(strings.ToLower(s)) && cappname.Valid(s+carbonapp.Ext)
}

// removeOne removes arg from node n: the file of that name, or, for a
// C-App id, every file the node lists with that id (not_found when none).
func removeOne(ctx context.Context, c *client.Client, n, arg string, force bool, timeout time.Duration) []rmResult {
	files, id := []string{arg}, ""
	if !cappname.Valid(arg) {
		id = arg
		start := time.Now()
		entries, err := c.List(ctx, n)
		if err != nil {
			return []rmResult{{Node: redact(n), ID: id, Status: "failed", DurationMS: time.Since(start).Milliseconds(),
				Error: nodeError(n, err, timeout)}}
		}
		if files = filesOfID(entries, id); len(files) == 0 {
			return []rmResult{{Node: redact(n), ID: id, Status: "not_found", DurationMS: time.Since(start).Milliseconds(),
				Error: fmt.Sprintf("%s: no C-App with id %s", redact(n), id)}}
		}
	}
	var out []rmResult
	for _, f := range files {
		start := time.Now()
		servedBy, err := c.Delete(ctx, n, f, force)
		r := rmResult{Node: redact(n), File: f, ID: id, Status: "deleted", DurationMS: time.Since(start).Milliseconds()}
		if servedBy != n {
			r.Manager = redact(servedBy)
		}
		switch {
		case client.IsNotFound(err):
			r.Status, r.Error = "not_found", nodeError(n, err, timeout)
		case err != nil:
			r.Status, r.Error = "failed", nodeError(n, err, timeout)
		}
		out = append(out, r)
	}
	return out
}

// filesOfID returns the files of a node's list whose C-App id is id.
func filesOfID(entries []deploy.Entry, id string) []string {
	var out []string
	for _, e := range entries {
		if e.Valid() && e.ID == id {
			out = append(out, e.File)
		}
	}
	return out
}
