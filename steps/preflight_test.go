package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// stepOf returns a flow's step by ID.
func stepOf(t *testing.T, flow *steps.Flow, id string) *steps.Step {
	t.Helper()
	st := flow.Step(id)
	if st == nil {
		t.Fatalf("no step %s", id)
	}
	return st
}

// check finds a check result by name prefix.
func check(t *testing.T, res steps.Result, name string) steps.CheckResult {
	t.Helper()
	for _, c := range res.Checks {
		if strings.HasPrefix(c.Name, name) {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, res.Checks)
	return steps.CheckResult{}
}

func wantFailed(t *testing.T, c steps.CheckResult, seen, hint string) {
	t.Helper()
	if c.Passed || c.Skipped {
		t.Errorf("%s passed=%t skipped=%t, want failed", c.Name, c.Passed, c.Skipped)
	}
	if !strings.Contains(c.Seen, seen) {
		t.Errorf("%s seen %q, want it to contain %q", c.Name, c.Seen, seen)
	}
	if !strings.Contains(c.Hint, hint) {
		t.Errorf("%s hint %q, want it to contain %q", c.Name, c.Hint, hint)
	}
}

// manualParty is a party on a sandbox with a manual clock, its identity
// already known.
func manualParty(t *testing.T, sb *sbtest.Env, account string, role steps.Role) (*steps.Env, *steps.Session) {
	t.Helper()
	client, err := awsops.New(sb.Config(t, account), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := &steps.Env{AWS: client, BundleDir: t.TempDir(), Now: func() time.Time { return sb.Clock.Now() }}
	s, err := steps.NewSession(t.TempDir(), role, sb.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	flow := steps.ProviderFlow()
	if role == steps.RoleConsumer {
		flow = steps.ConsumerFlow()
	}
	if _, err := stepOf(t, flow, steps.StepIdentity).Do(context.Background(), env, s); err != nil {
		t.Fatal(err)
	}
	return env, s
}

func TestProviderPreflightFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("NLB not active, no listener, one AZ", func(t *testing.T) {
		sb := sbtest.Start(t, sbtest.Options{})
		var arn string
		sb.SB.World(func(w *sandbox.World, _ time.Time) {
			for a, lb := range w.LoadBalancers {
				if lb.Name == sandbox.DualstackNLBName {
					continue
				}
				arn = a
				lb.State = "provisioning"
				lb.SubnetIDs = lb.SubnetIDs[:1]
			}
			for id, l := range w.Listeners {
				if l.LBARN == arn {
					delete(w.Listeners, id)
				}
			}
		})
		env, s := manualParty(t, sb, "provider", steps.RoleProvider)
		s.SetInput(steps.InNLB, arn)
		res, err := stepOf(t, steps.ProviderFlow(), steps.StepChooseNLB).Do(ctx, env, s)
		if err != nil {
			t.Fatal(err)
		}
		wantFailed(t, check(t, res, "NLB is active"), "provisioning", "Wait until the load balancer is active")
		wantFailed(t, check(t, res, "NLB has a listener"), "none", "Add a TCP or TLS listener")
		wantFailed(t, check(t, res, "NLB serves two or more AZs"), "use1-az1", "one AZ means no redundancy")
		if !res.Failed(false) {
			t.Error("an inactive NLB must stop the flow")
		}
	})
	t.Run("hosted zone private, or not covering the domain", func(t *testing.T) {
		for _, tc := range []struct{ name, domain string }{{"private zone", "api.example.com"}, {"other domain", "api.other.net"}} {
			t.Run(tc.name, func(t *testing.T) {
				sb := sbtest.Start(t, sbtest.Options{})
				if tc.name == "private zone" {
					sb.SB.World(func(w *sandbox.World, _ time.Time) {
						for _, z := range w.HostedZones {
							z.Private = true
						}
					})
				}
				env, s := manualParty(t, sb, "provider", steps.RoleProvider)
				svc := createAvailableService(t, sb, env, s)
				s.SetInput(steps.InPrivateDNS, tc.domain)
				res, err := stepOf(t, steps.ProviderFlow(), steps.StepPrivateDNS).Do(ctx, env, s)
				if err != nil {
					t.Fatal(err)
				}
				wantFailed(t, check(t, res, "public hosted zone for "+tc.domain), "none", "add it at your DNS provider")
				if res.Failed(false) {
					t.Error("no zone is not fatal: the user can publish the record elsewhere")
				}
				if s.Resource(steps.ResTXTName) == "" || s.Resource(steps.ResServiceID) != svc {
					t.Errorf("the TXT record to publish was not recorded: %v", s.Resources)
				}
			})
		}
	})
}

// createAvailableService runs the provider's steps up to an Available service.
func createAvailableService(t *testing.T, sb *sbtest.Env, env *steps.Env, s *steps.Session) string {
	t.Helper()
	ctx := context.Background()
	var arn string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for a, lb := range w.LoadBalancers {
			if lb.Name != sandbox.DualstackNLBName {
				arn = a
			}
		}
	})
	s.SetInput(steps.InNLB, arn)
	flow := steps.ProviderFlow()
	for _, id := range []string{steps.StepChooseNLB, steps.StepCreateService} {
		if _, err := stepOf(t, flow, id).Do(ctx, env, s); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	sb.Advance(t, time.Minute)
	return s.Resource(steps.ResServiceID)
}

// consumerReady is a provider service and a consumer session that has
// imported its offer.
func consumerReady(t *testing.T, sb *sbtest.Env, allow bool) (*steps.Env, *steps.Session) {
	t.Helper()
	_, _, cenv, cs := twoParties(t, sb, allow)
	return cenv, cs
}

// twoParties is consumerReady with the provider's side too.
func twoParties(t *testing.T, sb *sbtest.Env, allow bool) (penv *steps.Env, ps *steps.Session, cenv *steps.Env, cs *steps.Session) {
	t.Helper()
	ctx := context.Background()
	penv, ps = manualParty(t, sb, "provider", steps.RoleProvider)
	createAvailableService(t, sb, penv, ps)
	pflow := steps.ProviderFlow()
	if allow {
		ps.SetInput(steps.InPrincipals, sandbox.ConsumerAccountID)
		if _, err := stepOf(t, pflow, steps.StepAllow).Do(ctx, penv, ps); err != nil {
			t.Fatal(err)
		}
	}
	ps.SetInput(steps.InOfferOut, "offer.json")
	res, err := stepOf(t, pflow, steps.StepExportOffer).Do(ctx, penv, ps)
	if err != nil {
		t.Fatal(err)
	}
	cenv, cs = manualParty(t, sb, "consumer", steps.RoleConsumer)
	cs.SetInput(steps.InOffer, res.Export.Token)
	st, err := stepOf(t, steps.ConsumerFlow(), steps.StepImportOffer).Poll(ctx, cenv, cs)
	if err != nil || !st.Done {
		t.Fatalf("import offer: %+v %v", st, err)
	}
	return penv, ps, cenv, cs
}

func TestConsumerServiceCheckFailures(t *testing.T) {
	ctx := context.Background()
	svcCheck := func(t *testing.T, env *steps.Env, s *steps.Session) steps.Result {
		t.Helper()
		res, err := stepOf(t, steps.ConsumerFlow(), steps.StepServiceCheck).Do(ctx, env, s)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Failed(false) {
			t.Errorf("the service check must stop the flow: %+v", res.Checks)
		}
		return res
	}
	t.Run("not visible: ask the provider to allow your principal ARN", func(t *testing.T) {
		sb := sbtest.Start(t, sbtest.Options{})
		env, s := consumerReady(t, sb, false)
		res := svcCheck(t, env, s)
		wantFailed(t, check(t, res, "service visible to you"), "does not exist", "Ask the provider to allow your principal: arn:aws:iam::222222222222:user/plwiz-consumer")
	})
	t.Run("owner is not the offer's account", func(t *testing.T) {
		sb := sbtest.Start(t, sbtest.Options{})
		env, s := consumerReady(t, sb, true)
		s.SetResource(steps.ResProviderAcct, "333333333333") // what a forged offer would claim
		res := svcCheck(t, env, s)
		wantFailed(t, check(t, res, "owned by the offer's account"), "111111111111", "Stop: the service is not owned by the account the offer names")
	})
	t.Run("region differs and the offer does not support it", func(t *testing.T) {
		sb := sbtest.Start(t, sbtest.Options{})
		env, s := consumerReady(t, sb, true)
		// What an offer of a service in eu-west-1 alone says.
		s.SetResource(steps.ResOfferRegion, "eu-west-1")
		s.SetResource(steps.ResOfferRegions, "eu-west-1")
		res := svcCheck(t, env, s)
		wantFailed(t, check(t, res, "your region supported (cross-region)"), "service in eu-west-1, supported regions eu-west-1",
			"run with --region eu-west-1, or ask the provider to add us-east-1")
	})
	t.Run("the service's region is an opt-in region not enabled", func(t *testing.T) {
		sb := sbtest.Start(t, sbtest.Options{})
		env, s := consumerReady(t, sb, true)
		// An offer of a service hosted in eu-south-1 that supports us-east-1.
		s.SetResource(steps.ResOfferRegion, "eu-south-1")
		s.SetResource(steps.ResOfferRegions, "eu-south-1,us-east-1")
		res := svcCheck(t, env, s)
		if c := check(t, res, "your region supported (cross-region)"); !c.Passed {
			t.Errorf("region check %+v, want passed", c)
		}
		wantFailed(t, check(t, res, "service's region enabled for your account"), "not-opted-in",
			"Region eu-south-1 is an opt-in region that account 222222222222 has not enabled: enable it")
	})
}

func TestConsumerNetworkCheckFailures(t *testing.T) {
	ctx := context.Background()
	netCheck := func(t *testing.T, env *steps.Env, s *steps.Session) steps.Result {
		t.Helper()
		res, err := stepOf(t, steps.ConsumerFlow(), steps.StepNetworkCheck).Do(ctx, env, s)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	setup := func(t *testing.T, mutate func(w *sandbox.World, vpc string)) (*sbtest.Env, *steps.Env, *steps.Session, []string) {
		sb := sbtest.Start(t, sbtest.Options{})
		env, s := consumerReady(t, sb, true)
		if _, err := stepOf(t, steps.ConsumerFlow(), steps.StepServiceCheck).Do(ctx, env, s); err != nil {
			t.Fatal(err)
		}
		f := facts(t, sb)
		if mutate != nil {
			sb.SB.World(func(w *sandbox.World, _ time.Time) { mutate(w, f.consumerVPC) })
		}
		s.SetInput(steps.InVPC, f.consumerVPC)
		s.SetInput(steps.InSubnets, strings.Join(f.consumerSubnets, ","))
		s.SetInput(steps.InSecurityGroup, steps.CreateSecurityGroupValue)
		return sb, env, s, f.consumerSubnets
	}
	t.Run("VPC DNS attributes off: offered fix turns them on", func(t *testing.T) {
		_, env, s, _ := setup(t, nil)
		s.SetResource(steps.ResOfferDNS, "api.example.com") // the service has a private DNS name
		res := netCheck(t, env, s)
		c := check(t, res, "VPC DNS support and DNS hostnames on")
		wantFailed(t, c, "enableDnsHostnames false", "plwiz can turn them on")
		if c.Fix == nil {
			t.Fatal("no fix offered")
		}
		if err := c.Fix.Do(ctx, env, s); err != nil {
			t.Fatal(err)
		}
		if c := check(t, netCheck(t, env, s), "VPC DNS support"); !c.Passed {
			t.Errorf("after the fix: %+v", c)
		}
	})
	t.Run("no chosen subnet in a served AZ", func(t *testing.T) {
		_, env, s, unserved := setup(t, nil)
		// As if the service were served in one AZ none of the consumer's
		// subnets is in.
		s.SetResource(steps.ResServedZones, "use1-az9")
		res := netCheck(t, env, s)
		wantFailed(t, check(t, res, "subnet "+unserved[0]+" in a served AZ"), "use1-az", "AZ names differ between accounts, so compare AZ IDs")
		wantFailed(t, check(t, res, "at least one subnet in a served AZ"), "none", "Choose a subnet in an AZ the service serves")
		if !res.Failed(false) {
			t.Error("no served subnet must stop the flow")
		}
	})
	t.Run("security group without the port", func(t *testing.T) {
		var sg string
		_, env, s, _ := setup(t, func(w *sandbox.World, vpc string) {
			for id, g := range w.SecurityGroups {
				if g.VPCID == vpc {
					sg = id
				}
			}
		})
		s.SetInput(steps.InSecurityGroup, sg)
		res := netCheck(t, env, s)
		c := check(t, res, "security group allows the service port")
		wantFailed(t, c, sg+" does not allow it", "let plwiz create a group instead")
		if c.Fix == nil || c.Fix.Do(ctx, env, s) != nil || s.Input(steps.InSecurityGroup) != steps.CreateSecurityGroupValue {
			t.Errorf("the fix should switch to creating a group: %q", s.Input(steps.InSecurityGroup))
		}
	})
}

func TestPrivateDNSIsRefusedBeforeTheEndpointIsAvailable(t *testing.T) {
	ctx := context.Background()
	sb := sbtest.Start(t, sbtest.Options{})
	env, s := consumerReady(t, sb, true)
	s.SetResource(steps.ResOfferDNS, "api.example.com")
	f := facts(t, sb)
	s.SetInput(steps.InVPC, f.consumerVPC)
	s.SetInput(steps.InSubnets, f.consumerSubnets[0])
	flow := steps.ConsumerFlow()
	for _, id := range []string{steps.StepServiceCheck, steps.StepNetworkCheck, steps.StepCreateEndpoint} {
		if _, err := stepOf(t, flow, id).Do(ctx, env, s); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	_, err := stepOf(t, flow, steps.StepEnablePrivate).Do(ctx, env, s)
	if err == nil || !strings.Contains(err.Error(), "private DNS can be turned on only once the endpoint is available; "+s.Resource(steps.ResEndpointID)+" is pendingAcceptance") {
		t.Fatalf("enable private DNS before acceptance: %v", err)
	}
	var enabled bool
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		enabled = w.Endpoints[s.Resource(steps.ResEndpointID)].PrivateDNSEnabled
	})
	if enabled {
		t.Error("private DNS was turned on before acceptance")
	}
}
