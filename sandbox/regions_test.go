package sandbox_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// regionNames lists DescribeRegions' answer as name=status.
func regionNames(out *ec2.DescribeRegionsOutput) []string {
	var got []string
	for _, r := range out.Regions {
		got = append(got, aws.ToString(r.RegionName)+"="+aws.ToString(r.OptInStatus))
	}
	return got
}

func TestDescribeRegions(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	out, err := e.cons.DescribeRegions(e.ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "enabled regions", regionNames(out), []string{"us-east-1=opt-in-not-required", "us-west-2=opt-in-not-required"})
	if ep := aws.ToString(out.Regions[1].Endpoint); ep != "ec2.us-west-2.amazonaws.com" {
		t.Errorf("endpoint %q", ep)
	}
	all, err := e.cons.DescribeRegions(e.ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "all regions", regionNames(all), []string{"us-east-1=opt-in-not-required", "us-west-2=opt-in-not-required", "eu-south-1=not-opted-in"})
	named, err := e.cons.DescribeRegions(e.ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"eu-south-1"}})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "a disabled region by name", regionNames(named), []string{"eu-south-1=not-opted-in"})
	filtered, err := e.cons.DescribeRegions(e.ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true),
		Filters: []types.Filter{{Name: aws.String("opt-in-status"), Values: []string{"not-opted-in"}}}})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "opt-in-status filter", regionNames(filtered), []string{"eu-south-1=not-opted-in"})
	_, err = e.cons.DescribeRegions(e.ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"xx-nowhere-9"}})
	plAPIError(t, err, "InvalidParameterValue", "Invalid region: xx-nowhere-9")
}

// TestCallsSeeTheirRegion: the region of a call is its SigV4 scope's, and
// a region shows its own AZs, VPCs and load balancers only.
func TestCallsSeeTheirRegion(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	west := ec2.NewFromConfig(e.ConfigIn(t, "consumer", "us-west-2"))
	azs, err := west.DescribeAvailabilityZones(e.ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, az := range azs.AvailabilityZones {
		ids = append(ids, aws.ToString(az.ZoneId))
		if aws.ToString(az.RegionName) != "us-west-2" || aws.ToString(az.ZoneName) != e.consAcct.AZNames[aws.ToString(az.ZoneId)] ||
			!strings.HasPrefix(aws.ToString(az.ZoneName), "us-west-2") {
			t.Errorf("AZ %+v: want us-west-2 in the consumer's names", az)
		}
	}
	plEqual(t, "us-west-2 AZ IDs", plSorted(ids), []string{"usw2-az1", "usw2-az2", "usw2-az3"})
	// Each account names the same AZ ID differently in this region too.
	if e.consAcct.AZNames["usw2-az1"] == e.provAcct.AZNames["usw2-az1"] {
		t.Errorf("usw2-az1 is %q for both accounts", e.consAcct.AZNames["usw2-az1"])
	}
	_, err = west.DescribeAvailabilityZones(e.ctx, &ec2.DescribeAvailabilityZonesInput{ZoneIds: []string{"use1-az1"}})
	plAPIError(t, err, "InvalidParameterValue", "Invalid availability zone: [use1-az1]")

	eastVPCs, err := e.cons.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(eastVPCs.Vpcs) != 1 {
		t.Fatalf("us-east-1 VPCs: %v %+v", err, eastVPCs)
	}
	westVPCs, err := west.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(westVPCs.Vpcs) != 1 {
		t.Fatalf("us-west-2 VPCs: %v %+v", err, westVPCs)
	}
	eastID, westID := aws.ToString(eastVPCs.Vpcs[0].VpcId), aws.ToString(westVPCs.Vpcs[0].VpcId)
	if eastID == westID || !strings.HasPrefix(aws.ToString(westVPCs.Vpcs[0].CidrBlock), "127.") {
		t.Fatalf("VPCs east %s west %s (%s): want two loopback VPCs", eastID, westID, aws.ToString(westVPCs.Vpcs[0].CidrBlock))
	}
	// A VPC of another region does not exist here.
	_, err = west.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{VpcIds: []string{eastID}})
	plAPIError(t, err, "InvalidVpcID.NotFound", "")
	subnets, err := west.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{})
	if err != nil || len(subnets.Subnets) != 3 {
		t.Fatalf("us-west-2 subnets: %v %d", err, len(subnets.Subnets))
	}
	for _, sn := range subnets.Subnets {
		if aws.ToString(sn.VpcId) != westID || !strings.HasPrefix(aws.ToString(sn.AvailabilityZoneId), "usw2-") ||
			!strings.Contains(aws.ToString(sn.SubnetArn), ":us-west-2:") {
			t.Errorf("us-west-2 subnet %s in %s (%s, %s)", aws.ToString(sn.SubnetId), aws.ToString(sn.VpcId), aws.ToString(sn.AvailabilityZoneId), aws.ToString(sn.SubnetArn))
		}
	}
	// The provider's load balancer lives in us-east-1 only.
	lbs, err := elbv2.NewFromConfig(e.ConfigIn(t, "provider", "us-west-2")).DescribeLoadBalancers(e.ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 0 {
		t.Fatalf("us-west-2 load balancers: %v %d, want none", err, len(lbs.LoadBalancers))
	}
	// STS answers in every enabled region.
	id, err := sts.NewFromConfig(e.ConfigIn(t, "consumer", "us-west-2")).GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != e.consAcct.ID {
		t.Fatalf("GetCallerIdentity in us-west-2: %v", err)
	}

	// An opt-in region the account has not enabled refuses its
	// credentials; a region the world does not have names those it has.
	_, err = ec2.NewFromConfig(e.ConfigIn(t, "consumer", "eu-south-1")).DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	plAPIError(t, err, "AuthFailure", "AWS was not able to validate the provided access credentials")
	_, err = ec2.NewFromConfig(e.ConfigIn(t, "consumer", "ap-south-1")).DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	if msg := plAPIError(t, err, "AuthFailure", ""); !strings.Contains(msg, "us-east-1, us-west-2") || strings.Contains(msg, "eu-south-1") {
		t.Errorf("unknown region message %q: want the enabled regions", msg)
	}
}

