package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/probe"
	"github.com/plwiz/plwiz/steps"
)

// checkOptions are plwiz check's flags.
type checkOptions struct {
	name       string
	port       int
	addresses  []string
	vpceNames  []string
	caFile     string
	tls        string
	httpPath   string
	httpStatus string
	resolver   string
	timeout    time.Duration
	output     string
	// Where the check runs, and what it checks beside a name.
	from          string
	endpoint      string
	nlb           string
	consumerCIDRs []string
	yes           bool
}

// maxCheckTimeout bounds --timeout: the check runs up to a few operations
// per address, each within it.
const maxCheckTimeout = 5 * time.Minute

func newCheckCmd(g *globalOptions, s streams, getenv func(string) string) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Test connectivity to a service through its endpoint (DNS, TCP, TLS, HTTP), or a provider's load balancer",
		Long: `check tests, from this host, that a name reaches a service through a
PrivateLink interface endpoint: the name resolves to the endpoint's addresses
(and the endpoint's own vpce names too), each address accepts TCP on the port,
the TLS certificate is valid for the name and trusted, and optionally an HTTP
request gets an expected status. Each check prints what it expected, what it
saw, and what to do when it failed.

Run it from a host inside the consumer VPC; when the name does not resolve or
resolves to public addresses, check says so and prints the command to run
there. From a laptop, --from runs it inside the VPC instead (it needs
--endpoint, whose network interfaces it tests, and AWS credentials):
--from ssm:INSTANCE runs the same checks on an SSM-managed instance of the
endpoint's VPC through Run Command; --from reachability:SOURCE asks the VPC
Reachability Analyzer whether an instance or network interface there reaches
each endpoint network interface on the port (AWS charges per analysis: check
asks first, or --yes; the paths and analyses are deleted afterwards). With
--endpoint, $PLWIZ_CA_FILE and $PLWIZ_RESOLVER (which plwiz sandbox prints)
are the defaults of --ca and --resolver, as in plwiz consumer.

--nlb ARN checks a provider's Network Load Balancer instead: healthy targets
per AZ with cross-zone load balancing, its security groups when enforced on
PrivateLink traffic (against --consumer-cidrs), the certificates of a TLS
listener against --name, and proxy protocol v2.

Exit status: 0 when every check passed, 1 when one failed, 2 on bad input.`,
		Example: `  plwiz check --name api.example.com --port 443
  plwiz check --name api.example.com --port 443 --addresses 10.0.1.5,10.0.2.5 --http /health
  plwiz check --name api.example.com --port 8443 --ca provider-ca.pem --resolver 127.0.0.1:5353 --output json
  plwiz check --endpoint vpce-0abc... --port 443 --from ssm:i-0def...
  plwiz check --endpoint vpce-0abc... --port 443 --from reachability:i-0def... --yes
  plwiz check --nlb arn:aws:elasticloadbalancing:...:loadbalancer/net/api/0abc... --name api.example.com --consumer-cidrs 10.20.0.0/16`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := o.validateWhere()
			if err != nil {
				return err
			}
			if o.nlb != "" || o.endpoint != "" {
				return runAWSCheck(cmd.Context(), g, o, from, s, getenv)
			}
			cfg, err := o.config()
			if err != nil {
				return err
			}
			rep, err := probe.Check(cmd.Context(), cfg)
			if err != nil {
				return &exitError{code: exitBadInput, err: err}
			}
			return o.writeReport(cmd.OutOrStdout(), rep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "The DNS name clients use for the service, such as the private DNS name (required).")
	f.IntVar(&o.port, "port", 443, "The service port to connect to.")
	f.StringSliceVar(&o.addresses, "addresses", nil, "The endpoint's ENI addresses, separated by commas: the name must resolve to them, and TCP, TLS and HTTP are tried on each.")
	f.StringSliceVar(&o.vpceNames, "vpce-names", nil, "The endpoint's regional and zonal DNS names, separated by commas; each must resolve to its addresses.")
	f.StringVar(&o.caFile, "ca", "", "A PEM file of CA certificates to trust instead of the system roots.")
	f.StringVar(&o.tls, "tls", string(probe.TLSAuto), "The TLS check: auto (skipped when the port answers in plain text), on or off.")
	f.StringVar(&o.httpPath, "http", "", "Also send GET PATH, such as /health, with Host set to --name.")
	f.StringVar(&o.httpStatus, "http-status", probe.DefaultStatusRange().String(), "The HTTP statuses that pass: CODE or MIN-MAX.")
	f.StringVar(&o.resolver, "resolver", "", "Ask this DNS server (IP:PORT, such as the sandbox's) instead of the system resolver.")
	f.DurationVar(&o.timeout, "timeout", probe.DefaultTimeout, "The time limit for each lookup, connection, handshake and request.")
	f.StringVar(&o.output, "output", "text", "Output format: text or json.")
	f.StringVar(&o.from, "from", steps.ProbeLocal, "Where the check runs: local (this host), ssm:INSTANCE (an SSM-managed instance in the endpoint's VPC) or reachability:SOURCE (the Reachability Analyzer from an instance or network interface there; AWS charges per analysis). The last two need --endpoint.")
	f.StringVar(&o.endpoint, "endpoint", "", "The interface endpoint (vpce-...) to test: its network interfaces give the addresses, and its DNS names the names (--name defaults to its private DNS name). Needs AWS credentials.")
	f.StringVar(&o.nlb, "nlb", "", "Check this Network Load Balancer (its ARN) as its provider would, instead of an endpoint. Needs AWS credentials.")
	f.StringSliceVar(&o.consumerCIDRs, "consumer-cidrs", nil, "With --nlb: the consumer VPC's CIDR blocks, separated by commas, that NLB security groups enforced on PrivateLink traffic must allow (its IPv6 blocks too when its endpoints are dualstack or ipv6).")
	f.BoolVar(&o.yes, "yes", false, "Start the Reachability Analyzer without asking (AWS charges per analysis).")
	return cmd
}

