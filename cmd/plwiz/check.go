package main

import "github.com/spf13/cobra"

// newCheckCmd is replaced by the probe issue's implementation.
func newCheckCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Test connectivity to a service through its endpoint: DNS, TCP, TLS, HTTP",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return notBuiltYet("the connectivity check")
		},
	}
}
