package steps_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
	"github.com/plwiz/plwiz/probe"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// scenarioWorld is fastWorld set up for a named situation.
func scenarioWorld(t *testing.T, scenario string) *sbtest.Env {
	t.Helper()
	d := sandbox.DefaultDelays().Scaled(200)
	return sbtest.Start(t, sbtest.Options{RealClock: true, Delays: &d, DataPlane: true, Scenario: scenario})
}

// wantRunError checks that a run stopped at step with exit code 1.
func wantRunError(t *testing.T, err error, step string, out string) {
	t.Helper()
	var re *steps.RunError
	if !errors.As(err, &re) || re.Code != steps.ExitFailed || re.Step != step {
		t.Fatalf("run ended with %v, want exit 1 at %s; output:\n%s", err, step, out)
	}
}

func wantOutput(t *testing.T, who, out string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(out, p) {
			t.Errorf("%s output lacks %q:\n%s", who, p, out)
		}
	}
}

// firstZone is the provider's first AZ as the scenarios break it: the
// zone of its target with the lowest AZ ID, by ID and by the provider's
// name for it.
func firstZone(t *testing.T, sb *sbtest.Env) (id, name string) {
	t.Helper()
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		var ids []string
		for _, in := range w.Diag.Instances {
			if in.Owner == sandbox.ProviderAccountID {
				ids = append(ids, in.AZID)
			}
		}
		slices.Sort(ids)
		id = ids[0]
		name = w.AccountByName("provider").AZName(id)
	})
	if id == "" || name == "" {
		t.Fatal("no provider zone")
	}
	return id, name
}

// targetGroupCrossZone is the cross-zone attribute of the provider's
// target groups, as the sandbox holds it.
func targetGroupCrossZone(sb *sbtest.Env) []string {
	var out []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, arn := range sandbox.SortedKeys(w.Diag.TargetGroups) {
			if tg := w.Diag.TargetGroups[arn]; tg.Name == "plwiz-demo-nlb-tg" { // the flows' load balancer's
				out = append(out, tg.Attributes["load_balancing.cross_zone.enabled"])
			}
		}
	})
	return out
}

// TestAZWithoutHealthyTargetIsDiagnosedAndFixed: in unhealthy-az (a target
// failing its health checks) and cross-zone-off (no target in the first
// AZ, the group's cross-zone off), the provider's load balancer check
// fails before a service is made, naming the AZ by ID and name, AWS's
// reason and the fix; with --yes the same run turns cross-zone on for the
// group and both parties finish, the consumer reaching the service
// through every endpoint network interface.
func TestAZWithoutHealthyTargetIsDiagnosedAndFixed(t *testing.T) {
	for _, tc := range []struct{ scenario, seen string }{
		{"unhealthy-az", "0 of 1 healthy: i-"},
		{"cross-zone-off", "no target registered in this AZ"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			sb := scenarioWorld(t, tc.scenario)
			dir := t.TempDir()
			provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
			consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
			setInputs(t, sb, dir, provider, consumer)
			azID, azName := firstZone(t, sb)

			provider.noYes = true
			err := provider.runner(steps.ProviderFlow()).Run(context.Background())
			wantRunError(t, err, steps.StepLBCheck, provider.out.String())
			out := provider.out.String()
			wantOutput(t, "provider", out,
				"✗ port 8443: healthy targets in "+azID+" ("+azName+"): expected at least one healthy target, saw "+tc.seen,
				"Consumers whose endpoint network interface is in "+azID+" ("+azName+") time out",
				"turn cross-zone load balancing on for the target group")
			if tc.scenario == "unhealthy-az" {
				wantOutput(t, "provider", out, "unhealthy (Target.FailedHealthChecks: Health checks failed)", "Make the application on the failing targets answer the health check")
			}
			if countResources(sb).services != 0 {
				t.Error("a service was created in front of a load balancer that fails its check")
			}

			// The same run, with --yes: the fix, then both flows through.
			provider.noYes = false
			provider.out.Reset()
			errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
			if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
				t.Fatalf("after the fix: provider %v\n%s\nconsumer %v\n%s", errs[steps.RoleProvider], provider.out.String(), errs[steps.RoleConsumer], consumer.out.String())
			}
			wantOutput(t, "provider", provider.out.String(), "Check the load balancer: fixed: turn cross-zone load balancing on for target group", "✓ Check the load balancer again")
			if got := targetGroupCrossZone(sb); !slices.Equal(got, []string{"true"}) {
				t.Errorf("target group cross-zone %v, want true", got)
			}
			wantOutput(t, "consumer", consumer.out.String(), "✓ Connectivity test", "✓ HTTP")
		})
	}
}

