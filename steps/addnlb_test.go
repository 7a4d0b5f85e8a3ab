package steps_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// existingService makes an endpoint service the way someone did before
// plwiz: in front of nlbs, supporting ipTypes.
func existingService(t *testing.T, p *party, nlbs []string, ipTypes ...string) awsops.Service {
	t.Helper()
	svc, err := p.env.AWS.Provider().CreateService(context.Background(), awsops.CreateServiceInput{
		NLBARNs: nlbs, IPAddressTypes: ipTypes, AcceptanceRequired: true, ClientToken: "made-before-plwiz"})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func serviceNLBs(sb *sbtest.Env, id string) []string {
	var out []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		if s := w.Services[id]; s != nil {
			out = slices.Clone(s.NLBARNs)
		}
	})
	return out
}

// TestAdoptedServiceGetsALoadBalancerAndTeardownRemovesIt: a provider
// adopting an existing service adds the dualstack load balancer to it;
// the wizard shows the AZs both serve, the check before the summary looks
// at both, a run again adds nothing, and teardown removes the one added
// (AWS refusing, with what to do, while the consumer's endpoint is
// attached), leaving the service and its own load balancer.
func TestAdoptedServiceGetsALoadBalancerAndTeardownRemovesIt(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	v4, ds, _ := worldNLBs(t, sb.SB)
	svc := existingService(t, provider, []string{v4})
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow(), func() {
		delete(provider.session.Inputs, steps.InNLB)
		provider.session.SetInput(steps.InServiceID, svc.ID)
		provider.session.SetInput(steps.InAddNLB, ds)
	})
	if perr, cerr := errs[steps.RoleProvider], errs[steps.RoleConsumer]; perr != nil || cerr != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", perr, provider.out.String(), cerr, consumer.out.String())
	}
	if got := serviceNLBs(sb, svc.ID); !slices.Equal(got, []string{v4, ds}) {
		t.Fatalf("service load balancers %v, want %v then %v", got, v4, ds)
	}
	out := provider.out.String()
	wantOutput(t, "provider", out,
		"✓ Add load balancers to the service: "+svc.ID+" now in front of "+sandbox.DualstackNLBName+" too (teardown removes it)",
		"one load balancer per AZ", "shared: use1-az1",
		// The check before the summary looks at both.
		"plwiz-demo-nlb: every AZ has a healthy target", sandbox.DualstackNLBName+": every AZ has a healthy target")
	if !strings.Contains(consumer.out.String(), "✓ Connectivity test") {
		t.Errorf("consumer's connectivity test did not pass:\n%s", consumer.out.String())
	}
	s := provider.session
	if s.Resource(steps.ResAddedNLBs) != ds || s.Resource(steps.ResAdoptedNLBs) != v4 {
		t.Errorf("session records added %q, adopted %q", s.Resource(steps.ResAddedNLBs), s.Resource(steps.ResAdoptedNLBs))
	}

	// Again (a resume), and again after a run cut short before it could
	// record what AWS had done: nothing added twice, the one added is
	// still this session's.
	ctx := context.Background()
	add := stepOf(t, steps.ProviderFlow(), steps.StepAddNLB)
	for _, cut := range []bool{false, true} {
		if cut {
			s.SetResource(steps.ResAddedNLBs, "")
		}
		if _, err := add.Do(ctx, provider.env, s); err != nil {
			t.Fatal(err)
		}
		if got := serviceNLBs(sb, svc.ID); !slices.Equal(got, []string{v4, ds}) || s.Resource(steps.ResAddedNLBs) != ds {
			t.Errorf("run again (cut short %t): service %v, session records %q", cut, got, s.Resource(steps.ResAddedNLBs))
		}
	}

	// Teardown while the consumer's endpoint is attached: AWS refuses, and
	// the refusal says what to do.
	plan := steps.TeardownPlan(s)
	var labels []string
	for _, a := range plan {
		labels = append(labels, a.Label)
	}
	if !slices.ContainsFunc(labels, func(l string) bool {
		return strings.HasPrefix(l, "remove load balancer(s) "+sandbox.DualstackNLBName+" from endpoint service "+svc.ID)
	}) || slices.ContainsFunc(labels, func(l string) bool {
		return strings.Contains(l, "delete endpoint service") || strings.Contains(l, "reject")
	}) {
		t.Fatalf("teardown plan %q: want the added load balancer removed, the service and its connections left alone", labels)
	}
	err := steps.RunTeardown(ctx, provider.env, s, plan, nil)
	if awsops.CodeOf(err) != "ExistingVpcEndpointConnections" || !strings.Contains(steps.HintOf(err), "have the consumers delete their endpoints") {
		t.Fatalf("teardown with an endpoint attached: %v (hint %q)", err, steps.HintOf(err))
	}
	if got := serviceNLBs(sb, svc.ID); len(got) != 2 {
		t.Errorf("after the refusal the service has %v", got)
	}

	// Once the consumer's endpoint is gone, AWS lets it go.
	if err := steps.RunTeardown(ctx, consumer.env, consumer.session, steps.TeardownPlan(consumer.session), nil); err != nil {
		t.Fatalf("consumer teardown: %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err = steps.RunTeardown(ctx, provider.env, s, steps.TeardownPlan(s), nil)
		if err == nil || awsops.CodeOf(err) != "ExistingVpcEndpointConnections" || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("provider teardown: %v", err)
	}
	if got := serviceNLBs(sb, svc.ID); !slices.Equal(got, []string{v4}) {
		t.Errorf("after teardown the service has %v, want its own %v alone", got, v4)
	}
}

