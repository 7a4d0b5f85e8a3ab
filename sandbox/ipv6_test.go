package sandbox_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/dataplane"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// dualstackNLB is the default world's dualstack load balancer.
func (e *plEnv) dualstackNLB(t *testing.T) string {
	t.Helper()
	var arn string
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, k := range sandbox.SortedKeys(w.LoadBalancers) {
			if w.LoadBalancers[k].Name == sandbox.DualstackNLBName {
				arn = k
			}
		}
	})
	if arn == "" {
		t.Fatal("the default world has no dualstack NLB")
	}
	return arn
}

// dualstackService creates an Available service supporting ipv4 and ipv6
// on nlbs, without acceptance, allowed to the consumer.
func (e *plEnv) dualstackService(t *testing.T, nlbs ...string) *types.ServiceConfiguration {
	t.Helper()
	out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: nlbs, AcceptanceRequired: aws.Bool(false), SupportedIpAddressTypes: []string{"ipv4", "ipv6"},
	})
	if err != nil {
		t.Fatalf("create dualstack service: %v", err)
	}
	e.Advance(t, e.d.ServiceAvailable)
	e.allow(t, *out.ServiceConfiguration.ServiceId, "arn:aws:iam::"+e.consAcct.ID+":root")
	return out.ServiceConfiguration
}

func TestIPv6BlocksOfVPCsAndSubnets(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	for _, c := range []*ec2.Client{e.prov, e.cons} {
		vpcs, err := c.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
		if err != nil || len(vpcs.Vpcs) != 1 {
			t.Fatalf("describe VPCs: %v", err)
		}
		v := vpcs.Vpcs[0]
		if len(v.Ipv6CidrBlockAssociationSet) != 1 {
			t.Fatalf("VPC %s has %d IPv6 blocks, want 1", aws.ToString(v.VpcId), len(v.Ipv6CidrBlockAssociationSet))
		}
		block := v.Ipv6CidrBlockAssociationSet[0]
		vp, err := netip.ParsePrefix(aws.ToString(block.Ipv6CidrBlock))
		if err != nil || vp.Bits() != 56 || !vp.Addr().Is6() || block.Ipv6CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated ||
			!strings.HasPrefix(aws.ToString(block.AssociationId), "vpc-cidr-assoc-") {
			t.Errorf("VPC IPv6 block = %+v", block)
		}
		subnets, err := c.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{})
		if err != nil || len(subnets.Subnets) != 3 {
			t.Fatalf("describe subnets: %v", err)
		}
		withIPv6 := 0
		for _, sn := range subnets.Subnets {
			for _, a := range sn.Ipv6CidrBlockAssociationSet {
				sp, err := netip.ParsePrefix(aws.ToString(a.Ipv6CidrBlock))
				if err != nil || sp.Bits() != 64 || !vp.Contains(sp.Addr()) || a.Ipv6CidrBlockState.State != types.SubnetCidrBlockStateCodeAssociated {
					t.Errorf("subnet %s IPv6 block %+v is not a /64 of %s", aws.ToString(sn.SubnetId), a, vp)
				}
				withIPv6++
			}
			if aws.ToBool(sn.Ipv6Native) {
				t.Errorf("subnet %s is IPv6-only", aws.ToString(sn.SubnetId))
			}
		}
		if withIPv6 != 2 {
			t.Errorf("%d subnets have IPv6, want 2 of 3", withIPv6)
		}
		// The filter AWS documents finds a subnet by its IPv6 block.
		some := subnets.Subnets[0].Ipv6CidrBlockAssociationSet
		if len(some) == 0 {
			some = subnets.Subnets[1].Ipv6CidrBlockAssociationSet
		}
		byBlock, err := c.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{
			Name: aws.String("ipv6-cidr-block-association.ipv6-cidr-block"), Values: []string{aws.ToString(some[0].Ipv6CidrBlock)}}}})
		if err != nil || len(byBlock.Subnets) != 1 {
			t.Errorf("filter by IPv6 block: %v, %d subnets", err, len(byBlock.Subnets))
		}
	}
}