// writeReport prints a connectivity report and turns a failed check into
// exit status 1.
func (o *checkOptions) writeReport(out io.Writer, rep probe.Report) error {
	var err error
	if o.output == "json" {
		err = probe.WriteJSON(out, rep)
	} else {
		err = probe.WriteText(out, rep)
	}
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("write the report: %w", err)}
	}
	if !rep.OK() {
		// The report already says what failed.
		return &exitError{code: exitFailed}
	}
	return nil
}

// validateWhere checks the flags that choose what is checked and from
// where; every error is bad input.
func (o *checkOptions) validateWhere() (steps.ProbeFrom, error) {
	from, err := steps.ParseProbeFrom(o.from)
	if err != nil {
		return from, badInput("--from: %v", err)
	}
	if o.output != "text" && o.output != "json" {
		return from, badInput("--output %q is not text or json", checkFlagText(o.output))
	}
	switch {
	case o.nlb != "" && (o.endpoint != "" || from.Via != steps.ProbeLocal):
		return from, badInput("--nlb checks a load balancer; it does not go with --endpoint or --from")
	case o.nlb != "" && !awsid.IsNLBARN(o.nlb):
		return from, badInput("--nlb: expected %s, found %q", awsid.NLBARNShape, checkFlagText(o.nlb))
	case o.nlb == "" && len(o.consumerCIDRs) > 0:
		return from, badInput("--consumer-cidrs goes with --nlb")
	case from.Via != steps.ProbeLocal && o.endpoint == "":
		return from, badInput("--from %s needs --endpoint vpce-...: the endpoint whose network interfaces to test", from)
	case o.endpoint != "" && !awsid.EndpointID.Valid(o.endpoint):
		return from, badInput("--endpoint: expected %s, found %q", awsid.EndpointID.Shape(), checkFlagText(o.endpoint))
	}
	for _, c := range o.consumerCIDRs {
		if p, err := netip.ParsePrefix(strings.TrimSpace(c)); err != nil || p.Masked() != p {
			return from, badInput("--consumer-cidrs: %q is not a CIDR block such as 10.20.0.0/16", checkFlagText(c))
		}
	}
	return from, nil
}

