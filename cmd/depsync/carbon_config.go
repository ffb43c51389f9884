package main

import "github.com/spf13/cobra"

// newCarbonConfigCmd is written with the config/carbonxml package.
func newCarbonConfigCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "carbon-config", Short: "Write the <DeploymentSynchronizer> block of carbon.xml (not yet implemented)", Hidden: true}
}
