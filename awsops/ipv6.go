package awsops

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// IP address types as AWS spells them. A service supports ipv4 and/or
// ipv6 (ServiceConnectivityType); an endpoint is ipv4, dualstack or ipv6
// (IpAddressType), and so are its DNS records (DnsRecordIpType).
const (
	IPv4      = "ipv4"
	IPv6      = "ipv6"
	Dualstack = "dualstack"
)

// IPv6Network is what a load balancer's network has of IPv6: a service
// that supports ipv6 needs its VPC and subnets to have IPv6 blocks (and
// the load balancer to be dualstack).
type IPv6Network struct {
	VPCID     string
	VPCBlocks []string // the VPC's IPv6 blocks; none without IPv6
	// SubnetsWithout are the load balancer's subnets with no IPv6 block.
	SubnetsWithout []string
}

// Ready reports whether the VPC and every subnet have IPv6.
func (n IPv6Network) Ready() bool { return len(n.VPCBlocks) > 0 && len(n.SubnetsWithout) == 0 }

// LoadBalancerIPv6 reads the IPv6 blocks of the load balancer's VPC and
// subnets (two calls).
func (p *Provider) LoadBalancerIPv6(ctx context.Context, lb LoadBalancer) (IPv6Network, error) {
	var api networkAPI = p.c.ec2
	out := IPv6Network{VPCID: lb.VPCID}
	vpcs, err := api.DescribeVpcs(p.with(ctx, opDescribeVpcs), &ec2.DescribeVpcsInput{VpcIds: []string{lb.VPCID}})
	if err != nil {
		return IPv6Network{}, p.fail("read the IPv6 blocks of "+lb.VPCID, err)
	}
	for _, v := range vpcs.Vpcs {
		out.VPCBlocks = append(out.VPCBlocks, ipv6Blocks(v.Ipv6CidrBlockAssociationSet, func(a types.VpcIpv6CidrBlockAssociation) (string, string) {
			return str(a.Ipv6CidrBlock), string(a.Ipv6CidrBlockState.State)
		})...)
	}
	var ids []string
	for _, z := range lb.Zones {
		if z.SubnetID != "" {
			ids = append(ids, z.SubnetID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	subnets, err := api.DescribeSubnets(p.with(ctx, opDescribeSubnets), &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return IPv6Network{}, p.fail(fmt.Sprintf("read the IPv6 blocks of the subnets of %s", lb.Name), err)
	}
	with := map[string]bool{}
	for _, s := range subnets.Subnets {
		with[str(s.SubnetId)] = len(ipv6Blocks(s.Ipv6CidrBlockAssociationSet, func(a types.SubnetIpv6CidrBlockAssociation) (string, string) {
			return str(a.Ipv6CidrBlock), string(a.Ipv6CidrBlockState.State)
		})) > 0
	}
	for _, id := range ids {
		if !with[id] && !slices.Contains(out.SubnetsWithout, id) {
			out.SubnetsWithout = append(out.SubnetsWithout, id)
		}
	}
	return out, nil
}

// EndpointIPTypes are the IP address types an endpoint may take, given the
// types the service supports and whether every chosen subnet has IPv4 and
// IPv6 ranges, in the order to offer them. AWS's rules: ipv4 needs a
// service that supports ipv4; dualstack one that supports both and
// subnets with both ranges; ipv6 one that supports ipv6 and IPv6-only
// subnets.
func EndpointIPTypes(serviceTypes []string, subnets []Subnet) []string {
	v4, v6 := slices.Contains(serviceTypes, IPv4), slices.Contains(serviceTypes, IPv6)
	all4, all6, allOnly6 := len(subnets) > 0, len(subnets) > 0, len(subnets) > 0
	for _, s := range subnets {
		all4 = all4 && !s.IPv6Only
		all6 = all6 && s.HasIPv6()
		allOnly6 = allOnly6 && s.IPv6Only
	}
	var out []string
	if v4 && all4 {
		out = append(out, IPv4)
	}
	if v4 && v6 && all4 && all6 {
		out = append(out, Dualstack)
	}
	if v6 && allOnly6 {
		out = append(out, IPv6)
	}
	return out
}

// DNSRecordIPTypes are the DNS record IP types an endpoint of ipType may
// have: AWS allows ipv4 records for ipv4 and dualstack endpoints, ipv6
// records for ipv6 and dualstack ones, and both only for dualstack.
func DNSRecordIPTypes(ipType string) []string {
	switch ipType {
	case Dualstack:
		return []string{Dualstack, IPv4, IPv6}
	case IPv6:
		return []string{IPv6}
	}
	return []string{IPv4}
}