// runAWSCheck is check with AWS: a provider's load balancer (--nlb), or an
// endpoint tested from here or from inside its VPC (--endpoint, --from).
func runAWSCheck(ctx context.Context, g *globalOptions, o *checkOptions, from steps.ProbeFrom, s streams, getenv func(string) string) error {
	if o.port < 1 || o.port > 65535 {
		return badInput("--port %d is out of range 1-65535", o.port)
	}
	if o.timeout <= 0 || o.timeout > maxCheckTimeout {
		return badInput("--timeout %s is not between 0 and %s", o.timeout, maxCheckTimeout)
	}
	if o.name != "" {
		if err := probe.ValidateName(o.name); err != nil {
			return badInput("--name: %w", err)
		}
	}
	env, err := newStepsEnv(ctx, g, &flowOptions{caFile: o.caFile, resolver: o.resolver}, getenv, (&mfaPrompter{in: s.in, err: s.err}).prompt)
	if err != nil {
		return err
	}
	env.Probe.Timeout = o.timeout
	if o.nlb != "" {
		var cidrs []string
		for _, c := range o.consumerCIDRs {
			cidrs = append(cidrs, strings.TrimSpace(c))
		}
		rep, err := steps.CheckLoadBalancer(ctx, env, steps.LBCheckInput{ARN: o.nlb, PrivateDNSName: o.name, ConsumerCIDRs: cidrs, CIDRsFrom: "--consumer-cidrs", Now: time.Now()})
		if err != nil {
			return &exitError{code: exitFailed, err: explained(err)}
		}
		return o.writeChecks(s.out, "load balancer "+rep.LB.Name+": "+rep.HealthLine(time.Now()), rep.Checks)
	}
	t, err := steps.LookupEndpointTarget(ctx, env, o.endpoint, o.name, o.port)
	if err != nil {
		return &exitError{code: exitFailed, err: explained(err)}
	}
	if t.Name == "" {
		return badInput("--name is required: endpoint %s has no DNS name plwiz can test", o.endpoint)
	}
	switch from.Via {
	case steps.ProbeSSM:
		rep, err := steps.RemoteCheck(ctx, env, t, from.Source, o.httpPath)
		if err != nil && !errors.Is(err, probe.ErrRemoteIncomplete) {
			return &exitError{code: exitCodeOf(err), err: explained(err)}
		}
		if err != nil {
			fmt.Fprintf(s.err, "plwiz: %s\n", steps.Sanitize(err.Error()))
		}
		return o.writeReport(s.out, rep)
	case steps.ProbeReachability:
		if !o.yes {
			fmt.Fprintf(s.out, "Start %d Reachability Analyzer analysis(es) from %s to the network interfaces of %s on TCP %d? AWS charges per analysis. [y/N] ",
				len(t.ENIs), from.Source, t.EndpointID, t.Port)
			var answer string
			_, _ = fmt.Fscanln(s.in, &answer)
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				fmt.Fprintln(s.out)
				return badInput("the Reachability Analyzer was not started (AWS charges per analysis); answer y, or pass --yes")
			}
		}
		tag := "check-" + time.Now().UTC().Format("20060102-150405")
		checks, err := steps.Reachability(ctx, env, t, from.Source, awsops.Tags{awsops.TagSession: tag}, nil)
		if err != nil {
			return &exitError{code: exitFailed, err: explained(err)}
		}
		return o.writeChecks(s.out, fmt.Sprintf("the network path from %s to %s on TCP %d, by the Reachability Analyzer (paths and analyses deleted)", from.Source, t.EndpointID, t.Port), checks)
	}
	// From here, with what the endpoint says filled in.
	o.name = t.Name
	cfg, err := o.config()
	if err != nil {
		return err
	}
	// As in plwiz consumer: what plwiz sandbox prints is the default.
	if cfg.Resolver == nil && env.Probe.ResolverAddr != "" {
		r, err := probe.NewServerResolver(env.Probe.ResolverAddr)
		if err != nil {
			return badInput("$%s: %v", envResolver, err)
		}
		cfg.Resolver, cfg.ResolverAddr = r, env.Probe.ResolverAddr
	}
	if cfg.RootCAs == nil && env.Probe.RootCAs != nil {
		cfg.RootCAs, cfg.CAFile = env.Probe.RootCAs, env.Probe.CAFile
	}
	if len(cfg.Addresses) == 0 {
		cfg.Addresses = t.Addresses
	}
	if len(cfg.VPCENames) == 0 {
		cfg.VPCENames = t.VPCENames
	}
	rep, err := probe.Check(ctx, cfg)
	if err != nil {
		return &exitError{code: exitBadInput, err: err}
	}
	return o.writeReport(s.out, rep)
}

// exitCodeOf is 2 for what the user gave wrong, 1 otherwise.
func exitCodeOf(err error) int {
	var bi *steps.BadInputError
	if errors.As(err, &bi) {
		return exitBadInput
	}
	return exitFailed
}

// checkJSON is a check list as --output json writes it.
type checkJSON struct {
	What   string      `json:"what"`
	OK     bool        `json:"ok"`
	Checks []checkLine `json:"checks"`
}

