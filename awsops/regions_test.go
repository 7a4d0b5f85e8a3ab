package awsops

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// consumerIn is a consumer client of the world calling another region.
func (w *world) consumerIn(t *testing.T, region string) *Consumer {
	t.Helper()
	c, err := New(w.env.ConfigIn(t, "consumer", region), Options{MaxBackoff: 2 * time.Millisecond, Timeout: 10 * time.Second,
		APIOptions: []func(*middleware.Stack) error{w.rec.option(RoleConsumer)}})
	if err != nil {
		t.Fatal(err)
	}
	return c.Consumer()
}

func TestRegionsAndTheirProblems(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	regions, err := w.p.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range regions {
		got = append(got, r.Name+"="+r.OptInStatus)
	}
	if want := []string{"eu-south-1=not-opted-in", "us-east-1=opt-in-not-required", "us-west-2=opt-in-not-required"}; !slices.Equal(got, want) {
		t.Fatalf("regions %v, want %v", got, want)
	}
	acct := w.account(t, "provider").ID
	if p := RegionProblem(regions, "us-west-2", acct); p != "" {
		t.Errorf("us-west-2: %s", p)
	}
	if p := RegionProblem(regions, "eu-south-1", acct); !strings.Contains(p, "opt-in region that account "+acct+" has not enabled") ||
		!strings.Contains(p, "aws account enable-region --region-name eu-south-1") {
		t.Errorf("eu-south-1: %q", p)
	}
	if p := RegionProblem(regions, "ap-nowhere-1", acct); !strings.Contains(p, "not a region of this partition") {
		t.Errorf("unknown region: %q", p)
	}
}

// TestCrossRegionThroughAWSOps: a service of us-east-1 that supports
// us-west-2, looked up and connected to by a consumer client of us-west-2.
func TestCrossRegionThroughAWSOps(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	arn, _ := w.nlb(t)
	svc, err := w.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{arn}, AcceptanceRequired: true, SupportedRegions: []string{"us-west-2"}, ClientToken: "x1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(svc.SupportedRegions, []string{"us-east-1", "us-west-2"}) || !svc.RemoteAccess || svc.RegionStates["us-west-2"] != ServicePending {
		t.Fatalf("service regions %v remote %v states %v", svc.SupportedRegions, svc.RemoteAccess, svc.RegionStates)
	}
	w.env.Advance(t, time.Minute)
	cons := w.account(t, "consumer").ID
	if err := w.p.AllowPrincipals(ctx, svc.ID, []string{"arn:aws:iam::" + cons + ":root"}); err != nil {
		t.Fatal(err)
	}

	west := w.consumerIn(t, "us-west-2")
	_, err = west.LookupService(ctx, svc.Name)
	var e *Error
	if KindOf(err) != KindServiceNotVisible || !errors.As(err, &e) || !strings.Contains(e.Hint, "pass --region us-east-1, or connect across regions if the provider supports us-west-2") {
		t.Fatalf("lookup without the service region: %v (%+v)", err, e)
	}
	info, err := west.LookupServiceIn(ctx, svc.Name, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Region != "us-east-1" || !info.CrossRegion || info.Owner != w.account(t, "provider").ID ||
		!slices.Equal(info.ZoneIDs(), []string{"use1-az1", "use1-az2", "use1-az3"}) {
		t.Fatalf("cross-region lookup: %+v", info)
	}
	vpcs, err := west.ListVPCs(ctx)
	if err != nil || len(vpcs) != 1 {
		t.Fatalf("us-west-2 VPCs: %v %+v", err, vpcs)
	}
	subnets, err := west.ListSubnets(ctx, vpcs[0].ID)
	if err != nil || len(subnets) != 3 {
		t.Fatalf("us-west-2 subnets: %v %d", err, len(subnets))
	}
	var ids []string
	for _, s := range subnets {
		ids = append(ids, s.ID)
	}
	ep, err := west.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, ServiceRegion: "us-east-1", VPCID: vpcs[0].ID, SubnetIDs: ids, ClientToken: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	if ep.ServiceRegion != "us-east-1" || ep.State != EndpointPendingAcceptance || len(ep.DNSEntries) != 1 {
		t.Fatalf("cross-region endpoint %+v", ep)
	}
	conns, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{})
	if err != nil || len(conns) != 1 || conns[0].Region != "us-west-2" || conns[0].EndpointID != ep.ID {
		t.Fatalf("connections %v %+v", err, conns)
	}
	// A service that does not support us-west-2 is not visible from it.
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) { wd.Services[svc.ID].SupportedRegions = []string{"us-east-1"} })
	_, err = west.LookupServiceIn(ctx, svc.Name, "us-east-1")
	if KindOf(err) != KindServiceNotVisible || !errors.As(err, &e) ||
		!strings.Contains(e.Hint, "add us-west-2 to the service's supported regions (plwiz provider --supported-regions us-west-2)") {
		t.Fatalf("lookup of a service not supporting us-west-2: %v (%+v)", err, e)
	}
}

