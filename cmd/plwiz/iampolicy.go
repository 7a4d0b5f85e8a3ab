package main

import "github.com/spf13/cobra"

// newIAMPolicyCmd is replaced by the awsops issue's implementation.
func newIAMPolicyCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:       "iam-policy provider|consumer",
		Short:     "Print the least-privilege IAM policy each role needs for everything plwiz does",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"provider", "consumer"},
		RunE: func(*cobra.Command, []string) error {
			return notBuiltYet("the IAM policy command")
		},
	}
}