func TestDualstackServiceNeedsDualstackLoadBalancers(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	ipv4NLB, dsNLB := e.nlb(t), e.dualstackNLB(t)
	_, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{dsNLB, ipv4NLB}, SupportedIpAddressTypes: []string{"ipv4", "ipv6"},
	})
	plAPIError(t, err, "InvalidParameter", "The service cannot support the IP address type ipv6: load balancer "+ipv4NLB+
		" uses the IP address type ipv4, and every load balancer of a service that supports ipv6 must use dualstack.")
	_, err = e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{dsNLB}, SupportedIpAddressTypes: []string{"dualstack"},
	})
	plAPIError(t, err, "InvalidParameterValue", "Value (dualstack) for parameter SupportedIpAddressType is invalid. Expected: 'ipv4' or 'ipv6'.")

	sc := e.dualstackService(t, dsNLB)
	got := e.service(t, *sc.ServiceId)
	if !slices.Equal(got.SupportedIpAddressTypes, []types.ServiceConnectivityType{"ipv4", "ipv6"}) || len(got.AvailabilityZoneIds) != 2 {
		t.Errorf("service: types %v, zones %v; want ipv4, ipv6 in the dualstack NLB's two zones", got.SupportedIpAddressTypes, got.AvailabilityZoneIds)
	}
	// An ipv4 load balancer cannot join a service that supports ipv6.
	_, err = e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: sc.ServiceId, AddNetworkLoadBalancerArns: []string{ipv4NLB}})
	plAPIError(t, err, "InvalidParameter", "")
	if n := len(e.service(t, *sc.ServiceId).NetworkLoadBalancerArns); n != 1 {
		t.Errorf("a refused modify left %d load balancers", n)
	}
	// The consumer sees the types.
	seen, err := e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{*sc.ServiceName}})
	if err != nil || len(seen.ServiceDetails) != 1 || len(seen.ServiceDetails[0].SupportedIpAddressTypes) != 2 {
		t.Fatalf("consumer's view: %v %+v", err, seen)
	}
}

