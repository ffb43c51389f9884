package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/api"
)

func newApproveCmd(a *app) *cobra.Command {
	var node, tokenFile, output string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "approve",
		Short: "Let the deletions a manager holds through, once",
		Long: `Let through, once, the mass deletions a manager holds (POST /v1/approve).

A manager never propagates in one go the disappearance of its deployment
directory or of a top-level folder of it that held files, a carbonapps left
with no C-App while the repository (or a peer) still holds some, or more
deletions than sync.max_delete allows. It commits or pushes everything else
and holds those: /v1/status lists them under held_deletions and /readyz
answers 503. If the deletion is meant, approve it; if not, put the files
back and the hold clears by itself.

The node is --node, else this node's listen address from the config, by the
same rules as every command's --node. The API token comes from --token-file,
else token_file or DEPSYNC_TOKEN. --timeout bounds the call (default 30s).

Exit status: 0 when the node answered (whether or not anything was held),
1 when it could not be reached or refused, 2 for bad flags or config.`,
		Example: `  depsync approve
  depsync approve --node https://node1:9780 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			node, client, err := a.askOne(node, tokenFile, output, timeout)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			reply, err := client.Approve(ctx, node)
			if err != nil {
				return failed(errors.New(nodeError(node, err, timeout)))
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(reply)
			}
			printApproved(a.stdout, node, reply)
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "base URL of the manager (default: this node's listen address)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultCallTimeout, "how long to wait for the node")
	return cmd
}

func printApproved(w io.Writer, node string, reply *api.ApproveReply) {
	if len(reply.Approved) == 0 {
		fmt.Fprintf(w, "%s: no deletion held; nothing to approve\n", redact(node))
		return
	}
	n := 0
	for _, h := range reply.Approved {
		n += h.Count
	}
	fmt.Fprintf(w, "%s: approved %d held deletion(s); they go with the next pass:\n", redact(node), n)
	for _, h := range reply.Approved {
		more := ""
		if h.Count > len(h.Paths) {
			more = fmt.Sprintf(" (+%d more)", h.Count-len(h.Paths))
		}
		fmt.Fprintf(w, "  %s: %d (%s, held since %s): %s%s\n", h.Scope, h.Count, h.Reason,
			h.Since.UTC().Format(time.RFC3339), strings.Join(h.Paths, " "), more)
	}
}
