package awsops

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// networkAPI is what network.go needs from EC2.
type networkAPI interface {
	ec2.DescribeVpcsAPIClient
	DescribeVpcAttribute(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	ModifyVpcAttribute(context.Context, *ec2.ModifyVpcAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error)
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	CreateSecurityGroup(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

// VPC is a VPC with the DNS attributes private DNS needs.
type VPC struct {
	ID           string
	Name         string // the Name tag
	CIDRs        []string
	IPv6CIDRs    []string // its IPv6 blocks; none without IPv6
	IsDefault    bool
	State        string
	DNSSupport   bool // enableDnsSupport
	DNSHostnames bool // enableDnsHostnames
}

// DNSReady reports whether private DNS can be turned on in the VPC.
func (v VPC) DNSReady() bool { return v.DNSSupport && v.DNSHostnames }

// ListVPCs lists the account's VPCs in the region with their DNS attributes.
func (c *Consumer) ListVPCs(ctx context.Context) ([]VPC, error) {
	return c.vpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(ec2PageSize)})
}

// DescribeVPC reads one VPC with its DNS attributes.
func (c *Consumer) DescribeVPC(ctx context.Context, vpcID string) (VPC, error) {
	vs, err := c.vpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil {
		return VPC{}, err
	}
	if len(vs) == 0 {
		return VPC{}, fmt.Errorf("describe VPC %s: AWS returned no VPC", vpcID)
	}
	return vs[0], nil
}

func (c *Consumer) vpcs(ctx context.Context, in *ec2.DescribeVpcsInput) ([]VPC, error) {
	var api networkAPI = c.c.ec2
	pages := ec2.NewDescribeVpcsPaginator(api, in)
	var out []VPC
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeVpcs))
		if err != nil {
			return nil, c.fail("list VPCs", err)
		}
		for _, v := range page.Vpcs {
			vpc := VPC{ID: str(v.VpcId), IsDefault: aws.ToBool(v.IsDefault), State: clean(string(v.State)), Name: fromEC2Tags(v.Tags)["Name"]}
			if cidr := str(v.CidrBlock); cidr != "" {
				vpc.CIDRs = append(vpc.CIDRs, cidr)
			}
			for _, a := range v.CidrBlockAssociationSet {
				if cidr := str(a.CidrBlock); cidr != "" && !slices.Contains(vpc.CIDRs, cidr) {
					vpc.CIDRs = append(vpc.CIDRs, cidr)
				}
			}
			vpc.IPv6CIDRs = ipv6Blocks(v.Ipv6CidrBlockAssociationSet, func(a types.VpcIpv6CidrBlockAssociation) (string, string) {
				return str(a.Ipv6CidrBlock), string(a.Ipv6CidrBlockState.State)
			})
			out = append(out, vpc)
		}
	}
	for i := range out {
		sup, err := c.vpcAttribute(ctx, out[i].ID, types.VpcAttributeNameEnableDnsSupport)
		if err != nil {
			return nil, err
		}
		host, err := c.vpcAttribute(ctx, out[i].ID, types.VpcAttributeNameEnableDnsHostnames)
		if err != nil {
			return nil, err
		}
		out[i].DNSSupport, out[i].DNSHostnames = sup, host
	}
	return out, nil
}

func (c *Consumer) vpcAttribute(ctx context.Context, vpcID string, attr types.VpcAttributeName) (bool, error) {
	var api networkAPI = c.c.ec2
	out, err := api.DescribeVpcAttribute(c.with(ctx, opDescribeVpcAttribute), &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID), Attribute: attr})
	if err != nil {
		return false, c.fail(fmt.Sprintf("read %s of %s", attr, vpcID), err)
	}
	switch attr {
	case types.VpcAttributeNameEnableDnsSupport:
		return out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value), nil
	default:
		return out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value), nil
	}
}

// EnableVPCDNS turns on enableDnsSupport and enableDnsHostnames (AWS takes
// one attribute per call, and hostnames need support on first).
func (c *Consumer) EnableVPCDNS(ctx context.Context, vpcID string) error {
	var api networkAPI = c.c.ec2
	for _, in := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: aws.String(vpcID), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: aws.String(vpcID), EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		if _, err := api.ModifyVpcAttribute(c.with(ctx, opModifyVpcAttribute), in); err != nil {
			return c.fail("turn on DNS attributes of "+vpcID, err)
		}
	}
	return nil
}

// Subnet is a subnet with its zone by name and AZ ID.
type Subnet struct {
	ID           string
	VPCID        string
	Name         string
	CIDR         string
	Zone         AZ
	AvailableIPs int32
	// IPv6CIDRs are its IPv6 blocks (a /64); none for an IPv4-only subnet.
	IPv6CIDRs []string
	// IPv6Only is a subnet without IPv4 addresses.
	IPv6Only bool
}

// HasIPv6 reports whether the subnet has an IPv6 block, as a dualstack
// endpoint needs.
func (s Subnet) HasIPv6() bool { return len(s.IPv6CIDRs) > 0 }

