package main

import "github.com/spf13/cobra"

// newStatusCmd is written with the syncer package.
func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "status", Short: "Show a node's sync status (not yet implemented)", Hidden: true}
}