// TestEnforcedNLBSecurityGroupIsDiagnosedAndFixed: in nlb-sg-enforced the
// NLB's group allows the port from the provider's VPC only. The first
// check cannot know the consumer yet and says so; once the request names
// the consumer VPC's CIDR blocks, the check before the summary fails,
// naming the missing rule and the fix, while the consumer's test times
// out; with --yes the provider adds the rule and the consumer's test
// passes on resume.
func TestEnforcedNLBSecurityGroupIsDiagnosedAndFixed(t *testing.T) {
	t.Parallel()
	sb := scenarioWorld(t, "nlb-sg-enforced")
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	consumer.env.Probe.Timeout = 500 * time.Millisecond
	var consumerCIDR, providerCIDR string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		// The home region's: the flows run there.
		consumerCIDR = w.AccountVPC(sandbox.ConsumerAccountID, "").CIDR
		providerCIDR = w.AccountVPC(sandbox.ProviderAccountID, "").CIDR
	})
	provider.noYes = true
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
	pout, cout := provider.out.String(), consumer.out.String()
	wantRunError(t, errs[steps.RoleProvider], steps.StepLBRecheck, pout)
	wantRunError(t, errs[steps.RoleConsumer], steps.StepConnectivity, cout)
	wantOutput(t, "provider", pout,
		"– port 8443: NLB security groups let PrivateLink traffic in: expected TCP 8443 allowed from the consumers' addresses, saw enforced on PrivateLink traffic; TCP 8443 allowed from "+providerCIDR+" only",
		"✗ port 8443: NLB security groups let PrivateLink traffic in: expected TCP 8443 allowed from "+consumerCIDR+" (the consumer's VPC (account "+sandbox.ConsumerAccountID+"))",
		"the rule allowing TCP 8443 from "+consumerCIDR+" is missing",
		"✗ inbound rules enforced on PrivateLink traffic")
	wantOutput(t, "consumer", cout, "✗ TCP")
	// The request carried the consumer VPC's blocks.
	if b, err := handoff.ReadFile(filepath.Join(dir, "request.json"), time.Now()); err != nil || !slices.Equal(b.(handoff.Request).ConsumerVPCCIDRs, []string{consumerCIDR}) {
		t.Errorf("request %+v (%v), want the CIDR blocks [%s]", b, err, consumerCIDR)
	}

	provider.noYes = false
	provider.out.Reset()
	consumer.out.Reset()
	errs = runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
	if errs[steps.RoleProvider] != nil {
		t.Fatalf("provider after the fix: %v\n%s", errs[steps.RoleProvider], provider.out.String())
	}
	wantOutput(t, "provider", provider.out.String(), "fixed: allow TCP 8443 from "+consumerCIDR+" on sg-", "✓ Summary")
	// The consumer ran on at once and may have tested before the rule was
	// there; on resume it passes.
	if errs[steps.RoleConsumer] != nil {
		consumer.out.Reset()
		if err := consumer.runner(steps.ConsumerFlow()).Run(context.Background()); err != nil {
			t.Fatalf("consumer after the fix: %v\n%s", err, consumer.out.String())
		}
	}
	wantOutput(t, "consumer", consumer.out.String(), "✓ Connectivity test", "✓ TCP")

	// Teardown revokes the rule the fix added to the NLB's group, and only
	// it.
	ctx := context.Background()
	for _, p := range []*party{consumer, provider} {
		if err := steps.RunTeardown(ctx, p.env, p.session, steps.TeardownPlan(p.session), nil); err != nil {
			t.Fatalf("teardown of the %s: %v", p.session.Role, err)
		}
	}
	if got := ingressCIDRs(sb, nlbGroup(t, sb)); !slices.Equal(got, []string{providerCIDR}) {
		t.Errorf("after teardown the NLB's group lets in %v, want %v as before the fix", got, []string{providerCIDR})
	}
}

// nlbGroup is the demo NLB's first security group.
func nlbGroup(t *testing.T, sb *sbtest.Env) string {
	t.Helper()
	var id string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for arn, lb := range w.LoadBalancers {
			if cfg := w.Diag.LBs[arn]; lb.Name == "plwiz-demo-nlb" && cfg != nil && len(cfg.SecurityGroupIDs) > 0 {
				id = cfg.SecurityGroupIDs[0]
			}
		}
	})
	if id == "" {
		t.Fatal("the demo NLB has no security group")
	}
	return id
}

