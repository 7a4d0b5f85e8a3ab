package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/steps"
)

func TestDemoRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"demo", "--speed", "0"}, {"demo", "--speed", "-3"}, {"demo", "--speed", "NaN"}, {"demo", "--speed", "1e9"}, {"demo", "extra"},
		{"demo", "--scenario", "no-such"}, {"demo", "--scenario", "unhealthy-az,unhealthy-az"}} {
		code, _, stderr := runCLI(t, nil, args...)
		if code != exitBadInput {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitBadInput, stderr)
		}
		if !strings.Contains(stderr, "plwiz:") {
			t.Errorf("%v: no error message: %q", args, stderr)
		}
	}
}

// TestDemoSetupFillsInWhatANewcomerCannotKnow: the demo's sandbox runs on
// loopback, each party's client is its own account, the inputs a user
// would look up are filled in with the world's IDs (each valid for its
// step), the offer and the request go through one shared folder, and
// Close stops the sandbox and deletes everything.
func TestDemoSetupFillsInWhatANewcomerCannotKnow(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	d, err := startDemo(&demoOptions{speed: 10, seed: 42}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if !strings.HasPrefix(d.sb.URL(), "http://127.0.0.1:") || !strings.HasPrefix(d.sb.DNSAddr(), "127.0.0.1:") {
		t.Errorf("sandbox at %s, DNS at %s: want loopback", d.sb.URL(), d.sb.DNSAddr())
	}

	var lbOwner, vpcOwner string
	subnetVPC := map[string]string{}
	d.sb.World(func(w *sandbox.World, _ time.Time) {
		if lb := w.LoadBalancers[d.provider.sess.Input(steps.InNLB)]; lb != nil {
			lbOwner = lb.Owner
		}
		if v := w.VPCs[d.consumer.sess.Input(steps.InVPC)]; v != nil {
			vpcOwner = v.Owner
		}
		for id, sn := range w.Subnets {
			subnetVPC[id] = sn.VPCID
		}
	})
	ps, cs := d.provider.sess, d.consumer.sess
	if lbOwner != sandbox.ProviderAccountID {
		t.Errorf("NLB %q is owned by %q", ps.Input(steps.InNLB), lbOwner)
	}
	if vpcOwner != sandbox.ConsumerAccountID {
		t.Errorf("VPC %q is owned by %q", cs.Input(steps.InVPC), vpcOwner)
	}
	subnets := strings.Split(cs.Input(steps.InSubnets), ",")
	if len(subnets) != 3 {
		t.Errorf("subnets %v: want the three the NLB's AZs serve", subnets)
	}
	for _, id := range subnets {
		if subnetVPC[id] != cs.Input(steps.InVPC) {
			t.Errorf("subnet %s is in %q, not the consumer's VPC", id, subnetVPC[id])
		}
	}
	// The consumer's test runs on the VPC's managed instance, through SSM.
	var managed bool
	d.sb.World(func(w *sandbox.World, _ time.Time) {
		in := w.Diag.Instances[strings.TrimPrefix(cs.Input(steps.InProbeFrom), "ssm:")]
		managed = in != nil && in.SSM != nil && in.VPCID == cs.Input(steps.InVPC)
	})
	if !strings.HasPrefix(cs.Input(steps.InProbeFrom), "ssm:i-") || !managed {
		t.Errorf("probe from %q: want the consumer VPC's managed instance", cs.Input(steps.InProbeFrom))
	}
	if ps.Input(steps.InPrincipals) != sandbox.ConsumerAccountID || ps.Input(steps.InPrivateDNS) != "api.example.com" {
		t.Errorf("principals %q, private DNS %q", ps.Input(steps.InPrincipals), ps.Input(steps.InPrivateDNS))
	}
	offer, request := ps.Input(steps.InOfferOut), cs.Input(steps.InRequestOut)
	if filepath.Dir(offer) != d.shared || cs.Input(steps.InOffer) != offer || filepath.Dir(request) != d.shared || ps.Input(steps.InRequest) != request {
		t.Errorf("offer %q → %q, request %q → %q; want both in %s", offer, cs.Input(steps.InOffer), request, ps.Input(steps.InRequest), d.shared)
	}
	// Every filled-in answer passes its step's own validation, as the form
	// checks it.
	for _, p := range []demoParty{d.provider, d.consumer} {
		for _, st := range p.flow.Steps {
			if err := steps.ValidateInputs(st, p.sess); err != nil && len(steps.MissingInputs(st, p.sess)) == 0 {
				t.Errorf("%s %s: %v", p.flow.Role, st.ID, err)
			}
			// Outside the forms and handoffs, which show their answers
			// for an enter, the wizard asks what has no answer yet; the
			// demo leaves nothing there for a newcomer to decide.
			if st.Kind != steps.KindForm && st.Kind != steps.KindHandoff {
				for _, in := range steps.UnansweredInputs(st, p.sess) {
					t.Errorf("%s %s would stop to ask %q", p.flow.Role, st.ID, in.Label)
				}
			}
		}
		if p.env.BundleDir != d.shared || p.env.Probe.ResolverAddr != d.sb.DNSAddr() || p.env.Probe.RootCAs == nil {
			t.Errorf("%s env: bundle dir %q, resolver %q, CA pool %v", p.flow.Role, p.env.BundleDir, p.env.Probe.ResolverAddr, p.env.Probe.RootCAs != nil)
		}
		if _, err := os.Stat(p.sess.Path()); err != nil {
			t.Errorf("%s session not saved: %v", p.flow.Role, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pid, err := d.provider.env.AWS.Provider().Identity(ctx)
	if err != nil || pid.Account != sandbox.ProviderAccountID {
		t.Errorf("provider identity %+v, %v", pid, err)
	}
	cid, err := d.consumer.env.AWS.Consumer().Identity(ctx)
	if err != nil || cid.Account != sandbox.ConsumerAccountID {
		t.Errorf("consumer identity %+v, %v", cid, err)
	}

	url, dir := d.sb.URL(), d.dir
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the demo's folder %s is still there (%v)", dir, err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("the sandbox still answers at %s", url)
	}
	if err := d.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestDemoCrossRegionRunsToAPassingTest: plwiz demo --cross-region puts
// the consumer in us-west-2 with its VPC and subnets there (any AZ, as
// AWS allows across regions) and the provider's service supporting
// us-west-2; both parties, run as the demo sets them up, reach a passing
// connectivity test.
func TestDemoCrossRegionRunsToAPassingTest(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	d, err := startDemo(&demoOptions{speed: 500, seed: 7, crossRegion: true}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	ps, cs := d.provider.sess, d.consumer.sess
	if r := d.consumer.env.AWS.Region(); r != sandbox.SecondRegion {
		t.Errorf("consumer region %q, want %s", r, sandbox.SecondRegion)
	}
	if r := d.provider.env.AWS.Region(); r != sandbox.DefaultRegion {
		t.Errorf("provider region %q, want %s", r, sandbox.DefaultRegion)
	}
	if got := ps.Input(steps.InSupportedRegns); got != sandbox.SecondRegion {
		t.Errorf("provider's supported regions %q", got)
	}
	var vpcRegion string
	var zones []string
	d.sb.World(func(w *sandbox.World, _ time.Time) {
		vpcRegion = w.VPCRegion(cs.Input(steps.InVPC))
		for _, id := range strings.Split(cs.Input(steps.InSubnets), ",") {
			if sn := w.Subnets[id]; sn != nil {
				zones = append(zones, sn.AZID)
			}
		}
	})
	slices.Sort(zones)
	if vpcRegion != sandbox.SecondRegion || strings.Join(zones, ",") != "usw2-az1,usw2-az2,usw2-az3" {
		t.Fatalf("consumer VPC %s in %s, subnets in %v", cs.Input(steps.InVPC), vpcRegion, zones)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var pout, cout strings.Builder
	run := func(p demoParty, out *strings.Builder) error {
		return (&steps.Runner{Flow: p.flow, Session: p.sess, Env: p.env, Out: out, AssumeYes: true, WaitTimeout: 30 * time.Second,
			Backoff: func() *steps.Backoff {
				return &steps.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}
			}}).Run(ctx)
	}
	errs := make(chan error, 2)
	go func() { errs <- run(d.provider, &pout) }()
	go func() { errs <- run(d.consumer, &cout) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("%v\nprovider:\n%s\nconsumer:\n%s", err, pout.String(), cout.String())
		}
	}
	for _, want := range []string{"cross-region from us-west-2 to us-east-1", "✓ Connectivity test", "✓ HTTP https://api.example.com:"} {
		if !strings.Contains(cout.String(), want) {
			t.Errorf("consumer output lacks %q:\n%s", want, cout.String())
		}
	}
}
