package steps_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// newPartyIn is newParty with a client of another region, as --region
// gives one.
func newPartyIn(t testing.TB, sb *sbtest.Env, account string, role steps.Role, dir, region string) *party {
	t.Helper()
	p := newParty(t, sb, account, role, dir)
	client, err := awsops.New(sb.ConfigIn(t, account, region), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.env.AWS = client
	return p
}

// crossRegionInputs gives the provider (us-east-1) and the consumer
// (us-west-2) the answers a user would; supported are the provider's
// --supported-regions.
func crossRegionInputs(t testing.TB, sb *sbtest.Env, dir, supported string, provider, consumer *party) {
	t.Helper()
	f := facts(t, sb)
	var vpc string
	var subnets []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		vpc = w.AccountVPC(sandbox.ConsumerAccountID, "us-west-2").ID
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if w.Subnets[id].VPCID == vpc {
				subnets = append(subnets, id)
			}
		}
	})
	offer, request := filepath.Join(dir, "offer.json"), filepath.Join(dir, "request.json")
	for k, v := range map[string]string{
		steps.InNLB: f.nlbARN, steps.InPrincipals: sandbox.ConsumerAccountID, steps.InPrivateDNS: "api.example.com",
		steps.InOfferOut: offer, steps.InRequest: request, steps.InAcceptance: "true", steps.InWriteTXT: "true",
		steps.InSupportedRegns: supported,
	} {
		provider.session.SetInput(k, v)
	}
	for k, v := range map[string]string{
		steps.InOffer: offer, steps.InVPC: vpc, steps.InSubnets: strings.Join(subnets, ","),
		steps.InSecurityGroup: steps.CreateSecurityGroupValue, steps.InRequestOut: request,
	} {
		consumer.session.SetInput(k, v)
	}
}

// runParties runs both parties' flows at once and returns their errors.
func runParties(provider, consumer *party) (perr, cerr error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); perr = provider.runner(steps.ProviderFlow()).Run(ctx) }()
	go func() { defer wg.Done(); cerr = consumer.runner(steps.ConsumerFlow()).Run(ctx) }()
	wg.Wait()
	return perr, cerr
}

// TestHeadlessCrossRegionFlow: the provider in us-east-1 supports
// us-west-2; the consumer, run with us-west-2 as its region, connects
// across regions and its connectivity test passes on loopback.
func TestHeadlessCrossRegionFlow(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newPartyIn(t, sb, "consumer", steps.RoleConsumer, dir, "us-west-2")
	crossRegionInputs(t, sb, dir, "us-west-2", provider, consumer)
	perr, cerr := runParties(provider, consumer)
	if perr != nil || cerr != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", perr, provider.out.String(), cerr, consumer.out.String())
	}
	var ep *sandbox.Endpoint
	var epRegion string
	var svc *sandbox.Service
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, e := range w.Endpoints {
			ep, epRegion = e, w.VPCRegion(e.VPCID)
		}
		for _, s := range w.Services {
			svc = s
		}
	})
	if ep == nil || epRegion != "us-west-2" || ep.State != sandbox.EndpointAvailable || !ep.PrivateDNSEnabled {
		t.Fatalf("endpoint %+v in %s: want an available endpoint in us-west-2 with private DNS on", ep, epRegion)
	}
	if !slices.Equal(svc.SupportedRegions, []string{"us-east-1", "us-west-2"}) || !strings.Contains(svc.Name, ".us-east-1.") {
		t.Fatalf("service %s supports %v", svc.Name, svc.SupportedRegions)
	}
	for _, want := range []string{"✓ Check the service", "cross-region from us-west-2 to us-east-1", "any AZ of your region",
		"✓ Connectivity test", "✓ DNS api.example.com", "✓ TLS", "✓ HTTP", "✓ Summary: use api.example.com:8443"} {
		if !strings.Contains(consumer.out.String(), want) {
			t.Errorf("consumer output lacks %q:\n%s", want, consumer.out.String())
		}
	}
	for _, want := range []string{"reachable from us-east-1, us-west-2", "Available in us-east-1, us-west-2", "✓ Accept the consumer's endpoint: accepted " + ep.ID} {
		if !strings.Contains(provider.out.String(), want) {
			t.Errorf("provider output lacks %q:\n%s", want, provider.out.String())
		}
	}
	if got := consumer.session.Resource(steps.ResOfferRegions); got != "us-east-1,us-west-2" {
		t.Errorf("the consumer read the offer's supported regions as %q", got)
	}
}

