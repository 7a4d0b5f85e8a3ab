package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/probe"
	"github.com/plwiz/plwiz/steps"
	"github.com/plwiz/plwiz/tui"
)

// Environment variables `plwiz sandbox` prints so the connectivity test
// trusts the sandbox's CA and asks its DNS server.
const (
	envCAFile   = "PLWIZ_CA_FILE"
	envResolver = "PLWIZ_RESOLVER"
)

// flowOptions are the flags of `plwiz provider` and `plwiz consumer`.
type flowOptions struct {
	nonInteractive bool
	resume         bool
	sessionID      string
	output         string
	waitTimeout    time.Duration
	yes            bool
	stateDir       string
	caFile         string
	resolver       string
	newEndpoint    bool
	accessible     bool
	// inputs are the flow's step inputs, one flag each, generated from the
	// flow so flags and steps cannot drift apart.
	inputs map[string]*string
	bools  map[string]*bool
}

func newProviderCmd(g *globalOptions, s streams, getenv func(string) string) *cobra.Command {
	return newFlowCmd(g, s, getenv, steps.ProviderFlow, "provider",
		"Run the service provider's flow: endpoint service, principals, private DNS, offer, connections",
		`  plwiz provider
  plwiz provider --non-interactive --nlb ARN --allow 222222222222 \
      --private-dns api.example.com --offer-out offer.json --request request.json
  plwiz provider --resume`)
}

func newConsumerCmd(g *globalOptions, s streams, getenv func(string) string) *cobra.Command {
	return newFlowCmd(g, s, getenv, steps.ConsumerFlow, "consumer",
		"Run the service consumer's flow: import the offer, create the endpoint, private DNS, connectivity test",
		`  plwiz consumer
  plwiz consumer --non-interactive --offer offer.json --vpc vpc-0abc... \
      --subnets subnet-0aaa...,subnet-0bbb... --request-out request.json
  plwiz consumer --resume --new-endpoint   # after the provider rejected the endpoint`)
}

func newFlowCmd(g *globalOptions, s streams, getenv func(string) string, mkFlow func() *steps.Flow, use, short, example string) *cobra.Command {
	o := &flowOptions{inputs: map[string]*string{}, bools: map[string]*bool{}}
	flow := mkFlow()
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFlow(cmd.Context(), g, o, flow, cmd.Flags(), s, getenv)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.nonInteractive, "non-interactive", false, "Run without the wizard: inputs come from flags, and each step prints one line.")
	f.BoolVar(&o.resume, "resume", false, "Continue the newest unfinished session of this role, or the one --session names.")
	f.StringVar(&o.sessionID, "session", "", "The ID of the session to resume (see plwiz sessions; default: the newest unfinished one).")
	f.StringVar(&o.output, "output", "text", "Headless output: text (one line per step) or json (JSON lines).")
	f.DurationVar(&o.waitTimeout, "wait-timeout", 30*time.Minute, "Give up a wait after this long; a wait on the other party then exits with code 3.")
	f.BoolVar(&o.yes, "yes", false, "Answer yes to confirmations and offered fixes when headless.")
	f.StringVar(&o.stateDir, "state-dir", "", stateDirHelp)
	f.StringVar(&o.caFile, "ca", "", "A CA file the connectivity test trusts (default $"+envCAFile+", which plwiz sandbox prints).")
	f.StringVar(&o.resolver, "resolver", "", "The DNS server, host:port, the connectivity test asks (default $"+envResolver+", else the system resolver).")
	f.BoolVar(&o.accessible, "accessible", false, "Ask with plain line prompts instead of the full-screen UI, for screen readers and dumb terminals.")
	if flow.Role == steps.RoleConsumer {
		f.BoolVar(&o.newEndpoint, "new-endpoint", false, "With --resume: replace a rejected endpoint with a new one.")
	}
	for _, st := range flow.Steps {
		for _, in := range st.Inputs {
			if in.Flag == "" || f.Lookup(in.Flag) != nil {
				continue
			}
			if in.Type == steps.InputConfirm {
				o.bools[in.Key] = f.Bool(in.Flag, in.DefaultText == "true", inputFlagHelp(in))
				continue
			}
			o.inputs[in.Key] = f.String(in.Flag, "", inputFlagHelp(in))
		}
	}
	if flow.Role == steps.RoleProvider {
		o.bools[steps.InAutoAccept] = f.Bool("auto-accept", true, "Headless: accept the endpoints the consumer's request names as soon as they appear; with --auto-accept=false, plwiz waits for you to accept them elsewhere, such as in the AWS console.")
	}
	return cmd
}

