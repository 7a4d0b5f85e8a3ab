package probe_test

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/plwiz/plwiz/probe"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

const privateName = "api.example.com"

// sandboxFlow is a sandbox with its data plane on, driven through the SDK
// as the two parties would: an endpoint service with a verified private DNS
// name, and a consumer endpoint created with private DNS off.
type sandboxFlow struct {
	env       *sbtest.Env
	d         sandbox.Delays
	ctx       context.Context
	prov      *ec2.Client
	cons      *ec2.Client
	serviceID string
	endpoint  types.VpcEndpoint
	port      int
}

func startSandboxFlow(t *testing.T) *sandboxFlow {
	t.Helper()
	d := sandbox.DefaultDelays()
	env := sbtest.Start(t, sbtest.Options{Delays: &d, DataPlane: true})
	f := &sandboxFlow{env: env, d: d, ctx: sbtest.Context(t),
		prov: ec2.NewFromConfig(env.Config(t, "provider")), cons: ec2.NewFromConfig(env.Config(t, "consumer"))}
	consumer := env.Account(t, "consumer")

	// Provider: the NLB and its listener port, a service with a private
	// DNS name, the consumer allowed, the name verified.
	lbs, err := elb.NewFromConfig(env.Config(t, "provider")).DescribeLoadBalancers(f.ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		t.Fatalf("describe load balancers: %v (%d)", err, len(lbs.LoadBalancers))
	}
	lbARN := aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)
	lns, err := elb.NewFromConfig(env.Config(t, "provider")).DescribeListeners(f.ctx, &elb.DescribeListenersInput{LoadBalancerArn: &lbARN})
	if err != nil || len(lns.Listeners) == 0 {
		t.Fatalf("describe listeners: %v", err)
	}
	f.port = int(aws.ToInt32(lns.Listeners[0].Port))

	sc, err := f.prov.CreateVpcEndpointServiceConfiguration(f.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{lbARN}, AcceptanceRequired: aws.Bool(true), PrivateDnsName: aws.String(privateName)})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	f.serviceID = aws.ToString(sc.ServiceConfiguration.ServiceId)
	env.Advance(t, d.ServiceAvailable)
	if _, err := f.prov.ModifyVpcEndpointServicePermissions(f.ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId: &f.serviceID, AddAllowedPrincipals: []string{"arn:aws:iam::" + consumer.ID + ":root"}}); err != nil {
		t.Fatalf("allow consumer: %v", err)
	}
	// The TXT record goes into the world directly: Route 53 record changes
	// are not served by the sandbox yet.
	txt := sc.ServiceConfiguration.PrivateDnsNameConfiguration
	var vpcID string
	var subnets []string
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, z := range w.HostedZones {
			if z.Name == "example.com." {
				z.Records = append(z.Records, sandbox.RecordSet{Name: aws.ToString(txt.Name) + "." + privateName + ".", Type: "TXT",
					TTL: 1800, Values: []string{`"` + aws.ToString(txt.Value) + `"`}})
			}
		}
		if v := w.AccountVPC(consumer.ID, ""); v != nil {
			vpcID = v.ID
		}
		seen := map[string]bool{}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if sn := w.Subnets[id]; sn.VPCID == vpcID && !seen[sn.AZID] {
				seen[sn.AZID] = true
				subnets = append(subnets, id)
			}
		}
	})
	if _, err := f.prov.StartVpcEndpointServicePrivateDnsVerification(f.ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{
		ServiceId: &f.serviceID}); err != nil {
		t.Fatalf("start verification: %v", err)
	}
	env.Advance(t, d.Verification)

	// Consumer: the endpoint, private DNS off.
	ep, err := f.cons.CreateVpcEndpoint(f.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: sc.ServiceConfiguration.ServiceName, VpcId: &vpcID, SubnetIds: subnets, PrivateDnsEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	f.endpoint = *ep.VpcEndpoint
	return f
}

