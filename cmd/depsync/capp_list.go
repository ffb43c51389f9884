package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/carbonlog"
	"github.com/depsync/depsync/deploy/client"
)

func newCappListCmd(a *app) *cobra.Command {
	var node, tokenFile, output string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the C-Apps a node holds",
		Long: `List the C-Apps in a node's carbonapps directory, with their C-App id
(name_version from artifacts.xml), size and sha256. A file that is not a
valid C-App (or is still being copied) is listed with its error.

STATE is what the node's Carbon log (carbon.log_file) says about each
C-App since Carbon's last start: deploying, deployed, faulty, undeployed or
unknown; "-" when the log has not named it, "no log" when the node reads no
Carbon log. Carbon's error line follows each faulty C-App. With -o json each
entry carries it as "carbon": {state, time, seen, error}.

The token comes from --token-file, else token_file or DEPSYNC_TOKEN.
--timeout bounds the call (default 30s): a node that never answers is an
error naming it, exit 1.`,
		Example: `  depsync capp list --node https://node2:9780
  depsync capp list --node https://node2:9780 -o json | jq -r '.[].id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			cfg, err := a.loadConfig(nil)
			if err != nil {
				return err
			}
			n, err := resolveNode(cfg, node)
			if err != nil {
				return err
			}
			c, err := newDeployClient(a, cfg, tokenFile, false, false, []string{n}, timeout)
			if err != nil {
				return err
			}
			l, err := c.ListCarbon(cmd.Context(), n)
			if err != nil {
				return failed(errors.New(nodeError(n, err, timeout)))
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(l.Entries)
			}
			return writeCappList(a.stdout, l)
		},
	}
	f := cmd.Flags()
	f.StringVar(&node, "node", "", "base URL of the node's depsync (default this config's own node, http://<listen>)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	f.DurationVar(&timeout, "timeout", defaultCallTimeout, "how long the node may take to answer")
	return cmd
}

// writeCappList prints a node's C-Apps with their Carbon state and, under
// the table, Carbon's error line for each faulty one.
func writeCappList(w io.Writer, l *client.Listing) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tID\tSTATE\tSIZE\tSHA256\tMODIFIED")
	for _, e := range l.Entries {
		id := e.ID
		if e.Error != "" {
			id = "(invalid: " + e.Error + ")"
		}
		state := "-"
		switch {
		case l.CarbonLog != api.CarbonLogReadable:
			state = "no log"
		case e.Carbon != nil:
			state = e.Carbon.State
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.File, id, state, e.Size, short(e.SHA256), e.MTime.Local().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range l.Entries {
		if e.Carbon != nil && e.Carbon.State == string(carbonlog.Faulty) {
			fmt.Fprintf(w, "  faulty %s: %s\n", e.File, dash(e.Carbon.Error))
		}
	}
	return nil
}