// ingressCIDRs are the CIDRs a security group's inbound rules name.
func ingressCIDRs(sb *sbtest.Env, group string) []string {
	var out []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		if g := w.SecurityGroups[group]; g != nil {
			for _, r := range g.Ingress {
				out = append(out, r.CIDRs...)
			}
		}
	})
	return out
}

// opensPort reports whether an inbound rule of the group covers TCP port.
func opensPort(sb *sbtest.Env, group string, port int32) bool {
	open := false
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		if g := w.SecurityGroups[group]; g != nil {
			for _, r := range g.Ingress {
				open = open || r.Protocol == "-1" || r.Protocol == "tcp" && r.FromPort <= port && port <= r.ToPort
			}
		}
	})
	return open
}

// managedInstance is the consumer VPC's SSM-managed instance.
func managedInstance(t *testing.T, sb *sbtest.Env) string {
	t.Helper()
	var id string
	f := facts(t, sb)
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, iid := range sandbox.SortedKeys(w.Diag.Instances) {
			if in := w.Diag.Instances[iid]; in.VPCID == f.consumerVPC && in.SSM != nil && id == "" {
				id = iid
			}
		}
	})
	if id == "" {
		t.Fatal("no managed instance in the consumer VPC")
	}
	return id
}

func defaultGroup(t *testing.T, sb *sbtest.Env, vpc string) string {
	t.Helper()
	var id string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, gid := range sandbox.SortedKeys(w.SecurityGroups) {
			if g := w.SecurityGroups[gid]; g.VPCID == vpc && g.Name == "default" {
				id = gid
			}
		}
	})
	return id
}

// TestClosedConsumerGroupIsDiagnosedFromInsideTheVPC: in
// consumer-sg-closed the endpoint sits in the VPC's default group, which
// allows only SSH. The connectivity test run on the VPC's instance through
// SSM says where it ran, that TCP times out, and which group lacks which
// rule; the Reachability Analyzer, after its go-ahead, names the group
// too, and leaves no path behind; with --yes the same run adds the rule
// and passes, through SSM and through the analyzer.
func TestClosedConsumerGroupIsDiagnosedFromInsideTheVPC(t *testing.T) {
	t.Parallel()
	sb := scenarioWorld(t, "consumer-sg-closed")
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	consumer.env.Probe.Timeout = 500 * time.Millisecond
	f := facts(t, sb)
	inst := managedInstance(t, sb)
	sg := defaultGroup(t, sb, f.consumerVPC)
	consumer.extra = map[string]string{steps.InSecurityGroup: sg, steps.InProbeFrom: "ssm:" + inst}
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), upTo(steps.ConsumerFlow(), steps.StepConnectivity))
	if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
		t.Fatalf("provider %v\n%s\nconsumer %v\n%s", errs[steps.RoleProvider], provider.out.String(), errs[steps.RoleConsumer], consumer.out.String())
	}
	wantOutput(t, "consumer", consumer.out.String(), "✗ security group allows the service port: expected TCP 8443")
	cidr := consumer.session.Resource(steps.ResVPCCIDRs)

	// run runs the consumer's rest from where; fails says whether it must
	// stop at the connectivity test.
	run := func(from string, yes, fails bool) string {
		t.Helper()
		consumer.session.SetInput(steps.InProbeFrom, from)
		consumer.noYes = !yes
		consumer.out.Reset()
		err := consumer.runner(steps.ConsumerFlow()).Run(context.Background())
		if fails {
			wantRunError(t, err, steps.StepConnectivity, consumer.out.String())
		} else if err != nil {
			t.Fatalf("%s: %v\n%s", from, err, consumer.out.String())
		}
		return consumer.out.String()
	}
	out := run("ssm:"+inst, false, true)
	wantOutput(t, "consumer", out, "checked from "+inst+" in "+f.consumerVPC+" through SSM Run Command", "✗ TCP",
		"✗ the endpoint's security groups let TCP 8443 in from "+f.consumerVPC+": expected TCP 8443 allowed from "+cidr+", saw "+sg+" allow no TCP 8443 in",
		"add an inbound rule allowing TCP 8443 from "+cidr+" to "+sg)

	// The Reachability Analyzer: first it asks.
	out = run("reachability:"+inst, false, true)
	wantOutput(t, "consumer", out, "✗ Reachability Analyzer from "+inst+": expected your go-ahead: AWS charges for each analysis")
	if n := insightsPaths(sb); n != 0 {
		t.Fatalf("%d paths before the go-ahead", n)
	}
	out = run("reachability:"+inst, true, true)
	wantOutput(t, "consumer", out, "✗ PATH "+inst+" to eni-", sg, "add an inbound rule allowing TCP 8443 from the source", "paths and analyses are deleted")
	if n := insightsPaths(sb); n != 0 {
		t.Errorf("%d paths or analyses left after the test", n)
	}
	if consumer.session.Step(steps.StepConnectivity).State != steps.StateFailed {
		t.Fatal("the analyzer's failure did not fail the step")
	}

	// With --yes, the same run adds the rule and passes.
	out = run("ssm:"+inst, true, false)
	wantOutput(t, "consumer", out, "fixed: allow TCP 8443 from "+cidr+" on "+sg, "✓ Connectivity test", "✓ TCP", "✓ TLS", "✓ HTTP", "from "+inst+" in "+f.consumerVPC)
	if !consumer.session.Finished() {
		t.Fatalf("not finished after the fix:\n%s", out)
	}
	consumer.session.Steps[steps.StepConnectivity] = &steps.StepRecord{State: steps.StatePending}
	consumer.session.Steps[steps.StepSummary] = &steps.StepRecord{State: steps.StatePending}
	out = run("reachability:"+inst, true, false)
	wantOutput(t, "consumer", out, "✓ Connectivity test: the network path from "+inst)

	// Teardown looks for what is left of the analyzer, first; it revokes
	// the rule the fix added to the VPC's default group, which it leaves.
	plan := steps.TeardownPlan(consumer.session)
	if len(plan) == 0 || !strings.Contains(plan[0].Label, "Reachability Analyzer") {
		t.Fatalf("teardown plan %v does not start with the analyzer's leftovers", plan)
	}
	before := ingressCIDRs(sb, sg)
	if err := steps.RunTeardown(context.Background(), consumer.env, consumer.session, plan, nil); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if after := ingressCIDRs(sb, sg); len(after) != len(before)-1 || opensPort(sb, sg, 8443) {
		t.Errorf("after teardown %s lets in %v (before %v): want the fix's rule for TCP 8443 from %s gone, the others kept", sg, after, before, cidr)
	}
}

