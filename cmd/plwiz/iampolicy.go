package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/awsops"
)

// newIAMPolicyCmd prints the least-privilege policy of a role. It needs no
// AWS access: the policy comes from awsops' operation table, the same table
// that limits which AWS operations plwiz may call.
func newIAMPolicyCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "iam-policy provider|consumer",
		Short: "Print the least-privilege IAM policy each role needs for everything plwiz does",
		Long: `Print, as JSON, the IAM policy that lets the provider or the consumer run
every step of plwiz and nothing more. Attach it to the IAM user or role you
run plwiz with, for example:

  plwiz iam-policy provider > plwiz-provider.json
  aws iam create-policy --policy-name plwiz-provider --policy-document file://plwiz-provider.json`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{string(awsops.RoleProvider), string(awsops.RoleConsumer)},
		RunE: func(cmd *cobra.Command, args []string) error {
			role, ok := awsops.ParseRole(args[0])
			if !ok {
				return badInput("iam-policy: unknown role %q; want provider or consumer", args[0])
			}
			doc, err := awsops.IAMPolicyJSON(role)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			if _, err := cmd.OutOrStdout().Write(doc); err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("iam-policy: write: %w", err)}
			}
			return nil
		},
	}
}