// crossRegionService creates an available service of the provider in
// us-east-1 that the consumer may use from us-west-2.
func crossRegionService(t *testing.T, e *plEnv, regions ...string) types.ServiceConfiguration {
	t.Helper()
	out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{e.nlb(t)}, AcceptanceRequired: aws.Bool(true), SupportedRegions: regions,
		PrivateDnsName: aws.String("api.example.com"),
	})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	e.Advance(t, e.d.ServiceAvailable)
	e.allow(t, aws.ToString(out.ServiceConfiguration.ServiceId), "arn:aws:iam::"+e.consAcct.ID+":root")
	return e.service(t, aws.ToString(out.ServiceConfiguration.ServiceId))
}

func TestCrossRegionEndpoint(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	sc := crossRegionService(t, e, "us-west-2")
	name := aws.ToString(sc.ServiceName)
	var regions []string
	for _, r := range sc.SupportedRegions {
		regions = append(regions, aws.ToString(r.Region)+"="+aws.ToString(r.ServiceState))
	}
	plEqual(t, "supported regions", regions, []string{"us-east-1=Available", "us-west-2=Available"})
	if !aws.ToBool(sc.RemoteAccessEnabled) || !strings.HasPrefix(name, "com.amazonaws.vpce.us-east-1.") {
		t.Fatalf("service %s remote access %v", name, aws.ToBool(sc.RemoteAccessEnabled))
	}

	west := ec2.NewFromConfig(e.ConfigIn(t, "consumer", "us-west-2"))
	// Without ServiceRegions, us-west-2 looks in us-west-2 only.
	local, err := west.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{})
	if err != nil || slices.Contains(local.ServiceNames, name) {
		t.Fatalf("us-west-2 without ServiceRegions lists %v (%v)", local.ServiceNames, err)
	}
	_, err = west.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}})
	plAPIError(t, err, "InvalidServiceName", "The Vpc Endpoint Service '"+name+"' does not exist")
	ds, err := west.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{name}, ServiceRegions: []string{"us-east-1"}})
	if err != nil || len(ds.ServiceDetails) != 1 {
		t.Fatalf("describe with ServiceRegions: %v %+v", err, ds)
	}
	detail := ds.ServiceDetails[0]
	if aws.ToString(detail.ServiceRegion) != "us-east-1" || aws.ToString(detail.Owner) != e.provAcct.ID {
		t.Errorf("detail region %s owner %s", aws.ToString(detail.ServiceRegion), aws.ToString(detail.Owner))
	}
	plEqual(t, "service AZ IDs seen from us-west-2", detail.AvailabilityZoneIds, []string{"use1-az1", "use1-az2", "use1-az3"})

	westVPC := sandboxVPC(t, e, e.consAcct.ID, "us-west-2")
	var westSubnets []string
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if w.Subnets[id].VPCID == westVPC {
				westSubnets = append(westSubnets, id)
			}
		}
	})
	in := &ec2.CreateVpcEndpointInput{
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: aws.String(name), VpcId: aws.String(westVPC),
		SubnetIds: westSubnets, PrivateDnsEnabled: aws.Bool(false),
	}
	// Without ServiceRegion the service is looked for in us-west-2.
	_, err = west.CreateVpcEndpoint(e.ctx, in)
	plAPIError(t, err, "InvalidServiceName", "The Vpc Endpoint Service '"+name+"' does not exist")
	in.ServiceRegion = aws.String("us-east-1")
	// Any AZ of us-west-2 will do: AWS does not match AZs across regions.
	created, err := west.CreateVpcEndpoint(e.ctx, in)
	if err != nil {
		t.Fatalf("cross-region endpoint: %v", err)
	}
	ep := *created.VpcEndpoint
	epID := aws.ToString(ep.VpcEndpointId)
	if aws.ToString(ep.ServiceRegion) != "us-east-1" || len(ep.SubnetIds) != 3 || !strings.EqualFold(string(ep.State), "pendingAcceptance") {
		t.Fatalf("endpoint region %s subnets %v state %s", aws.ToString(ep.ServiceRegion), ep.SubnetIds, ep.State)
	}
	if len(ep.DnsEntries) != 1 || !strings.HasSuffix(aws.ToString(ep.DnsEntries[0].DnsName), "."+aws.ToString(sc.ServiceId)+".us-east-1.vpce.amazonaws.com") {
		t.Fatalf("DNS entries %+v: want the regional name only", ep.DnsEntries)
	}
	// us-east-1 does not see an endpoint of us-west-2.
	eastEPs, err := e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil || len(eastEPs.VpcEndpoints) != 0 {
		t.Fatalf("us-east-1 endpoints: %v %d", err, len(eastEPs.VpcEndpoints))
	}
	_, err = e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	plAPIError(t, err, "InvalidVpcEndpointId.NotFound", "")

	// The provider sees the connection in its own region, from us-west-2.
	conns, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{
		Filters: []types.Filter{{Name: aws.String("vpc-endpoint-region"), Values: []string{"us-west-2"}}}})
	if err != nil || len(conns.VpcEndpointConnections) != 1 || aws.ToString(conns.VpcEndpointConnections[0].VpcEndpointRegion) != "us-west-2" {
		t.Fatalf("connections from us-west-2: %v %+v", err, conns)
	}
	provWest := ec2.NewFromConfig(e.ConfigIn(t, "provider", "us-west-2"))
	westConns, err := provWest.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{})
	if err != nil || len(westConns.VpcEndpointConnections) != 0 {
		t.Fatalf("the provider's us-west-2 connections: %v %d, want none (the service is in us-east-1)", err, len(westConns.VpcEndpointConnections))
	}
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{epID}}); err != nil {
		t.Fatal(err)
	}
	e.Advance(t, e.d.EndpointPending+e.d.EndpointAvailable)
	got, err := west.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	if err != nil || !strings.EqualFold(string(got.VpcEndpoints[0].State), "available") {
		t.Fatalf("after accept: %v %+v", err, got)
	}

	// Private DNS works across regions, under the same rules.
	e.verify(t, &sc)
	if _, err := west.ModifyVpcAttribute(e.ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(westVPC), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatalf("private DNS on a cross-region endpoint: %v", err)
	}
	got, err = west.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	if err != nil || !aws.ToBool(got.VpcEndpoints[0].PrivateDnsEnabled) {
		t.Fatalf("private DNS: %v %+v", err, got)
	}
	if _, err := west.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID}}); err != nil {
		t.Fatal(err)
	}
}

