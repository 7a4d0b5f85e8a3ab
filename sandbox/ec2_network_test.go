package sandbox_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// netFixture is a sandbox with EC2 clients for both accounts and a copy of
// the world's networks.
type netFixture struct {
	env        *sbtest.Env
	prov, cons *ec2.Client
	provAcct   sandbox.Account
	consAcct   sandbox.Account
}

func newNetFixture(t *testing.T, o sbtest.Options) *netFixture {
	t.Helper()
	env := sbtest.Start(t, o)
	return &netFixture{
		env:      env,
		prov:     ec2.NewFromConfig(env.Config(t, "provider")),
		cons:     ec2.NewFromConfig(env.Config(t, "consumer")),
		provAcct: env.Account(t, "provider"),
		consAcct: env.Account(t, "consumer"),
	}
}

// vpcOf returns a copy of the account's (only) VPC and its subnets.
func (f *netFixture) vpcOf(t *testing.T, owner string) (sandbox.VPC, []sandbox.Subnet) {
	t.Helper()
	var vpc sandbox.VPC
	var subnets []sandbox.Subnet
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		if v := w.AccountVPC(owner, ""); v != nil {
			vpc = *v
		}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if sn := w.Subnets[id]; sn.VPCID == vpc.ID {
				subnets = append(subnets, *sn)
			}
		}
	})
	if vpc.ID == "" {
		t.Fatalf("no VPC for %s", owner)
	}
	return vpc, subnets
}

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func tagMap(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestDescribeVpcs(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	want, _ := f.vpcOf(t, f.consAcct.ID)

	out, err := f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	if len(out.Vpcs) != 1 {
		t.Fatalf("consumer sees %d VPCs, want 1", len(out.Vpcs))
	}
	v := out.Vpcs[0]
	if aws.ToString(v.VpcId) != want.ID || aws.ToString(v.OwnerId) != f.consAcct.ID ||
		aws.ToString(v.CidrBlock) != want.CIDR || v.State != ec2types.VpcStateAvailable ||
		aws.ToBool(v.IsDefault) || v.InstanceTenancy != ec2types.TenancyDefault || aws.ToString(v.DhcpOptionsId) == "" {
		t.Errorf("VPC = id %s owner %s cidr %s state %s default %v tenancy %s dhcp %s", aws.ToString(v.VpcId),
			aws.ToString(v.OwnerId), aws.ToString(v.CidrBlock), v.State, aws.ToBool(v.IsDefault), v.InstanceTenancy, aws.ToString(v.DhcpOptionsId))
	}
	if !strings.HasPrefix(want.CIDR, "127.") {
		t.Errorf("VPC CIDR %s is not loopback", want.CIDR)
	}
	if len(v.CidrBlockAssociationSet) != 1 || aws.ToString(v.CidrBlockAssociationSet[0].CidrBlock) != want.CIDR ||
		v.CidrBlockAssociationSet[0].CidrBlockState.State != ec2types.VpcCidrBlockStateCodeAssociated {
		t.Errorf("CidrBlockAssociationSet = %+v", v.CidrBlockAssociationSet)
	}
	if got := tagMap(v.Tags); got["Name"] != "consumer-vpc" || len(got) != 1 {
		t.Errorf("Tags = %v", got)
	}

	t.Run("filters", func(t *testing.T) {
		cases := []struct {
			name string
			f    []ec2types.Filter
			ids  []string
			n    int
		}{
			{"vpc-id", []ec2types.Filter{filter("vpc-id", want.ID)}, nil, 1},
			{"vpc-id other", []ec2types.Filter{filter("vpc-id", "vpc-00000000000000000")}, nil, 0},
			{"tag", []ec2types.Filter{filter("tag:Name", "consumer-*")}, nil, 1},
			{"tag miss", []ec2types.Filter{filter("tag:Name", "provider-vpc")}, nil, 0},
			{"tag-key", []ec2types.Filter{filter("tag-key", "Name")}, nil, 1},
			{"owner-id", []ec2types.Filter{filter("owner-id", f.consAcct.ID)}, nil, 1},
			{"owner-id other", []ec2types.Filter{filter("owner-id", f.provAcct.ID)}, nil, 0},
			{"cidr", []ec2types.Filter{filter("cidr", want.CIDR)}, nil, 1},
			{"and", []ec2types.Filter{filter("cidr", want.CIDR), filter("is-default", "true")}, nil, 0},
			{"ids", nil, []string{want.ID}, 1},
		}
		for _, c := range cases {
			o, err := f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: c.f, VpcIds: c.ids})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if len(o.Vpcs) != c.n {
				t.Errorf("%s: %d VPCs, want %d", c.name, len(o.Vpcs), c.n)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
		ae := wantCode(t, err, "InvalidVpcID.NotFound")
		if ae.ErrorMessage() != "The vpc ID 'vpc-0123456789abcdef0' does not exist" {
			t.Errorf("message %q", ae.ErrorMessage())
		}
		prov, _ := f.vpcOf(t, f.provAcct.ID)
		_, err = f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{prov.ID}})
		wantCode(t, err, "InvalidVpcID.NotFound")
		_, err = f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"myvpc"}})
		wantCode(t, err, "InvalidVpcID.Malformed")
		_, err = f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("colour", "blue")}})
		ae = wantCode(t, err, "InvalidParameterValue")
		if ae.ErrorMessage() != "The filter 'colour' is invalid" {
			t.Errorf("message %q", ae.ErrorMessage())
		}
		_, err = f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(4)})
		wantCode(t, err, "InvalidParameterValue")
	})
	t.Run("pagination", func(t *testing.T) {
		f.env.SB.World(func(w *sandbox.World, _ time.Time) {
			for i := range 11 {
				id := fmt.Sprintf("vpc-%017x", 0xabc00+i)
				w.VPCs[id] = &sandbox.VPC{ID: id, Owner: f.consAcct.ID, CIDR: fmt.Sprintf("127.200.%d.0/24", i), EnableDNSSupport: true}
			}
		})
		p := ec2.NewDescribeVpcsPaginator(f.cons, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
		var ids []string
		pages := 0
		for p.HasMorePages() {
			o, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(o.Vpcs) > 5 {
				t.Errorf("page of %d", len(o.Vpcs))
			}
			for _, v := range o.Vpcs {
				ids = append(ids, aws.ToString(v.VpcId))
			}
		}
		slices.Sort(ids)
		if len(ids) != 12 || len(slices.Compact(ids)) != 12 || pages != 3 {
			t.Errorf("%d VPCs (%d distinct) in %d pages, want 12 in 3", len(ids), len(slices.Compact(ids)), pages)
		}
		_, err := f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{want.ID}, MaxResults: aws.Int32(5)})
		wantCode(t, err, "InvalidParameterCombination")
	})
}

