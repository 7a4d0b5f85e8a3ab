package tui

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
)

// TestDemoCrossRegionToTheEnd plays the demo as plwiz demo --cross-region
// does: the provider in us-east-1 supports us-west-2, the consumer in
// us-west-2 connects across regions, and its connectivity test passes.
func TestDemoCrossRegionToTheEnd(t *testing.T) {
	t.Parallel()
	r := startSandboxDemoIn(t, 200, 50, "", sandbox.SecondRegion)
	r.providerToOffer()
	r.sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, svc := range w.Services {
			if !slices.Equal(svc.SupportedRegions, []string{"us-east-1", "us-west-2"}) {
				t.Errorf("service %s supports %v, want us-east-1 and us-west-2", svc.ID, svc.SupportedRegions)
			}
		}
	})
	endpoint := r.consumerToRequest()

	r.at("provider · Import the consumer's request — done", "enter")
	fr := r.at("provider · Accept the consumer's endpoint — the row marked ★ is the consumer's endpoint", "a")
	if !strings.Contains(fr, "★ "+endpoint) || !strings.Contains(fr, "from us-west-2 (cross-region)") {
		t.Errorf("the table does not show %s as a connection from us-west-2:\n%s", endpoint, fr)
	}
	r.at("provider · Accept the consumer's endpoint — complete: press enter to continue", "enter")
	r.at("provider · Check the load balancer again — every check passed", "enter")
	r.at("provider · Summary — done", "enter")
	r.at("The provider is done: press tab to play the consumer.", "tab")

	r.at("consumer · Turn on private DNS — press enter to go ahead", "enter")
	r.at("consumer · Turn on private DNS — done", "enter")
	fr = r.at("consumer · Connectivity test — every check passed", "enter")
	if !regexp.MustCompile(`\d+ passed, 0 failed`).MatchString(fr) || !strings.Contains(fr, "✓ DNS api.example.com") ||
		!strings.Contains(fr, ".us-east-1.vpce.amazonaws.com") || !strings.Contains(fr, "consumer · account 222222222222 · us-west-2") {
		t.Errorf("the cross-region connectivity test did not pass on screen:\n%s", fr)
	}
	r.at("consumer · Summary — done", "enter")
	r.at("Both parties are done")
	d := r.leave()
	if !d.Provider().Finished() || !d.Consumer().Finished() {
		t.Errorf("finished %v/%v", d.Provider().Finished(), d.Consumer().Finished())
	}
	r.sb.SB.World(func(w *sandbox.World, _ time.Time) {
		ep := w.Endpoints[endpoint]
		if ep == nil || ep.State != sandbox.EndpointAvailable || !ep.PrivateDNSEnabled || w.VPCRegion(ep.VPCID) != sandbox.SecondRegion {
			t.Errorf("endpoint %s in the sandbox: %+v", endpoint, ep)
		}
	})
}
