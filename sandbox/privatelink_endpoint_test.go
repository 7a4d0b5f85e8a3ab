package sandbox_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// TestTwoPartyLifecycle walks issue 3's lifecycle through the SDK up to
// private DNS on the endpoint: create service → allow principal → private
// DNS + TXT + verification → consumer sees the service in its own AZ names
// → create endpoint → pendingAcceptance → accept → pending → available →
// enable private DNS.
func TestTwoPartyLifecycle(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.createService(t, true, "api.example.com")
	id, name := *sc.ServiceId, *sc.ServiceName
	e.Advance(t, e.d.ServiceAvailable)
	if st := e.service(t, id).ServiceState; st != types.ServiceStateAvailable {
		t.Fatalf("service state %q", st)
	}

	// Not allowed yet: the consumer is told the service does not exist.
	_, err := e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}})
	plAPIError(t, err, "InvalidServiceName", "The Vpc Endpoint Service '"+name+"' does not exist")

	e.allow(t, id, "arn:aws:iam::"+e.consAcct.ID+":root")

	// The TXT record through Route 53 in the provider's public zone, then
	// verification.
	r53 := route53.NewFromConfig(e.Config(t, "provider"))
	zones, err := r53.ListHostedZonesByName(e.ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com")})
	if err != nil || len(zones.HostedZones) == 0 || aws.ToString(zones.HostedZones[0].Name) != "example.com." {
		t.Fatalf("zones: %v %+v", err, zones)
	}
	cfg := sc.PrivateDnsNameConfiguration
	change, err := r53.ChangeResourceRecordSets(e.ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: zones.HostedZones[0].Id,
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{
			Action: r53types.ChangeActionUpsert,
			ResourceRecordSet: &r53types.ResourceRecordSet{
				Name: aws.String(*cfg.Name + ".api.example.com"), Type: r53types.RRTypeTxt, TTL: aws.Int64(1800),
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"` + *cfg.Value + `"`)}},
			},
		}}},
	})
	if err != nil {
		t.Fatalf("UPSERT TXT: %v", err)
	}
	e.Advance(t, 30*time.Second)
	if ch, err := r53.GetChange(e.ctx, &route53.GetChangeInput{Id: change.ChangeInfo.Id}); err != nil || ch.ChangeInfo.Status != r53types.ChangeStatusInsync {
		t.Fatalf("GetChange: %v %+v", err, ch)
	}
	if _, err := e.prov.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if st := e.service(t, id).PrivateDnsNameConfiguration.State; st != types.DnsNameStatePendingVerification {
		t.Fatalf("verification right after start: %q", st)
	}
	e.Advance(t, e.d.Verification)
	if st := e.service(t, id).PrivateDnsNameConfiguration.State; st != types.DnsNameStateVerified {
		t.Fatalf("verification: %q", st)
	}

	ds, err := e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "ServiceNames", ds.ServiceNames, []string{name})
	if len(ds.ServiceDetails) != 1 {
		t.Fatalf("%d service details", len(ds.ServiceDetails))
	}
	d := ds.ServiceDetails[0]
	// Consumer names for use1-az1..3 are c, a, b (the world rotates them).
	plEqual(t, "consumer AZ names", d.AvailabilityZones, []string{"us-east-1a", "us-east-1b", "us-east-1c"})
	plEqual(t, "AZ IDs", d.AvailabilityZoneIds, []string{"use1-az1", "use1-az2", "use1-az3"})
	if aws.ToString(d.Owner) != e.provAcct.ID || aws.ToString(d.ServiceId) != id || aws.ToString(d.PrivateDnsName) != "api.example.com" ||
		d.PrivateDnsNameVerificationState != types.DnsNameStateVerified || !aws.ToBool(d.AcceptanceRequired) ||
		aws.ToBool(d.ManagesVpcEndpoints) || aws.ToBool(d.VpcEndpointPolicySupported) ||
		len(d.ServiceType) != 1 || d.ServiceType[0].ServiceType != types.ServiceTypeInterface ||
		len(d.PrivateDnsNames) != 1 || aws.ToString(d.PrivateDnsNames[0].PrivateDnsName) != "api.example.com" ||
		len(d.SupportedIpAddressTypes) != 1 || d.SupportedIpAddressTypes[0] != types.ServiceConnectivityTypeIpv4 ||
		len(d.BaseEndpointDnsNames) != 1 || d.BaseEndpointDnsNames[0] != id+".us-east-1.vpce.amazonaws.com" {
		t.Fatalf("service detail %+v", d)
	}

	// The endpoint, one subnet per served AZ, private DNS off.
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	ep := e.createEndpoint(t, name, plValues(subnets)...)
	if ep.State != "pendingAcceptance" || ep.VpcEndpointType != types.VpcEndpointTypeInterface || aws.ToString(ep.VpcId) != vpcID ||
		aws.ToString(ep.ServiceName) != name || aws.ToString(ep.OwnerId) != e.consAcct.ID || aws.ToBool(ep.PrivateDnsEnabled) ||
		aws.ToBool(ep.RequesterManaged) || ep.IpAddressType != types.IpAddressTypeIpv4 || ep.CreationTimestamp == nil ||
		ep.DnsOptions == nil || ep.DnsOptions.DnsRecordIpType != types.DnsRecordIpTypeIpv4 || ep.LastError != nil {
		t.Fatalf("created endpoint %+v", ep)
	}
	plEqual(t, "SubnetIds", plSorted(ep.SubnetIds), plSorted(plValues(subnets)))
	if len(ep.NetworkInterfaceIds) != 3 || len(ep.Groups) != 1 || aws.ToString(ep.Groups[0].GroupName) != "default" {
		t.Fatalf("ENIs %v, groups %+v", ep.NetworkInterfaceIds, ep.Groups)
	}
	// Regional name first, then one zonal name per subnet in the consumer's AZ names.
	if len(ep.DnsEntries) != 4 {
		t.Fatalf("DnsEntries %+v", ep.DnsEntries)
	}
	regional := aws.ToString(ep.DnsEntries[0].DnsName)
	if !strings.HasPrefix(regional, *ep.VpcEndpointId+"-") || !strings.HasSuffix(regional, "."+id+".us-east-1.vpce.amazonaws.com") {
		t.Errorf("regional DNS name %q", regional)
	}
	for _, de := range ep.DnsEntries {
		if aws.ToString(de.HostedZoneId) == "" {
			t.Errorf("DNS entry without hosted zone: %+v", de)
		}
	}
	// ENIs in the world: one per subnet, loopback addresses, in-use.
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, eniID := range ep.NetworkInterfaceIds {
			eni := w.ENIs[eniID]
			if eni == nil || eni.EndpointID != *ep.VpcEndpointId || !strings.HasPrefix(eni.PrivateIP, "127.") || eni.InterfaceType != "vpc_endpoint" {
				t.Errorf("ENI %s = %+v", eniID, eni)
			}
		}
	})

	// Enabling private DNS now is refused: not accepted yet.
	_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PrivateDnsEnabled: aws.Bool(true)})
	plAPIError(t, err, "InvalidParameter", "Private DNS can only be enabled after the endpoint connection is accepted by the owner of "+name+".")

	// The provider finds it with either spelling of the state.
	for _, state := range []string{"pendingAcceptance", string(types.StatePendingAcceptance), "PENDINGACCEPTANCE"} {
		conns, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{Filters: []types.Filter{
			{Name: aws.String("vpc-endpoint-state"), Values: []string{state}},
			{Name: aws.String("service-id"), Values: []string{id}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(conns.VpcEndpointConnections) != 1 {
			t.Fatalf("state %q: %d connections", state, len(conns.VpcEndpointConnections))
		}
		c := conns.VpcEndpointConnections[0]
		if aws.ToString(c.VpcEndpointId) != *ep.VpcEndpointId || aws.ToString(c.ServiceId) != id || c.VpcEndpointState != "pendingAcceptance" ||
			aws.ToString(c.VpcEndpointOwner) != e.consAcct.ID || c.CreationTimestamp == nil || !c.CreationTimestamp.Equal(*ep.CreationTimestamp) ||
			len(c.DnsEntries) != 4 || len(c.NetworkLoadBalancerArns) != 1 || c.IpAddressType != types.IpAddressTypeIpv4 ||
			!strings.HasPrefix(aws.ToString(c.VpcEndpointConnectionId), "vpce-con-") {
			t.Fatalf("connection %+v", c)
		}
	}

	acc, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{
		ServiceId: aws.String(id), VpcEndpointIds: []string{*ep.VpcEndpointId}})
	if err != nil || len(acc.Unsuccessful) != 0 {
		t.Fatalf("accept: %v %+v", err, acc)
	}
	// pendingAcceptance → pending → available on the stored due times.
	e.Advance(t, e.d.EndpointPending)
	if st := e.endpoint(t, *ep.VpcEndpointId).State; st != "pending" {
		t.Fatalf("after EndpointPending: %q", st)
	}
	e.Advance(t, e.d.EndpointAvailable-time.Millisecond)
	if st := e.endpoint(t, *ep.VpcEndpointId).State; st != "pending" {
		t.Fatalf("just before EndpointAvailable: %q", st)
	}
	e.Advance(t, time.Millisecond)
	if st := e.endpoint(t, *ep.VpcEndpointId).State; st != "available" {
		t.Fatalf("after EndpointAvailable: %q", st)
	}

	// The consumer VPC starts with enableDnsHostnames off.
	_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PrivateDnsEnabled: aws.Bool(true)})
	plAPIError(t, err, "InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for "+vpcID)
	if _, err := e.cons.ModifyVpcAttribute(e.ctx, &ec2.ModifyVpcAttributeInput{
		VpcId: aws.String(vpcID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatalf("enable DNS hostnames: %v", err)
	}
	mod, err := e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PrivateDnsEnabled: aws.Bool(true)})
	if err != nil || !aws.ToBool(mod.Return) {
		t.Fatalf("enable private DNS: %v", err)
	}
	got := e.endpoint(t, *ep.VpcEndpointId)
	if !aws.ToBool(got.PrivateDnsEnabled) || len(got.DnsEntries) != 5 || aws.ToString(got.DnsEntries[4].DnsName) != "api.example.com" {
		t.Fatalf("after enabling private DNS: %v %+v", aws.ToBool(got.PrivateDnsEnabled), got.DnsEntries)
	}
	// The name answers only after propagation; the data plane reads this.
	var liveAt time.Time
	e.SB.World(func(w *sandbox.World, now time.Time) {
		liveAt = w.Endpoints[*ep.VpcEndpointId].PrivateDNSLiveAt
		if want := now.Add(e.d.PrivateDNSPropagate); !liveAt.Equal(want) {
			t.Errorf("PrivateDNSLiveAt = %v, want %v", liveAt, want)
		}
	})
}

func TestEndpointWithoutAcceptance(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, false, "auto.example.com")
	e.verify(t, sc)
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	e.setVPCDNS(vpcID, true, true)
	// Private DNS on at creation is fine when no acceptance is needed.
	out, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: sc.ServiceName, VpcId: aws.String(vpcID),
		SubnetIds: plValues(subnets)[:1], PrivateDnsEnabled: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	ep := out.VpcEndpoint
	if ep.State != "pending" || !aws.ToBool(ep.PrivateDnsEnabled) {
		t.Fatalf("created %q private DNS %v", ep.State, aws.ToBool(ep.PrivateDnsEnabled))
	}
	e.Advance(t, e.d.EndpointAvailable)
	if st := e.endpoint(t, *ep.VpcEndpointId).State; st != "available" {
		t.Fatalf("state %q, want available", st)
	}
	// Without PrivateDnsEnabled AWS's default (true) applies for a service
	// with a private DNS name; the first endpoint gives the name up first,
	// since a VPC answers one private name from one endpoint.
	if _, err := e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, PrivateDnsEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	out, err = e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: sc.ServiceName, VpcId: aws.String(vpcID),
		SubnetIds: plValues(subnets)[1:2],
	})
	if err != nil || !aws.ToBool(out.VpcEndpoint.PrivateDnsEnabled) {
		t.Fatalf("default private DNS: %v %+v", err, out)
	}
}

// TestEndpointErrorPaths covers issue 3 point 3 and the other refusals.
func TestEndpointErrorPaths(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, true, "api.example.com")
	e.verify(t, sc)
	name := *sc.ServiceName
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	e.setVPCDNS(vpcID, true, true)
	create := func(mod func(in *ec2.CreateVpcEndpointInput)) (*ec2.CreateVpcEndpointOutput, error) {
		in := &ec2.CreateVpcEndpointInput{
			VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: aws.String(name),
			VpcId: aws.String(vpcID), SubnetIds: plValues(subnets)[:1], PrivateDnsEnabled: aws.Bool(false),
		}
		mod(in)
		return e.cons.CreateVpcEndpoint(e.ctx, in)
	}

	t.Run("private DNS before acceptance", func(t *testing.T) {
		_, err := create(func(in *ec2.CreateVpcEndpointInput) { in.PrivateDnsEnabled = aws.Bool(true) })
		plAPIError(t, err, "InvalidParameter", "Private DNS can only be enabled after the endpoint connection is accepted by the owner of "+name+".")
	})
	t.Run("VPC DNS attributes off", func(t *testing.T) {
		auto := e.availableService(t, false, "other.example.com")
		e.verify(t, auto)
		for _, attrs := range [][2]bool{{true, false}, {false, true}} {
			e.setVPCDNS(vpcID, attrs[0], attrs[1])
			_, err := create(func(in *ec2.CreateVpcEndpointInput) {
				in.ServiceName, in.PrivateDnsEnabled = auto.ServiceName, aws.Bool(true)
			})
			plAPIError(t, err, "InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for "+vpcID)
		}
		e.setVPCDNS(vpcID, true, true)
	})
	t.Run("service without a private DNS name", func(t *testing.T) {
		plain := e.availableService(t, false, "")
		_, err := create(func(in *ec2.CreateVpcEndpointInput) {
			in.ServiceName, in.PrivateDnsEnabled = plain.ServiceName, aws.Bool(true)
		})
		plAPIError(t, err, "InvalidParameter", "Private DNS can't be enabled because the service "+*plain.ServiceName+" does not provide a private DNS name.")
	})
	t.Run("private DNS name not verified", func(t *testing.T) {
		unverified := e.availableService(t, false, "unverified.example.com")
		_, err := create(func(in *ec2.CreateVpcEndpointInput) {
			in.ServiceName, in.PrivateDnsEnabled = unverified.ServiceName, aws.Bool(true)
		})
		plAPIError(t, err, "InvalidParameter", "")
		// Left to its default, private DNS is simply off for such a service.
		out, err := create(func(in *ec2.CreateVpcEndpointInput) {
			in.ServiceName, in.PrivateDnsEnabled = unverified.ServiceName, nil
		})
		if err != nil || aws.ToBool(out.VpcEndpoint.PrivateDnsEnabled) {
			t.Fatalf("default private DNS for an unverified name: %v %+v", err, out)
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		private := e.createService(t, true, "")
		e.Advance(t, e.d.ServiceAvailable)
		_, err := create(func(in *ec2.CreateVpcEndpointInput) { in.ServiceName = private.ServiceName })
		plAPIError(t, err, "InvalidServiceName", "The Vpc Endpoint Service '"+*private.ServiceName+"' does not exist")
		// Allowing the caller's own ARN, or everyone, makes it visible.
		e.allow(t, *private.ServiceId, "arn:aws:iam::"+e.consAcct.ID+":user/plwiz-consumer")
		if _, err := create(func(in *ec2.CreateVpcEndpointInput) { in.ServiceName = private.ServiceName }); err != nil {
			t.Fatalf("allowed by user ARN: %v", err)
		}
		everyone := e.createService(t, true, "")
		e.Advance(t, e.d.ServiceAvailable)
		e.allow(t, *everyone.ServiceId, "*")
		if _, err := create(func(in *ec2.CreateVpcEndpointInput) { in.ServiceName = everyone.ServiceName }); err != nil {
			t.Fatalf("allowed by *: %v", err)
		}
	})
	t.Run("subnet in an AZ the service does not serve", func(t *testing.T) {
		// A second NLB in the provider's first two AZs only.
		var nlb2 string
		e.SB.World(func(w *sandbox.World, now time.Time) {
			var sns []string
			for _, k := range sandbox.SortedKeys(w.Subnets) {
				if sn := w.Subnets[k]; sn.Owner == e.provAcct.ID && w.VPCRegion(sn.VPCID) == w.Region && sn.AZID != "use1-az3" {
					sns = append(sns, k)
				}
			}
			nlb2 = "arn:aws:elasticloadbalancing:us-east-1:" + e.provAcct.ID + ":loadbalancer/net/two-az/0123456789abcdef"
			w.LoadBalancers[nlb2] = &sandbox.LoadBalancer{ARN: nlb2, Owner: e.provAcct.ID, Name: "two-az", Type: "network",
				Scheme: "internal", State: "active", SubnetIDs: sns, CreatedAt: now}
		})
		out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{nlb2}})
		if err != nil {
			t.Fatal(err)
		}
		two := out.ServiceConfiguration
		plEqual(t, "two-AZ service AZ IDs", two.AvailabilityZoneIds, []string{"use1-az1", "use1-az2"})
		e.Advance(t, e.d.ServiceAvailable)
		e.allow(t, *two.ServiceId, "arn:aws:iam::"+e.consAcct.ID+":root")
		ds, err := e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{*two.ServiceName}})
		if err != nil {
			t.Fatal(err)
		}
		// use1-az1 and use1-az2 are us-east-1c and us-east-1a for the consumer.
		plEqual(t, "consumer AZ names", ds.ServiceDetails[0].AvailabilityZones, []string{"us-east-1a", "us-east-1c"})
		_, err = create(func(in *ec2.CreateVpcEndpointInput) {
			in.ServiceName, in.SubnetIds = two.ServiceName, []string{subnets["use1-az3"]}
		})
		plAPIError(t, err, "InvalidParameter", "The VPC endpoint service "+*two.ServiceName+" does not support the availability zone of the subnet: "+subnets["use1-az3"]+".")
	})
	t.Run("two subnets in one AZ", func(t *testing.T) {
		extra := "subnet-0aaaaaaaaaaaaaaaa"
		e.SB.World(func(w *sandbox.World, _ time.Time) {
			first := w.Subnets[subnets["use1-az1"]]
			w.Subnets[extra] = &sandbox.Subnet{ID: extra, Owner: first.Owner, VPCID: first.VPCID, AZID: first.AZID,
				CIDR: strings.Replace(first.CIDR, ".0/24", ".128/25", 1), NextHost: 130}
		})
		_, err := create(func(in *ec2.CreateVpcEndpointInput) { in.SubnetIds = []string{subnets["use1-az1"], extra} })
		plAPIError(t, err, "DuplicateSubnetsInSameZone", "")
	})
	t.Run("unknown VPC, subnet, group; wrong type", func(t *testing.T) {
		_, err := create(func(in *ec2.CreateVpcEndpointInput) { in.VpcId = aws.String("vpc-0123456789abcdef0") })
		plAPIError(t, err, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")
		_, err = create(func(in *ec2.CreateVpcEndpointInput) { in.SubnetIds = []string{"subnet-0123456789abcdef0"} })
		plAPIError(t, err, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0123456789abcdef0' does not exist")
		_, err = create(func(in *ec2.CreateVpcEndpointInput) { in.SecurityGroupIds = []string{"sg-0123456789abcdef0"} })
		plAPIError(t, err, "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist")
		_, err = create(func(in *ec2.CreateVpcEndpointInput) { in.VpcEndpointType = "" })
		plAPIError(t, err, "InvalidParameter", "Endpoint type (Gateway) does not match available service types ([Interface]).")
	})
	t.Run("rejected stays rejected", func(t *testing.T) {
		out, err := create(func(*ec2.CreateVpcEndpointInput) {})
		if err != nil {
			t.Fatal(err)
		}
		epID := *out.VpcEndpoint.VpcEndpointId
		rej, err := e.prov.RejectVpcEndpointConnections(e.ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{epID}})
		if err != nil || len(rej.Unsuccessful) != 0 {
			t.Fatalf("reject: %v %+v", err, rej)
		}
		acc, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{epID}})
		if err != nil || len(acc.Unsuccessful) != 1 || aws.ToString(acc.Unsuccessful[0].ResourceId) != epID ||
			aws.ToString(acc.Unsuccessful[0].Error.Code) != "IncorrectState" {
			t.Fatalf("accept after reject: %v %+v", err, acc)
		}
		e.Advance(t, time.Hour)
		if st := e.endpoint(t, epID).State; st != "rejected" {
			t.Fatalf("state an hour later %q", st)
		}
		_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), PrivateDnsEnabled: aws.Bool(true)})
		plAPIError(t, err, "InvalidParameter", "Private DNS can only be enabled after the endpoint connection is accepted by the owner of "+name+".")
		// A second reject is refused as well.
		rej, err = e.prov.RejectVpcEndpointConnections(e.ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{epID}})
		if err != nil || len(rej.Unsuccessful) != 1 {
			t.Fatalf("second reject: %v %+v", err, rej)
		}
	})
	t.Run("accept and reject unknown IDs", func(t *testing.T) {
		const bogus = "vpce-0123456789abcdef0"
		acc, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{bogus}})
		if err != nil || len(acc.Unsuccessful) != 1 {
			t.Fatalf("accept: %v %+v", err, acc)
		}
		u := acc.Unsuccessful[0]
		if aws.ToString(u.ResourceId) != bogus || aws.ToString(u.Error.Code) != "InvalidVpcEndpointId.NotFound" ||
			aws.ToString(u.Error.Message) != "The Vpc Endpoint Id '"+bogus+"' does not exist" {
			t.Fatalf("unsuccessful item %+v %+v", u, u.Error)
		}
		rej, err := e.prov.RejectVpcEndpointConnections(e.ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{bogus}})
		if err != nil || len(rej.Unsuccessful) != 1 || aws.ToString(rej.Unsuccessful[0].Error.Code) != "InvalidVpcEndpointId.NotFound" {
			t.Fatalf("reject: %v %+v", err, rej)
		}
		// The consumer cannot accept on the provider's service.
		_, err = e.cons.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{bogus}})
		plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
	})
}

func TestDescribeEndpointServicesVisibility(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	allowed := e.availableService(t, true, "")
	hidden := e.createService(t, true, "")
	e.Advance(t, e.d.ServiceAvailable)
	out, err := e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "consumer's services", out.ServiceNames, []string{*allowed.ServiceName})
	if len(out.ServiceDetails) != 1 || len(out.ServiceDetails[0].Tags) != 0 {
		t.Fatalf("details %+v", out.ServiceDetails)
	}
	// The owner sees both of its services.
	own, err := e.prov.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{
		Filters: []types.Filter{{Name: aws.String("owner"), Values: []string{e.provAcct.ID}}}})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "owner's services", own.ServiceNames, plSorted([]string{*allowed.ServiceName, *hidden.ServiceName}))
	_, err = e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{*hidden.ServiceName}})
	plAPIError(t, err, "InvalidServiceName", "The Vpc Endpoint Service '"+*hidden.ServiceName+"' does not exist")
	// AWS's own services are not in the sandbox.
	_, err = e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"com.amazonaws.us-east-1.s3"}})
	plAPIError(t, err, "InvalidServiceName", "")
	typed, err := e.cons.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{
		Filters: []types.Filter{{Name: aws.String("service-type"), Values: []string{"Gateway"}}}})
	if err != nil || len(typed.ServiceDetails) != 0 {
		t.Fatalf("service-type=Gateway: %v %+v", err, typed.ServiceNames)
	}
}

func TestEndpointIdempotencyAndTags(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, true, "")
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	in := &ec2.CreateVpcEndpointInput{
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: sc.ServiceName, VpcId: aws.String(vpcID),
		SubnetIds: plValues(subnets), ClientToken: aws.String("session-42"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint,
			Tags: []types.Tag{{Key: aws.String("plwiz:session"), Value: aws.String("42")}}}},
	}
	first, err := e.cons.CreateVpcEndpoint(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.cons.CreateVpcEndpoint(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if *again.VpcEndpoint.VpcEndpointId != *first.VpcEndpoint.VpcEndpointId || aws.ToString(again.ClientToken) != "session-42" {
		t.Fatalf("retry gave %s, want %s", *again.VpcEndpoint.VpcEndpointId, *first.VpcEndpoint.VpcEndpointId)
	}
	var enis int
	e.SB.World(func(w *sandbox.World, _ time.Time) { enis = len(w.ENIs) })
	if enis != 3 {
		t.Fatalf("%d ENIs after a retried create, want 3", enis)
	}
	in.SubnetIds = in.SubnetIds[:1]
	_, err = e.cons.CreateVpcEndpoint(e.ctx, in)
	plAPIError(t, err, "IdempotentParameterMismatch", "")

	tagged, err := e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("tag:plwiz:session"), Values: []string{"42"}}}})
	if err != nil || len(tagged.VpcEndpoints) != 1 || len(tagged.VpcEndpoints[0].Tags) != 1 {
		t.Fatalf("tag filter: %v %+v", err, tagged)
	}
}

func TestDescribeEndpointsFiltersAndPages(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	a := e.availableService(t, true, "")
	b := e.availableService(t, false, "")
	_, subnets := e.vpc(t, e.consAcct.ID)
	var ids, aIDs []string
	for i := range 7 {
		svc := a
		if i >= 4 {
			svc = b
		}
		ep := e.createEndpoint(t, *svc.ServiceName, subnets["use1-az1"])
		ids = append(ids, *ep.VpcEndpointId)
		if svc == a {
			aIDs = append(aIDs, *ep.VpcEndpointId)
		}
	}
	byFilter := func(fs ...types.Filter) []string {
		t.Helper()
		pager := ec2.NewDescribeVpcEndpointsPaginator(e.cons, &ec2.DescribeVpcEndpointsInput{Filters: fs, MaxResults: aws.Int32(5)})
		got, _ := drainIDs(t, e.ctx, pager, endpointIDs)
		return got
	}
	plEqual(t, "all, in pages of 5", byFilter(), plSorted(ids))
	plEqual(t, "service-name", byFilter(types.Filter{Name: aws.String("service-name"), Values: []string{*a.ServiceName}}), plSorted(aIDs))
	for _, st := range []string{"pendingAcceptance", "PendingAcceptance"} {
		plEqual(t, "vpc-endpoint-state="+st, byFilter(types.Filter{Name: aws.String("vpc-endpoint-state"), Values: []string{st}}), plSorted(aIDs))
	}
	plEqual(t, "vpc-endpoint-state=pending", byFilter(types.Filter{Name: aws.String("vpc-endpoint-state"), Values: []string{"pending"}}), plSorted(ids[4:]))
	plEqual(t, "vpc-endpoint-id", byFilter(types.Filter{Name: aws.String("vpc-endpoint-id"), Values: ids[2:3]}), ids[2:3])
	plEqual(t, "vpc-endpoint-type", byFilter(types.Filter{Name: aws.String("vpc-endpoint-type"), Values: []string{"Gateway"}}), nil)
	vpcID, _ := e.vpc(t, e.consAcct.ID)
	plEqual(t, "vpc-id", byFilter(types.Filter{Name: aws.String("vpc-id"), Values: []string{vpcID}}), plSorted(ids))

	_, err := e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0123456789abcdef0"}})
	plAPIError(t, err, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist")
	// The provider does not own the consumer's endpoints.
	_, err = e.prov.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids[:1]})
	plAPIError(t, err, "InvalidVpcEndpointId.NotFound", "")
	_, err = e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(1001)})
	plAPIError(t, err, "InvalidParameterValue", "")
	_, err = e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{NextToken: aws.String("garbage!")})
	plAPIError(t, err, "InvalidParameterValue", "")
}

func TestModifyEndpointSubnetsAndGroups(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, true, "")
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	ep := e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"])
	sg := "sg-0bbbbbbbbbbbbbbbb"
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		w.SecurityGroups[sg] = &sandbox.SecurityGroup{ID: sg, Owner: e.consAcct.ID, VPCID: vpcID, Name: "endpoint"}
	})
	_, err := e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: []string{subnets["use1-az2"], subnets["use1-az3"]},
		RemoveSubnetIds: []string{subnets["use1-az1"]}, AddSecurityGroupIds: []string{sg},
		RemoveSecurityGroupIds: []string{*ep.Groups[0].GroupId},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := e.endpoint(t, *ep.VpcEndpointId)
	plEqual(t, "subnets", plSorted(got.SubnetIds), plSorted([]string{subnets["use1-az2"], subnets["use1-az3"]}))
	if len(got.NetworkInterfaceIds) != 2 || slices.Contains(got.NetworkInterfaceIds, ep.NetworkInterfaceIds[0]) {
		t.Fatalf("ENIs %v (was %v)", got.NetworkInterfaceIds, ep.NetworkInterfaceIds)
	}
	if len(got.Groups) != 1 || *got.Groups[0].GroupId != sg || *got.Groups[0].GroupName != "endpoint" {
		t.Fatalf("groups %+v", got.Groups)
	}
	if len(got.DnsEntries) != 3 {
		t.Fatalf("DNS entries %+v", got.DnsEntries)
	}
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		if w.ENIs[ep.NetworkInterfaceIds[0]] != nil {
			t.Error("the removed subnet's ENI is still there")
		}
		for _, id := range got.NetworkInterfaceIds {
			if eni := w.ENIs[id]; eni == nil || !slices.Equal(eni.SecurityGroupIDs, []string{sg}) {
				t.Errorf("ENI %s: %+v", id, eni)
			}
		}
	})
	// A subnet in an AZ it already has.
	_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, AddSubnetIds: []string{subnets["use1-az2"]}})
	plAPIError(t, err, "DuplicateSubnetsInSameZone", "")
	_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: ep.VpcEndpointId, RemoveSecurityGroupIds: []string{sg}})
	plAPIError(t, err, "InvalidParameter", "")
	_, err = e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0123456789abcdef0")})
	plAPIError(t, err, "InvalidVpcEndpointId.NotFound", "")
}

func TestDeleteEndpointsAndServices(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, true, "")
	_, subnets := e.vpc(t, e.consAcct.ID)
	ep := e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"])

	del, err := e.prov.DeleteVpcEndpointServiceConfigurations(e.ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{
		ServiceIds: []string{*sc.ServiceId, "vpce-svc-0123456789abcdef0"}})
	if err != nil || len(del.Unsuccessful) != 2 {
		t.Fatalf("delete with a connection: %v %+v", err, del)
	}
	codes := map[string]string{}
	for _, u := range del.Unsuccessful {
		codes[aws.ToString(u.ResourceId)] = aws.ToString(u.Error.Code) + ": " + aws.ToString(u.Error.Message)
	}
	if codes[*sc.ServiceId] != "ExistingVpcEndpointConnections: Service has existing active VPC Endpoint connections!" ||
		!strings.HasPrefix(codes["vpce-svc-0123456789abcdef0"], "InvalidVpcEndpointService.NotFound: ") {
		t.Fatalf("unsuccessful %v", codes)
	}

	dele, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId, "vpce-0123456789abcdef0"}})
	if err != nil || len(dele.Unsuccessful) != 1 || aws.ToString(dele.Unsuccessful[0].ResourceId) != "vpce-0123456789abcdef0" {
		t.Fatalf("delete endpoints: %v %+v", err, dele)
	}
	_, err = e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}})
	plAPIError(t, err, "InvalidVpcEndpointId.NotFound", "")
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		if w.ENIs[ep.NetworkInterfaceIds[0]] != nil {
			t.Error("ENI left behind")
		}
	})
	conns, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{})
	if err != nil || len(conns.VpcEndpointConnections) != 0 {
		t.Fatalf("connections after delete: %v %+v", err, conns)
	}
	del, err = e.prov.DeleteVpcEndpointServiceConfigurations(e.ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{*sc.ServiceId}})
	if err != nil || len(del.Unsuccessful) != 0 {
		t.Fatalf("delete unused service: %v %+v", err, del)
	}
	_, err = e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{*sc.ServiceId}})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
}

func TestDescribeConnectionsPagesAndFilters(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	a := e.availableService(t, true, "")
	b := e.availableService(t, true, "")
	_, subnets := e.vpc(t, e.consAcct.ID)
	var aIDs, all []string
	for i := range 12 {
		svc := a
		if i%3 == 2 {
			svc = b
		}
		id := *e.createEndpoint(t, *svc.ServiceName, subnets["use1-az2"]).VpcEndpointId
		all = append(all, id)
		if svc == a {
			aIDs = append(aIDs, id)
		}
	}
	conns := func(fs ...types.Filter) (ids []string, pages int) {
		t.Helper()
		pager := ec2.NewDescribeVpcEndpointConnectionsPaginator(e.prov, &ec2.DescribeVpcEndpointConnectionsInput{Filters: fs, MaxResults: aws.Int32(5)})
		return drainIDs(t, e.ctx, pager, connectionIDs)
	}
	got, pages := conns()
	plEqual(t, "all connections", got, plSorted(all))
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
	got, pages = conns(types.Filter{Name: aws.String("service-id"), Values: []string{*a.ServiceId}})
	plEqual(t, "service a", got, plSorted(aIDs))
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
	// Accept two: they leave the pendingAcceptance filter once pending.
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: a.ServiceId, VpcEndpointIds: aIDs[:2]}); err != nil {
		t.Fatal(err)
	}
	e.Advance(t, e.d.EndpointPending)
	got, _ = conns(types.Filter{Name: aws.String("vpc-endpoint-state"), Values: []string{"pendingAcceptance"}})
	if len(got) != len(all)-2 {
		t.Errorf("pendingAcceptance: %d, want %d", len(got), len(all)-2)
	}
	got, _ = conns(types.Filter{Name: aws.String("vpc-endpoint-state"), Values: []string{string(types.StatePending)}})
	plEqual(t, "Pending", got, plSorted(aIDs[:2]))
	got, _ = conns(types.Filter{Name: aws.String("vpc-endpoint-owner"), Values: []string{e.provAcct.ID}})
	plEqual(t, "other owner", got, nil)
	got, _ = conns(types.Filter{Name: aws.String("vpc-endpoint-id"), Values: all[3:4]})
	plEqual(t, "vpc-endpoint-id", got, all[3:4])
	// The consumer has no connections of its own.
	out, err := e.cons.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{})
	if err != nil || len(out.VpcEndpointConnections) != 0 {
		t.Fatalf("consumer connections: %v %d", err, len(out.VpcEndpointConnections))
	}
}

func TestEventualConsistencyFault(t *testing.T) {
	d := sandbox.DefaultDelays()
	e := newPLEnv(t, sbtest.Options{Faults: sandbox.Faults{Consistency: true}, Delays: &d})
	sc := e.createService(t, true, "")
	_, err := e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{*sc.ServiceId}})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
	e.Advance(t, max(d.Visibility, d.ServiceAvailable))
	if got := e.service(t, *sc.ServiceId); got.ServiceState != types.ServiceStateAvailable {
		t.Fatalf("state %q", got.ServiceState)
	}
	e.allow(t, *sc.ServiceId, "arn:aws:iam::"+e.consAcct.ID+":root")
	_, subnets := e.vpc(t, e.consAcct.ID)
	ep := e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"])
	_, err = e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}})
	plAPIError(t, err, "InvalidVpcEndpointId.NotFound", "")
	e.Advance(t, d.Visibility)
	e.endpoint(t, *ep.VpcEndpointId)
}

// BenchmarkDescribeConnections10k pages through 10,000 connections of one
// service (10 pages of 1000) per iteration; the "other call" sub-benchmark
// is a provider call that must not pay for those connections.
func BenchmarkDescribeConnections10k(b *testing.B) {
	e := sbtest.Start(b, sbtest.Options{Scenario: "connections=10000"})
	ctx := sbtest.Context(b)
	prov := ec2.NewFromConfig(e.Config(b, "provider"))
	out, err := prov.DescribeVpcEndpointServiceConfigurations(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{})
	if err != nil || len(out.ServiceConfigurations) != 1 {
		b.Fatal(err)
	}
	id := *out.ServiceConfigurations[0].ServiceId
	b.Run("all pages", func(b *testing.B) {
		for b.Loop() {
			pager := ec2.NewDescribeVpcEndpointConnectionsPaginator(prov, &ec2.DescribeVpcEndpointConnectionsInput{
				Filters:    []types.Filter{{Name: aws.String("service-id"), Values: []string{id}}},
				MaxResults: aws.Int32(1000),
			})
			n := 0
			for pager.HasMorePages() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					b.Fatal(err)
				}
				n += len(page.VpcEndpointConnections)
			}
			if n != 10000 {
				b.Fatalf("%d connections", n)
			}
		}
	})
	b.Run("one small page", func(b *testing.B) {
		for b.Loop() {
			if _, err := prov.DescribeVpcEndpointConnections(ctx, &ec2.DescribeVpcEndpointConnectionsInput{MaxResults: aws.Int32(5)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("other call", func(b *testing.B) {
		for b.Loop() {
			if _, err := prov.DescribeVpcEndpointServiceConfigurations(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{id}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestPrivateDNSConflictsWithAnotherEndpointInTheVPC(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, false, "api.example.com")
	e.verify(t, sc)
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	e.setVPCDNS(vpcID, true, true)
	first := e.createEndpoint(t, *sc.ServiceName, plValues(subnets)[0])
	second := e.createEndpoint(t, *sc.ServiceName, plValues(subnets)[0])
	e.Advance(t, e.d.EndpointPending+e.d.EndpointAvailable)
	enable := func(id string) error {
		_, err := e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(true)})
		return err
	}
	if err := enable(*first.VpcEndpointId); err != nil {
		t.Fatalf("enable private DNS on the first endpoint: %v", err)
	}
	plAPIError(t, enable(*second.VpcEndpointId), "InvalidParameter",
		"private-dns-enabled cannot be set because there is already a conflicting DNS domain for api.example.com in the VPC "+vpcID)
	// Once the first is gone, the name is free again.
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*first.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if err := enable(*second.VpcEndpointId); err != nil {
		t.Errorf("enable private DNS after the first endpoint was deleted: %v", err)
	}
}

func TestSecurityGroupInUseByAnEndpointCannotBeDeleted(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := e.availableService(t, true, "")
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	sg, err := e.cons.CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("plwiz-ep"), Description: aws.String("endpoint"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: sc.ServiceName, VpcId: aws.String(vpcID),
		SubnetIds: plValues(subnets)[:1], SecurityGroupIds: []string{*sg.GroupId}, PrivateDnsEnabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cons.DeleteSecurityGroup(e.ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
	plAPIError(t, err, "DependencyViolation", "resource "+*sg.GroupId+" has a dependent object")
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*out.VpcEndpoint.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cons.DeleteSecurityGroup(e.ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId}); err != nil {
		t.Errorf("delete the group once the endpoint is gone: %v", err)
	}
}
