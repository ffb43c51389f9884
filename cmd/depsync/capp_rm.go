package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/deploy"
)

type rmResult struct {
	Node       string `json:"node"`
	File       string `json:"file"`
	Status     string `json:"status"` // deleted, not_found, failed
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
	Manager    string `json:"manager,omitempty"`
}

func newCappRmCmd(a *app) *cobra.Command {
	var nodes []string
	var tokenFile, output string
	var force bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "rm FILE...",
		Short: "Remove C-Apps from nodes",
		Long: `Remove C-Apps (by file name, e.g. MyApp_1.0.0.car) from the carbonapps
directory of each node: the --node list, else this config's own node and its
peers. A worker sends you on to its manager, which then removes the file from
the workers itself (with sync.prune). --force makes a worker remove it
without its manager (an emergency only: the manager's next reconcile puts
back what it holds). Over TLS a worker takes it only from a client
certificate of the cluster: --force presents the config's tls.cert_file.

A worker's refusal is followed to its manager only when that URL is one of
the --node URLs, a configured peer or this config's own node, and never from
https to http; otherwise nothing is sent there and the removal fails naming
the URL: pass it with --node to let it through. --timeout bounds each
removal (default 30s).

Exit codes: 0 removed everywhere, 1 a node failed or did not hold the file,
2 bad input.`,
		Example: `  depsync capp rm MyApp_1.0.0.car --node https://node1:9780`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			for _, f := range files {
				if !deploy.ValidName(f) {
					return badInput(fmt.Errorf("%s: %w", f, deploy.ErrBadName))
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
			results := make([]rmResult, len(targets)*len(files))
			var wg sync.WaitGroup
			for i, n := range targets {
				wg.Go(func() {
					for j, f := range files {
						start := time.Now()
						servedBy, err := c.Delete(cmd.Context(), n, f, force)
						r := rmResult{Node: redact(n), File: f, Status: "deleted", DurationMS: time.Since(start).Milliseconds()}
						if servedBy != n {
							r.Manager = redact(servedBy)
						}
						switch {
						case deploy.IsNotFound(err):
							r.Status, r.Error = "not_found", nodeError(n, err, timeout)
						case err != nil:
							r.Status, r.Error = "failed", nodeError(n, err, timeout)
						}
						results[i*len(files)+j] = r
					}
				})
			}
			wg.Wait()
			failures := 0
			for _, r := range results {
				if r.Error != "" {
					failures++
				}
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"results": results}); err != nil {
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
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", node, r.File, r.Status, (time.Duration(r.DurationMS) * time.Millisecond).String())
				}
				tw.Flush()
				for _, r := range results {
					if r.Error != "" && r.Status != "not_found" {
						fmt.Fprintf(a.stdout, "%s %s: %s\n", r.Node, r.File, r.Error)
					}
				}
			}
			if failures > 0 {
				return failed(fmt.Errorf("%d of %d removals failed", failures, len(results)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&nodes, "node", nil, "base URL of a node's depsync (repeatable; default this config's node and peers)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.BoolVar(&force, "force", false, "make a worker remove the file without its manager (emergency only)")
	f.DurationVar(&timeout, "timeout", defaultCallTimeout, "how long each node may take to answer")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
