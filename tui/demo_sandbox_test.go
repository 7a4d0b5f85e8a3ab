package tui

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// The demo as a newcomer plays it, in one program, against the sandbox on
// a fast real clock: both real flows, the offer and the request passing
// through files in a shared folder.

type demoRun struct {
	// lbFix: the provider's load balancer check fails first (unhealthy-az)
	// and its fix is taken.
	lbFix bool
	t     *testing.T
	sb    *sbtest.Env
	tm    *teatest.TestModel
	p     *probe[*Demo]
	w     int
	h     int
}

// startSandboxDemo starts a sandbox (set up for scenario, "" for none)
// and the demo on it, with the inputs a newcomer could not know filled in,
// as plwiz demo does: the consumer's test runs on the VPC's instance
// through SSM.
func startSandboxDemo(t *testing.T, w, h int, scenario string) *demoRun {
	t.Helper()
	return startSandboxDemoIn(t, w, h, scenario, "")
}

// startSandboxDemoIn is startSandboxDemo with the consumer in another
// region than the provider's ("" for the same), as plwiz demo
// --cross-region plays it.
func startSandboxDemoIn(t *testing.T, w, h int, scenario, consumerRegion string) *demoRun {
	t.Helper()
	delays := sandbox.DefaultDelays().Scaled(200)
	sb := sbtest.Start(t, sbtest.Options{RealClock: true, Delays: &delays, DataPlane: true, Scenario: scenario})
	var nlb, vpc, instance string
	var subnets []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for arn, lb := range w.LoadBalancers {
			if lb.Name != sandbox.DualstackNLBName {
				nlb = arn
			}
		}
		if v := w.AccountVPC(sandbox.ConsumerAccountID, consumerRegion); v != nil {
			vpc = v.ID
		}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if w.Subnets[id].VPCID == vpc {
				subnets = append(subnets, id)
			}
		}
		for _, id := range sandbox.SortedKeys(w.Diag.Instances) {
			if in := w.Diag.Instances[id]; in.VPCID == vpc && in.SSM != nil {
				instance = id
			}
		}
	})
	dir := t.TempDir()
	offer, request := filepath.Join(dir, "offer.json"), filepath.Join(dir, "request.json")
	opts := Options{Static: true, Backoff: func() *steps.Backoff {
		return &steps.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}
	}}
	party := func(account, region string, flow *steps.Flow, inputs map[string]string) *Model {
		client, err := awsops.New(sb.ConfigIn(t, account, region), awsops.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := steps.NewSession(filepath.Join(dir, "sessions"), flow.Role, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range inputs {
			s.SetInput(k, v)
		}
		env := &steps.Env{AWS: client, BundleDir: dir, Probe: steps.ProbeSettings{
			ResolverAddr: sb.SB.DNSAddr(), RootCAs: sb.SB.CAPool(), CAFile: sb.SB.CAFile(), HTTPPath: "/health", Timeout: 2 * time.Second,
		}}
		return New(flow, s, env, opts)
	}
	p := party("provider", "", steps.ProviderFlow(), map[string]string{
		steps.InNLB: nlb, steps.InAcceptance: "true", steps.InServiceID: "", steps.InSupportedRegns: consumerRegion, steps.InPrincipals: sandbox.ConsumerAccountID,
		steps.InPrivateDNS: "api.example.com", steps.InWriteTXT: "true", steps.InOfferOut: offer, steps.InRequest: request,
		steps.InLiveUpdates: "false", steps.InNotifyTopic: steps.NotifyNone,
	})
	// The second region's VPC has no instance: the test runs from here.
	probeFrom := steps.ProbeLocal
	if instance != "" {
		probeFrom = "ssm:" + instance
	}
	c := party("consumer", consumerRegion, steps.ConsumerFlow(), map[string]string{
		steps.InOffer: offer, steps.InVPC: vpc, steps.InSubnets: strings.Join(subnets, ","),
		steps.InSecurityGroup: steps.CreateSecurityGroupValue, steps.InRequestOut: request, steps.InHTTPPath: "/health",
		steps.InProbeFrom:   probeFrom,
		steps.InLiveUpdates: "false", steps.InNotifyTopic: steps.NotifyNone,
	})
	probe := &probe[*Demo]{m: NewDemo(p, c, DemoOptions{})}
	tm := teatest.NewTestModel(t, probe, teatest.WithInitialTermSize(w, h))
	return &demoRun{t: t, sb: sb, tm: tm, p: probe, w: w, h: h}
}

// see waits until the frame shows every text.
func (r *demoRun) see(texts ...string) string {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		fr := r.p.frame()
		ok := true
		for _, s := range texts {
			ok = ok && strings.Contains(fr, s)
		}
		if ok {
			return fr
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the screen never showed %q; last frame:\n%s", texts, fr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// at waits for the banner to say banner, then presses keys.
func (r *demoRun) at(banner string, keys ...string) string {
	r.t.Helper()
	fr := r.see("▶ " + banner)
	for _, k := range keys {
		r.tm.Send(keyMsg(k))
	}
	return fr
}

func (r *demoRun) resize(w, h int) {
	r.t.Helper()
	r.w, r.h = w, h
	r.tm.Send(tea.WindowSizeMsg{Width: w, Height: h})
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := strings.Split(r.p.frame(), "\n")
		if len(lines) == h {
			assertFits(r.t, r.p.frame(), w, h)
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no %dx%d frame:\n%s", w, h, r.p.frame())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leave presses ctrl+c and y, and returns the demo once it has quit.
func (r *demoRun) leave() *Demo {
	r.t.Helper()
	r.tm.Send(keyMsg("ctrl+c"))
	r.see("Leave the demo?")
	r.tm.Send(keyMsg("y"))
	return r.tm.FinalModel(r.t, teatest.WithFinalTimeout(10*time.Second)).(*probe[*Demo]).m
}

// providerToOffer plays the provider from the first step to the offer,
// resizing mid-flow, and sends the user to the consumer.
func (r *demoRun) providerToOffer() {
	r.t.Helper()
	r.at("provider · Identity — press enter to go ahead", "enter")
	r.at("provider · Identity — done", "enter")
	r.at("provider · Choose the Network Load Balancer — Network Load Balancers is filled in: press enter", "enter")
	r.at("provider · Choose the Network Load Balancer — IP address types the service supports is filled in: press enter", "enter")
	if r.lbFix {
		r.lbDiagnosisAndFix()
	}
	fr := r.at("provider · Check the load balancer — every check passed", "enter")
	for _, want := range []string{"✓ port 8443: healthy targets in use1-az1 (us-east-1a)", "1 of 1 healthy: i-", "✓ port 8443: NLB security groups let PrivateLink traffic in"} {
		if !strings.Contains(fr, want) {
			r.t.Errorf("the load balancer check lacks %q:\n%s", want, fr)
		}
	}
	r.at("provider · Create the endpoint service — press enter to go ahead", "enter")
	fr = r.at("provider · Create the endpoint service — done", "enter")
	if !strings.Contains(fr, "vpce-svc-") {
		r.t.Errorf("no service on screen:\n%s", fr)
	}
	// Resize mid-flow: stacked, the provider on top and taller.
	r.resize(80, 24)
	// At 80 columns the banner leaves the step's title to the pane.
	r.at("provider — Allowed principals is filled in: press enter", "enter")
	r.at("provider — Private DNS name (optional) is filled in: press enter", "enter")
	r.resize(120, 40)
	fr = r.at("provider · Publish the TXT record — press enter to go ahead", "enter")
	for _, want := range []string{"Name", "TXT", "Value", "vpce:", "TTL", "1800", "plwiz writes it to the public zone example.com (Z"} {
		if !strings.Contains(fr, want) {
			r.t.Errorf("the TXT screen lacks %q:\n%s", want, fr)
		}
	}
	r.at("provider · Publish the TXT record — done", "enter")
	r.at("provider · Export the offer — the file to write in the shared folder is filled in: press enter", "enter")
	fr = r.at("provider · Export the offer — written to the shared folder", "enter")
	if !strings.Contains(fr, "offer.json") || !strings.Contains(fr, "plwiz1.offer.") {
		r.t.Errorf("the export shows no file or token:\n%s", fr)
	}
	r.resize(200, 50)
	r.at("provider · Import the consumer's request — the file in the shared folder is filled in", "enter")
	r.at("The provider waits for the consumer: press tab to play the consumer.", "tab")
}

// consumerToRequest plays the consumer from the first step to the
// request: the network check fails with its hint and its fix is taken.
func (r *demoRun) consumerToRequest() string {
	r.t.Helper()
	r.at("consumer · Identity — press enter to go ahead", "enter")
	r.at("consumer · Identity — done", "enter")
	r.at("consumer · Import the provider's offer — the file in the shared folder is filled in", "enter")
	r.at("consumer · Import the provider's offer — done", "enter")
	r.at("consumer · Check the service — every check passed", "enter")
	r.at("consumer · Choose VPC, subnets and security group — VPC is filled in", "enter")
	r.at("consumer · Choose VPC, subnets and security group — Subnets (one per AZ) is filled in", "enter")
	r.at("consumer · Choose VPC, subnets and security group — Endpoint IP address type is filled in", "enter")
	r.at("consumer · Choose VPC, subnets and security group — DNS record IP type is filled in", "enter")
	r.at("consumer · Choose VPC, subnets and security group — Security group is filled in", "enter")
	// A failed step shows its hint, and the fix it offers.
	fr := r.at("consumer · Check the network — a check failed: press f to let plwiz fix it", "f")
	for _, want := range []string{"✗ VPC DNS support and DNS hostnames on", "hint: Private DNS needs both attributes", "✗ a check that must pass failed", "f: turn on DNS support and hostnames"} {
		if !strings.Contains(fr, want) {
			r.t.Errorf("the failed network check lacks %q:\n%s", want, fr)
		}
	}
	r.at("consumer · Check the network — answer the question below", "y")
	r.at("consumer · Check the network — every check passed", "enter")
	r.at("consumer · Create the interface endpoint — press enter to go ahead", "enter")
	r.at("consumer · Create the interface endpoint — done", "enter")
	r.at("consumer · Export the request — the file to write in the shared folder is filled in: press enter", "enter")
	r.at("consumer · Export the request — written to the shared folder", "enter")
	fr = r.at("The consumer waits for the provider: press tab to play the provider.", "tab")
	id := regexp.MustCompile(`vpce-[0-9a-f]{17}\b`).FindString(fr)
	if id == "" {
		r.t.Fatalf("no endpoint ID on screen:\n%s", fr)
	}
	return id
}

func TestDemoBothPartiesToTheEndAgainstSandbox(t *testing.T) {
	t.Parallel()
	r := startSandboxDemo(t, 200, 50, "")
	r.providerToOffer()
	endpoint := r.consumerToRequest()
	r.providerAcceptsAndTheConsumerTests(endpoint)
}

// providerAcceptsAndTheConsumerTests plays both parties from the request
// to the end: the provider's table shows its targets' health per AZ, and
// the consumer's test runs on the VPC's instance through SSM.
func (r *demoRun) providerAcceptsAndTheConsumerTests(endpoint string) {
	t := r.t
	t.Helper()
	// The provider's table: the expected endpoint is marked and accepted.
	r.at("provider · Import the consumer's request — done", "enter")
	fr := r.at("provider · Accept the consumer's endpoint — the row marked ★ is the consumer's endpoint", "a")
	if !strings.Contains(fr, "★ "+endpoint) || !strings.Contains(fr, "pendingAcceptance") {
		t.Errorf("the table does not mark %s as expected:\n%s", endpoint, fr)
	}
	first := "use1-az1 (us-east-1a) 1/1 healthy"
	if r.lbFix {
		// Still down, but cross-zone on: no ✗.
		first = "use1-az1 (us-east-1a) 0/1 healthy"
	}
	if !strings.Contains(fr, "Targets of plwiz-demo-nlb: "+first+" · use1-az2 (us-east-1b) 1/1 healthy") || !strings.Contains(fr, "use1-az3 (us-east-1c) 1/1 healthy (as of ") {
		t.Errorf("the connections screen does not show the targets' health per AZ:\n%s", fr)
	}
	r.at("provider · Accept the consumer's endpoint — complete: press enter to continue", "enter")
	r.at("provider · Check the load balancer again — every check passed", "enter")
	fr = r.at("provider · Summary — done", "enter")
	if !strings.Contains(fr, "is live; endpoint vpce-") || !strings.Contains(fr, "consumers reach it at api.example.com:8443") {
		t.Errorf("the provider's summary:\n%s", fr)
	}
	r.at("The provider is done: press tab to play the consumer.", "tab")

	// The consumer: private DNS on after acceptance, then the test passes.
	r.at("consumer · Turn on private DNS — press enter to go ahead", "enter")
	r.at("consumer · Turn on private DNS — done", "enter")
	fr = r.at("consumer · Connectivity test — every check passed", "enter")
	if !regexp.MustCompile(`\d+ passed, 0 failed`).MatchString(fr) || !strings.Contains(fr, "✓ DNS api.example.com") || !strings.Contains(fr, "✓ HTTP https://api.example.com:8443/health") {
		t.Errorf("the connectivity test did not pass on screen:\n%s", fr)
	}
	if !regexp.MustCompile(`checked from i-[0-9a-f]+ in vpc-`).MatchString(fr) || !strings.Contains(fr, "through SSM Run Command") {
		t.Errorf("the connectivity test does not say it ran on the VPC's instance:\n%s", fr)
	}
	fr = r.at("consumer · Summary — done", "enter")
	if !strings.Contains(fr, "use api.example.com:8443") {
		t.Errorf("the consumer's summary:\n%s", fr)
	}
	r.at("Both parties are done")
	d := r.leave()
	if !d.Provider().Finished() || !d.Consumer().Finished() || !d.Provider().Left() || !d.Consumer().Left() {
		t.Errorf("finished %v/%v left %v/%v", d.Provider().Finished(), d.Consumer().Finished(), d.Provider().Left(), d.Consumer().Left())
	}
	r.sb.SB.World(func(w *sandbox.World, _ time.Time) {
		ep := w.Endpoints[endpoint]
		if ep == nil || ep.State != sandbox.EndpointAvailable || !ep.PrivateDNSEnabled {
			t.Errorf("endpoint %s in the sandbox: %+v", endpoint, ep)
		}
	})
}

// TestDemoRejectedEndpointExplained: the provider rejects (after
// confirming); the consumer's wait fails and says why and what to do.
func TestDemoRejectedEndpointExplained(t *testing.T) {
	t.Parallel()
	r := startSandboxDemo(t, 200, 50, "")
	r.providerToOffer()
	endpoint := r.consumerToRequest()
	r.at("provider · Import the consumer's request — done", "enter")
	r.at("provider · Accept the consumer's endpoint — the row marked ★", "r")
	fr := r.at("provider · Accept the consumer's endpoint — answer the question below", "y")
	if !strings.Contains(fr, "? reject "+endpoint+"? Reject the selected endpoint(s)? A rejected endpoint can never") {
		t.Errorf("reject did not ask first:\n%s", fr)
	}
	r.see("rejected: a rejected endpoint stays rejected")
	r.tm.Send(keyMsg("tab"))
	fr = r.at("consumer · Wait for the provider to accept — read the hint, then press f to create a new endpoint and send a new request", "f")
	for _, want := range []string{"✗ the provider rejected " + endpoint, "hint: A rejected endpoint stays rejected.", "f: create a new endpoint and send a new request"} {
		if !strings.Contains(fr, want) {
			t.Errorf("the consumer's screen lacks %q:\n%s", want, fr)
		}
	}
	// The way forward the step offers: after asking, a new endpoint.
	r.at("consumer · Wait for the provider to accept — answer the question below", "y")
	r.at("consumer · Create the interface endpoint — press enter to go ahead", "enter")
	fr = r.at("consumer · Create the interface endpoint — done", "enter")
	if again := regexp.MustCompile(`✓ (vpce-[0-9a-f]{17}) \(pendingAcceptance\)`).FindStringSubmatch(fr); again == nil || again[1] == endpoint {
		t.Errorf("no new endpoint after the rejection of %s:\n%s", endpoint, fr)
	}
	r.at("consumer · Export the request — the file to write in the shared folder is filled in: press enter")
	r.leave()
}

// lbDiagnosisAndFix: the load balancer check fails, names the AZ by ID and
// name, AWS's reason and the fix; f asks, y fixes, and it passes.
func (r *demoRun) lbDiagnosisAndFix() {
	r.t.Helper()
	fr := r.at("provider · Check the load balancer — a check failed: press f to let plwiz fix it", "f")
	for _, want := range []string{"✗ port 8443: healthy targets in use1-az1 (us-east-1a)", "0 of 1 healthy: i-", "Target.FailedHealthChecks",
		"hint: Consumers whose endpoint network interface is in use1-az1 (us-east-1a) time out", "f: turn cross-zone load balancing on for target group plwiz-demo-nlb-tg"} {
		if !strings.Contains(fr, want) {
			r.t.Errorf("the failed load balancer check lacks %q:\n%s", want, fr)
		}
	}
	fr = r.at("provider · Check the load balancer — answer the question below", "y")
	if !strings.Contains(fr, "? turn cross-zone load balancing on for target group plwiz-demo-nlb-tg?") {
		r.t.Errorf("the fix did not ask first:\n%s", fr)
	}
	fr = r.see("▶ provider · Check the load balancer — every check passed")
	if !strings.Contains(fr, "cross-zone load balancing is on, so 2 healthy target(s) in other AZs answer") {
		r.t.Errorf("after the fix, the check does not say why the AZ passes:\n%s", fr)
	}
}

// TestDemoUnhealthyAZDiagnosedAndFixed is plwiz demo --scenario
// unhealthy-az: the provider's load balancer check shows the diagnosis,
// its fix is taken after asking, and both parties reach the end, the
// consumer's test passing through every endpoint network interface.
func TestDemoUnhealthyAZDiagnosedAndFixed(t *testing.T) {
	t.Parallel()
	r := startSandboxDemo(t, 200, 50, "unhealthy-az")
	r.lbFix = true
	r.providerToOffer()
	endpoint := r.consumerToRequest()
	r.providerAcceptsAndTheConsumerTests(endpoint)
}
