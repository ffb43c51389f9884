package main

import "github.com/spf13/cobra"

func newCappCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "capp",
		Short: "Inspect and deploy Carbon Applications (.car files)",
	}
	cmd.AddCommand(newCappInspectCmd(a), newCappPushCmd(a), newCappListCmd(a), newCappRmCmd(a), newCappHistoryCmd(a))
	return cmd
}