// ipv6Blocks keeps the associated IPv6 blocks of a VPC or subnet (ones
// being disassociated or failed are not usable).
func ipv6Blocks[T any](assocs []T, read func(T) (cidr, state string)) []string {
	var out []string
	for _, a := range assocs {
		if cidr, state := read(a); cidr != "" && (state == "" || strings.EqualFold(state, "associated")) {
			out = append(out, clean(cidr))
		}
	}
	return out
}

// ListSubnets lists the subnets of a VPC.
func (c *Consumer) ListSubnets(ctx context.Context, vpcID string) ([]Subnet, error) {
	var api networkAPI = c.c.ec2
	pages := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{
		Filters: []types.Filter{filter("vpc-id", vpcID)}, MaxResults: aws.Int32(ec2PageSize)})
	var out []Subnet
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeSubnets))
		if err != nil {
			return nil, c.fail("list subnets of "+vpcID, err)
		}
		for _, s := range page.Subnets {
			out = append(out, Subnet{
				ID: str(s.SubnetId), VPCID: str(s.VpcId), Name: fromEC2Tags(s.Tags)["Name"], CIDR: str(s.CidrBlock),
				Zone: AZ{Name: str(s.AvailabilityZone), ID: str(s.AvailabilityZoneId)}, AvailableIPs: aws.ToInt32(s.AvailableIpAddressCount),
				IPv6CIDRs: ipv6Blocks(s.Ipv6CidrBlockAssociationSet, func(a types.SubnetIpv6CidrBlockAssociation) (string, string) {
					return str(a.Ipv6CidrBlock), string(a.Ipv6CidrBlockState.State)
				}),
				IPv6Only: aws.ToBool(s.Ipv6Native),
			})
		}
	}
	slices.SortFunc(out, func(a, b Subnet) int { return strings.Compare(a.Zone.ID+a.ID, b.Zone.ID+b.ID) })
	return out, nil
}

// SecurityGroup is a security group with its ingress rules.
type SecurityGroup struct {
	ID          string
	Name        string
	Description string
	VPCID       string
	Ingress     []IngressRule
	Tags        Tags
}

// IngressRule is one inbound permission.
type IngressRule struct {
	Protocol string // tcp | udp | icmp | -1 (all)
	FromPort int32
	ToPort   int32
	CIDRs    []string
	GroupIDs []string
}

// Allows reports whether the group lets TCP on port in from every address
// of cidr.
func (sg SecurityGroup) Allows(port int32, cidr string) bool {
	want, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	for _, r := range sg.Ingress {
		all := r.Protocol == "-1"
		if !all && (r.Protocol != "tcp" && r.Protocol != "6" || port < r.FromPort || port > r.ToPort) {
			continue
		}
		for _, c := range r.CIDRs {
			p, err := netip.ParsePrefix(c)
			if err == nil && p.Bits() <= want.Bits() && p.Contains(want.Addr()) {
				return true
			}
		}
	}
	return false
}

// ListSecurityGroups lists the security groups of a VPC.
func (c *Consumer) ListSecurityGroups(ctx context.Context, vpcID string) ([]SecurityGroup, error) {
	return c.securityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{filter("vpc-id", vpcID)}, MaxResults: aws.Int32(ec2PageSize)})
}

// securityGroups is shared: the provider reads its NLB's groups too.
func (c *base) securityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput) ([]SecurityGroup, error) {
	var api networkAPI = c.c.ec2
	pages := ec2.NewDescribeSecurityGroupsPaginator(api, in)
	var out []SecurityGroup
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeSecurityGroups))
		if err != nil {
			return nil, c.fail("list security groups", err)
		}
		for _, g := range page.SecurityGroups {
			sg := SecurityGroup{ID: str(g.GroupId), Name: str(g.GroupName), Description: str(g.Description), VPCID: str(g.VpcId), Tags: fromEC2Tags(g.Tags)}
			for _, p := range g.IpPermissions {
				r := IngressRule{Protocol: str(p.IpProtocol), FromPort: aws.ToInt32(p.FromPort), ToPort: aws.ToInt32(p.ToPort)}
				for _, ip := range p.IpRanges {
					r.CIDRs = append(r.CIDRs, str(ip.CidrIp))
				}
				for _, ip := range p.Ipv6Ranges {
					r.CIDRs = append(r.CIDRs, str(ip.CidrIpv6))
				}
				for _, ug := range p.UserIdGroupPairs {
					r.GroupIDs = append(r.GroupIDs, str(ug.GroupId))
				}
				sg.Ingress = append(sg.Ingress, r)
			}
			out = append(out, sg)
		}
	}
	return out, nil
}

// CreateSecurityGroupInput describes a group for the endpoint.
type CreateSecurityGroupInput struct {
	VPCID       string
	Name        string
	Description string
	Port        int32    // the service port, allowed over TCP
	CIDRs       []string // allowed sources, usually the VPC's CIDRs (IPv4 and IPv6)
	Tags        Tags
}