func insightsPaths(sb *sbtest.Env) int {
	n := 0
	sb.SB.World(func(w *sandbox.World, _ time.Time) { n = len(w.Diag.Paths) + len(w.Diag.Analyses) })
	return n
}

// TestLocalTestOutsideTheVPCOffersSSM: on a host whose resolver does not
// know the private name (a laptop), the local test fails and offers the
// run on the VPC's managed instance; with --yes it runs there and passes.
func TestLocalTestOutsideTheVPCOffersSSM(t *testing.T) {
	t.Parallel()
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	inst := managedInstance(t, sb)
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), upTo(steps.ConsumerFlow(), steps.StepConnectivity))
	if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
		t.Fatalf("provider %v, consumer %v\n%s", errs[steps.RoleProvider], errs[steps.RoleConsumer], consumer.out.String())
	}
	// This host's resolver: one that knows nothing of the VPC.
	dead, err := probe.NewServerResolver("127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	consumer.env.Probe.Resolver = dead
	consumer.env.Probe.Timeout = 300 * time.Millisecond
	consumer.noYes = true
	consumer.out.Reset()
	err = consumer.runner(steps.ConsumerFlow()).Run(context.Background())
	wantRunError(t, err, steps.StepConnectivity, consumer.out.String())
	wantOutput(t, "consumer", consumer.out.String(), "This host is outside vpc-", "--probe-from ssm:"+inst)

	consumer.noYes = false
	consumer.out.Reset()
	if err := consumer.runner(steps.ConsumerFlow()).Run(context.Background()); err != nil {
		t.Fatalf("with --yes: %v\n%s", err, consumer.out.String())
	}
	wantOutput(t, "consumer", consumer.out.String(), "fixed: run the test on "+inst, "checked from "+inst+" in vpc-", "✓ DNS api.example.com")
	if got := consumer.session.Input(steps.InProbeFrom); got != "ssm:"+inst {
		t.Errorf("probe-from %q after the fix", got)
	}
}

