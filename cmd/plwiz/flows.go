package main

import "github.com/spf13/cobra"

func newProviderCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "provider",
		Short: "Run the service provider's flow: endpoint service, principals, private DNS, offer, connections",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return notBuiltYet("the provider flow")
		},
	}
}

func newConsumerCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "consumer",
		Short: "Run the service consumer's flow: import the offer, create the endpoint, private DNS, connectivity test",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return notBuiltYet("the consumer flow")
		},
	}
}

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
