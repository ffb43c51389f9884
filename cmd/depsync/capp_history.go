package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/depsync/depsync/api"
	"github.com/depsync/depsync/deploy/cappname"
	"github.com/depsync/depsync/deploy/client"
)

// defaultHistoryTimeout bounds capp history and rollback: the node runs
// svn log, cat, checkout and commit for them.
const defaultHistoryTimeout = 2 * time.Minute

func newCappHistoryCmd(a *app) *cobra.Command {
	var node, tokenFile, output string
	var n int
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "history [FILE]",
		Short: "List the SVN revisions that changed the C-Apps (or one of them)",
		Long: `List, newest first, the revisions that changed the super tenant's C-Apps
in SVN (svn log of <svn.url>[/-1234]/carbonapps), or FILE's alone: the
revision, its time and author, what it did (added, modified, replaced,
deleted) and the sha256 of the C-App's bytes at that revision. The node
(--node, else this config's own) reads SVN with its own credentials: the
machine running this command needs no svn.

A revision from this list is what depsync rollback --to takes. In direct
mode the nodes keep no history: the command says that history needs SVN
and exits 1.

The token comes from --token-file, else token_file or DEPSYNC_TOKEN.`,
		Example: `  depsync capp history MyApp_1.0.0.car --node https://manager:9780
  depsync capp history -n 5 -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			if n < 1 || n > maxHistory {
				return usageError{fmt.Errorf("-n %d: must be from 1 to %d", n, maxHistory)}
			}
			file := ""
			if len(args) == 1 {
				file = args[0]
				if !cappname.Valid(file) {
					return badInput(fmt.Errorf("%s: %w", file, cappname.ErrBad))
				}
			}
			cfg, err := a.loadConfig(nil)
			if err != nil {
				return err
			}
			target, err := resolveNode(cfg, node)
			if err != nil {
				return err
			}
			c, err := newDeployClient(a, cfg, tokenFile, false, false, []string{target}, timeout)
			if err != nil {
				return err
			}
			h, err := c.History(cmd.Context(), target, file, n)
			if err != nil {
				return failed(errors.New(historyError(target, err, timeout)))
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(h)
			}
			return writeHistory(a.stdout, h)
		},
	}
	f := cmd.Flags()
	f.StringVar(&node, "node", "", "base URL of the node's depsync (default this config's own node, http://<listen>)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the API token (default token_file or DEPSYNC_TOKEN)")
	f.IntVarP(&n, "n", "n", 20, "how many changes to list")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	f.DurationVar(&timeout, "timeout", defaultHistoryTimeout, "how long the node may take to answer")
	return cmd
}

// historyError says history needs SVN when the node is in direct mode,
// and what went wrong otherwise.
func historyError(node string, err error, timeout time.Duration) string {
	var ae *client.APIError
	switch {
	case errors.As(err, &ae) && ae.StatusCode == http.StatusConflict:
		return ae.Message
	case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && ae.Message == "":
		return redact(node) + " does not serve the history: a depsync older than this command"
	}
	return nodeError(node, err, timeout)
}

func writeHistory(w io.Writer, h *api.History) error {
	fmt.Fprintf(w, "%s\n", h.URL)
	if len(h.Changes) == 0 {
		fmt.Fprintln(w, "no C-App changed there yet")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tTIME\tAUTHOR\tACTION\tFILE\tSHA256")
	for _, c := range h.Changes {
		fmt.Fprintf(tw, "r%d\t%s\t%s\t%s\t%s\t%s\n", c.Revision, c.Time.Local().Format(time.DateTime), dash(c.Author), c.Action, c.File, dash(short(c.SHA256)))
	}
	return tw.Flush()
}