func TestDualstackEndpointRefusals(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	ds := e.dualstackService(t, e.dualstackNLB(t))
	v4 := e.availableService(t, false, "")
	create := func(service string, ipType types.IpAddressType, record types.DnsRecordIpType, azs ...string) error {
		in := &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: aws.String(service),
			VpcId: aws.String(vpcID), IpAddressType: ipType}
		for _, az := range azs {
			in.SubnetIds = append(in.SubnetIds, subnets[az])
		}
		if record != "" {
			in.DnsOptions = &types.DnsOptionsSpecification{DnsRecordIpType: record}
		}
		_, err := e.cons.CreateVpcEndpoint(e.ctx, in)
		return err
	}
	plAPIError(t, create(*v4.ServiceName, "dualstack", "", "use1-az1"), "InvalidParameter",
		"The VPC endpoint service "+*v4.ServiceName+" does not support IP address type dualstack.")
	plAPIError(t, create(*ds.ServiceName, "ipv6", "", "use1-az1"), "InvalidParameter",
		"The subnet "+subnets["use1-az1"]+" has an IPv4 address range. An endpoint of IP address type ipv6 needs IPv6-only subnets.")
	plAPIError(t, create(*ds.ServiceName, "ipv4", "ipv6", "use1-az1"), "InvalidParameter",
		"The DNS record IP type ipv6 is not compatible with the IP address type ipv4 of the endpoint.")
	plAPIError(t, create(*ds.ServiceName, "dualstack", "bogus", "use1-az1"), "InvalidParameterValue", "")
	plAPIError(t, create(*ds.ServiceName, "sideways", "", "use1-az1"), "InvalidParameterValue", "Value (sideways) for parameter IpAddressType is invalid.")

	// A dualstack service in an AZ it does not serve: the AZ rule first.
	plAPIError(t, create(*ds.ServiceName, "dualstack", "", "use1-az3"), "InvalidParameter", "")
	// Served AZs, but a subnet without IPv6: add a dualstack NLB in az3
	// to serve it, so only the subnet is wrong.
	e.SB.World(func(w *sandbox.World, now time.Time) {
		for _, k := range sandbox.SortedKeys(w.Services) {
			if s := w.Services[k]; s.ID == *ds.ServiceId {
				for _, sn := range w.Subnets {
					if sn.Owner == e.provAcct.ID && sn.AZID == "use1-az3" {
						sn.IPv6CIDR = "fd00:0:0:ff::/64"
						lb := w.LoadBalancers[s.NLBARNs[0]]
						lb.SubnetIDs = append(lb.SubnetIDs, sn.ID)
					}
				}
			}
		}
	})
	plAPIError(t, create(*ds.ServiceName, "dualstack", "", "use1-az1", "use1-az3"), "InvalidParameter",
		"The subnet "+subnets["use1-az3"]+" does not have an IPv6 CIDR block. An endpoint of IP address type dualstack needs subnets with both IPv4 and IPv6 address ranges.")

	// What works: dualstack in the subnets with IPv6; its interfaces get
	// the sandbox's IPv6 address and its DNS records both types.
	out, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: ds.ServiceName, VpcId: aws.String(vpcID), SubnetIds: []string{subnets["use1-az1"], subnets["use1-az2"]},
		IpAddressType: types.IpAddressTypeDualstack})
	if err != nil {
		t.Fatal(err)
	}
	ep := out.VpcEndpoint
	if ep.IpAddressType != types.IpAddressTypeDualstack || ep.DnsOptions == nil || ep.DnsOptions.DnsRecordIpType != types.DnsRecordIpTypeDualstack {
		t.Errorf("endpoint type %s, DNS options %+v; want dualstack, dualstack", ep.IpAddressType, ep.DnsOptions)
	}
	enis, err := e.cons.DescribeNetworkInterfaces(e.ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
	if err != nil || len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("interfaces: %v", err)
	}
	for _, n := range enis.NetworkInterfaces {
		if len(n.Ipv6Addresses) != 1 || aws.ToString(n.Ipv6Addresses[0].Ipv6Address) != "::1" || aws.ToString(n.PrivateIpAddress) == "" {
			t.Errorf("interface %s: IPv4 %q, IPv6 %+v; want an IPv4 address and ::1", aws.ToString(n.NetworkInterfaceId), aws.ToString(n.PrivateIpAddress), n.Ipv6Addresses)
		}
	}
	byType, err := e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("ip-address-type"), Values: []string{"dualstack"}}}})
	if err != nil || len(byType.VpcEndpoints) != 1 {
		t.Errorf("filter ip-address-type=dualstack: %v", err)
	}
	// Adding a subnet without IPv6 to it is refused too.
	_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: []string{subnets["use1-az3"]}})
	plAPIError(t, err, "InvalidParameter", "")
}

// requestOver sends GET /health over TLS to addr with the server name and
// returns the X-Plwiz-Service header (the service answering).
func requestOver(t *testing.T, env *sbtest.Env, addr, serverName string) (string, error) {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: env.SB.CAPool(), ServerName: serverName},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
	}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + serverName + "/health")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header.Get("X-Plwiz-Service"), nil
}