// TestCrossRegionRefusalsClassified: AWS's refusals of cross-region calls
// come back with a kind and a hint that say what to do.
func TestCrossRegionRefusalsClassified(t *testing.T) {
	t.Parallel()
	ctx := sbtest.Context(t)
	w := startWorld(t, sbtest.Options{Scenario: "no-multi-region"})
	arn, _ := w.nlb(t)
	_, err := w.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{arn}, SupportedRegions: []string{"us-west-2"}})
	var e *Error
	if KindOf(err) != KindAccessDenied || !errors.As(err, &e) || e.Action != AllowMultiRegion ||
		!strings.Contains(e.Hint, "Grant vpce:AllowMultiRegion") || !strings.Contains(e.Hint, "plwiz iam-policy provider") {
		t.Fatalf("create without vpce:AllowMultiRegion: %v (%+v)", err, e)
	}
	svc := w.availableService(t, ctx, true)
	west := w.consumerIn(t, "us-west-2")
	vpcs, err := west.ListVPCs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := west.ListSubnets(ctx, vpcs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = west.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, ServiceRegion: "us-east-1", VPCID: vpcs[0].ID, SubnetIDs: []string{subnets[0].ID}})
	if KindOf(err) != KindAccessDenied || !errors.As(err, &e) || e.Action != AllowMultiRegion || !strings.Contains(e.Hint, "plwiz iam-policy consumer") {
		t.Fatalf("consumer without vpce:AllowMultiRegion: %v (%+v)", err, e)
	}

	w2 := startWorld(t, sbtest.Options{})
	arn, _ = w2.nlb(t)
	_, err = w2.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{arn}, SupportedRegions: []string{"eu-south-1"}})
	if KindOf(err) != KindRegionNotEnabled || !errors.As(err, &e) || !strings.Contains(e.Hint, "aws account enable-region") {
		t.Fatalf("an opt-in region not enabled: %v (%+v)", err, e)
	}
	// A region the account has not enabled refuses the credentials.
	_, err = w2.consumerIn(t, "eu-south-1").ListVPCs(ctx)
	if KindOf(err) != KindCredentials || !errors.As(err, &e) || !strings.Contains(e.Hint, "If eu-south-1 is an opt-in region, check that your account has enabled it.") {
		t.Fatalf("calls to a region not enabled: %v (%+v)", err, e)
	}
}

func TestPolicyAllowsCrossRegion(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{RoleProvider, RoleConsumer} {
		pol, err := IAMPolicy(role)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(pol.Statement, func(s PolicyStatement) bool { return strings.HasSuffix(s.Sid, "CrossRegion") })
		if i < 0 || !slices.Equal(pol.Statement[i].Action, []string{AllowMultiRegion}) {
			t.Errorf("%s policy: no statement of its own for %s: %+v", role, AllowMultiRegion, pol.Statement)
		}
		if !slices.Contains(pol.Actions(), "ec2:DescribeRegions") {
			t.Errorf("%s policy lacks ec2:DescribeRegions", role)
		}
	}
}