func TestVpcAttributes(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	vpc, _ := f.vpcOf(t, f.consAcct.ID)

	get := func(attr ec2types.VpcAttributeName) bool {
		t.Helper()
		o, err := f.cons.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpc.ID), Attribute: attr})
		if err != nil {
			t.Fatalf("DescribeVpcAttribute %s: %v", attr, err)
		}
		if aws.ToString(o.VpcId) != vpc.ID {
			t.Errorf("VpcId = %q", aws.ToString(o.VpcId))
		}
		switch attr {
		case ec2types.VpcAttributeNameEnableDnsSupport:
			if o.EnableDnsHostnames != nil {
				t.Error("asked for support, got hostnames too")
			}
			return aws.ToBool(o.EnableDnsSupport.Value)
		default:
			if o.EnableDnsSupport != nil {
				t.Error("asked for hostnames, got support too")
			}
			return aws.ToBool(o.EnableDnsHostnames.Value)
		}
	}
	set := func(support, hostnames *bool) error {
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpc.ID)}
		if support != nil {
			in.EnableDnsSupport = &ec2types.AttributeBooleanValue{Value: support}
		}
		if hostnames != nil {
			in.EnableDnsHostnames = &ec2types.AttributeBooleanValue{Value: hostnames}
		}
		_, err := f.cons.ModifyVpcAttribute(ctx, in)
		return err
	}

	if !get(ec2types.VpcAttributeNameEnableDnsSupport) || get(ec2types.VpcAttributeNameEnableDnsHostnames) {
		t.Fatal("consumer VPC should start with DNS support on and hostnames off")
	}
	wantCode(t, set(aws.Bool(true), aws.Bool(true)), "InvalidParameterCombination")
	if err := set(nil, aws.Bool(true)); err != nil {
		t.Fatalf("enable hostnames: %v", err)
	}
	if !get(ec2types.VpcAttributeNameEnableDnsHostnames) {
		t.Error("hostnames still off after enabling")
	}
	if err := set(nil, aws.Bool(false)); err != nil {
		t.Fatal(err)
	}
	if err := set(aws.Bool(false), nil); err != nil {
		t.Fatalf("disable support: %v", err)
	}
	if get(ec2types.VpcAttributeNameEnableDnsSupport) {
		t.Error("support still on after disabling")
	}
	wantCode(t, set(nil, aws.Bool(true)), "InvalidParameterValue")
	if get(ec2types.VpcAttributeNameEnableDnsHostnames) {
		t.Error("hostnames turned on although DNS support is off")
	}

	_, err := f.cons.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-0123456789abcdef0"),
		EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	prov, _ := f.vpcOf(t, f.provAcct.ID)
	_, err = f.cons.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(prov.ID), Attribute: ec2types.VpcAttributeNameEnableDnsSupport})
	wantCode(t, err, "InvalidVpcID.NotFound")
	_, err = f.cons.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpc.ID), Attribute: "colour"})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeSubnets(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	vpc, subnets := f.vpcOf(t, f.consAcct.ID)

	out, err := f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("vpc-id", vpc.ID)}})
	if err != nil {
		t.Fatalf("DescribeSubnets: %v", err)
	}
	if len(out.Subnets) != 3 {
		t.Fatalf("%d subnets, want 3", len(out.Subnets))
	}
	for i, s := range out.Subnets {
		w := subnets[i]
		if aws.ToString(s.SubnetId) != w.ID || aws.ToString(s.VpcId) != vpc.ID || aws.ToString(s.OwnerId) != f.consAcct.ID ||
			aws.ToString(s.CidrBlock) != w.CIDR || s.State != ec2types.SubnetStateAvailable ||
			aws.ToInt32(s.AvailableIpAddressCount) != 251 || aws.ToBool(s.DefaultForAz) {
			t.Errorf("subnet %d = %s vpc %s owner %s cidr %s state %s free %d", i, aws.ToString(s.SubnetId), aws.ToString(s.VpcId),
				aws.ToString(s.OwnerId), aws.ToString(s.CidrBlock), s.State, aws.ToInt32(s.AvailableIpAddressCount))
		}
		if aws.ToString(s.AvailabilityZoneId) != w.AZID {
			t.Errorf("subnet %s AvailabilityZoneId %q, want %q", w.ID, aws.ToString(s.AvailabilityZoneId), w.AZID)
		}
		if aws.ToString(s.AvailabilityZone) != f.consAcct.AZNames[w.AZID] || aws.ToString(s.AvailabilityZone) == f.provAcct.AZNames[w.AZID] {
			t.Errorf("subnet %s AvailabilityZone %q, want the consumer's name %q", w.ID, aws.ToString(s.AvailabilityZone), f.consAcct.AZNames[w.AZID])
		}
		if want := fmt.Sprintf("arn:aws:ec2:us-east-1:%s:subnet/%s", f.consAcct.ID, w.ID); aws.ToString(s.SubnetArn) != want {
			t.Errorf("SubnetArn %q, want %q", aws.ToString(s.SubnetArn), want)
		}
		if tagMap(s.Tags)["Name"] != "consumer-"+f.consAcct.AZNames[w.AZID] {
			t.Errorf("Tags %v", tagMap(s.Tags))
		}
	}

	first := subnets[0]
	for _, c := range []struct {
		name string
		f    ec2types.Filter
	}{
		{"availability-zone", filter("availability-zone", f.consAcct.AZNames[first.AZID])},
		{"availability-zone-id", filter("availability-zone-id", first.AZID)},
		{"subnet-id", filter("subnet-id", first.ID)},
		{"tag", filter("tag:Name", "consumer-"+f.consAcct.AZNames[first.AZID])},
	} {
		o, err := f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{c.f}})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(o.Subnets) != 1 || aws.ToString(o.Subnets[0].SubnetId) != first.ID {
			t.Errorf("%s: got %d subnets", c.name, len(o.Subnets))
		}
	}
	o, err := f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{first.ID, subnets[2].ID}})
	if err != nil || len(o.Subnets) != 2 {
		t.Fatalf("by IDs: %v", err)
	}

	_, err = f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})
	ae := wantCode(t, err, "InvalidSubnetID.NotFound")
	if ae.ErrorMessage() != "The subnet ID 'subnet-0123456789abcdef0' does not exist" {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, provSubnets := f.vpcOf(t, f.provAcct.ID)
	_, err = f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{provSubnets[0].ID}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	_, err = f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("zone", "x")}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestSecurityGroups(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	vpc, _ := f.vpcOf(t, f.consAcct.ID)

	// The default group: ingress from itself, all egress.
	out, err := f.cons.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{filter("vpc-id", vpc.ID), filter("group-name", "default")}})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	if len(out.SecurityGroups) != 1 {
		t.Fatalf("%d default groups", len(out.SecurityGroups))
	}
	def := out.SecurityGroups[0]
	defID := aws.ToString(def.GroupId)
	if aws.ToString(def.GroupName) != "default" || aws.ToString(def.VpcId) != vpc.ID || aws.ToString(def.OwnerId) != f.consAcct.ID ||
		aws.ToString(def.Description) != "default VPC security group" ||
		aws.ToString(def.SecurityGroupArn) != fmt.Sprintf("arn:aws:ec2:us-east-1:%s:security-group/%s", f.consAcct.ID, defID) {
		t.Errorf("default group = %+v", def)
	}
	if len(def.IpPermissions) != 1 || aws.ToString(def.IpPermissions[0].IpProtocol) != "-1" ||
		len(def.IpPermissions[0].UserIdGroupPairs) != 1 || aws.ToString(def.IpPermissions[0].UserIdGroupPairs[0].GroupId) != defID ||
		aws.ToString(def.IpPermissions[0].UserIdGroupPairs[0].UserId) != f.consAcct.ID || def.IpPermissions[0].FromPort != nil {
		t.Errorf("default ingress = %+v", def.IpPermissions)
	}
	if len(def.IpPermissionsEgress) != 1 || len(def.IpPermissionsEgress[0].IpRanges) != 1 ||
		aws.ToString(def.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("default egress = %+v", def.IpPermissionsEgress)
	}

	created, err := f.cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("plwiz-endpoint"), Description: aws.String("plwiz endpoint access"), VpcId: aws.String(vpc.ID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags: []ec2types.Tag{{Key: aws.String("plwiz:session"), Value: aws.String("s1")}}}},
	})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	sgID := aws.ToString(created.GroupId)
	if !strings.HasPrefix(sgID, "sg-") || tagMap(created.Tags)["plwiz:session"] != "s1" ||
		aws.ToString(created.SecurityGroupArn) != fmt.Sprintf("arn:aws:ec2:us-east-1:%s:security-group/%s", f.consAcct.ID, sgID) {
		t.Errorf("CreateSecurityGroup = %s %v %s", sgID, tagMap(created.Tags), aws.ToString(created.SecurityGroupArn))
	}
	_, err = f.cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("plwiz-endpoint"), Description: aws.String("again"), VpcId: aws.String(vpc.ID)})
	ae := wantCode(t, err, "InvalidGroup.Duplicate")
	if want := fmt.Sprintf("The security group 'plwiz-endpoint' already exists for VPC '%s'", vpc.ID); ae.ErrorMessage() != want {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = f.cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String("vpc-0123456789abcdef0")})
	wantCode(t, err, "InvalidVpcID.NotFound")
	_, err = f.cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x")})
	wantCode(t, err, "VPCIdNotSpecified")

	auth, err := f.cons.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sgID),
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443),
			IpRanges:         []ec2types.IpRange{{CidrIp: aws.String(vpc.CIDR), Description: aws.String("from the VPC")}},
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(defID)}},
		}},
	})
	if err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	if !aws.ToBool(auth.Return) || len(auth.SecurityGroupRules) != 2 {
		t.Fatalf("Authorize returned %v with %d rules", aws.ToBool(auth.Return), len(auth.SecurityGroupRules))
	}
	r0, r1 := auth.SecurityGroupRules[0], auth.SecurityGroupRules[1]
	if !strings.HasPrefix(aws.ToString(r0.SecurityGroupRuleId), "sgr-") || aws.ToString(r0.GroupId) != sgID ||
		aws.ToString(r0.GroupOwnerId) != f.consAcct.ID || aws.ToBool(r0.IsEgress) || aws.ToString(r0.IpProtocol) != "tcp" ||
		aws.ToInt32(r0.FromPort) != 8443 || aws.ToInt32(r0.ToPort) != 8443 || aws.ToString(r0.CidrIpv4) != vpc.CIDR ||
		aws.ToString(r0.Description) != "from the VPC" {
		t.Errorf("rule 0 = %+v", r0)
	}
	if r1.ReferencedGroupInfo == nil || aws.ToString(r1.ReferencedGroupInfo.GroupId) != defID ||
		aws.ToString(r1.ReferencedGroupInfo.UserId) != f.consAcct.ID || r1.CidrIpv4 != nil {
		t.Errorf("rule 1 = %+v", r1)
	}

	_, err = f.cons.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sgID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String(vpc.CIDR)}}}},
	})
	ae = wantCode(t, err, "InvalidPermission.Duplicate")
	if want := fmt.Sprintf(`the specified rule "peer: %s, TCP, from port: 8443, to port: 8443, ALLOW" already exists`, vpc.CIDR); ae.ErrorMessage() != want {
		t.Errorf("message %q, want %q", ae.ErrorMessage(), want)
	}
	_, err = f.cons.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0123456789abcdef0"),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(1),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}},
	})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = f.cons.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sgID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(1),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.1/8")}}}},
	})
	wantCode(t, err, "InvalidParameterValue")

	// Describe shows the rules folded into one permission.
	d, err := f.cons.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sgID}})
	if err != nil || len(d.SecurityGroups) != 1 {
		t.Fatalf("describe created group: %v", err)
	}
	g := d.SecurityGroups[0]
	if len(g.IpPermissions) != 1 {
		t.Fatalf("IpPermissions = %+v", g.IpPermissions)
	}
	p := g.IpPermissions[0]
	if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != 8443 || aws.ToInt32(p.ToPort) != 8443 ||
		len(p.IpRanges) != 1 || aws.ToString(p.IpRanges[0].CidrIp) != vpc.CIDR || aws.ToString(p.IpRanges[0].Description) != "from the VPC" ||
		len(p.UserIdGroupPairs) != 1 || aws.ToString(p.UserIdGroupPairs[0].GroupId) != defID {
		t.Errorf("permission = %+v", p)
	}
	if len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].IpProtocol) != "-1" {
		t.Errorf("egress = %+v", g.IpPermissionsEgress)
	}
	if aws.ToString(g.Description) != "plwiz endpoint access" || tagMap(g.Tags)["plwiz:session"] != "s1" {
		t.Errorf("description %q tags %v", aws.ToString(g.Description), tagMap(g.Tags))
	}

	for _, c := range []struct {
		name string
		in   *ec2.DescribeSecurityGroupsInput
		n    int
	}{
		{"by name", &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"plwiz-endpoint"}}, 1},
		{"tag", &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("tag:plwiz:session", "s1")}}, 1},
		{"group-id", &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("group-id", sgID, defID)}}, 2},
		{"vpc-id", &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("vpc-id", vpc.ID)}}, 2},
		{"all", &ec2.DescribeSecurityGroupsInput{}, 2},
	} {
		o, err := f.cons.DescribeSecurityGroups(ctx, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(o.SecurityGroups) != c.n {
			t.Errorf("%s: %d groups, want %d", c.name, len(o.SecurityGroups), c.n)
		}
	}
	_, err = f.cons.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
	ae = wantCode(t, err, "InvalidGroup.NotFound")
	if ae.ErrorMessage() != "The security group 'sg-0123456789abcdef0' does not exist" {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = f.prov.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sgID}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = f.cons.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"nope"}})
	wantCode(t, err, "InvalidGroup.NotFound")
}