// sandboxVPC is an account's VPC in a region.
func sandboxVPC(t *testing.T, e *plEnv, owner, region string) string {
	t.Helper()
	var id string
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		if v := w.AccountVPC(owner, region); v != nil {
			id = v.ID
		}
	})
	if id == "" {
		t.Fatalf("no VPC of %s in %s", owner, region)
	}
	return id
}

func TestCrossRegionRefusals(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{})
	// Supported regions must be regions of the account that it enabled.
	_, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{e.nlb(t)}, SupportedRegions: []string{"eu-south-1"}})
	plAPIError(t, err, "InvalidParameter", "The Region eu-south-1 is an opt-in Region that is not enabled for account "+e.provAcct.ID+". Enable the Region before you add it as a supported Region.")
	_, err = e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{e.nlb(t)}, SupportedRegions: []string{"Mars"}})
	plAPIError(t, err, "InvalidParameterValue", "Invalid region: Mars")

	// A service that does not support us-west-2 does not exist there.
	local := crossRegionService(t, e)
	if aws.ToBool(local.RemoteAccessEnabled) || len(local.SupportedRegions) != 1 {
		t.Fatalf("one-region service: remote %v regions %+v", aws.ToBool(local.RemoteAccessEnabled), local.SupportedRegions)
	}
	west := ec2.NewFromConfig(e.ConfigIn(t, "consumer", "us-west-2"))
	ds, err := west.DescribeVpcEndpointServices(e.ctx, &ec2.DescribeVpcEndpointServicesInput{ServiceRegions: []string{"us-east-1"}})
	if err != nil || slices.Contains(ds.ServiceNames, aws.ToString(local.ServiceName)) {
		t.Fatalf("unsupported region lists %v (%v)", ds.ServiceNames, err)
	}
	westVPC := sandboxVPC(t, e, e.consAcct.ID, "us-west-2")
	in := &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: local.ServiceName,
		VpcId: aws.String(westVPC), ServiceRegion: aws.String("us-east-1")}
	_, err = west.CreateVpcEndpoint(e.ctx, in)
	plAPIError(t, err, "InvalidServiceName", "The Vpc Endpoint Service '"+aws.ToString(local.ServiceName)+"' does not exist")
	// Adding the region makes it reachable.
	if _, err := e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: local.ServiceId, AddSupportedRegions: []string{"us-west-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.CreateVpcEndpoint(e.ctx, in); err != nil {
		t.Fatalf("after adding us-west-2: %v", err)
	}

	// The service region must be enabled for the consumer.
	in.ServiceRegion = aws.String("eu-south-1")
	_, err = west.CreateVpcEndpoint(e.ctx, in)
	plAPIError(t, err, "InvalidParameter", "The service Region eu-south-1 is an opt-in Region that is not enabled for account "+e.consAcct.ID+". Enable the Region to connect to services hosted in it.")
	// The endpoint's VPC is one of the call's region.
	in.ServiceRegion, in.VpcId = aws.String("us-east-1"), aws.String(sandboxVPC(t, e, e.consAcct.ID, ""))
	_, err = west.CreateVpcEndpoint(e.ctx, in)
	plAPIError(t, err, "InvalidVpcID.NotFound", "")
}