func TestDualstackDataPlane(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{DataPlane: true})
	if !e.SB.IPv6Served() {
		t.Skip("this machine has no IPv6 loopback address ::1, so the sandbox cannot serve the IPv6 side: " + dataplane.IPv6Unavailable)
	}
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	dsNLB := e.dualstackNLB(t)
	// A second dualstack NLB on the same port, for a second service that
	// shares [::1] with the first.
	var secondNLB string
	var port int32
	e.SB.World(func(w *sandbox.World, now time.Time) {
		first := w.LoadBalancers[dsNLB]
		secondNLB = strings.Replace(first.ARN, sandbox.DualstackNLBName, "second-dualstack", 1)
		w.LoadBalancers[secondNLB] = &sandbox.LoadBalancer{ARN: secondNLB, Owner: first.Owner, Name: "second-dualstack", Type: "network",
			Scheme: "internal", State: "active", VPCID: first.VPCID, SubnetIDs: slices.Clone(first.SubnetIDs), CreatedAt: now, IPAddressType: "dualstack"}
		for _, ln := range w.Listeners {
			if ln.LBARN == dsNLB {
				port = ln.Port
				w.Listeners[secondNLB+"/listener"] = &sandbox.Listener{ARN: strings.Replace(secondNLB, ":loadbalancer/", ":listener/", 1) + "/0", LBARN: secondNLB, Port: ln.Port, Protocol: "TCP"}
			}
		}
	})
	services := []*types.ServiceConfiguration{e.dualstackService(t, dsNLB), e.dualstackService(t, secondNLB)}
	var endpoints []types.VpcEndpoint
	for i, svc := range services {
		record := types.DnsRecordIpTypeDualstack
		if i == 1 {
			record = types.DnsRecordIpTypeIpv6 // AAAA only
		}
		out, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
			ServiceName: svc.ServiceName, VpcId: aws.String(vpcID), SubnetIds: []string{subnets["use1-az1"], subnets["use1-az2"]},
			IpAddressType: types.IpAddressTypeDualstack, DnsOptions: &types.DnsOptionsSpecification{DnsRecordIpType: record}})
		if err != nil {
			t.Fatal(err)
		}
		endpoints = append(endpoints, *out.VpcEndpoint)
	}
	e.Advance(t, e.d.EndpointAvailable)
	e2eSync(t, e.Env)

	aaaa := func(name string) []string {
		var out []string
		for _, rr := range e2eQuery(t, e.Env, name, dns.TypeAAAA).Answer {
			if a, ok := rr.(*dns.AAAA); ok {
				out = append(out, a.AAAA.String())
			}
		}
		return out
	}
	for i, ep := range endpoints {
		regional := aws.ToString(ep.DnsEntries[0].DnsName)
		a, six := e2eA(t, e.Env, regional), aaaa(regional)
		if !slices.Equal(six, []string{"::1"}) {
			t.Errorf("endpoint %d: AAAA %s = %v, want ::1", i, regional, six)
		}
		if wantA := i == 0; (len(a) == 2) != wantA {
			t.Errorf("endpoint %d (DNS record IP type %s): A %s = %v", i, ep.DnsOptions.DnsRecordIpType, regional, a)
		}
		for _, z := range ep.DnsEntries[1:] {
			if got := aaaa(aws.ToString(z.DnsName)); !slices.Equal(got, []string{"::1"}) {
				t.Errorf("zonal %s AAAA = %v", aws.ToString(z.DnsName), got)
			}
		}
		// Over IPv6, [::1] tells the two services apart by server name.
		got, err := requestOver(t, e.Env, net.JoinHostPort("::1", fmt.Sprint(port)), regional)
		if err != nil || got != aws.ToString(services[i].ServiceId) {
			t.Errorf("endpoint %d over [::1]: service %q, %v; want %s", i, got, err, aws.ToString(services[i].ServiceId))
		}
	}
	// Over IPv4 each interface address is its own service's.
	a := e2eA(t, e.Env, aws.ToString(endpoints[0].DnsEntries[0].DnsName))
	if got, err := requestOver(t, e.Env, net.JoinHostPort(a[0], fmt.Sprint(port)), aws.ToString(endpoints[0].DnsEntries[0].DnsName)); err != nil || got != *services[0].ServiceId {
		t.Errorf("over IPv4: %q %v", got, err)
	}
	// A name no service on [::1] has: reset.
	if _, err := requestOver(t, e.Env, net.JoinHostPort("::1", fmt.Sprint(port)), "nobody.example.com"); err == nil {
		t.Error("a server name no service has got an answer on [::1]")
	}
	// Deleting both endpoints stops the IPv6 side.
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*endpoints[0].VpcEndpointId, *endpoints[1].VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	e2eSync(t, e.Env)
	e2eRefused(t, net.JoinHostPort("::1", fmt.Sprint(port)))
}