// config is the probe's configuration the consumer flow would build from
// the endpoint: its ENI addresses and its vpce names, the sandbox's DNS
// server and CA.
func (f *sandboxFlow) config(t *testing.T) probe.Config {
	t.Helper()
	var addrs []netip.Addr
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, id := range f.endpoint.NetworkInterfaceIds {
			a, err := netip.ParseAddr(w.ENIs[id].PrivateIP)
			if err != nil {
				t.Fatalf("ENI %s address: %v", id, err)
			}
			addrs = append(addrs, a)
		}
	})
	var names []string
	for _, de := range f.endpoint.DnsEntries {
		if n := aws.ToString(de.DnsName); strings.HasPrefix(n, "vpce-") {
			names = append(names, n)
		}
	}
	if len(addrs) == 0 || len(names) < 2 {
		t.Fatalf("endpoint has addresses %v and names %v", addrs, names)
	}
	dnsAddr := f.env.SB.DNSAddr()
	r, err := probe.NewServerResolver(dnsAddr)
	if err != nil {
		t.Fatal(err)
	}
	return probe.Config{Name: privateName, Port: f.port, Addresses: addrs, VPCENames: names, CAFile: f.env.SB.CAFile(),
		HTTPPath: "/health", Resolver: r, ResolverAddr: dnsAddr, Timeout: 5 * time.Second}
}

// probe syncs the data plane with the world (API calls change it without
// moving the manual clock) and runs the check.
func (f *sandboxFlow) probe(t *testing.T, cfg probe.Config) probe.Report {
	t.Helper()
	if err := f.env.SB.SyncDataPlane(); err != nil {
		t.Fatalf("sync data plane: %v", err)
	}
	rep, err := probe.Check(f.ctx, cfg)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return rep
}

func (f *sandboxFlow) accept(t *testing.T) {
	t.Helper()
	out, err := f.prov.AcceptVpcEndpointConnections(f.ctx, &ec2.AcceptVpcEndpointConnectionsInput{
		ServiceId: &f.serviceID, VpcEndpointIds: []string{aws.ToString(f.endpoint.VpcEndpointId)}})
	if err != nil || len(out.Unsuccessful) != 0 {
		t.Fatalf("accept: %v %+v", err, out)
	}
	f.env.Advance(t, f.d.EndpointPending+f.d.EndpointAvailable)
}

func (f *sandboxFlow) enablePrivateDNS(t *testing.T) {
	t.Helper()
	// The VPC attributes go into the world directly: ModifyVpcAttribute is
	// not served by the sandbox yet.
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		v := w.VPCs[aws.ToString(f.endpoint.VpcId)]
		v.EnableDNSSupport, v.EnableDNSHostnames = true, true
	})
	if _, err := f.cons.ModifyVpcEndpoint(f.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: f.endpoint.VpcEndpointId,
		PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatalf("enable private DNS: %v", err)
	}
}

