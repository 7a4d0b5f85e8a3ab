package steps_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
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