// stateDirHelp is the help of every --state-dir.
const stateDirHelp = "The directory sessions are saved in (default $XDG_STATE_HOME/plwiz, else ~/.local/state/plwiz)."

// inputFlagHelp is the help of a step input's flag: the input's Help, a
// sentence saying what the value is, then its default. A confirm input on
// by default gets a flag that defaults to true (pflag shows it) and says
// how to turn it off.
func inputFlagHelp(in steps.Input) string {
	switch {
	case in.DefaultText == "":
		return in.Help
	case in.Type == steps.InputConfirm && in.DefaultText == "true":
		return fmt.Sprintf("%s Turn it off with --%s=false.", in.Help, in.Flag)
	case in.Type == steps.InputConfirm:
		return fmt.Sprintf("%s Default: %s; --%s=false turns it off.", in.Help, in.DefaultText, in.Flag)
	}
	return fmt.Sprintf("%s Default: %s.", in.Help, in.DefaultText)
}

func runFlow(ctx context.Context, g *globalOptions, o *flowOptions, flow *steps.Flow, flags *pflag.FlagSet, s streams, getenv func(string) string) error {
	if o.output != "text" && o.output != "json" {
		return badInput("--output %q: expected text or json", o.output)
	}
	if o.newEndpoint && !o.resume {
		return badInput("--new-endpoint goes with --resume: it replaces the rejected endpoint of a saved session")
	}
	if o.sessionID != "" && !o.resume {
		return badInput("--session goes with --resume")
	}
	dir, err := sessionDir(o.stateDir, getenv)
	if err != nil {
		return err
	}
	now := time.Now()
	var sess *steps.Session
	if o.resume {
		sess, err = steps.FindSession(dir, flow.Role, o.sessionID)
		if err != nil {
			return &exitError{code: exitBadInput, err: err}
		}
		if sess.Role != flow.Role {
			return badInput("session %s is a %s session; run plwiz %s --resume --session %s", sess.ID, sess.Role, sess.Role, sess.ID)
		}
		if o.newEndpoint {
			steps.NewEndpoint(sess)
		}
	} else {
		sess, err = steps.NewSession(dir, flow.Role, now)
		if err != nil {
			return &exitError{code: exitFailed, err: err}
		}
	}
	if err := applyFlagInputs(flow, sess, o, flags); err != nil {
		return err
	}
	mfa := &mfaPrompter{in: s.in, err: s.err}
	env, err := newStepsEnv(ctx, g, o, getenv, mfa.prompt)
	if err != nil {
		return err
	}
	if !o.nonInteractive {
		if err := askMFABeforeWizard(ctx, env.AWS, mfa); err != nil {
			return err
		}
	}
	if err := sess.Save(now); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if !o.nonInteractive {
		leanGC(getenv)
		out, err := tui.Run(ctx, flow, sess, env, tui.Options{NoColor: g.NoColor, Accessible: o.accessible}, tui.IO{In: s.in, Out: s.out})
		if err != nil {
			return &exitError{code: exitFailed, err: err}
		}
		if out.SaveError != "" {
			fmt.Fprintf(s.err, "plwiz: the session could not be saved: %v\n", out.SaveError)
		}
		if !out.Finished {
			fmt.Fprintf(s.err, "plwiz: session %s saved. Resume with: %s\n", sess.ID, out.ResumeCommand)
		}
		return nil
	}
	if o.output == "text" {
		fmt.Fprintf(s.out, "plwiz %s: session %s (%s)\n", flow.Role, sess.ID, sess.Path())
	}
	r := &steps.Runner{Flow: flow, Session: sess, Env: env, Out: s.out, JSON: o.output == "json", WaitTimeout: o.waitTimeout, AssumeYes: o.yes}
	if err := r.Run(ctx); err != nil {
		code := exitFailed
		var re *steps.RunError
		if errors.As(err, &re) {
			code = re.Code
		}
		if ctx.Err() != nil {
			code = exitFailed
		}
		fmt.Fprintf(s.err, "plwiz: stopped at %s. Resume with: plwiz %s --non-interactive --resume --session %s\n", stepOf(err), flow.Role, sess.ID)
		return &exitError{code: code, err: err}
	}
	return nil
}

// leanGC collects garbage earlier than Go's defaults in the wizard, unless
// GOGC and GOMEMLIMIT say otherwise: a full load of 10,000 connections
// allocates 74 MB of short-lived SDK decoding for 2 MB of rows, and the
// default pacing let the wizard's resident memory peak at 46-50 MiB. At
// GOGC 50 with a soft limit of 21 MiB of Go memory it peaks at 40 MiB (19
// of them the binary's own pages), for a little more CPU while it loads;
// idle, the live heap (10 MiB with 10,001 rows) stays well under it. The
// limit is soft: a bigger table still loads, the collector working harder
// (at most half the CPU, Go's own cap).
func leanGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(21 << 20)
	}
}