// verdicts summarises a report as "step:verdict" in order.
func verdicts(rep probe.Report) []string {
	var out []string
	for _, r := range rep.Results {
		out = append(out, string(r.Step)+":"+string(r.Verdict))
	}
	return out
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestSandboxEndpointLifecycle(t *testing.T) {
	f := startSandboxFlow(t)
	cfg := f.config(t)
	n, v := len(cfg.Addresses), len(cfg.VPCENames)
	port := strconv.Itoa(f.port)

	t.Run("before acceptance TCP fails", func(t *testing.T) {
		rep := f.probe(t, cfg)
		want := slices.Concat([]string{"dns:fail"}, repeat("dns:pass", v), repeat("tcp:fail", n), repeat("tls:skipped", n), repeat("http:skipped", n))
		if got := verdicts(rep); !slices.Equal(got, want) {
			t.Fatalf("verdicts %v, want %v", got, want)
		}
		for _, r := range rep.Results[1+v : 1+v+n] {
			if r.Seen != "connection refused" || !strings.Contains(r.Hint, "pending acceptance by the provider") {
				t.Errorf("tcp %s: seen %q, hint %q", r.Target, r.Seen, r.Hint)
			}
		}
	})

	f.accept(t)
	t.Run("accepted, private DNS off: DNS fails with the private DNS hint, the endpoint works", func(t *testing.T) {
		rep := f.probe(t, cfg)
		want := slices.Concat([]string{"dns:fail"}, repeat("dns:pass", v), repeat("tcp:pass", n), repeat("tls:pass", n), repeat("http:pass", n))
		if got := verdicts(rep); !slices.Equal(got, want) {
			t.Fatalf("verdicts %v, want %v\n%+v", got, want, rep.Results)
		}
		d := rep.Results[0]
		if d.Seen != "no such name (NXDOMAIN, or no A/AAAA records)" ||
			!strings.Contains(d.Hint, "private DNS is not enabled on the endpoint yet") ||
			!strings.Contains(d.Hint, "From a host inside the VPC run: plwiz check --name api.example.com --port "+port) {
			t.Errorf("dns: seen %q, hint %q", d.Seen, d.Hint)
		}
		h := rep.Results[len(rep.Results)-1]
		if !strings.HasPrefix(h.Seen, `status 200 OK, body "plwiz sandbox: com.amazonaws.vpce.us-east-1.`+f.serviceID) {
			t.Errorf("http seen %q", h.Seen)
		}
	})

	f.enablePrivateDNS(t)
	t.Run("private DNS on, not yet propagated", func(t *testing.T) {
		rep := f.probe(t, cfg)
		if r := rep.Results[0]; r.Verdict != probe.Fail || !strings.Contains(r.Hint, "private DNS is not enabled") {
			t.Errorf("dns before propagation: %+v", r)
		}
	})

	f.env.Advance(t, f.d.PrivateDNSPropagate)
	t.Run("available with private DNS on: all pass", func(t *testing.T) {
		rep := f.probe(t, cfg)
		if !rep.OK() || rep.OutsideVPC {
			t.Fatalf("OK=%v outside=%v: %v\n%+v", rep.OK(), rep.OutsideVPC, verdicts(rep), rep.Results)
		}
		if p, _, _ := rep.Counts(); p != 1+v+3*n {
			t.Errorf("%d passed, want %d", p, 1+v+3*n)
		}
		d := rep.Results[0]
		if d.Target != privateName || d.Warning != "" || !strings.HasPrefix(d.Expected, "the endpoint's addresses ") {
			t.Errorf("dns %+v", d)
		}
		for _, r := range rep.Results {
			if r.Step == probe.StepTLS && (!strings.Contains(r.Seen, "certificate for ") || !strings.Contains(r.Seen, privateName)) {
				t.Errorf("tls seen %q", r.Seen)
			}
		}
	})

	t.Run("without the sandbox CA the certificate is untrusted", func(t *testing.T) {
		c := cfg
		c.CAFile, c.HTTPPath = "", ""
		rep := f.probe(t, c)
		for _, r := range rep.Results {
			if r.Step != probe.StepTLS {
				continue
			}
			if r.Verdict != probe.Fail || !strings.Contains(r.Hint, "pass the provider's CA certificate with --ca FILE") {
				t.Errorf("tls %s: %s, hint %q", r.Target, r.Verdict, r.Hint)
			}
		}
	})

	t.Run("a name the certificate does not cover", func(t *testing.T) {
		c := cfg
		c.Name, c.VPCENames, c.HTTPPath = "other.example.com", nil, ""
		rep := f.probe(t, c)
		for _, r := range rep.Results {
			if r.Step == probe.StepTLS && (r.Verdict != probe.Fail || !strings.Contains(r.Hint, "not other.example.com")) {
				t.Errorf("tls %s: %s, seen %q, hint %q", r.Target, r.Verdict, r.Seen, r.Hint)
			}
		}
	})
}