// TestNoMultiRegionScenario: without vpce:AllowMultiRegion every
// cross-region call is refused as AWS refuses it, and one region still works.
func TestNoMultiRegionScenario(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{Scenario: "no-multi-region"})
	_, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{e.nlb(t)}, SupportedRegions: []string{"us-west-2"}})
	plAPIError(t, err, "UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::"+e.provAcct.ID+
		":user/plwiz-provider is not authorized to perform: ec2:CreateVpcEndpointServiceConfiguration on resource: arn:aws:ec2:us-east-1:"+
		e.provAcct.ID+":vpc-endpoint-service/* because no identity-based policy allows the vpce:AllowMultiRegion action.")
	sc := crossRegionService(t, e) // one region: allowed
	_, err = e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: sc.ServiceId, AddSupportedRegions: []string{"us-west-2"}})
	if msg := plAPIError(t, err, "UnauthorizedOperation", ""); !strings.Contains(msg, "ec2:ModifyVpcEndpointServiceConfiguration on resource: arn:aws:ec2:us-east-1:"+e.provAcct.ID+":vpc-endpoint-service/"+aws.ToString(sc.ServiceId)) {
		t.Errorf("modify refusal %q", msg)
	}
	// The world allows it again for the provider only: the consumer is
	// still refused.
	e.SB.World(func(w *sandbox.World, _ time.Time) { w.AccountByName("provider").Denied = nil })
	if _, err := e.prov.ModifyVpcEndpointServiceConfiguration(e.ctx, &ec2.ModifyVpcEndpointServiceConfigurationInput{
		ServiceId: sc.ServiceId, AddSupportedRegions: []string{"us-west-2"}}); err != nil {
		t.Fatal(err)
	}
	west := ec2.NewFromConfig(e.ConfigIn(t, "consumer", "us-west-2"))
	_, err = west.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: sc.ServiceName, ServiceRegion: aws.String("us-east-1"), VpcId: aws.String(sandboxVPC(t, e, e.consAcct.ID, "us-west-2"))})
	if msg := plAPIError(t, err, "UnauthorizedOperation", ""); !strings.Contains(msg, "ec2:CreateVpcEndpoint on resource: arn:aws:ec2:us-west-2:"+e.consAcct.ID+":vpc-endpoint/*") ||
		!strings.Contains(msg, "vpce:AllowMultiRegion") {
		t.Errorf("consumer refusal %q", msg)
	}
	// Same region: no such permission needed.
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	if _, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: sc.ServiceName, VpcId: aws.String(vpcID), SubnetIds: []string{subnets["use1-az1"]}, PrivateDnsEnabled: aws.Bool(false)}); err != nil {
		t.Fatalf("same-region endpoint: %v", err)
	}
}

