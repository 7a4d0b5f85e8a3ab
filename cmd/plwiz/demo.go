package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/steps"
	"github.com/plwiz/plwiz/tui"
)

// demoOptions are plwiz demo's flags.
type demoOptions struct {
	speed    float64
	seed     uint64
	scenario string
	// crossRegion plays the consumer in the sandbox's second region.
	crossRegion bool
}

// defaultDemoSpeed makes the AWS-side waits a few seconds in all: long
// enough to see them, short enough to reach the connectivity test in a few
// minutes.
const defaultDemoSpeed = 10

func newDemoCmd(g *globalOptions, s streams, _ func(string) string) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play both parties against a built-in sandbox: no AWS account needed",
		Long: `demo starts the sandbox (a local emulator of the AWS APIs plwiz uses, on
random 127.0.0.1 ports) and shows both parties of a PrivateLink setup side by
side: the provider on the left, the consumer on the right (one above the
other in a terminal narrower than 160 columns). Tab gives the keyboard to the
other party; a banner says which party to play next and what to press.

The answers a real user would look up (the load balancer, the consumer's VPC
and subnets, the file the offer and the request pass through) are filled in
for you. The offer and the request go through files in a temporary folder,
as they would through a chat or an email between two teams.

The consumer's connectivity test runs on the sandbox's instance in the
consumer VPC through SSM Run Command, as it would from a laptop against AWS.
--scenario starts the sandbox's world set up for a situation, as plwiz
sandbox --scenario does: with unhealthy-az the provider's load balancer check
fails, names the AZ and offers its fix.

--cross-region plays the consumer in us-west-2 while the provider stays in
us-east-1: the provider's service supports us-west-2, and the consumer's
endpoint connects to it across regions (AWS PrivateLink cross-region
access), in any AZ of its own region; its connectivity test runs from this
host, as the second region's VPC has no instance.

--speed divides the sandbox's AWS-side delays (service available, DNS
verification, acceptance). Ctrl-C leaves: the sandbox stops and the demo's
files are deleted. The demo never talks to AWS; --profile, --region and
--endpoint-url do not apply.`,
		Example: `  plwiz demo
  plwiz demo --speed 50                # shorter waits
  plwiz demo --scenario unhealthy-az   # the load balancer check fails first
  plwiz demo --cross-region            # the consumer in another region`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if math.IsNaN(o.speed) || o.speed <= 0 || o.speed > 100000 {
				return badInput("--speed %v must be above 0 and at most 100000 (1 is real-world time)", o.speed)
			}
			if _, err := sandbox.ParseScenarios(o.scenario); err != nil {
				return badInput("--scenario: %v", err)
			}
			return runDemo(cmd.Context(), g, o, s)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.speed, "speed", defaultDemoSpeed, "Divide every AWS-side delay by this factor; 1 is real-world time.")
	f.Uint64Var(&o.seed, "seed", 0, "Make the sandbox's IDs and addresses from this seed, the same every run (default 0: random ones).")
	f.StringVar(&o.scenario, "scenario", "", "Start the sandbox's world set up for these situations, separated by commas: "+scenarioUsages()+".")
	f.BoolVar(&o.crossRegion, "cross-region", false, "Play the consumer in "+sandbox.SecondRegion+", the provider in "+sandbox.DefaultRegion+": the endpoint connects across regions.")
	return cmd
}

func runDemo(ctx context.Context, g *globalOptions, o *demoOptions, s streams) error {
	var logw io.Writer
	if g.LogFile != "" {
		f, err := os.OpenFile(g.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return badInput("--log-file: %v", err)
		}
		defer f.Close()
		logw = f
	}
	// A closed terminal or a kill stops the program the same way as
	// leaving, so the sandbox stops and the demo's files are deleted.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	d, err := startDemo(o, logw, time.Now())
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	opts := tui.Options{NoColor: g.NoColor, Backoff: demoBackoff}
	provider := tui.New(d.provider.flow, d.provider.sess, d.provider.env, opts)
	consumer := tui.New(d.consumer.flow, d.consumer.sess, d.consumer.env, opts)
	out, runErr := tui.RunDemo(ctx, provider, consumer, tui.DemoOptions{NoColor: g.NoColor}, tui.IO{In: s.in, Out: s.out})
	closeErr := d.Close()
	switch {
	case out.ConsumerFinished:
		fmt.Fprintln(s.err, "plwiz demo: the consumer reached the service through its endpoint; the sandbox is stopped and the demo's files are deleted.")
	default:
		fmt.Fprintln(s.err, "plwiz demo: the sandbox is stopped and the demo's files are deleted; run plwiz demo to start again.")
	}
	if err := errors.Join(runErr, closeErr); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	return nil
}