// CreateSecurityGroup creates a group allowing TCP on the port from the
// CIDRs. It is idempotent: a group of that name already in the VPC is reused
// and given the rule if it lacks it.
func (c *Consumer) CreateSecurityGroup(ctx context.Context, in CreateSecurityGroupInput) (SecurityGroup, error) {
	if in.VPCID == "" || in.Name == "" || in.Port <= 0 || in.Port > 65535 || len(in.CIDRs) == 0 {
		return SecurityGroup{}, errors.New("create security group: need a VPC, a name, a port 1-65535 and at least one CIDR")
	}
	if err := in.Tags.validate(); err != nil {
		return SecurityGroup{}, fmt.Errorf("create security group: %w", err)
	}
	if in.Description == "" {
		in.Description = "plwiz: PrivateLink endpoint"
	}
	var api networkAPI = c.c.ec2
	var groupID string
	var prior []IngressRule
	out, err := api.CreateSecurityGroup(c.with(ctx, opCreateSecurityGroup), &ec2.CreateSecurityGroupInput{
		VpcId: aws.String(in.VPCID), GroupName: aws.String(in.Name), Description: aws.String(in.Description),
		TagSpecifications: in.Tags.spec(types.ResourceTypeSecurityGroup),
	})
	switch {
	case err == nil:
		groupID = str(out.GroupId)
	case CodeOf(c.fail("", err)) == "InvalidGroup.Duplicate":
		existing, ferr := c.securityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
			filter("vpc-id", in.VPCID), filter("group-name", in.Name)}})
		if ferr != nil {
			return SecurityGroup{}, fmt.Errorf("create security group %s: %w", in.Name, ferr)
		}
		if len(existing) == 0 {
			// AWS says the group exists but does not show it yet: EC2's
			// eventual consistency, which passes.
			ferr := c.fail("create security group "+in.Name, err)
			var e *Error
			if errors.As(ferr, &e) {
				e.Retryable = true
				e.Cause = "AWS says the group exists but does not show it yet (eventual consistency)."
			}
			return SecurityGroup{}, ferr
		}
		groupID, prior = existing[0].ID, existing[0].Ingress
		if allowsAll(existing[0], in.Port, in.CIDRs) {
			return existing[0], nil
		}
	default:
		return SecurityGroup{}, c.fail("create security group "+in.Name, err)
	}
	// Built from what was sent rather than read back: a fresh group may not
	// be visible to Describe yet (eventual consistency).
	sg := SecurityGroup{
		ID: groupID, Name: in.Name, Description: in.Description, VPCID: in.VPCID, Tags: in.Tags,
		Ingress: append(prior, IngressRule{Protocol: "tcp", FromPort: in.Port, ToPort: in.Port, CIDRs: slices.Clone(in.CIDRs)}),
	}
	// The group is made even when the rule fails (a group not visible
	// yet): the caller gets its ID with the error, to record it and try
	// AllowPort again.
	return sg, c.AllowPort(ctx, groupID, in.Port, in.CIDRs)
}

// AllowPort lets TCP on port in from the CIDRs (IPv4 and IPv6 alike); a
// rule already there is fine.
func (c *Consumer) AllowPort(ctx context.Context, groupID string, port int32, cidrs []string) error {
	_, err := c.AllowTCP(ctx, groupID, port, cidrs, "plwiz: service port")
	return err
}

// tcpPermission lets TCP on port in from the CIDRs: IPv4 blocks as
// IpRanges, IPv6 blocks as Ipv6Ranges (EC2 refuses an IPv6 block among
// IpRanges as malformed).
func tcpPermission(port int32, cidrs []string, description string) types.IpPermission {
	perm := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port)}
	for _, cidr := range cidrs {
		desc := aws.String(description)
		if p, err := netip.ParsePrefix(cidr); err == nil && p.Addr().Is6() {
			perm.Ipv6Ranges = append(perm.Ipv6Ranges, types.Ipv6Range{CidrIpv6: aws.String(cidr), Description: desc})
			continue
		}
		perm.IpRanges = append(perm.IpRanges, types.IpRange{CidrIp: aws.String(cidr), Description: desc})
	}
	return perm
}

func allowsAll(sg SecurityGroup, port int32, cidrs []string) bool {
	for _, c := range cidrs {
		if !sg.Allows(port, c) {
			return false
		}
	}
	return true
}

// DeleteSecurityGroup deletes a security group. AWS refuses it with
// DependencyViolation while an endpoint that used it is still being deleted.
func (c *Consumer) DeleteSecurityGroup(ctx context.Context, groupID string) error {
	var api networkAPI = c.c.ec2
	if _, err := api.DeleteSecurityGroup(c.with(ctx, opDeleteSecurityGroup), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(groupID)}); err != nil {
		return c.fail("delete security group "+groupID, err)
	}
	return nil
}