func stepOf(err error) string {
	var re *steps.RunError
	if errors.As(err, &re) && re.Step != "" {
		return re.Step
	}
	return "a step"
}

// applyFlagInputs records every input flag given on the command line in the
// session, validating each so a typo fails now, not twenty minutes in.
func applyFlagInputs(flow *steps.Flow, sess *steps.Session, o *flowOptions, flags *pflag.FlagSet) error {
	for _, st := range flow.Steps {
		for _, in := range st.Inputs {
			if in.Flag == "" || !flags.Changed(in.Flag) {
				continue
			}
			var v string
			if p, ok := o.bools[in.Key]; ok {
				v = strconv.FormatBool(*p)
			} else {
				v = *o.inputs[in.Key]
			}
			v, err := in.Accept(v)
			if err != nil {
				return badInput("--%s: %v", in.Flag, err)
			}
			sess.SetInput(in.Key, v)
		}
	}
	if p, ok := o.bools[steps.InAutoAccept]; ok {
		sess.SetInput(steps.InAutoAccept, strconv.FormatBool(*p))
	}
	return nil
}

// newStepsEnv builds the AWS client and the connectivity test's settings.
func newStepsEnv(ctx context.Context, g *globalOptions, o *flowOptions, getenv func(string) string, mfa awsops.MFAPrompt) (*steps.Env, error) {
	var logw io.Writer
	if g.LogFile != "" {
		f, err := os.OpenFile(g.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, badInput("--log-file: %v", err)
		}
		logw = f // closed when the process exits
	}
	client, err := awsops.Load(ctx, awsops.Options{Profile: g.Profile, Region: g.Region, EndpointURL: g.EndpointURL, LogWriter: logw, MFA: mfa})
	if err != nil {
		return nil, &exitError{code: exitFailed, err: explained(err)}
	}
	settings := steps.ProbeSettings{CAFile: firstNonEmpty(o.caFile, getenv(envCAFile)), ResolverAddr: firstNonEmpty(o.resolver, getenv(envResolver))}
	if settings.CAFile != "" {
		pool, err := probe.LoadCAFile(settings.CAFile)
		if err != nil {
			return nil, badInput("--ca: %v", err)
		}
		settings.RootCAs = pool
	}
	if settings.ResolverAddr != "" {
		if _, err := probe.NewServerResolver(settings.ResolverAddr); err != nil {
			return nil, badInput("--resolver: %v", err)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	return &steps.Env{AWS: client, BundleDir: wd, Probe: settings}, nil
}

// sessionDir is the --state-dir given, else $XDG_STATE_HOME/plwiz.
func sessionDir(given string, getenv func(string) string) (string, error) {
	if given != "" {
		return given, nil
	}
	d, err := steps.SessionDir(getenv)
	if err != nil {
		return "", &exitError{code: exitFailed, err: err}
	}
	return d, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// sessionEntry is one session as plwiz sessions --output json lists it.
type sessionEntry struct {
	ID   string     `json:"id"`
	Role steps.Role `json:"role"`
	// State is "in progress", "finished" or "torn down".
	State steps.SessionState `json:"state"`
	// Step, StepTitle and StepState say where a session in progress stopped.
	Step       string          `json:"step,omitempty"`
	StepTitle  string          `json:"stepTitle,omitempty"`
	StepState  steps.StepState `json:"stepState,omitempty"`
	Account    string          `json:"account,omitempty"`
	Region     string          `json:"region,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	TornDownAt time.Time       `json:"tornDownAt,omitzero"`
	Path       string          `json:"path"`
}

func newSessionEntry(sess *steps.Session) sessionEntry {
	e := sessionEntry{ID: sess.ID, Role: sess.Role, State: sess.State(), Account: sess.Account, Region: sess.Region,
		CreatedAt: sess.CreatedAt, UpdatedAt: sess.UpdatedAt, TornDownAt: sess.TornDownAt, Path: sess.Path()}
	if e.State != steps.SessionInProgress {
		return e
	}
	flow := steps.ProviderFlow()
	if sess.Role == steps.RoleConsumer {
		flow = steps.ConsumerFlow()
	}
	if next := flow.Next(sess); next != nil {
		e.Step, e.StepTitle, e.StepState = next.ID, next.Title, sess.Step(next.ID).State
	}
	return e
}

// where is the text listing's last column: the session's state, and for
// one in progress the step it stopped at.
func (e sessionEntry) where() string {
	if e.State == steps.SessionInProgress && e.Step != "" {
		return fmt.Sprintf("at %q (%s)", e.StepTitle, e.StepState)
	}
	return string(e.State)
}

func newSessionsCmd(s streams, getenv func(string) string) *cobra.Command {
	var stateDir, output string
	cmd := &cobra.Command{
		Use: "sessions", Short: "List saved sessions, newest first, with the state of each: where it stopped, finished or torn down", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return badInput("--output %q: expected text or json", steps.Sanitize(output))
			}
			dir, err := sessionDir(stateDir, getenv)
			if err != nil {
				return err
			}
			all, bad, err := steps.ListSessions(dir)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			entries := make([]sessionEntry, 0, len(all))
			for _, sess := range all {
				entries = append(entries, newSessionEntry(sess))
			}
			if output == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(entries); err != nil {
					return &exitError{code: exitFailed, err: fmt.Errorf("write the session list: %w", err)}
				}
			} else {
				if len(entries) == 0 {
					fmt.Fprintf(s.out, "no sessions in %s\n", dir)
				}
				for _, e := range entries {
					fmt.Fprintf(s.out, "%s  %-8s  %s  %s\n", steps.Sanitize(e.ID), e.Role, e.UpdatedAt.Local().Format("2006-01-02 15:04"), steps.Sanitize(e.where()))
				}
			}
			for _, e := range bad {
				fmt.Fprintf(s.err, "skipped: %s\n", steps.Sanitize(e.Error()))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&stateDir, "state-dir", "", stateDirHelp)
	cmd.Flags().StringVar(&output, "output", "text", "Output format: text (one line per session) or json (an array of objects).")
	return cmd
}

func newTeardownCmd(g *globalOptions, s streams, getenv func(string) string) *cobra.Command {
	var stateDir, id string
	var yes bool
	cmd := &cobra.Command{
		Use: "teardown", Short: "Delete what a session created, in the order AWS needs, after asking", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return badInput("--session is required (see plwiz sessions)")
			}
			dir, err := sessionDir(stateDir, getenv)
			if err != nil {
				return err
			}
			sess, err := steps.LoadSession(filepath.Join(dir, filepath.Base(id)+".json"))
			if err != nil {
				return &exitError{code: exitBadInput, err: err}
			}
			plan := steps.TeardownPlan(sess)
			if len(plan) == 0 {
				if err := steps.RunTeardown(cmd.Context(), nil, sess, nil, nil); err != nil {
					return &exitError{code: exitFailed, err: err}
				}
				fmt.Fprintf(s.out, "session %s created nothing to delete; it is marked torn down\n", sess.ID)
				return nil
			}
			fmt.Fprintf(s.out, "session %s (%s, account %s, %s) will:\n", sess.ID, sess.Role, sess.Account, sess.Region)
			for _, a := range plan {
				fmt.Fprintf(s.out, "  - %s\n", steps.Sanitize(a.Label))
			}
			if !yes {
				fmt.Fprint(s.out, "Go ahead? This cannot be undone. [y/N] ")
				var answer string
				_, _ = fmt.Fscanln(s.in, &answer)
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					fmt.Fprintln(s.out, "nothing deleted")
					return &exitError{code: exitFailed}
				}
			}
			if g.Region == "" {
				g.Region = sess.Region
			}
			env, err := newStepsEnv(cmd.Context(), g, &flowOptions{}, getenv, (&mfaPrompter{in: s.in, err: s.err}).prompt)
			if err != nil {
				return err
			}
			failed := 0
			err = steps.RunTeardown(cmd.Context(), env, sess, plan, func(action string, err error) {
				if err != nil {
					failed++
					fmt.Fprintf(s.out, "✗ %s: %s\n", steps.Sanitize(action), steps.Sanitize(err.Error()))
					if hint := steps.HintOf(err); hint != "" {
						fmt.Fprintf(s.out, "  hint: %s\n", steps.Sanitize(hint))
					}
					return
				}
				fmt.Fprintf(s.out, "✓ %s\n", steps.Sanitize(action))
			})
			switch {
			case failed > 0:
				return &exitError{code: exitFailed, err: errors.New("some deletions failed; fix the cause and run teardown again (it skips what is gone)")}
			case err != nil:
				return &exitError{code: exitFailed, err: err}
			}
			fmt.Fprintf(s.out, "session %s is torn down\n", sess.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "session", "", "The ID of the session whose resources to delete (required; see plwiz sessions).")
	f.BoolVar(&yes, "yes", false, "Delete without asking first.")
	f.StringVar(&stateDir, "state-dir", "", stateDirHelp)
	return cmd
}