// TestAddNLBChecksBeforeAWSRefuses: an IPv4 load balancer for a service
// that supports ipv6, one of another account and one that does not exist
// are each named, with what to do, and nothing is added.
func TestAddNLBChecksBeforeAWSRefuses(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	v4, ds, _ := worldNLBs(t, sb.SB)
	svc := existingService(t, provider, []string{ds}, awsops.IPv4, awsops.IPv6)
	other := "arn:aws:elasticloadbalancing:us-east-1:" + sandbox.ConsumerAccountID + ":loadbalancer/net/theirs/0123456789abcdef"
	missing := v4[:strings.LastIndex(v4, "/")+1] + "0123456789abcdef"
	flow := steps.ProviderFlow()
	flow.Steps = flow.Steps[:slices.IndexFunc(flow.Steps, func(st *steps.Step) bool { return st.ID == steps.StepAddNLB })+1]
	provider.session.SetInput(steps.InServiceID, svc.ID)
	provider.session.SetInput(steps.InAddNLB, strings.Join([]string{v4, other, missing}, ","))
	err := provider.runner(flow).Run(context.Background())
	out := provider.out.String()
	var re *steps.RunError
	if !errors.As(err, &re) || re.Step != steps.StepAddNLB {
		t.Fatalf("run ended with %v, want a failure at %s:\n%s", err, steps.StepAddNLB, out)
	}
	wantOutput(t, "provider", out,
		"✗ plwiz-demo-nlb is ready for IPv6: expected IP address type dualstack",
		"AWS refuses ipv6 on a service unless every load balancer uses the dualstack IP address type",
		"✗ theirs exists in this account and region: expected a network load balancer of account "+sandbox.ProviderAccountID+" in us-east-1, saw a load balancer of account "+sandbox.ConsumerAccountID,
		"✗ plwiz-demo-nlb exists in this account and region", "saw no such load balancer")
	if got := serviceNLBs(sb, svc.ID); !slices.Equal(got, []string{ds}) || provider.session.Resource(steps.ResAddedNLBs) != "" {
		t.Errorf("service %v, session records %q: want nothing added", got, provider.session.Resource(steps.ResAddedNLBs))
	}
	if plan := steps.TeardownPlan(provider.session); slices.ContainsFunc(plan, func(a steps.TeardownAction) bool { return strings.Contains(a.Label, "load balancer") }) {
		t.Errorf("teardown would remove a load balancer the session did not add")
	}
}