// demoBackoff polls often: the sandbox is local and its waits are short.
func demoBackoff() *steps.Backoff {
	return &steps.Backoff{Min: 250 * time.Millisecond, Max: 2 * time.Second, Factor: 1.5}
}

// demoParty is one side of the demo: its flow, session and environment.
type demoParty struct {
	flow *steps.Flow
	sess *steps.Session
	env  *steps.Env
}

// demoSetup is what a demo run holds: the sandbox, both parties, and the
// temporary folder with their sessions and the bundles they exchange.
type demoSetup struct {
	dir      string // removed by Close
	shared   string // where the offer and the request go
	sb       *sandbox.Sandbox
	provider demoParty
	consumer demoParty
	// wake is shared by both parties' waits (and the sandbox's changes).
	wake *steps.Signal
}

// demoFacts are what a user would look up in the console before starting.
type demoFacts struct {
	region         string // the provider's
	consumerRegion string
	provider       sandbox.Account
	consumer       sandbox.Account
	nlbARN         string
	domain         string
	consumerVPC    string
	servedSubnets  []string
	// instance is the consumer VPC's SSM-managed instance ("" when it has
	// none, as the second region's VPC).
	instance string
}

// startDemo starts the sandbox in-process on random loopback ports and
// prepares both parties with the answers a newcomer could not know.
func startDemo(o *demoOptions, logw io.Writer, now time.Time) (_ *demoSetup, err error) {
	dir, err := os.MkdirTemp("", "plwiz-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo folder: %w", err)
	}
	d := &demoSetup{dir: dir, shared: filepath.Join(dir, "shared"), wake: steps.NewSignal()}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Close())
		}
	}()
	if err := os.Mkdir(d.shared, 0o700); err != nil {
		return nil, fmt.Errorf("demo folder: %w", err)
	}
	world, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Seed: o.seed, Now: now.UTC()}, o.scenario)
	if err != nil {
		return nil, fmt.Errorf("the sandbox's world: %w", err)
	}
	// Every change the sandbox makes (a service Available, an endpoint
	// accepted) wakes both parties' waits at once, as does what a party
	// does: the demo shows AWS's pace, not plwiz's polling.
	d.sb = sandbox.New(sandbox.Options{World: world, Speed: o.speed, DataPlane: true, StateDir: filepath.Join(dir, "sandbox"),
		Events: func(sandbox.Event) { d.wake.Broadcast() }})
	if err := d.sb.Start("127.0.0.1:0"); err != nil {
		d.sb = nil
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	consumerRegion := ""
	if o.crossRegion {
		consumerRegion = sandbox.SecondRegion
	}
	f, err := readDemoFacts(d.sb, consumerRegion)
	if err != nil {
		return nil, err
	}
	supported := ""
	if f.consumerRegion != f.region {
		supported = f.consumerRegion
	}
	probe := steps.ProbeSettings{
		ResolverAddr: d.sb.DNSAddr(), RootCAs: d.sb.CAPool(), CAFile: d.sb.CAFile(),
		HTTPPath: "/health", Timeout: 3 * time.Second,
	}
	sessions := filepath.Join(dir, "sessions")
	offer, request := filepath.Join(d.shared, "offer.json"), filepath.Join(d.shared, "request.json")

	// The answers a newcomer has nothing to decide about are given, so the
	// wizard does not stop to ask them: acceptance on, a new service (no
	// existing one) supporting the consumer's region, the TXT record
	// written to the sandbox's zone, the HTTP path the sandbox's service
	// answers, and no connection notifications: both parties run in this
	// process, so one's action wakes the other's wait at once, which is
	// what live updates give two processes.
	d.provider, err = newDemoParty(d, f.region, f.provider, steps.ProviderFlow(), sessions, probe, logw, now, map[string]string{
		steps.InNLB:            f.nlbARN,
		steps.InAcceptance:     "true",
		steps.InServiceID:      "",
		steps.InSupportedRegns: supported,
		steps.InPrincipals:     f.consumer.ID,
		steps.InPrivateDNS:     "api." + f.domain,
		steps.InWriteTXT:       "true",
		steps.InOfferOut:       offer,
		steps.InRequest:        request,
		steps.InLiveUpdates:    "false",
		steps.InNotifyTopic:    steps.NotifyNone,
	})
	if err != nil {
		return nil, err
	}
	// The second region's VPC has no instance: there the test runs from
	// this host, which the sandbox's data plane serves in every region.
	probeFrom := steps.ProbeLocal
	if f.instance != "" {
		probeFrom = "ssm:" + f.instance
	}
	d.consumer, err = newDemoParty(d, f.consumerRegion, f.consumer, steps.ConsumerFlow(), sessions, probe, logw, now, map[string]string{
		steps.InOffer:         offer,
		steps.InVPC:           f.consumerVPC,
		steps.InSubnets:       strings.Join(f.servedSubnets, ","),
		steps.InSecurityGroup: steps.CreateSecurityGroupValue,
		steps.InRequestOut:    request,
		steps.InHTTPPath:      probe.HTTPPath,
		// From the instance in the VPC, as from a laptop on AWS.
		steps.InProbeFrom:   probeFrom,
		steps.InLiveUpdates: "false",
		steps.InNotifyTopic: steps.NotifyNone,
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func newDemoParty(d *demoSetup, region string, acct sandbox.Account, flow *steps.Flow, sessions string, probe steps.ProbeSettings, logw io.Writer, now time.Time, inputs map[string]string) (demoParty, error) {
	client, err := awsops.New(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(acct.AccessKeyID, acct.SecretAccessKey, ""),
		BaseEndpoint: aws.String(d.sb.URL()),
	}, awsops.Options{LogWriter: logw})
	if err != nil {
		return demoParty{}, fmt.Errorf("%s client: %w", acct.Name, err)
	}
	sess, err := steps.NewSession(sessions, flow.Role, now)
	if err != nil {
		return demoParty{}, err
	}
	for k, v := range inputs {
		sess.SetInput(k, v)
	}
	if err := sess.Save(now); err != nil {
		return demoParty{}, err
	}
	// Both parties share one wake signal: what one does wakes the other's
	// wait at once instead of at its next look.
	return demoParty{flow: flow, sess: sess, env: &steps.Env{AWS: client, BundleDir: d.shared, Probe: probe, Wake: d.wake}}, nil
}

// readDemoFacts finds, in the sandbox's world, the IDs the demo fills in:
// the consumer's in consumerRegion ("" for the provider's region), where
// across regions any AZ serves.
func readDemoFacts(sb *sandbox.Sandbox, consumerRegion string) (demoFacts, error) {
	var f demoFacts
	sb.World(func(w *sandbox.World, _ time.Time) {
		f.region, f.consumerRegion = w.Region, consumerRegion
		if consumerRegion == "" {
			f.consumerRegion = w.Region
		}
		if a := w.AccountByName("provider"); a != nil {
			f.provider = *a
		}
		if a := w.AccountByName("consumer"); a != nil {
			f.consumer = *a
		}
		var served []string
		for _, arn := range sandbox.SortedKeys(w.LoadBalancers) {
			lb := w.LoadBalancers[arn]
			if lb.Owner != f.provider.ID || f.nlbARN != "" {
				continue
			}
			f.nlbARN = arn
			for _, id := range lb.SubnetIDs {
				if sn := w.Subnets[id]; sn != nil {
					served = append(served, sn.AZID)
				}
			}
		}
		for _, id := range sandbox.SortedKeys(w.HostedZones) {
			if z := w.HostedZones[id]; z.Owner == f.provider.ID && f.domain == "" {
				f.domain = strings.TrimSuffix(z.Name, ".")
			}
		}
		if v := w.AccountVPC(f.consumer.ID, f.consumerRegion); v != nil {
			f.consumerVPC = v.ID
		}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			sn := w.Subnets[id]
			if sn.VPCID == f.consumerVPC && (f.consumerRegion != f.region || slices.Contains(served, sn.AZID)) {
				f.servedSubnets = append(f.servedSubnets, id)
			}
		}
		if w.Diag != nil {
			for _, id := range sandbox.SortedKeys(w.Diag.Instances) {
				if in := w.Diag.Instances[id]; in.VPCID == f.consumerVPC && in.SSM != nil && f.instance == "" {
					f.instance = id
				}
			}
		}
	})
	switch {
	case f.provider.ID == "" || f.consumer.ID == "":
		return f, errors.New("the sandbox's world has no provider or no consumer account")
	case f.nlbARN == "" || f.domain == "":
		return f, errors.New("the sandbox's world has no load balancer or no hosted zone for the provider")
	case f.consumerVPC == "" || len(f.servedSubnets) == 0:
		return f, errors.New("the sandbox's world has no consumer VPC with a subnet the load balancer's AZs serve")
	case f.instance == "" && f.consumerRegion == f.region:
		return f, errors.New("the sandbox's world has no SSM-managed instance in the consumer VPC")
	}
	return f, nil
}

// Close stops the sandbox and deletes the demo's folder.
func (d *demoSetup) Close() error {
	var errs []error
	if d.sb != nil {
		if err := d.sb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop the sandbox: %w", err))
		}
		d.sb = nil
	}
	if d.dir != "" {
		if err := os.RemoveAll(d.dir); err != nil {
			errs = append(errs, fmt.Errorf("delete the demo's folder: %w", err))
		}
		d.dir = ""
	}
	return errors.Join(errs...)
}
