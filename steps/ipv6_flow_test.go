package steps_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/steps"
)

// worldNLBs are the default world's two load balancers and the consumer
// subnets with an IPv6 block.
func worldNLBs(t *testing.T, sbEnv interface {
	World(func(*sandbox.World, time.Time))
}) (ipv4NLB, dualstackNLB string, ipv6Subnets []string) {
	t.Helper()
	sbEnv.World(func(w *sandbox.World, _ time.Time) {
		for arn, lb := range w.LoadBalancers {
			if lb.Name == sandbox.DualstackNLBName {
				dualstackNLB = arn
			} else {
				ipv4NLB = arn
			}
		}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if sn := w.Subnets[id]; sn.Owner == sandbox.ConsumerAccountID && sn.IPv6CIDR != "" {
				ipv6Subnets = append(ipv6Subnets, id)
			}
		}
	})
	if ipv4NLB == "" || dualstackNLB == "" || len(ipv6Subnets) != 2 {
		t.Fatalf("the default world lacks its NLBs or IPv6 subnets: %q %q %v", ipv4NLB, dualstackNLB, ipv6Subnets)
	}
	return ipv4NLB, dualstackNLB, ipv6Subnets
}

// TestHeadlessDualstackFlow runs both parties headless to a dualstack
// endpoint whose connectivity test passes over IPv4 and, where the machine
// has ::1, IPv6.
func TestHeadlessDualstackFlow(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	_, ds, v6Subnets := worldNLBs(t, sb.SB)
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow(), func() {
		provider.session.SetInput(steps.InNLB, ds)
		provider.session.SetInput(steps.InIPTypes, "ipv4,ipv6")
		consumer.session.SetInput(steps.InSubnets, strings.Join(v6Subnets, ","))
		consumer.session.SetInput(steps.InIPType, awsops.Dualstack)
		consumer.session.SetInput(steps.InDNSRecordType, awsops.Dualstack)
	})
	if perr, cerr := errs[steps.RoleProvider], errs[steps.RoleConsumer]; perr != nil || cerr != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", perr, provider.out.String(), cerr, consumer.out.String())
	}
	var ep sandbox.Endpoint
	var svc sandbox.Service
	var sgRules []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, e := range w.Endpoints {
			ep = *e
			svc = *w.Services[e.ServiceID]
			for _, g := range e.SecurityGroupIDs {
				for _, r := range w.SecurityGroups[g].Ingress {
					sgRules = append(sgRules, r.CIDRs...)
				}
			}
		}
	})
	if !slices.Equal(svc.IPAddressTypes, []string{"ipv4", "ipv6"}) || ep.IPAddressType != "dualstack" || ep.DNSRecordIPType != "dualstack" || ep.State != sandbox.EndpointAvailable {
		t.Errorf("service types %v; endpoint %s %s/%s", svc.IPAddressTypes, ep.State, ep.IPAddressType, ep.DNSRecordIPType)
	}
	if !slices.ContainsFunc(sgRules, func(c string) bool { return strings.Contains(c, ":") }) {
		t.Errorf("the endpoint's security group has no IPv6 rule: %v", sgRules)
	}
	out := consumer.out.String()
	if !strings.Contains(out, "✓ IP address type dualstack") {
		t.Errorf("consumer output lacks the IP address type check:\n%s", out)
	}
	if !sb.SB.IPv6Served() {
		t.Skip("the flow reached an available dualstack endpoint, but this machine has no ::1, so the IPv6 side of the connectivity test cannot pass here")
	}
	for _, want := range []string{"✓ TCP [::1]:8443", "✓ TLS [::1]:8443", "✓ HTTP", "✓ TCP 127.", "✓ Connectivity test"} {
		if !strings.Contains(out, want) {
			t.Errorf("consumer output lacks %q:\n%s", want, out)
		}
	}
}

// TestHeadlessTwoNLBFlow runs both parties with a service in front of both
// load balancers of the world.
func TestHeadlessTwoNLBFlow(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	v4, ds, _ := worldNLBs(t, sb.SB)
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow(), func() {
		provider.session.SetInput(steps.InNLB, v4+","+ds)
	})
	if perr, cerr := errs[steps.RoleProvider], errs[steps.RoleConsumer]; perr != nil || cerr != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", perr, provider.out.String(), cerr, consumer.out.String())
	}
	var nlbs []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, s := range w.Services {
			nlbs = s.NLBARNs
		}
	})
	if len(nlbs) != 2 {
		t.Errorf("the service has load balancers %v, want both", nlbs)
	}
	out := provider.out.String()
	// Both serve use1-az1 and use1-az2: the rule is shown.
	if !strings.Contains(out, "one load balancer per AZ") || !strings.Contains(out, "shared: use1-az1") {
		t.Errorf("provider output does not show which AZs each load balancer serves:\n%s", out)
	}
	// The load balancer checks look at each of them, before and after.
	for _, name := range []string{"plwiz-demo-nlb", sandbox.DualstackNLBName} {
		if n := strings.Count(out, name+": every AZ has a healthy target"); n != 2 {
			t.Errorf("provider output shows %d load balancer checks of %s, want 2 (check and recheck):\n%s", n, name, out)
		}
	}
	if !strings.Contains(consumer.out.String(), "✓ Connectivity test") {
		t.Errorf("consumer's connectivity test did not pass:\n%s", consumer.out.String())
	}
}

