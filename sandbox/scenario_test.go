package sandbox_test

import (
	"context"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func TestParseScenarios(t *testing.T) {
	got, err := sandbox.ParseScenarios(" legacy-ids , connections=12")
	if err != nil {
		t.Fatal(err)
	}
	plEqual(t, "parsed", got, []string{"legacy-ids", "connections=12"})
	if got, err := sandbox.ParseScenarios(""); err != nil || len(got) != 0 {
		t.Errorf("empty spec: %v %v", got, err)
	}
	for spec, want := range map[string]string{
		"unhealthy":                    `unknown scenario "unhealthy"; known scenarios: legacy-ids, connections=N`,
		"connections":                  "scenario connections needs a value: connections=N",
		"connections=":                 "scenario connections needs a value: connections=N",
		"legacy-ids=yes":               "scenario legacy-ids takes no value",
		"legacy-ids,,connections=1":    "empty entry",
		"legacy-ids,legacy-ids":        "scenario legacy-ids is given twice",
		"connections=1,connections=2":  "scenario connections is given twice",
		"LEGACY-IDS":                   "known scenarios: legacy-ids, connections=N",
		"legacy-ids;connections=10000": `unknown scenario "legacy-ids;connections"`,
	} {
		if _, err := sandbox.ParseScenarios(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseScenarios(%q) = %v, want an error with %q", spec, err, want)
		}
	}
	for _, arg := range []string{"0", "-1", "x", "40001", "1e3"} {
		_, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{}, "connections="+arg)
		if err == nil || !strings.Contains(err.Error(), "N must be a whole number from 1 to 40000") {
			t.Errorf("connections=%s: %v", arg, err)
		}
	}
	// Every scenario has a name, help, and something to do.
	for _, sc := range sandbox.Scenarios() {
		if sc.Name == "" || sc.Help == "" || (sc.Prepare == nil && sc.Setup == nil) {
			t.Errorf("scenario %+v is incomplete", sc)
		}
	}
}

func TestSandboxOptionsScenario(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Scenario: "bogus"})
	if err := sb.Start("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "known scenarios: legacy-ids") {
		t.Errorf("a bad scenario started: %v", err)
		sb.Close()
	}
	sb = sandbox.New(sandbox.Options{World: sandbox.NewWorld(sandbox.WorldOptions{}), Scenario: "legacy-ids"})
	if err := sb.Start("127.0.0.1:0"); err == nil {
		t.Error("a scenario with a given world started")
		sb.Close()
	}
}

// legacyID matches the 8-hex form of each kind AWS had before 2018.
var legacyID = regexp.MustCompile(`^(vpc|subnet|sg|eni|vpce-svc|vpce)-[0-9a-f]{8}$`)

func wantLegacy(t *testing.T, what string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if !legacyID.MatchString(id) {
			t.Errorf("%s ID %q is not of the 8-hex kind", what, id)
		}
	}
}