// TestCrossRegionRefusals: what plwiz says before AWS refuses, and what it
// makes of AWS's refusals, for the two parties.
func TestCrossRegionRefusals(t *testing.T) {
	t.Run("provider asks for an opt-in region not enabled", func(t *testing.T) {
		sb := fastWorld(t)
		dir := t.TempDir()
		provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
		consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
		crossRegionInputs(t, sb, dir, "us-west-2,eu-south-1", provider, consumer)
		err := provider.runner(steps.ProviderFlow()).Run(context.Background())
		var re *steps.RunError
		if !errors.As(err, &re) || re.Code != steps.ExitBadInput || re.Step != steps.StepCreateService ||
			!strings.Contains(err.Error(), "eu-south-1 is an opt-in region that account "+sandbox.ProviderAccountID+" has not enabled") {
			t.Fatalf("provider: %v\n%s", err, provider.out.String())
		}
		if n := countResources(sb).services; n != 0 {
			t.Errorf("%d services made; plwiz should refuse before asking AWS", n)
		}
	})
	t.Run("consumer's region not supported", func(t *testing.T) {
		sb := fastWorld(t)
		dir := t.TempDir()
		provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
		consumer := newPartyIn(t, sb, "consumer", steps.RoleConsumer, dir, "us-west-2")
		crossRegionInputs(t, sb, dir, "", provider, consumer)
		provider.session.SetInput(steps.InPrivateDNS, "")
		if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(context.Background()); err != nil {
			t.Fatalf("provider: %v\n%s", err, provider.out.String())
		}
		err := consumer.runner(steps.ConsumerFlow()).Run(context.Background())
		var re *steps.RunError
		if !errors.As(err, &re) || re.Step != steps.StepServiceCheck {
			t.Fatalf("consumer: %v\n%s", err, consumer.out.String())
		}
		for _, want := range []string{"your region supported (cross-region)", "does not accept connections from us-west-2",
			"plwiz provider --service-id " + provider.session.Resource(steps.ResServiceID) + " --supported-regions us-west-2"} {
			if !strings.Contains(consumer.out.String()+err.Error(), want) {
				t.Errorf("consumer says nothing of %q:\n%s\n%v", want, consumer.out.String(), err)
			}
		}
	})
	t.Run("consumer without vpce:AllowMultiRegion", func(t *testing.T) {
		sb := fastWorld(t)
		sb.SB.World(func(w *sandbox.World, _ time.Time) {
			w.AccountByName("consumer").Denied = []string{awsops.AllowMultiRegion}
		})
		dir := t.TempDir()
		provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
		consumer := newPartyIn(t, sb, "consumer", steps.RoleConsumer, dir, "us-west-2")
		crossRegionInputs(t, sb, dir, "us-west-2", provider, consumer)
		provider.session.SetInput(steps.InPrivateDNS, "")
		if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(context.Background()); err != nil {
			t.Fatalf("provider: %v\n%s", err, provider.out.String())
		}
		err := consumer.runner(steps.ConsumerFlow()).Run(context.Background())
		var re *steps.RunError
		if !errors.As(err, &re) || re.Step != steps.StepCreateEndpoint || awsops.KindOf(err) != awsops.KindAccessDenied ||
			!strings.Contains(re.Hint, "Grant vpce:AllowMultiRegion") {
			t.Fatalf("consumer: %v (hint %q)\n%s", err, hintOf(re), consumer.out.String())
		}
	})
}

func hintOf(re *steps.RunError) string {
	if re == nil {
		return ""
	}
	return re.Hint
}