// TestWorldFileOfOneRegionLoads: a world saved before regions (its AZ
// IDs at the top, resources without a region) loads as one region.
func TestWorldFileOfOneRegionLoads(t *testing.T) {
	w := sandbox.NewWorld(sandbox.WorldOptions{Seed: 7})
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var old map[string]any
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatal(err)
	}
	// What a world file of the earlier shape holds: no regions, the home
	// region's AZ IDs, VPCs without a region and no second region.
	delete(old, "regions")
	old["azIds"] = []string{"use1-az1", "use1-az2", "use1-az3"}
	vpcs := old["vpcs"].(map[string]any)
	for id, v := range vpcs {
		vpc := v.(map[string]any)
		if vpc["region"] != "us-east-1" {
			delete(vpcs, id)
			for sid, sn := range old["subnets"].(map[string]any) {
				if sn.(map[string]any)["vpcId"] == id {
					delete(old["subnets"].(map[string]any), sid)
				}
			}
		}
		delete(vpc, "region")
	}
	path := filepath.Join(t.TempDir(), "world.json")
	if data, err = json.Marshal(old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := sandbox.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Regions) != 1 || loaded.Regions[0].Name != "us-east-1" || !slices.Equal(loaded.AZIDsIn(""), []string{"use1-az1", "use1-az2", "use1-az3"}) {
		t.Fatalf("regions after load: %+v", loaded.Regions)
	}
	e := newPLEnv(t, sbtest.Options{World: loaded})
	vpcsOut, err := e.cons.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcsOut.Vpcs) != 1 {
		t.Fatalf("DescribeVpcs: %v %+v", err, vpcsOut)
	}
	regions, err := e.cons.DescribeRegions(e.ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "regions", regionNames(regions), []string{"us-east-1=opt-in-not-required"})
	// The endpoint flow runs in it as before.
	sc := e.availableService(t, true, "")
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	if vpcID != aws.ToString(vpcsOut.Vpcs[0].VpcId) {
		t.Fatalf("VPC %s, want %s", vpcID, aws.ToString(vpcsOut.Vpcs[0].VpcId))
	}
	e.createEndpoint(t, aws.ToString(sc.ServiceName), subnets["use1-az1"])
	_, err = ec2.NewFromConfig(e.ConfigIn(t, "consumer", "us-west-2")).DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	plAPIError(t, err, "AuthFailure", "")
}

// TestDataPlaneAcrossRegions: an endpoint in us-west-2 reaches the
// provider's load balancer in us-east-1 on loopback, from every ENI, its
// regional name resolving to them; with cross-zone load balancing off,
// its traffic is not held to a zone of the service's region.
func TestDataPlaneAcrossRegions(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true})
	ep := env.Endpoint(t, sbtest.EndpointOptions{ConsumerRegion: "us-west-2"})
	var ips []string
	for _, eni := range ep.ENIs {
		if !strings.HasPrefix(eni.AZID, "usw2-") || !eni.IP.Is4() || !eni.IP.IsLoopback() {
			t.Fatalf("ENI %+v: want a loopback address in us-west-2", eni)
		}
		ips = append(ips, eni.IP.String())
	}
	wantReach(t, env, ep, "us-west-2 → us-east-1", true, true, true)
	var regional string
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		names := w.EndpointDNSNames(w.Endpoints[ep.ID])
		if len(names) != 1 {
			t.Fatalf("names %+v, want the regional name only", names)
		}
		regional = names[0].Name
	})
	slices.Sort(ips)
	if got := e2eA(t, env, regional); !slices.Equal(got, ips) {
		t.Fatalf("%s → %v, want %v", regional, got, ips)
	}

	off := sbtest.Start(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "cross-zone-off")})
	wantReach(t, off, off.Endpoint(t, sbtest.EndpointOptions{ConsumerRegion: "us-west-2"}), "cross-zone-off, us-west-2", true, true, true)
}