// TestLegacyIDsScenario runs the provider's and the consumer's calls on a
// world of 8-hex IDs, through the SDK: every ID read or created is of that
// kind, and every call taking one works.
func TestLegacyIDsScenario(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{Scenario: "legacy-ids"})
	vpcs, err := e.cons.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	vpcID := *vpcs.Vpcs[0].VpcId
	wantLegacy(t, "VPC", vpcID)
	if a := aws.ToString(vpcs.Vpcs[0].CidrBlockAssociationSet[0].AssociationId); !strings.HasPrefix(a, "vpc-cidr-assoc-") || len(a) != len("vpc-cidr-assoc-")+8 {
		t.Errorf("CIDR association %q", a)
	}
	sns, err := e.cons.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	if err != nil || len(sns.Subnets) != 3 {
		t.Fatalf("DescribeSubnets by a legacy VPC ID: %v", err)
	}
	subnetByAZ := map[string]string{}
	for _, sn := range sns.Subnets {
		wantLegacy(t, "subnet", *sn.SubnetId)
		subnetByAZ[*sn.AvailabilityZoneId] = *sn.SubnetId
	}
	sg, err := e.cons.CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("app"), Description: aws.String("app"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatal(err)
	}
	wantLegacy(t, "security group", *sg.GroupId)
	if !strings.HasPrefix(*sg.SecurityGroupArn, "arn:aws:ec2:us-east-1:"+e.consAcct.ID+":security-group/"+*sg.GroupId) {
		t.Errorf("group ARN %s", *sg.SecurityGroupArn)
	}
	if _, err := e.cons.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443),
			IpRanges: []types.IpRange{{CidrIp: aws.String("127.0.0.0/8")}}}}}); err != nil {
		t.Fatalf("ingress on a legacy group: %v", err)
	}

	sc := e.availableService(t, true, "api.example.com")
	wantLegacy(t, "service", *sc.ServiceId)
	if *sc.ServiceName != "com.amazonaws.vpce.us-east-1."+*sc.ServiceId {
		t.Errorf("service name %s", *sc.ServiceName)
	}
	e.verify(t, sc)
	e.setVPCDNS(vpcID, true, true)
	ep, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: sc.ServiceName, VpcId: aws.String(vpcID), SubnetIds: []string{subnetByAZ["use1-az1"], subnetByAZ["use1-az2"]},
		SecurityGroupIds: []string{*sg.GroupId}, PrivateDnsEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	epID := *ep.VpcEndpoint.VpcEndpointId
	wantLegacy(t, "endpoint", epID)
	wantLegacy(t, "endpoint ENI", ep.VpcEndpoint.NetworkInterfaceIds...)
	if len(ep.VpcEndpoint.DnsEntries) == 0 || !strings.HasPrefix(*ep.VpcEndpoint.DnsEntries[0].DnsName, epID+"-") ||
		!strings.Contains(*ep.VpcEndpoint.DnsEntries[0].DnsName, "."+*sc.ServiceId+".us-east-1.vpce.amazonaws.com") {
		t.Errorf("DNS entries %+v", ep.VpcEndpoint.DnsEntries)
	}

	// The provider finds, accepts and watches the connection by its ID.
	conns, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{Filters: []types.Filter{
		filter("vpc-endpoint-id", epID), filter("service-id", *sc.ServiceId)}})
	if err != nil || len(conns.VpcEndpointConnections) != 1 || *conns.VpcEndpointConnections[0].VpcEndpointConnectionId != "vpce-con-"+strings.TrimPrefix(epID, "vpce-") {
		t.Fatalf("connection by legacy IDs: %v %+v", err, conns)
	}
	acc, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{epID}})
	if err != nil || len(acc.Unsuccessful) != 0 {
		t.Fatalf("accept: %v %+v", err, acc)
	}
	e.Advance(t, e.d.EndpointPending+e.d.EndpointAvailable)
	if _, err := e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatalf("private DNS on a legacy endpoint: %v", err)
	}
	got := e.endpoint(t, epID)
	if !strings.EqualFold(string(got.State), "available") || !aws.ToBool(got.PrivateDnsEnabled) {
		t.Fatalf("endpoint %s private DNS %v", got.State, aws.ToBool(got.PrivateDnsEnabled))
	}
	enis, err := e.cons.DescribeNetworkInterfaces(e.ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: got.NetworkInterfaceIds})
	if err != nil || len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("ENIs by legacy IDs: %v", err)
	}
	if _, err := e.cons.CreateTags(e.ctx, &ec2.CreateTagsInput{Resources: []string{vpcID, epID, *sg.GroupId, got.NetworkInterfaceIds[0], subnetByAZ["use1-az3"]},
		Tags: []types.Tag{{Key: aws.String("plwiz:session"), Value: aws.String("s1")}}}); err != nil {
		t.Fatalf("tags on legacy IDs: %v", err)
	}
	if _, err := e.prov.CreateTags(e.ctx, &ec2.CreateTagsInput{Resources: []string{*sc.ServiceId}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}); err != nil {
		t.Fatalf("tags on a legacy service: %v", err)
	}
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cons.DeleteSecurityGroup(e.ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId}); err != nil {
		t.Fatalf("delete a legacy group: %v", err)
	}
}

// TestLegacyIDsAreUnique draws more 8-hex IDs than make a collision likely
// without the check: none repeats, and each is of the 8-hex kind.
func TestLegacyIDsAreUnique(t *testing.T) {
	w, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Seed: 7}, "legacy-ids,connections=20000")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id, e := range w.Endpoints {
		wantLegacy(t, "endpoint", id)
		for _, eni := range e.ENIIDs {
			if seen[eni] {
				t.Fatalf("ENI ID %s handed out twice", eni)
			}
			seen[eni] = true
		}
	}
	if len(w.Endpoints) != 20000 || len(seen) != 20000 {
		t.Fatalf("%d endpoints, %d ENIs", len(w.Endpoints), len(seen))
	}
	// The world keeps handing out the legacy kind after a restart, and
	// the later kinds (rules, permissions) their own length.
	if !w.LegacyIDs || len(w.NewID("sgr-")) != len("sgr-")+17 || len(w.NewID("vpce-svc-perm-")) != len("vpce-svc-perm-")+17 {
		t.Error("legacy-ids changed kinds AWS never issued with 8 digits")
	}
	wantLegacy(t, "new", w.NewID("vpc-"), w.NewID("vpce-"))
}

