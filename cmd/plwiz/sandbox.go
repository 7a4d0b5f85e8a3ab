package main

import "github.com/spf13/cobra"

// newSandboxCmd is replaced by the sandbox issue's implementation.
func newSandboxCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a local emulator of the AWS APIs plwiz uses, for both parties",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return notBuiltYet("the sandbox command")
		},
	}
}
