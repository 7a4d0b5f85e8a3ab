package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/awsid"
)

// Exit codes shared by every command (the headless runner's contract).
const (
	exitOK        = 0
	exitFailed    = 1
	exitBadInput  = 2
	exitTimedOut  = 3
	envEndpoint   = "AWS_ENDPOINT_URL"
	envNoColor    = "NO_COLOR"
	maxFlagLength = 2048
)

// exitError carries an exit code up to main; a nil err prints nothing (the
// command already reported).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// badInput marks an error as the user's input being wrong (exit 2).
func badInput(format string, args ...any) error {
	return &exitError{code: exitBadInput, err: fmt.Errorf(format, args...)}
}

// streams are the process's standard streams, passed in for tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	Profile     string
	Region      string
	EndpointURL string
	LogFile     string
	NoColor     bool
}

// validate checks the global flags once, before any command runs.
func (g *globalOptions) validate() error {
	for name, v := range map[string]string{"--profile": g.Profile, "--region": g.Region, "--endpoint-url": g.EndpointURL, "--log-file": g.LogFile} {
		if len(v) > maxFlagLength {
			return badInput("%s is %d characters long; the limit is %d", name, len(v), maxFlagLength)
		}
		if strings.ContainsFunc(v, isControl) {
			return badInput("%s contains control characters; pass plain text", name)
		}
	}
	if g.Region != "" && !awsid.IsRegion(g.Region) {
		return badInput("--region %q is not an AWS region name (expected something like us-east-1)", g.Region)
	}
	if g.EndpointURL != "" && !strings.HasPrefix(g.EndpointURL, "http://") && !strings.HasPrefix(g.EndpointURL, "https://") {
		return badInput("--endpoint-url %q must start with http:// or https:// (for the sandbox: the AWS_ENDPOINT_URL that `plwiz sandbox` prints)", g.EndpointURL)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func newRootCmd(s streams, getenv func(string) string) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "plwiz",
		Short: "Guide both parties of an AWS PrivateLink setup, step by step",
		Long: `plwiz walks the service provider and the service consumer of an AWS
PrivateLink setup through every step in the order AWS needs: endpoint service
in front of a Network Load Balancer, allowed principals, private DNS name and
its TXT verification, a handoff bundle to the other party, the consumer's
interface endpoint, acceptance, private DNS turned on after acceptance, and a
connectivity test. Sessions are saved after every step and can be resumed.

Try it with no AWS account: plwiz demo

Exit codes:
  0  done
  1  failed: a step, a check or a deletion failed, a confirmation was
     declined, or the run was interrupted
  2  bad input: a flag, a file or a token is wrong (the message says which)
  3  timed out waiting on the other party (--wait-timeout, headless)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.EndpointURL == "" {
				g.EndpointURL = getenv(envEndpoint)
			}
			if getenv(envNoColor) != "" {
				g.NoColor = true
			}
			return g.validate()
		},
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitBadInput, err: fmt.Errorf("%w (see --help)", err)}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&g.Profile, "profile", "", "The AWS shared config profile to use (default: the SDK's default chain, which reads AWS_PROFILE).")
	pf.StringVar(&g.Region, "region", "", "The AWS region, such as us-east-1 (default: the profile's region, or AWS_REGION).")
	pf.StringVar(&g.EndpointURL, "endpoint-url", "", "Send AWS calls to this URL instead of AWS, such as the sandbox's (default $"+envEndpoint+").")
	pf.StringVar(&g.LogFile, "log-file", "", "Append a debug log of AWS calls to this file; it never holds credentials.")
	pf.BoolVar(&g.NoColor, "no-color", false, "Turn colour off; setting "+envNoColor+" does too.")

	root.AddCommand(
		newProviderCmd(g, s, getenv),
		newConsumerCmd(g, s, getenv),
		newSessionsCmd(s, getenv),
		newTeardownCmd(g, s, getenv),
		newDemoCmd(g, s, getenv),
		newSandboxCmd(g),
		newCheckCmd(g, s, getenv),
		newIAMPolicyCmd(g),
		newInspectCmd(),
		newVersionCmd(),
		newManCmd(),
	)
	conformTree(root)
	return root
}

// conformTree brings what cobra adds on its own, the help command, the
// completion command and the help and version flags, into line with our
// commands: every flag's help a sentence, and no date in the man pages so
// they build the same twice. Cobra would add them when the command runs;
// adding them here lets man pages and tests see the tree users get.
func conformTree(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	// --version prints what plwiz version prints. Not through cobra's
	// version template: a template is run by text/template, whose calls
	// by reflection stop the linker dropping unused methods, which tripled
	// the binary (77 MB instead of 26) and what it keeps in memory.
	root.Flags().Bool("version", false, "Print plwiz's version and the commit it was built from, as plwiz version does.")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if v, _ := cmd.Flags().GetBool("version"); v {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		}
		return cmd.Help()
	}
	walkCommands(root, func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		c.InitDefaultHelpFlag()
		c.Flags().Lookup("help").Usage = "Show this help for " + c.CommandPath() + "."
		if f := c.Flags().Lookup("no-descriptions"); f != nil {
			f.Usage = "Leave the descriptions out of the completions."
		}
	})
}

// walkCommands calls fn on c and every command below it.
func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}