func TestDescribeAvailabilityZones(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	byID := map[string]map[string]string{} // account → zone ID → name
	for name, c := range map[string]*ec2.Client{"provider": f.prov, "consumer": f.cons} {
		out, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(out.AvailabilityZones) != 3 {
			t.Fatalf("%s: %d zones", name, len(out.AvailabilityZones))
		}
		byID[name] = map[string]string{}
		var names []string
		for _, az := range out.AvailabilityZones {
			if az.State != ec2types.AvailabilityZoneStateAvailable || aws.ToString(az.RegionName) != "us-east-1" ||
				aws.ToString(az.ZoneType) != "availability-zone" || !strings.HasPrefix(aws.ToString(az.ZoneId), "use1-az") ||
				az.OptInStatus != ec2types.AvailabilityZoneOptInStatusOptInNotRequired || aws.ToString(az.NetworkBorderGroup) != "us-east-1" {
				t.Errorf("%s zone %+v", name, az)
			}
			byID[name][aws.ToString(az.ZoneId)] = aws.ToString(az.ZoneName)
			names = append(names, aws.ToString(az.ZoneName))
		}
		if !slices.IsSorted(names) {
			t.Errorf("%s: zones not sorted by name: %v", name, names)
		}
	}
	for id, pn := range byID["provider"] {
		cn := byID["consumer"][id]
		if cn == "" || cn == pn {
			t.Errorf("zone %s: provider calls it %q, consumer %q; want two different names", id, pn, cn)
		}
		if pn != f.provAcct.AZNames[id] || cn != f.consAcct.AZNames[id] {
			t.Errorf("zone %s names %q/%q do not match the world", id, pn, cn)
		}
	}

	o, err := f.cons.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: []ec2types.Filter{filter("zone-id", "use1-az1")}})
	if err != nil || len(o.AvailabilityZones) != 1 || aws.ToString(o.AvailabilityZones[0].ZoneName) != f.consAcct.AZNames["use1-az1"] {
		t.Errorf("zone-id filter: %v %v", o, err)
	}
	o, err = f.cons.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: []ec2types.Filter{filter("zone-name", "us-east-1a")}})
	if err != nil || len(o.AvailabilityZones) != 1 || aws.ToString(o.AvailabilityZones[0].ZoneId) != f.consAcct.AZID("us-east-1a") {
		t.Errorf("zone-name filter: %v %v", o, err)
	}
	o, err = f.prov.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1a"}, ZoneIds: []string{"use1-az3"}})
	if err != nil || len(o.AvailabilityZones) != 2 {
		t.Errorf("by names and IDs: %v", err)
	}
	_, err = f.prov.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1z"}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeNetworkInterfaces(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	vpc, subnets := f.vpcOf(t, f.consAcct.ID)
	var sgID string
	var eniIDs []string
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		for id, sg := range w.SecurityGroups {
			if sg.VPCID == vpc.ID {
				sgID = id
			}
		}
		for i, sn := range subnets[:2] {
			ip, err := w.AllocateIP(w.Subnets[sn.ID])
			if err != nil {
				t.Fatal(err)
			}
			e := &sandbox.ENI{ID: w.NewID("eni-"), Owner: f.consAcct.ID, SubnetID: sn.ID, VPCID: vpc.ID, AZID: sn.AZID,
				PrivateIP: ip.String(), Description: fmt.Sprintf("VPC Endpoint Interface vpce-%017x", i),
				InterfaceType: "vpc_endpoint", Status: "in-use", SecurityGroupIDs: []string{sgID}}
			w.ENIs[e.ID] = e
			eniIDs = append(eniIDs, e.ID)
		}
	})
	slices.Sort(eniIDs)

	out, err := f.cons.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatalf("DescribeNetworkInterfaces: %v", err)
	}
	if len(out.NetworkInterfaces) != 2 {
		t.Fatalf("%d ENIs, want 2", len(out.NetworkInterfaces))
	}
	for i, n := range out.NetworkInterfaces {
		sn := subnets[0]
		if aws.ToString(n.SubnetId) == subnets[1].ID {
			sn = subnets[1]
		}
		if aws.ToString(n.NetworkInterfaceId) != eniIDs[i] || aws.ToString(n.VpcId) != vpc.ID ||
			aws.ToString(n.AvailabilityZone) != f.consAcct.AZNames[sn.AZID] || aws.ToString(n.OwnerId) != f.consAcct.ID ||
			n.InterfaceType != ec2types.NetworkInterfaceTypeVpcEndpoint || n.Status != ec2types.NetworkInterfaceStatusInUse ||
			!strings.HasPrefix(aws.ToString(n.Description), "VPC Endpoint Interface vpce-") || !aws.ToBool(n.RequesterManaged) {
			t.Errorf("ENI %d = %+v", i, n)
		}
		ip := aws.ToString(n.PrivateIpAddress)
		if !strings.HasPrefix(ip, strings.TrimSuffix(sn.CIDR, "0/24")) || len(n.PrivateIpAddresses) != 1 ||
			aws.ToString(n.PrivateIpAddresses[0].PrivateIpAddress) != ip || !aws.ToBool(n.PrivateIpAddresses[0].Primary) {
			t.Errorf("ENI %d address %s (subnet %s), %+v", i, ip, sn.CIDR, n.PrivateIpAddresses)
		}
		if len(n.Groups) != 1 || aws.ToString(n.Groups[0].GroupId) != sgID || aws.ToString(n.Groups[0].GroupName) != "default" {
			t.Errorf("ENI %d groups %+v", i, n.Groups)
		}
	}
	for _, c := range []struct {
		name string
		f    ec2types.Filter
		n    int
	}{
		{"subnet-id", filter("subnet-id", subnets[0].ID), 1},
		{"vpc-id", filter("vpc-id", vpc.ID), 2},
		{"interface-type", filter("interface-type", "vpc_endpoint"), 2},
		{"description", filter("description", "VPC Endpoint Interface vpce-*1"), 1},
		{"network-interface-id", filter("network-interface-id", eniIDs[1]), 1},
		{"owner-id", filter("owner-id", f.provAcct.ID), 0},
	} {
		o, err := f.cons.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{c.f}})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(o.NetworkInterfaces) != c.n {
			t.Errorf("%s: %d ENIs, want %d", c.name, len(o.NetworkInterfaces), c.n)
		}
	}
	// The subnet's free address count went down by the two ENIs... of which
	// one is in each subnet.
	sd, err := f.cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnets[0].ID}})
	if err != nil || aws.ToInt32(sd.Subnets[0].AvailableIpAddressCount) != 250 {
		t.Errorf("AvailableIpAddressCount after one ENI: %v %v", err, sd)
	}

	o, err := f.prov.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil || len(o.NetworkInterfaces) != 0 {
		t.Errorf("provider sees the consumer's ENIs: %v", err)
	}
	_, err = f.prov.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eniIDs[0]}})
	ae := wantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
	if want := fmt.Sprintf("The networkInterface ID '%s' does not exist", eniIDs[0]); ae.ErrorMessage() != want {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = f.cons.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("vpc-endpoint-id", "vpce-1")}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestCreateTags(t *testing.T) {
	f := newNetFixture(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	vpc, subnets := f.vpcOf(t, f.consAcct.ID)
	provVPC, _ := f.vpcOf(t, f.provAcct.ID)

	var lbARN string
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		for arn := range w.LoadBalancers {
			lbARN = arn
		}
	})
	svc, err := f.prov.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{lbARN}})
	if err != nil {
		t.Fatalf("create endpoint service: %v", err)
	}
	svcID := aws.ToString(svc.ServiceConfiguration.ServiceId)

	sg, err := f.cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("g"), Description: aws.String("g"), VpcId: aws.String(vpc.ID)})
	if err != nil {
		t.Fatal(err)
	}
	tags := []ec2types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("Name"), Value: aws.String("renamed")}}
	if _, err := f.cons.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{vpc.ID, subnets[0].ID, aws.ToString(sg.GroupId)}, Tags: tags}); err != nil {
		t.Fatalf("CreateTags: %v", err)
	}
	if _, err := f.prov.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{svcID}, Tags: tags}); err != nil {
		t.Fatalf("CreateTags on a service: %v", err)
	}
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		for what, got := range map[string][]sandbox.Tag{
			"vpc": w.VPCs[vpc.ID].Tags, "subnet": w.Subnets[subnets[0].ID].Tags,
			"group": w.SecurityGroups[aws.ToString(sg.GroupId)].Tags, "service": w.Services[svcID].Tags,
		} {
			m := map[string]string{}
			for _, tg := range got {
				m[tg.Key] = tg.Value
			}
			if m["env"] != "dev" || m["Name"] != "renamed" || len(m) != 2 {
				t.Errorf("%s tags = %v", what, m)
			}
		}
	})
	o, err := f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("tag:env", "dev"), filter("tag:Name", "renamed")}})
	if err != nil || len(o.Vpcs) != 1 || tagMap(o.Vpcs[0].Tags)["Name"] != "renamed" {
		t.Errorf("tag filter after CreateTags: %v", err)
	}

	for _, c := range []struct {
		id, code string
	}{
		{"vpc-0123456789abcdef0", "InvalidVpcID.NotFound"},
		{provVPC.ID, "InvalidVpcID.NotFound"},
		{"subnet-0123456789abcdef0", "InvalidSubnetID.NotFound"},
		{"sg-0123456789abcdef0", "InvalidGroup.NotFound"},
		{"eni-0123456789abcdef0", "InvalidNetworkInterfaceID.NotFound"},
		{"vpce-svc-0123456789abcdef0", "InvalidVpcEndpointServiceId.NotFound"},
		{svcID, "InvalidVpcEndpointServiceId.NotFound"}, // the provider's, seen by the consumer
		{"vpce-0123456789abcdef0", "InvalidVpcEndpointId.NotFound"},
		{"i-0123456789abcdef0", "InvalidID"},
	} {
		_, err := f.cons.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{subnets[1].ID, c.id},
			Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		wantCode(t, err, c.code)
	}
	// A failed call tags nothing, not even the valid resource before the bad one.
	f.env.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, tg := range w.Subnets[subnets[1].ID].Tags {
			if tg.Key == "k" {
				t.Error("a failed CreateTags tagged a resource")
			}
		}
	})
	_, err = f.cons.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc.ID}, Tags: []ec2types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = f.cons.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc.ID}, DryRun: aws.Bool(true),
		Tags: []ec2types.Tag{{Key: aws.String("dry"), Value: aws.String("run")}}})
	wantCode(t, err, "DryRunOperation")

	if _, err := f.cons.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{vpc.ID}, Tags: []ec2types.Tag{{Key: aws.String("env")}}}); err != nil {
		t.Fatalf("DeleteTags: %v", err)
	}
	o, err = f.cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc.ID}})
	if err != nil || len(tagMap(o.Vpcs[0].Tags)) != 1 {
		t.Errorf("tags after DeleteTags: %v %v", err, o)
	}
}

func TestDeleteSecurityGroup(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	cons := ec2.NewFromConfig(env.Config(t, "consumer"))
	vpcs, err := cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("vpcs: %v %v", vpcs, err)
	}
	vpc := vpcs.Vpcs[0].VpcId
	out, err := cons.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("plwiz-x"), Description: aws.String("x"), VpcId: vpc})
	if err != nil {
		t.Fatal(err)
	}
	del, err := cons.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: out.GroupId})
	if err != nil || !aws.ToBool(del.Return) || aws.ToString(del.GroupId) != aws.ToString(out.GroupId) {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = cons.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: out.GroupId})
	if code := apiError(t, err).ErrorCode(); code != "InvalidGroup.NotFound" {
		t.Errorf("second delete: %s, want InvalidGroup.NotFound", code)
	}
	groups, err := cons.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"default"}}}})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("default group: %v %v", groups, err)
	}
	_, err = cons.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: groups.SecurityGroups[0].GroupId})
	if code := apiError(t, err).ErrorCode(); code != "CannotDelete" {
		t.Errorf("delete default group: %s, want CannotDelete", code)
	}
}
