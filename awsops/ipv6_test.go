package awsops

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// dualstackNLB returns the world's dualstack load balancer as the provider
// lists it.
func (w *world) dualstackNLB(t *testing.T) LoadBalancer {
	t.Helper()
	lbs, err := w.p.ListNetworkLoadBalancers(sbtest.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, lb := range lbs {
		if lb.Name == sandbox.DualstackNLBName {
			return lb
		}
	}
	t.Fatal("no dualstack NLB in the world")
	return LoadBalancer{}
}

func TestDualstackServiceAndEndpointOverHTTP(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)

	// Provider: the dualstack NLB's network has IPv6; the demo NLB's third
	// subnet does not.
	ds := w.dualstackNLB(t)
	if ds.IPAddressType != Dualstack || len(ds.Zones) != 2 {
		t.Fatalf("dualstack NLB %+v", ds)
	}
	net6, err := w.p.LoadBalancerIPv6(ctx, ds)
	if err != nil || !net6.Ready() || len(net6.VPCBlocks) != 1 {
		t.Fatalf("LoadBalancerIPv6(dualstack): %+v, %v", net6, err)
	}
	arn, _ := w.nlb(t)
	demo, err := w.p.LoadBalancer(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.p.LoadBalancerIPv6(ctx, demo); err != nil || n.Ready() || len(n.SubnetsWithout) != 1 {
		t.Fatalf("LoadBalancerIPv6(demo): %+v, %v; want one subnet without IPv6", n, err)
	}

	// AWS's refusal of ipv6 on an ipv4 NLB is classified.
	_, err = w.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{arn}, IPAddressTypes: []string{IPv4, IPv6}})
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != KindIPAddressType || ae.Hint == "" {
		t.Fatalf("ipv6 on an ipv4 NLB: %v (%+v)", err, ae)
	}
	svc, err := w.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{ds.ARN}, IPAddressTypes: []string{IPv4, IPv6}, ClientToken: "ds"})
	if err != nil || !slices.Equal(svc.IPAddressTypes, []string{IPv4, IPv6}) {
		t.Fatalf("CreateService dualstack: %+v, %v", svc, err)
	}
	w.env.Advance(t, time.Minute)
	if err := w.p.AllowPrincipals(ctx, svc.ID, []string{"arn:aws:iam::" + w.account(t, "consumer").ID + ":root"}); err != nil {
		t.Fatal(err)
	}

	// Consumer: the service's types, the subnets' IPv6 blocks, what can
	// be offered.
	info, err := w.c.LookupService(ctx, svc.Name)
	if err != nil || !slices.Equal(info.IPAddressTypes, []string{IPv4, IPv6}) {
		t.Fatalf("LookupService: %+v, %v", info, err)
	}
	vpc, subnets := w.consumerNet(t, ctx)
	if len(vpc.IPv6CIDRs) != 1 {
		t.Errorf("VPC IPv6 blocks %v", vpc.IPv6CIDRs)
	}
	var with6, without6 []Subnet
	for _, s := range subnets {
		if s.HasIPv6() {
			with6 = append(with6, s)
		} else {
			without6 = append(without6, s)
		}
	}
	if len(with6) != 2 || len(without6) != 1 {
		t.Fatalf("subnets with IPv6 %d, without %d; want 2 and 1", len(with6), len(without6))
	}
	if got := EndpointIPTypes(info.IPAddressTypes, with6); !slices.Equal(got, []string{IPv4, Dualstack}) {
		t.Errorf("types for IPv6 subnets = %v", got)
	}
	if got := EndpointIPTypes(info.IPAddressTypes, subnets); !slices.Equal(got, []string{IPv4}) {
		t.Errorf("types with an IPv4-only subnet = %v", got)
	}
	if got := EndpointIPTypes([]string{IPv4}, with6); !slices.Equal(got, []string{IPv4}) {
		t.Errorf("types of an ipv4 service = %v", got)
	}

	// A subnet without IPv6 in a dualstack endpoint: AWS's refusal, classified.
	_, err = w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: []string{with6[0].ID, without6[0].ID}, IPAddressType: Dualstack})
	if !errors.As(err, &ae) || (ae.Kind != KindIPAddressType && ae.Kind != KindSubnetAZNotServed) {
		t.Fatalf("dualstack endpoint in an IPv4-only subnet: %v", err)
	}
	ep, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: subnetIDs(with6),
		IPAddressType: Dualstack, DNSRecordIPType: Dualstack, ClientToken: "ep"})
	if err != nil || ep.IPAddressType != Dualstack || ep.DNSRecordIPType != Dualstack {
		t.Fatalf("CreateEndpoint dualstack: %+v, %v", ep, err)
	}
	enis, err := w.c.EndpointENIs(ctx, ep)
	if err != nil || len(enis) != 2 {
		t.Fatalf("EndpointENIs: %+v, %v", enis, err)
	}
	for _, e := range enis {
		if len(e.IPv6Addresses) != 1 || e.PrivateIP == "" {
			t.Errorf("ENI %+v: want an IPv4 and an IPv6 address", e)
		}
	}

	// The endpoint's security group lets the VPC's IPv6 block in too.
	sg, err := w.c.CreateSecurityGroup(ctx, CreateSecurityGroupInput{VPCID: vpc.ID, Name: "v6", Port: 8443, CIDRs: append(slices.Clone(vpc.CIDRs), vpc.IPv6CIDRs...)})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := w.c.ListSecurityGroups(ctx, vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(groups, func(g SecurityGroup) bool { return g.ID == sg.ID })
	if i < 0 || !groups[i].Allows(8443, vpc.IPv6CIDRs[0]) || !groups[i].Allows(8443, vpc.CIDRs[0]) {
		t.Errorf("group %+v does not allow both families", groups)
	}
	p, _ := netip.ParsePrefix(vpc.IPv6CIDRs[0])
	if groups[i].Allows(8443, netip.PrefixFrom(p.Addr(), 48).Masked().String()) {
		t.Error("a rule for the VPC's /56 allows a /48")
	}
}

func TestServiceLoadBalancersAddRemoveOverHTTP(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	ds := w.dualstackNLB(t)
	svc := w.availableService(t, ctx, false)
	if err := w.p.ModifyService(ctx, svc.ID, ModifyServiceInput{AddNLBARNs: []string{ds.ARN}}); err != nil {
		t.Fatalf("add NLB: %v", err)
	}
	got, err := w.p.DescribeService(ctx, svc.ID)
	if err != nil || len(got.NLBARNs) != 2 {
		t.Fatalf("after adding: %+v, %v", got, err)
	}
	w.endpointTo(t, ctx, svc)
	err = w.p.ModifyService(ctx, svc.ID, ModifyServiceInput{RemoveNLBARNs: []string{ds.ARN}})
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != KindEndpointsAttached || ae.Code != "ExistingVpcEndpointConnections" {
		t.Fatalf("remove with an endpoint attached: %v", err)
	}
}
