package main

import "github.com/spf13/cobra"

func newDemoCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Play both parties against a built-in sandbox: no AWS account needed",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return notBuiltYet("the demo")
		},
	}
}