func TestDataPlaneWithoutIPv6SaysSo(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	d := sandbox.DefaultDelays()
	sb := sandbox.New(sandbox.Options{Clock: sandbox.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), Delays: &d,
		DataPlane: true, NoIPv6: true, Logf: func(f string, a ...any) {
			mu.Lock()
			logged = append(logged, fmt.Sprintf(f, a...))
			mu.Unlock()
		}})
	if err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.IPv6Served() {
		t.Error("IPv6Served with NoIPv6")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.ContainsFunc(logged, func(l string) bool { return strings.Contains(l, dataplane.IPv6Unavailable) }) {
		t.Errorf("the sandbox did not say the IPv6 side is not served; it logged %q", logged)
	}
}

func TestServiceWithTwoLoadBalancers(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	ipv4NLB, dsNLB := e.nlb(t), e.dualstackNLB(t)
	// The dualstack NLB is in two AZs; alone, the service serves those.
	out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{dsNLB}, AcceptanceRequired: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	id := out.ServiceConfiguration.ServiceId
	if n := len(out.ServiceConfiguration.AvailabilityZoneIds); n != 2 {
		t.Fatalf("one dualstack NLB serves %d AZs, want 2", n)
	}
	// Adding the ipv4 NLB (three AZs) to an ipv4 service: the AZs are the
	// union.
	if _, err := e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: id, AddNetworkLoadBalancerArns: []string{ipv4NLB}}); err != nil {
		t.Fatal(err)
	}
	e.Advance(t, e.d.ServiceAvailable)
	got := e.service(t, *id)
	if len(got.NetworkLoadBalancerArns) != 2 || len(got.AvailabilityZoneIds) != 3 {
		t.Fatalf("after adding: NLBs %v, AZs %v", got.NetworkLoadBalancerArns, got.AvailabilityZoneIds)
	}
	e.allow(t, *id, "arn:aws:iam::"+e.consAcct.ID+":root")
	_, subnets := e.vpc(t, e.consAcct.ID)
	ep := e.createEndpoint(t, *got.ServiceName, plValues(subnets)...)
	conns, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{})
	if err != nil || len(conns.VpcEndpointConnections) != 1 || len(conns.VpcEndpointConnections[0].NetworkLoadBalancerArns) != 2 {
		t.Fatalf("connection: %v %+v", err, conns)
	}
	// With an endpoint attached, AWS refuses to remove a load balancer.
	_, err = e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: id, RemoveNetworkLoadBalancerArns: []string{dsNLB}})
	plAPIError(t, err, "ExistingVpcEndpointConnections", "Service has existing active VPC Endpoint connections!")
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: id, RemoveNetworkLoadBalancerArns: []string{dsNLB}}); err != nil {
		t.Fatalf("remove with no endpoint: %v", err)
	}
	if got := e.service(t, *id); len(got.NetworkLoadBalancerArns) != 1 || got.NetworkLoadBalancerArns[0] != ipv4NLB {
		t.Errorf("after removing: %v", got.NetworkLoadBalancerArns)
	}
}

func TestSecurityGroupIPv6Rules(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	vpcID, _ := e.vpc(t, e.consAcct.ID)
	sg, err := e.cons.CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{VpcId: aws.String(vpcID), GroupName: aws.String("v6"), Description: aws.String("v6")})
	if err != nil {
		t.Fatal(err)
	}
	perm := func(v4, v6 string) []types.IpPermission {
		p := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443)}
		if v4 != "" {
			p.IpRanges = []types.IpRange{{CidrIp: aws.String(v4)}}
		}
		if v6 != "" {
			p.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(v6), Description: aws.String("v6 clients")}}
		}
		return []types.IpPermission{p}
	}
	out, err := e.cons.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perm("", "fd00:1:2:300::/56")})
	if err != nil || len(out.SecurityGroupRules) != 1 || aws.ToString(out.SecurityGroupRules[0].CidrIpv6) != "fd00:1:2:300::/56" {
		t.Fatalf("authorize IPv6: %v %+v", err, out)
	}
	_, err = e.cons.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perm("", "fd00:1:2:300::/56")})
	plAPIError(t, err, "InvalidPermission.Duplicate", "")
	// An IPv6 block given as an IPv4 range, or the other way, is malformed.
	_, err = e.cons.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perm("fd00::/8", "")})
	plAPIError(t, err, "InvalidParameterValue", "CIDR block fd00::/8 is malformed")
	_, err = e.cons.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perm("", "10.0.0.0/8")})
	plAPIError(t, err, "InvalidParameterValue", "CIDR block 10.0.0.0/8 is malformed")
	groups, err := e.cons.DescribeSecurityGroups(e.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*sg.GroupId}})
	if err != nil || len(groups.SecurityGroups) != 1 || len(groups.SecurityGroups[0].IpPermissions) != 1 {
		t.Fatalf("describe: %v", err)
	}
	p := groups.SecurityGroups[0].IpPermissions[0]
	if len(p.Ipv6Ranges) != 1 || aws.ToString(p.Ipv6Ranges[0].CidrIpv6) != "fd00:1:2:300::/56" || len(p.IpRanges) != 0 {
		t.Errorf("permission = %+v", p)
	}
}