func TestParseProbeFrom(t *testing.T) {
	for in, want := range map[string]string{"": "local", "local": "local", "ssm:i-0123456789abcdef0": "ssm:i-0123456789abcdef0",
		"reachability:eni-0123456789abcdef0": "reachability:eni-0123456789abcdef0", "reachability:i-01234567": "reachability:i-01234567"} {
		got, err := steps.ParseProbeFrom(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseProbeFrom(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"ssm:eni-0123456789abcdef0":    "ssm: expected an instance ID (i- and 8 or 17 hex digits) after ssm:, found \"eni-0123456789abcdef0\"",
		"reachability:sg-01234567":     "reachability: expected an instance (i- and 8 or 17 hex digits) or network interface (eni- and 8 or 17 hex digits) after reachability:, found \"sg-01234567\"",
		"laptop":                       "expected local, ssm:INSTANCE or reachability:SOURCE, found \"laptop\"",
		"local:i-01234567":             "local takes no source, found \"local:i-01234567\"",
		"ssm:i-0123456789abcdef0\x1b[": "ssm: expected an instance ID (i- and 8 or 17 hex digits) after ssm:, found \"i-0123456789abcdef0\\x1b[\"",
	} {
		if _, err := steps.ParseProbeFrom(in); err == nil || err.Error() != want {
			t.Errorf("ParseProbeFrom(%q) error %v, want %s", in, err, want)
		}
	}
}

// TestTLSListenerCertificateIsChecked: behind a TLS listener, the load
// balancer check reads the listener's ACM certificate and passes for a
// name it covers (its wildcard), fails naming what it covers otherwise.
func TestTLSListenerCertificateIsChecked(t *testing.T) {
	t.Parallel()
	sb := sbtest.Start(t, sbtest.Options{Scenario: "tls-listener"})
	env, _ := manualParty(t, sb, "provider", steps.RoleProvider)
	arn := facts(t, sb).nlbARN
	for name, want := range map[string]string{
		"api.example.com":  "✓ covers api.example.com (example.com, *.example.com)",
		"api.example.org":  "✗ names example.com, *.example.com",
		"a.b.example.com":  "✗ names example.com, *.example.com",
		"":                 "– no private DNS name yet",
		"www.example.com.": "✓ covers www.example.com",
	} {
		rep, err := steps.CheckLoadBalancer(context.Background(), env, steps.LBCheckInput{ARN: arn, PrivateDNSName: name, Now: sb.Clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rep.Checks, func(c steps.CheckResult) bool { return strings.Contains(c.Name, "TLS certificate covers") })
		if i < 0 {
			t.Fatalf("%q: no certificate check in %+v", name, rep.Checks)
		}
		c := rep.Checks[i]
		mark := map[bool]string{true: "✓", false: "✗"}[c.Passed]
		if c.Skipped {
			mark = "–"
		}
		got := mark + " " + c.Seen
		if !strings.HasPrefix(want, mark) || !strings.Contains(got, strings.TrimPrefix(want, mark+" ")) {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
		if !c.Passed && !c.Skipped && (!c.Fatal || !strings.Contains(c.Hint, "add-listener-certificates")) {
			t.Errorf("%q: a failing certificate check must stop the flow and say how to add one: %+v", name, c)
		}
	}
}

// TestProbeFromWithoutSSMStillOffersThisHost: when SSM refuses (no
// permission), the choice of where the test runs still offers this host,
// saying why the instances are missing, instead of failing the step.
func TestProbeFromWithoutSSMStillOffersThisHost(t *testing.T) {
	t.Parallel()
	sb := sbtest.Start(t, sbtest.Options{})
	ep := sb.Endpoint(t, sbtest.EndpointOptions{})
	target, err := url.Parse(sb.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), "/ssm/") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"User: arn:aws:iam::222222222222:user/plwiz-consumer is not authorized to perform: ssm:DescribeInstanceInformation"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(deny.Close)
	cfg := sb.Config(t, "consumer")
	cfg.BaseEndpoint = aws.String(deny.URL)
	client, err := awsops.New(cfg, awsops.Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	env := &steps.Env{AWS: client}
	s, err := steps.NewSession(t.TempDir(), steps.RoleConsumer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.SetResource(steps.ResEndpointID, ep.ID)
	s.SetResource(steps.ResNLBPort, strconv.Itoa(ep.Port))
	in := stepOf(t, steps.ConsumerFlow(), steps.StepConnectivity).Inputs[0]
	if in.Key != steps.InProbeFrom {
		t.Fatalf("first input %s", in.Key)
	}
	opts, err := in.Options(context.Background(), env, s)
	if err != nil {
		t.Fatalf("the choices fail without SSM: %v", err)
	}
	if len(opts) != 1 || opts[0].Value != steps.ProbeLocal || opts[0].Disabled ||
		!strings.Contains(opts[0].Note, "SSM-managed instances could not be listed") || !strings.Contains(opts[0].Note, "ssm:DescribeInstanceInformation") {
		t.Errorf("choices %+v: want this host alone, saying why SSM is missing", opts)
	}
}
