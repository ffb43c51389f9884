package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
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
			c, err := newDeployClient(a, cfg, tokenFile, false, []string{n}, timeout)
			if err != nil {
				return err
			}
			list, err := c.List(cmd.Context(), n)
			if err != nil {
				return failed(errors.New(nodeError(n, err, timeout)))
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "FILE\tID\tSIZE\tSHA256\tMODIFIED")
			for _, e := range list {
				id := e.ID
				if e.Error != "" {
					id = "(invalid: " + e.Error + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", e.File, id, e.Size, short(e.SHA256), e.MTime.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&node, "node", "", "base URL of the node's depsync (default this config's own node, http://<listen>)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	f.DurationVar(&timeout, "timeout", defaultCallTimeout, "how long the node may take to answer")
	return cmd
}
