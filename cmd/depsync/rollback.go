package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy/client"
)

type rollbackOptions struct {
	node, tokenFile, output, until string
	to                             int64
	wait, timeout                  time.Duration
}

// rollbackCmdReport is what depsync rollback prints with -o json.
type rollbackCmdReport struct {
	To       int64           `json:"to"`
	Rollback *rollbackReport `json:"rollback"`
}

func newRollbackCmd(a *app) *cobra.Command {
	o := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback FILE... --to REV",
		Short: "Make C-Apps what they were at an SVN revision, in one commit, through the manager",
		Long: `Make each named C-App of the super tenant what it was at revision REV
(depsync capp history lists them): its bytes then, or no file when it did
not exist then. The manager (--node, else this config's own node) does it
with one commit (POST /v1/rollback), so the machine running this command
needs no working copy and no svn; the history shows the rollback as a
revision of its own. Only the files named are touched. A removal goes
through the manager's deletion guard like any other: when it is held,
nothing is committed and depsync approve lets it through.

--wait then waits, as capp push --wait does, for every node of the
cluster to hold each restored C-App and Carbon to deploy it (and for each
removed one to be gone and undeployed).

Exit codes: 0 done (and, with --wait, Carbon took it on every node), 1 the
manager or the wait failed, 2 bad input. Direct mode keeps no history:
the manager refuses, saying rollback needs SVN.`,
		Example: `  depsync capp history MyApp_1.0.0.car
  depsync rollback MyApp_1.0.0.car --to 41 --wait 2m`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validOutput(o.output); err != nil {
				return err
			}
			if err := checkTimeout(o.timeout); err != nil {
				return err
			}
			if o.to < 1 {
				return usageError{errors.New("--to REV: the revision to go back to is required (depsync capp history lists them)")}
			}
			if o.wait < 0 {
				return usageError{fmt.Errorf("--wait %s: must not be negative", o.wait)}
			}
			switch o.until {
			case client.UntilPresent, client.UntilDeployed:
			default:
				return usageError{fmt.Errorf("--until %q: must be present or deployed", o.until)}
			}
			req := api.RollbackRequest{Files: args, To: o.to}
			if err := checkRollback(req); err != nil {
				return badInput(err)
			}
			cfg, err := a.loadConfig(nil)
			if err != nil {
				return err
			}
			node, err := resolveNode(cfg, o.node)
			if err != nil {
				return err
			}
			c, err := newDeployClient(a, cfg, o.tokenFile, false, false, []string{node}, defaultCallTimeout)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			rctx, cancel := context.WithTimeout(ctx, o.timeout)
			reply, err := c.Rollback(rctx, node, req)
			cancel()
			if err != nil {
				return failed(errors.New(historyError(node, err, o.timeout)))
			}
			rep := &rollbackReport{Revision: reply.Revision, Restored: []rollbackItem{}, Removed: []rollbackItem{}}
			for _, x := range append(reply.Restored, reply.Unchanged...) {
				if x.SHA256 != "" {
					rep.Restored = append(rep.Restored, rollbackItem{Node: redact(node), File: x.File, ID: x.ID, SHA256: x.SHA256})
				}
			}
			for _, x := range reply.Removed {
				rep.Removed = append(rep.Removed, rollbackItem{Node: redact(node), File: x.File, ID: x.ID})
			}
			if o.wait > 0 {
				waitRollback(ctx, a, cfg, c, []string{node}, rep, nil, o.until, o.wait)
			} else {
				rep.Done = true
			}
			if o.output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rollbackCmdReport{To: o.to, Rollback: rep}); err != nil {
					return failed(err)
				}
			} else {
				switch {
				case reply.Revision == 0:
					fmt.Fprintf(a.stdout, "nothing to commit: the C-Apps already are what they were at r%d\n", o.to)
				case o.wait == 0:
					fmt.Fprintf(a.stdout, "committed r%d: %s as of r%d\n", reply.Revision, rollbackWhat(rep), o.to)
				}
				if o.wait > 0 {
					writeRollbackReport(a.stdout, rep)
				}
			}
			if !rep.Done {
				return failed(fmt.Errorf("rollback to r%d%s", o.to, rollbackSummary(rep)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.node, "node", "", "base URL of the manager's depsync (default this config's own node, http://<listen>)")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.Int64Var(&o.to, "to", 0, "the SVN revision to go back to (required)")
	f.DurationVar(&o.wait, "wait", 0, "wait up to this long for every node to hold the C-Apps and Carbon to deploy them (e.g. 60s)")
	f.StringVar(&o.until, "until", client.UntilDeployed, "what --wait waits for: deployed or present")
	f.DurationVar(&o.timeout, "timeout", defaultHistoryTimeout, "how long the manager may take to commit")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	return cmd
}