// TestDataPlaneNLBSecurityGroupsOverIPv6: with the NLB's group enforced on
// PrivateLink traffic (nlb-sg-enforced), a dualstack endpoint's clients
// come over IPv6 from the consumer VPC's IPv6 block, which an IPv4 rule
// does not cover: the IPv4 side works once the consumer's IPv4 block is
// allowed, the IPv6 side only once its IPv6 block is, as an Ipv6Ranges
// rule.
func TestDataPlaneNLBSecurityGroupsOverIPv6(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "nlb-sg-enforced")})
	if !e.SB.IPv6Served() {
		t.Skip("this machine has no IPv6 loopback address ::1, so the sandbox cannot serve the IPv6 side: " + dataplane.IPv6Unavailable)
	}
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	dsNLB := e.dualstackNLB(t)
	svc := e.dualstackService(t, dsNLB)
	out, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: svc.ServiceName, VpcId: aws.String(vpcID), SubnetIds: []string{subnets["use1-az1"], subnets["use1-az2"]},
		IpAddressType: types.IpAddressTypeDualstack, DnsOptions: &types.DnsOptionsSpecification{DnsRecordIpType: types.DnsRecordIpTypeDualstack}})
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(t, e.d.EndpointAvailable)
	var group, v4, v6 string
	var port int32
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		group = w.Diag.LBs[dsNLB].SecurityGroupIDs[0]
		v4, v6 = w.VPCs[vpcID].CIDR, w.VPCs[vpcID].IPv6CIDR
		for _, ln := range w.Listeners {
			if ln.LBARN == dsNLB {
				port = ln.Port
			}
		}
	})
	regional := aws.ToString(out.VpcEndpoint.DnsEntries[0].DnsName)
	a := e2eA(t, e.Env, regional)
	over := func(host string) error {
		e2eSync(t, e.Env)
		_, err := requestOver(t, e.Env, net.JoinHostPort(host, fmt.Sprint(port)), regional)
		return err
	}
	// dropped: connects time out, as at an NLB whose group drops them.
	dropped := func(host string) bool {
		e2eSync(t, e.Env)
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, fmt.Sprint(port)), 300*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return timedOut(err)
	}
	allow := func(p types.IpPermission) {
		p.IpProtocol, p.FromPort, p.ToPort = aws.String("tcp"), aws.Int32(port), aws.Int32(port)
		if _, err := e.prov.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: []types.IpPermission{p}}); err != nil {
			t.Fatal(err)
		}
	}
	if !dropped(a[0]) || !dropped("::1") {
		t.Fatal("the NLB's group lets the consumer in before any rule allows it")
	}
	allow(types.IpPermission{IpRanges: []types.IpRange{{CidrIp: aws.String(v4)}}})
	if err := over(a[0]); err != nil {
		t.Fatalf("over IPv4 with the consumer's IPv4 block allowed: %v", err)
	}
	if !dropped("::1") {
		t.Fatal("over IPv6 with only the consumer's IPv4 block allowed: not dropped")
	}
	allow(types.IpPermission{Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String(v6)}}})
	if err := over("::1"); err != nil {
		t.Fatalf("over IPv6 with the consumer's IPv6 block allowed: %v", err)
	}
}
