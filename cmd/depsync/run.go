package main

import "github.com/spf13/cobra"

// newRunCmd is written with the syncer package.
func newRunCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "run", Short: "Run the sync daemon (not yet implemented)", Hidden: true}
}
