package main

import "github.com/spf13/cobra"

// newCappInspectCmd is written with the carbonapp package.
func newCappInspectCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "inspect FILE...", Short: "Validate C-Apps and show what they hold (not yet implemented)", Hidden: true}
}