type checkLine struct {
	Name     string `json:"name"`
	Result   string `json:"result"`
	Expected string `json:"expected,omitempty"`
	Seen     string `json:"seen,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Fix      string `json:"fix,omitempty"`
}

// writeChecks prints a check list (the load balancer's, the analyzer's)
// and turns a failed check into exit status 1. Text from AWS is stripped
// of control characters.
func (o *checkOptions) writeChecks(out io.Writer, what string, checks []steps.CheckResult) error {
	doc := checkJSON{What: steps.Sanitize(what), OK: !steps.AnyFailed(checks)}
	for _, c := range checks {
		l := checkLine{Name: steps.Sanitize(c.Name), Result: "pass", Expected: steps.Sanitize(c.Expected), Seen: steps.Sanitize(c.Seen), Hint: steps.Sanitize(c.Hint)}
		switch {
		case c.Skipped:
			l.Result = "skipped"
		case !c.Passed:
			l.Result = "fail"
		}
		if c.Fix != nil && l.Result == "fail" {
			l.Fix = steps.Sanitize(c.Fix.Label)
		}
		doc.Checks = append(doc.Checks, l)
	}
	var err error
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n", doc.What)
		passed, failed, skipped := 0, 0, 0
		for _, l := range doc.Checks {
			mark := map[string]string{"pass": "✓", "fail": "✗", "skipped": "–"}[l.Result]
			fmt.Fprintf(&b, "%s %s — seen %s; expected %s\n", mark, l.Name, orDash(l.Seen), orDash(l.Expected))
			switch l.Result {
			case "pass":
				passed++
			case "fail":
				failed++
				if l.Hint != "" {
					fmt.Fprintf(&b, "    hint: %s\n", l.Hint)
				}
				if l.Fix != "" {
					fmt.Fprintf(&b, "    plwiz provider can do it, after asking: %s\n", l.Fix)
				}
			default:
				skipped++
			}
		}
		fmt.Fprintf(&b, "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
		_, err = io.WriteString(out, b.String())
	}
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("write the report: %w", err)}
	}
	if !doc.OK {
		return &exitError{code: exitFailed}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// config validates the flags into a probe.Config; every error is bad input.
func (o *checkOptions) config() (probe.Config, error) {
	if o.name == "" {
		return probe.Config{}, badInput("--name is required (the DNS name clients use, e.g. api.example.com)")
	}
	if err := probe.ValidateName(o.name); err != nil {
		return probe.Config{}, badInput("--name: %w", err)
	}
	if o.port < 1 || o.port > 65535 {
		return probe.Config{}, badInput("--port %d is out of range 1-65535", o.port)
	}
	if o.output != "text" && o.output != "json" {
		return probe.Config{}, badInput("--output %q is not text or json", checkFlagText(o.output))
	}
	if o.timeout <= 0 || o.timeout > maxCheckTimeout {
		return probe.Config{}, badInput("--timeout %s is not between 0 and %s", o.timeout, maxCheckTimeout)
	}
	cfg := probe.Config{Name: o.name, Port: o.port, TLS: probe.TLSMode(o.tls), HTTPPath: o.httpPath, Timeout: o.timeout}
	switch cfg.TLS {
	case probe.TLSAuto, probe.TLSOn, probe.TLSOff:
	default:
		return probe.Config{}, badInput("--tls %q is not auto, on or off", checkFlagText(o.tls))
	}
	for _, s := range o.addresses {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return probe.Config{}, badInput("--addresses: %q is not an IP address", checkFlagText(s))
		}
		cfg.Addresses = append(cfg.Addresses, a)
	}
	for _, n := range o.vpceNames {
		n = strings.TrimSpace(n)
		if err := probe.ValidateName(n); err != nil {
			return probe.Config{}, badInput("--vpce-names: %w", err)
		}
		cfg.VPCENames = append(cfg.VPCENames, n)
	}
	statuses, err := parseStatusRange(o.httpStatus)
	if err != nil {
		return probe.Config{}, badInput("--http-status: %w", err)
	}
	cfg.HTTPStatuses = statuses
	if o.caFile != "" {
		if strings.ContainsFunc(o.caFile, isControl) {
			return probe.Config{}, badInput("--ca contains control characters; pass a plain file name")
		}
		pool, err := probe.LoadCAFile(o.caFile)
		if err != nil {
			return probe.Config{}, badInput("--ca: %w", err)
		}
		cfg.RootCAs, cfg.CAFile = pool, o.caFile
	}
	if o.resolver != "" {
		r, err := probe.NewServerResolver(o.resolver)
		if err != nil {
			return probe.Config{}, badInput("--resolver: %w", err)
		}
		cfg.Resolver, cfg.ResolverAddr = r, o.resolver
	}
	if err := cfg.Validate(); err != nil {
		return probe.Config{}, badInput("%w", err)
	}
	return cfg, nil
}

// parseStatusRange reads "200" or "200-399".
func parseStatusRange(s string) (probe.StatusRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	if !isRange {
		hi = lo
	}
	first, err1 := strconv.Atoi(lo)
	last, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || first < 100 || last > 599 || first > last {
		return probe.StatusRange{}, fmt.Errorf("%q is not a status code or MIN-MAX range within 100-599", checkFlagText(s))
	}
	return probe.StatusRange{Min: first, Max: last}, nil
}

// checkFlagText drops control characters from a flag value before it is echoed.
func checkFlagText(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}