// TestConnectionsScenario: a service with 10,000 pending connections, as
// the provider's connections table and a consumer see it.
func TestConnectionsScenario(t *testing.T) {
	e := newPLEnv(t, sbtest.Options{Scenario: "connections=10000"})
	// Paging 10,000 connections under the race detector on a busy machine
	// takes a while; the deadline only guards against a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e.ctx = ctx
	svcs, err := e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{
		Filters: []types.Filter{filter("tag:Name", "plwiz-connections")}})
	if err != nil || len(svcs.ServiceConfigurations) != 1 {
		t.Fatalf("the scenario's service: %v", err)
	}
	sc := svcs.ServiceConfigurations[0]
	if sc.ServiceState != types.ServiceStateAvailable || !aws.ToBool(sc.AcceptanceRequired) {
		t.Fatalf("service %s acceptance %v", sc.ServiceState, aws.ToBool(sc.AcceptanceRequired))
	}
	pager := ec2.NewDescribeVpcEndpointConnectionsPaginator(e.prov, &ec2.DescribeVpcEndpointConnectionsInput{
		Filters:    []types.Filter{filter("vpc-endpoint-state", "pendingAcceptance"), filter("service-id", *sc.ServiceId)},
		MaxResults: aws.Int32(1000),
	})
	var owners = map[string]int{}
	ids, pages := drainIDs(t, e.ctx, pager, func(out *ec2.DescribeVpcEndpointConnectionsOutput) (ids []string) {
		for _, c := range out.VpcEndpointConnections {
			owners[*c.VpcEndpointOwner]++
			ids = append(ids, *c.VpcEndpointId)
		}
		return ids
	})
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(distinct) != 10000 || pages != 10 || owners[sandbox.FleetAccountID] != 10000 {
		t.Fatalf("%d distinct connections in %d pages, owners %v", len(distinct), pages, owners)
	}

	// The fleet's endpoints are real: one ENI each, addresses of their own
	// inside the fleet's VPC.
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		unique := map[string]bool{}
		for _, id := range ids {
			ep := w.Endpoints[id]
			block := netip.MustParsePrefix(w.VPCs[ep.VPCID].CIDR)
			for _, eniID := range ep.ENIIDs {
				eni := w.ENIs[eniID]
				if ip, err := netip.ParseAddr(eni.PrivateIP); err != nil || !block.Contains(ip) || eni.EndpointID != id {
					t.Fatalf("ENI %+v of %s outside its VPC %s", eni, id, block)
				}
				unique[eni.PrivateIP] = true
			}
		}
		if len(unique) != 10000 {
			t.Fatalf("%d distinct ENI addresses", len(unique))
		}
	})
	fleet := ec2.NewFromConfig(e.Config(t, "fleet"))
	// A consumer may connect too: the 10,001st; the provider accepts a
	// fleet endpoint and it comes up.
	_, subnets := e.vpc(t, e.consAcct.ID)
	mine := e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"])
	theirs, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{Filters: []types.Filter{
		filter("service-id", *sc.ServiceId), filter("vpc-endpoint-id", *mine.VpcEndpointId)}})
	if err != nil || len(theirs.VpcEndpointConnections) != 1 || *theirs.VpcEndpointConnections[0].VpcEndpointOwner != e.consAcct.ID {
		t.Fatalf("the consumer's connection: %v %+v", err, theirs)
	}
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId,
		VpcEndpointIds: []string{ids[0], *mine.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	e.Advance(t, e.d.EndpointPending+e.d.EndpointAvailable)
	got, err := fleet.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{ids[0]}})
	if err != nil || !strings.EqualFold(string(got.VpcEndpoints[0].State), "available") {
		t.Fatalf("accepted fleet endpoint: %v", err)
	}
	enis, err := fleet.DescribeNetworkInterfaces(e.ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: got.VpcEndpoints[0].NetworkInterfaceIds})
	if err != nil || len(enis.NetworkInterfaces) != 1 || !strings.HasSuffix(aws.ToString(enis.NetworkInterfaces[0].Description), ids[0]) {
		t.Fatalf("its ENI: %v %+v", err, enis)
	}
}

// TestScenariosCompose: legacy IDs hold for what the connections scenario
// makes, in either order.
func TestScenariosCompose(t *testing.T) {
	for _, spec := range []string{"legacy-ids,connections=50", "connections=50,legacy-ids"} {
		w, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{}, spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Endpoints) != 50 {
			t.Fatalf("%s: %d endpoints", spec, len(w.Endpoints))
		}
		for id, ep := range w.Endpoints {
			wantLegacy(t, spec+" endpoint", id, ep.ServiceID, ep.VPCID)
			wantLegacy(t, spec+" ENI", ep.ENIIDs...)
		}
		plEqual(t, "recorded scenarios", w.Scenarios, strings.Split(spec, ","))
	}
}

func BenchmarkConnectionsScenario10k(b *testing.B) {
	now := time.Now()
	for b.Loop() {
		if _, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Seed: 1, Now: now}, "connections=10000"); err != nil {
			b.Fatal(err)
		}
	}
}
