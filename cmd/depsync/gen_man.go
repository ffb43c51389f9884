package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newGenManCmd writes a man page for every command (depsync.1,
// depsync-capp-push.1, ...) from the commands themselves, so the pages
// never drift from --help. It is hidden: packaging runs it (make package,
// make install), people read the pages with man.
func newGenManCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:    "gen-man DIR",
		Short:  "Write the man pages of every command into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			date, err := manDate(os.Getenv("SOURCE_DATE_EPOCH"))
			if err != nil {
				return badInput(err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // the tag carries today's date: pages would differ from build to build
			header := &doc.GenManHeader{Title: "DEPSYNC", Section: "1", Source: "depsync " + version,
				Manual: "depsync manual", Date: &date}
			if err := doc.GenManTree(root, header, args[0]); err != nil {
				return failed(fmt.Errorf("gen-man %s: %w", args[0], err))
			}
			return nil
		},
	}
}

// manDate is the date printed in the pages: SOURCE_DATE_EPOCH (the
// commit's time, for reproducible packages) when set, else now.
func manDate(epoch string) (time.Time, error) {
	if epoch == "" {
		return time.Now().UTC(), nil
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: must be seconds since 1970: %w", epoch, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}
