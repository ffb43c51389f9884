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
	"github.com/depsync/depsync/deploy/client"
	"github.com/depsync/depsync/internal/guard"
)

func newApproveCmd(a *app) *cobra.Command {
	var node, tokenFile, output, digest string
	var scopes []string
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

An approval covers exactly the paths each hold named when it was given
(their digest is echoed, as /v1/status shows it): the next pass may delete
those, or fewer of them if some came back; a pass that would delete more or
others is held anew and the approval dropped. An approval not used within
sync.approval_ttl (default 10m) expires; /v1/status lists the pending ones
under pending_approvals.

--scope approves only that hold (repeat it for more), as /v1/status names
it: "tenant -1234", "peer https://node2:9780". Without it, every hold as it
is now. --digest approves only if the hold still has the digest you saw in
depsync status; if it changed, nothing is approved and the exit status is 1.
Without --scope, --digest approves the holds that have it.

The node is --node, else this node's listen address from the config, by the
same rules as every command's --node. The API token comes from --token-file,
else token_file or DEPSYNC_TOKEN. --timeout bounds the call (default 30s).

Exit status: 0 when the node answered (whether or not anything was held),
1 when it could not be reached or refused (a --scope holding nothing, a
--digest that changed), 2 for bad flags or config.`,
		Example: `  depsync approve
  depsync approve --scope "peer https://node2:9780" --digest sha256:5f1c...
  depsync approve --node https://node1:9780 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if digest != "" {
				if err := guard.CheckDigest(digest); err != nil {
					return usageError{fmt.Errorf("--digest: %w", err)}
				}
			}
			for _, s := range scopes {
				if strings.TrimSpace(s) == "" {
					return usageError{errors.New(`--scope: give a scope as depsync status shows it, such as "tenant -1234"`)}
				}
			}
			node, nc, err := a.askOne(node, tokenFile, output, timeout)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			reply, err := nc.Approve(ctx, node, api.ApproveRequest{Scopes: scopes, Digest: digest})
			if errors.Is(err, client.ErrApproveAll) {
				printApproved(a.stdout, node, reply)
				return failed(errors.New(redactIn(err.Error(), node)))
			}
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
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, `approve only this hold, as depsync status names it (repeatable; default: every hold as it is)`)
	cmd.Flags().StringVar(&digest, "digest", "", "approve only if the hold's digest is still this one (sha256:..., from depsync status)")
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
	until := ""
	if reply.ExpiresAt != nil {
		until = ", unless it expires unused at " + reply.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "%s: approved %d held deletion(s); they go with the next pass%s, and nothing more or other:\n",
		redact(node), n, until)
	for _, h := range reply.Approved {
		more := ""
		if h.Count > len(h.Paths) {
			more = fmt.Sprintf(" (+%d more)", h.Count-len(h.Paths))
		}
		fmt.Fprintf(w, "  %s: %d (%s, held since %s): %s%s\n", h.Scope, h.Count, h.Reason,
			h.Since.UTC().Format(time.RFC3339), strings.Join(h.Paths, " "), more)
		if h.Digest != "" {
			fmt.Fprintf(w, "    digest %s\n", h.Digest)
		}
	}
}
