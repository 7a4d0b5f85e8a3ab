package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/sandbox"
)

// sandboxOptions are plwiz sandbox's flags.
type sandboxOptions struct {
	addr        string
	speed       float64
	world       string
	faults      string
	dnsAddr     string
	stateDir    string
	noDataPlane bool
	quiet       bool
	scenario    string
	events      string
	saveEvery   time.Duration // deprecated, ignored: every change is saved before its reply
}

// defaultSandboxAddr avoids LocalStack's 4566 so both can run side by side.
const defaultSandboxAddr = "127.0.0.1:4580"

func newSandboxCmd(_ *globalOptions) *cobra.Command {
	o := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a local emulator of the AWS APIs plwiz uses, for both parties",
		Long: `sandbox serves, on loopback only, an emulator of the AWS APIs plwiz uses
(EC2, ELBv2, Route 53, STS, SNS, SQS) with two accounts, a provider and a
consumer, whose AZ names differ for the same AZ IDs, as in real AWS. It
prints, for each party, the environment to export so plwiz, the AWS CLI or any
SDK talk to it, plus the DNS server and the CA file of its loopback data plane,
for "plwiz check".

AWS-side delays (service available, acceptance, DNS verification, Route 53
changes) are real-world sized; --speed divides them. --world keeps the world
in a file, so two terminals and a restart share it: loaded when it exists,
and written (atomically) before every reply that follows a change, so even
a kill -9 loses nothing a client was told.

--scenario starts a new world set up for a situation; comma-separated, they
compose (e.g. legacy-ids,connections=100):
` + scenarioHelp() + `
--events FILE appends one JSON line per state change the sandbox makes
({"time", "account", "resource", "from", "to"}; time is when the change took
effect, RFC 3339 with nanoseconds), to measure how soon a client notices.

--faults injects failures, comma-separated:
  throttle=P     fail a call with RequestLimitExceeded/Throttling with probability P
  5xx=P          fail a call with a 500/503 with probability P
  latency=D      add D (e.g. 200ms) to every call
  consistency    hide new resources from Describe calls for a moment
  seed=N         replay the same faults

Ctrl-C stops it.`,
		Example: `  plwiz sandbox
  plwiz sandbox --speed 10 --world ./world.json --events ./events.jsonl
  plwiz sandbox --scenario legacy-ids,connections=10000
  plwiz sandbox --addr 127.0.0.1:0 --faults throttle=0.1,5xx=0.05,latency=200ms,consistency,seed=42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			faults, err := o.validate()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("save-every") {
				fmt.Fprintln(cmd.ErrOrStderr(), "plwiz sandbox: --save-every is deprecated and does nothing: --world is now written before every reply that follows a change")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSandbox(ctx, o, faults, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", defaultSandboxAddr, "Listen on this loopback address; port 0 picks a free port.")
	f.Float64Var(&o.speed, "speed", 1, "Divide every AWS-side delay by this factor; 10 is ten times faster than AWS.")
	f.StringVar(&o.world, "world", "", "Keep the world in this JSON file: load it if it exists, write it before every reply that follows a change.")
	f.StringVar(&o.scenario, "scenario", "", "Start a new world set up for these situations, separated by commas: "+scenarioUsages()+".")
	f.StringVar(&o.events, "events", "", "Append one JSON line per state change the sandbox makes to this file.")
	f.StringVar(&o.faults, "faults", "", "Inject faults, such as throttle=0.1,5xx=0.05,latency=200ms,consistency,seed=42.")
	f.StringVar(&o.dnsAddr, "dns-addr", "127.0.0.1:0", "The loopback address of the data plane's DNS server, UDP and TCP; port 0 picks a free port.")
	f.StringVar(&o.stateDir, "state-dir", "", "Keep the data plane's CA in this directory across restarts (default: next to --world, else a new one each run).")
	f.BoolVar(&o.noDataPlane, "no-data-plane", false, "Serve the AWS APIs only: no DNS server, endpoint listeners or TLS backends.")
	f.BoolVar(&o.quiet, "quiet", false, "Do not log each AWS call on stderr.")
	// Kept so scripts that pass it still run; the notice goes to stderr
	// (cobra's own deprecation notice would land on stdout, among the
	// exports).
	f.DurationVar(&o.saveEvery, "save-every", 5*time.Second, "Deprecated and does nothing: --world is written before every reply that follows a change.")
	_ = f.MarkHidden("save-every")
	return cmd
}

// scenarioHelp lists the scenarios, one per line, for the command's help.
func scenarioHelp() string {
	var b strings.Builder
	for _, sc := range sandbox.Scenarios() {
		usage := sc.Usage()
		for line := range strings.Lines(sc.Help) {
			fmt.Fprintf(&b, "  %-15s %s\n", usage, strings.TrimSuffix(line, "\n"))
			usage = ""
		}
	}
	return b.String()
}

// scenarioUsages is the scenarios as written, for the flag's help.
func scenarioUsages() string {
	var us []string
	for _, sc := range sandbox.Scenarios() {
		us = append(us, sc.Usage())
	}
	return strings.Join(us, ", ")
}

// validate checks the flags and parses --faults.
func (o *sandboxOptions) validate() (sandbox.Faults, error) {
	for name, v := range map[string]string{"--addr": o.addr, "--world": o.world, "--faults": o.faults, "--dns-addr": o.dnsAddr,
		"--state-dir": o.stateDir, "--scenario": o.scenario, "--events": o.events} {
		if len(v) > maxFlagLength {
			return sandbox.Faults{}, badInput("%s is %d characters long; the limit is %d", name, len(v), maxFlagLength)
		}
		if strings.ContainsFunc(v, isControl) {
			return sandbox.Faults{}, badInput("%s contains control characters; pass plain text", name)
		}
	}
	if math.IsNaN(o.speed) || o.speed <= 0 || o.speed > 100000 {
		return sandbox.Faults{}, badInput("--speed %v must be above 0 and at most 100000 (1 is real-world time)", o.speed)
	}
	if _, err := sandbox.ParseScenarios(o.scenario); err != nil {
		return sandbox.Faults{}, badInput("--scenario: %v", err)
	}
	faults, err := parseFaults(o.faults)
	if err != nil {
		return sandbox.Faults{}, badInput("--faults: %v", err)
	}
	return faults, nil
}

// parseFaults reads "throttle=0.1,5xx=0.05,latency=200ms,consistency,seed=42".
func parseFaults(spec string) (sandbox.Faults, error) {
	var f sandbox.Faults
	if strings.TrimSpace(spec) == "" {
		return f, nil
	}
	prob := func(k, v string) (float64, error) {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(p) || p < 0 || p > 1 {
			return 0, fmt.Errorf("%s=%q must be a probability between 0 and 1", k, v)
		}
		return p, nil
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(spec, ",") {
		k, v, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		k = strings.ToLower(k)
		if seen[k] {
			return f, fmt.Errorf("%s is given twice", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "throttle":
			f.Throttle, err = prob(k, v)
		case "5xx", "servererror":
			f.ServerError, err = prob(k, v)
		case "latency":
			f.Latency, err = time.ParseDuration(v)
			if err != nil || f.Latency < 0 || f.Latency > 30*time.Second {
				err = fmt.Errorf("latency=%q must be a duration between 0 and 30s, e.g. 200ms", v)
			}
		case "consistency":
			f.Consistency = true
			if hasValue {
				f.Consistency, err = strconv.ParseBool(v)
				if err != nil {
					err = fmt.Errorf("consistency=%q must be true or false", v)
				}
			}
		case "seed":
			f.Seed, err = strconv.ParseUint(v, 10, 64)
			if err != nil {
				err = fmt.Errorf("seed=%q must be a non-negative integer", v)
			}
		case "":
			err = errors.New("empty entry (two commas in a row?)")
		default:
			err = fmt.Errorf("unknown fault %q (known: throttle, 5xx, latency, consistency, seed)", k)
		}
		if err != nil {
			return f, err
		}
		if !hasValue && k != "consistency" {
			return f, fmt.Errorf("%s needs a value, e.g. %s=0.1", k, k)
		}
	}
	return f, nil
}

// lockedWriter serialises writes from the sandbox's request goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// runSandbox serves until ctx ends. With --world every change is on disk
// before its reply, so stopping has nothing left to save.
func runSandbox(ctx context.Context, o *sandboxOptions, faults sandbox.Faults, stdout, stderr io.Writer) error {
	errw := &lockedWriter{w: stderr}
	// Absolute paths, so the printed CA file works from any directory.
	for _, p := range []*string{&o.world, &o.stateDir, &o.events} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return badInput("path %q: %v", *p, err)
			}
			*p = abs
		}
	}
	if o.world != "" {
		if fi, err := os.Stat(filepath.Dir(o.world)); err != nil || !fi.IsDir() {
			return badInput("--world %s: its folder %s does not exist; create it or pick another path", o.world, filepath.Dir(o.world))
		}
	}
	world, loaded, err := loadOrNewWorld(o.world, o.scenario)
	if err != nil {
		return err
	}
	stateDir := o.stateDir
	if stateDir == "" && o.world != "" {
		stateDir = o.world + ".d"
	}
	opts := sandbox.Options{
		World: world, WorldFile: o.world, Speed: o.speed, Faults: faults,
		DataPlane: !o.noDataPlane, StateDir: stateDir, DNSListen: o.dnsAddr,
	}
	if !o.quiet {
		opts.Logf = func(format string, args ...any) {
			fmt.Fprintf(errw, "%s %s\n", time.Now().Format("15:04:05.000"), stripControl(fmt.Sprintf(format, args...)))
		}
	}
	if o.events != "" {
		events, err := os.OpenFile(o.events, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return badInput("--events: %v", err)
		}
		defer events.Close()
		opts.Events = eventLines(events, errw)
	}
	sb := sandbox.New(opts)
	if err := sb.Start(o.addr); err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (try --addr 127.0.0.1:0 for a free port)"
		}
		return &exitError{code: exitFailed, err: fmt.Errorf("start sandbox: %w%s", err, hint)}
	}
	printSandboxEnv(stdout, sb, o, loaded)
	<-ctx.Done()
	if err := sb.Close(); err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("stop sandbox: %w", err)}
	}
	if o.world != "" {
		fmt.Fprintf(errw, "plwiz sandbox: stopped; world saved to %s\n", stripControl(o.world))
	} else {
		fmt.Fprintln(errw, "plwiz sandbox: stopped")
	}
	return nil
}

// eventLines writes each event as a JSON line; a write error is reported
// once, and the sandbox goes on serving.
func eventLines(w io.Writer, errw io.Writer) func(sandbox.Event) {
	failed := false
	return func(e sandbox.Event) {
		line, err := json.Marshal(e)
		if err == nil {
			_, err = w.Write(append(line, '\n'))
		}
		if err != nil && !failed {
			failed = true
			fmt.Fprintf(errw, "plwiz sandbox: --events: %v (no more events are written)\n", err)
		}
	}
}

// loadOrNewWorld loads the world file if it exists, else makes a new world
// set up by the scenarios. A world file made with other scenarios than
// asked for is bad input: the scenarios shape a new world only.
func loadOrNewWorld(path, scenario string) (w *sandbox.World, loaded bool, err error) {
	if path != "" {
		if _, serr := os.Stat(path); serr == nil {
			if w, err = sandbox.LoadWorld(path); err != nil {
				return nil, false, &exitError{code: exitFailed, err: err}
			}
			want, _ := sandbox.ParseScenarios(scenario) // checked by validate
			if scenario != "" && !slices.Equal(want, w.Scenarios) {
				return nil, false, badInput("--scenario %s: the world in %s was made with %s; a scenario shapes a new world (use another --world file, or drop --scenario)",
					strings.Join(want, ","), path, describeScenarios(w.Scenarios))
			}
			return w, true, nil
		} else if !errors.Is(serr, fs.ErrNotExist) {
			return nil, false, &exitError{code: exitFailed, err: fmt.Errorf("load world: %w", serr)}
		}
	}
	w, err = sandbox.NewScenarioWorld(sandbox.WorldOptions{}, scenario)
	if err != nil {
		return nil, false, badInput("--scenario: %v", err)
	}
	return w, false, nil
}

// describeScenarios names a world's scenarios for a message.
func describeScenarios(s []string) string {
	if len(s) == 0 {
		return "no scenario"
	}
	return "--scenario " + strings.Join(s, ",")
}

// printSandboxEnv prints what each party exports, and where DNS and the CA are.
func printSandboxEnv(out io.Writer, sb *sandbox.Sandbox, o *sandboxOptions, loaded bool) {
	var b strings.Builder
	dnsAddr, caFile := sb.DNSAddr(), sb.CAFile()
	sb.World(func(w *sandbox.World, _ time.Time) {
		origin := "a new world"
		if loaded {
			origin = "the world in " + o.world
		}
		if len(w.Scenarios) > 0 {
			origin += " (scenario " + strings.Join(w.Scenarios, ",") + ")"
		}
		fmt.Fprintf(&b, "# plwiz sandbox serving %s on %s (region %s, delays divided by %v)\n", origin, sb.URL(), w.Region, o.speed)
		if other := sandboxOtherRegions(w); other != "" {
			fmt.Fprintf(&b, "# other regions: %s; use one with --region or AWS_REGION\n", other)
		}
		for _, a := range w.Accounts {
			fmt.Fprintf(&b, "\n# %s (account %s); paste into the %s's terminal:\n", a.Name, a.ID, a.Name)
			for _, kv := range [][2]string{
				{"AWS_ENDPOINT_URL", sb.URL()},
				{"AWS_ACCESS_KEY_ID", a.AccessKeyID},
				{"AWS_SECRET_ACCESS_KEY", a.SecretAccessKey},
				{"AWS_REGION", w.Region},
				{"AWS_DEFAULT_REGION", w.Region}, // the AWS CLI v1 reads this one
			} {
				fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
			}
			// plwiz's connectivity test asks the sandbox's DNS server and
			// trusts its CA.
			if dnsAddr != "" && caFile != "" {
				fmt.Fprintf(&b, "export %s=%s\nexport %s=%s\n", envResolver, shellQuote(dnsAddr), envCAFile, shellQuote(caFile))
			}
		}
		b.WriteString("\n")
		for _, arn := range sandbox.SortedKeys(w.LoadBalancers) {
			lb := w.LoadBalancers[arn]
			if acct := w.Account(lb.Owner); acct != nil {
				ipType := lb.IPAddressType
				if ipType == "" {
					ipType = "ipv4"
				}
				fmt.Fprintf(&b, "# %s's load balancer: %s (%s, %s, %d AZs)\n", acct.Name, arn, lb.Name, ipType, len(lb.SubnetIDs))
			}
		}
		for _, id := range sandbox.SortedKeys(w.HostedZones) {
			z := w.HostedZones[id]
			if acct := w.Account(z.Owner); acct != nil {
				fmt.Fprintf(&b, "# %s's hosted zone: %s (%s)\n", acct.Name, z.Name, id)
			}
		}
	})
	if dnsAddr != "" {
		fmt.Fprintf(&b, "# DNS server: %s\n", dnsAddr)
	}
	if caFile != "" {
		fmt.Fprintf(&b, "# CA file: %s\n", caFile)
	}
	if dnsAddr != "" && caFile != "" {
		fmt.Fprintf(&b, "# connectivity test: plwiz check --name NAME --port PORT --resolver %s --ca %s\n", dnsAddr, shellQuote(caFile))
	}
	if o.world != "" {
		b.WriteString("# the world is kept in " + o.world + "\n")
	}
	if o.events != "" {
		b.WriteString("# state changes go to " + o.events + "\n")
	}
	b.WriteString("# Ctrl-C stops the sandbox\n")
	fmt.Fprint(out, stripControl(b.String()))
}

// stripControl drops control characters (except newlines) so nothing from a
// world file or a flag can drive the terminal.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && isControl(r) {
			return -1
		}
		return r
	}, s)
}

// shellQuote single-quotes v unless it is made only of characters a POSIX
// shell leaves alone.
func shellQuote(v string) string {
	safe := v != "" && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/+=:._-,@%", r))
	}) < 0
	if safe {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// sandboxOtherRegions names the world's regions besides the home one, an
// opt-in region with the accounts that have not enabled it.
func sandboxOtherRegions(w *sandbox.World) string {
	var parts []string
	for _, r := range w.Regions {
		if r.Name == w.Region {
			continue
		}
		if !r.OptIn {
			parts = append(parts, r.Name)
			continue
		}
		var off []string
		for _, a := range w.Accounts {
			if !w.Enabled(a, r.Name) {
				off = append(off, a.Name)
			}
		}
		if len(off) == 0 {
			parts = append(parts, r.Name+" (opt-in)")
		} else {
			parts = append(parts, r.Name+" (opt-in, not enabled for "+strings.Join(off, " or ")+")")
		}
	}
	return strings.Join(parts, ", ")
}