// TestEnforcedNLBSecurityGroupOverIPv6IsDiagnosedAndFixed: in
// nlb-sg-enforced, with the dualstack load balancer's group already
// allowing the consumer VPC's IPv4 block, a dualstack endpoint's request
// carries the VPC's IPv6 block too; the check before the summary names the
// missing IPv6 rule while the consumer's test fails over IPv6 only, and
// --yes adds the rule (as Ipv6Ranges), after which the test passes over
// both.
func TestEnforcedNLBSecurityGroupOverIPv6IsDiagnosedAndFixed(t *testing.T) {
	t.Parallel()
	sb := scenarioWorld(t, "nlb-sg-enforced")
	if !sb.SB.IPv6Served() {
		t.Skip("this machine has no ::1: the IPv6 side of the consumer's test cannot run here")
	}
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	consumer.env.Probe.Timeout = 500 * time.Millisecond
	_, ds, v6Subnets := worldNLBs(t, sb.SB)
	var v4, v6 string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		vpc := w.AccountVPC(sandbox.ConsumerAccountID, "")
		v4, v6 = vpc.CIDR, vpc.IPv6CIDR
	})
	ctx := context.Background()
	lb, err := provider.env.AWS.Provider().LoadBalancer(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	group := lb.SecurityGroups[0]
	if _, err := provider.env.AWS.Provider().AllowTCP(ctx, group, 8443, []string{v4}, "an IPv4 consumer before"); err != nil {
		t.Fatal(err)
	}
	dualstack := func() {
		provider.session.SetInput(steps.InNLB, ds)
		provider.session.SetInput(steps.InIPTypes, "ipv4,ipv6")
		consumer.session.SetInput(steps.InSubnets, strings.Join(v6Subnets, ","))
		consumer.session.SetInput(steps.InIPType, awsops.Dualstack)
		consumer.session.SetInput(steps.InDNSRecordType, awsops.Dualstack)
	}
	provider.noYes = true
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow(), dualstack)
	pout, cout := provider.out.String(), consumer.out.String()
	wantRunError(t, errs[steps.RoleProvider], steps.StepLBRecheck, pout)
	wantRunError(t, errs[steps.RoleConsumer], steps.StepConnectivity, cout)
	wantOutput(t, "provider", pout,
		"✗ port 8443: NLB security groups let PrivateLink traffic in: expected TCP 8443 allowed from "+v4+", "+v6+" (the consumer's VPC",
		"the IPv6 rule allowing TCP 8443 from "+v6+" (the consumer's clients over IPv6, a dualstack or ipv6 endpoint's) is missing")
	if strings.Contains(pout, "the rule allowing TCP 8443 from "+v4+" is missing") {
		t.Errorf("the IPv4 rule is there, but the check says it is missing:\n%s", pout)
	}
	wantOutput(t, "consumer", cout, "✓ TCP 127.", "✗ TCP [::1]:8443")
	if b, err := handoff.ReadFile(filepath.Join(dir, "request.json"), time.Now()); err != nil || !slices.Equal(b.(handoff.Request).ConsumerVPCCIDRs, []string{v4, v6}) {
		t.Errorf("request %+v (%v), want the CIDR blocks [%s %s]", b, err, v4, v6)
	}

	provider.noYes = false
	provider.out.Reset()
	consumer.out.Reset()
	errs = runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow(), dualstack)
	if errs[steps.RoleProvider] != nil {
		t.Fatalf("provider after the fix: %v\n%s", errs[steps.RoleProvider], provider.out.String())
	}
	wantOutput(t, "provider", provider.out.String(), "fixed: allow TCP 8443 from "+v6+" on "+group, "✓ Summary")
	var rules []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, r := range w.SecurityGroups[group].Ingress {
			rules = append(rules, r.CIDRs...)
		}
	})
	if !slices.Contains(rules, v6) {
		t.Errorf("the load balancer's group allows %v, want %s among them", rules, v6)
	}
	if errs[steps.RoleConsumer] != nil {
		consumer.out.Reset()
		if err := consumer.runner(steps.ConsumerFlow()).Run(context.Background()); err != nil {
			t.Fatalf("consumer after the fix: %v\n%s", err, consumer.out.String())
		}
	}
	wantOutput(t, "consumer", consumer.out.String(), "✓ Connectivity test", "✓ TCP [::1]:8443", "✓ TCP 127.")
}
