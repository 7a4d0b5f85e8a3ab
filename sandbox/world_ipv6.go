package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// IPv6 in the sandbox.
//
// AWS gives a VPC an IPv6 /56 and each subnet that has IPv6 a /64 of it; an
// endpoint network interface of a dualstack endpoint gets an address of its
// subnet's /64. A machine has one IPv6 loopback address, ::1, and the
// sandbox connects nothing off the machine. So VPCs and subnets get
// distinct unique-local (fd00::/8) blocks, shown as AWS shows them, while
// every IPv6 address the sandbox gives an endpoint network interface is
// ::1: the one address the data plane can serve the IPv6 side of an
// endpoint on (it tells services apart by the TLS server name when several
// share a port). Where the machine has no ::1 the data plane says so and
// serves IPv4 only.

// SandboxIPv6 is the IPv6 address of every endpoint network interface the
// sandbox makes.
var SandboxIPv6 = netip.IPv6Loopback()

// IP address types as the wire spells them.
const (
	IPv4      = "ipv4"
	IPv6      = "ipv6"
	Dualstack = "dualstack"
)

// DualstackNLBName is the default world's dualstack load balancer.
const DualstackNLBName = "plwiz-dualstack-nlb"

// addIPv6 gives both VPCs of a new world an IPv6 block and its first two
// subnets (by AZ ID) a /64 each, the third staying IPv4-only, and adds a
// dualstack NLB in the provider's IPv6 subnets. It runs last so the IDs a
// world had before it are the same for the same seed.
func (w *World) addIPv6(o WorldOptions) {
	r := rand.New(rand.NewPCG(o.Seed, 0x69707636))
	var global [16]byte
	global[0] = 0xfd // unique local (RFC 4193): never anyone's real address
	for i := 1; i < 6; i++ {
		global[i] = byte(r.IntN(256))
	}
	var providerVPC *VPC
	var providerSubnets []string
	for i, acct := range w.Accounts {
		vpc := w.firstVPC(acct.ID)
		if vpc == nil {
			continue
		}
		block := global
		block[6] = byte(i)
		vpc.IPv6CIDR = netip.PrefixFrom(netip.AddrFrom16(block), 56).String()
		subnets := w.subnetsOf(vpc.ID)
		for j, sn := range subnets[:min(2, len(subnets))] {
			b := block
			b[7] = byte(j)
			sn.IPv6CIDR = netip.PrefixFrom(netip.AddrFrom16(b), 64).String()
			if acct.Name == "provider" {
				providerSubnets = append(providerSubnets, sn.ID)
			}
		}
		if acct.Name == "provider" {
			providerVPC = vpc
		}
	}
	if providerVPC != nil && len(providerSubnets) > 0 {
		w.addNLB(providerVPC, DualstackNLBName, providerSubnets, Dualstack, o.Port, o.Now)
	}
}

// firstVPC is an account's VPC with the lowest ID, nil without one.
func (w *World) firstVPC(owner string) *VPC {
	for _, id := range SortedKeys(w.VPCs) {
		if v := w.VPCs[id]; v.Owner == owner {
			return v
		}
	}
	return nil
}

// subnetsOf are a VPC's subnets in AZ ID order.
func (w *World) subnetsOf(vpcID string) []*Subnet {
	var out []*Subnet
	for _, id := range SortedKeys(w.Subnets) {
		if sn := w.Subnets[id]; sn.VPCID == vpcID {
			out = append(out, sn)
		}
	}
	slices.SortStableFunc(out, func(a, b *Subnet) int { return strings.Compare(a.AZID, b.AZID) })
	return out
}

// addNLB adds an active internal network load balancer with a TCP
// listener on port.
func (w *World) addNLB(vpc *VPC, name string, subnetIDs []string, ipType string, port int32, now time.Time) *LoadBalancer {
	lbID := w.hex(16)
	lb := &LoadBalancer{
		ARN:   fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/%s/%s", w.Region, vpc.Owner, name, lbID),
		Owner: vpc.Owner, Name: name,
		DNSName: fmt.Sprintf("%s-%s.elb.%s.amazonaws.com", name, lbID[:10], w.Region),
		Type:    "network", Scheme: "internal", State: "active", VPCID: vpc.ID,
		SubnetIDs: slices.Clone(subnetIDs), IPAddressType: ipType, CreatedAt: now,
	}
	w.LoadBalancers[lb.ARN] = lb
	ln := &Listener{
		ARN:   strings.Replace(lb.ARN, ":loadbalancer/", ":listener/", 1) + "/" + w.hex(16),
		LBARN: lb.ARN, Port: port, Protocol: "TCP",
	}
	w.Listeners[ln.ARN] = ln
	return lb
}

// ipType is the load balancer's IP address type as the wire spells it.
func (lb *LoadBalancer) ipType() string {
	if lb.IPAddressType == "" {
		return IPv4
	}
	return lb.IPAddressType
}

// recordIPType is the endpoint's DNS record IP type.
func (e *Endpoint) recordIPType() string {
	switch {
	case e.DNSRecordIPType != "":
		return e.DNSRecordIPType
	case e.IPAddressType != "":
		return e.IPAddressType
	}
	return IPv4
}

// hasA and hasAAAA tell which records the endpoint's names get.
func (e *Endpoint) hasA() bool    { return e.recordIPType() != IPv6 }
func (e *Endpoint) hasAAAA() bool { return e.recordIPType() != IPv4 }

// hasIPv6 reports whether endpoint network interfaces of e get an IPv6
// address.
func (e *Endpoint) hasIPv6() bool { return e.IPAddressType == Dualstack || e.IPAddressType == IPv6 }

// checkServiceIPv6 applies what AWS requires of a service that supports
// IPv6: every one of its network load balancers uses the dualstack IP
// address type (which AWS only allows in subnets with IPv6 blocks, so the
// VPC and the subnets have them).
func checkServiceIPv6(c *call, ipTypes, nlbs []string) *APIError {
	if !slices.Contains(ipTypes, IPv6) {
		return nil
	}
	for _, arn := range nlbs {
		lb := c.w.LoadBalancers[arn]
		if lb == nil || lb.ipType() == Dualstack {
			continue
		}
		return errInvalidParameter("The service cannot support the IP address type ipv6: load balancer %s uses the IP address type %s, and every load balancer of a service that supports ipv6 must use dualstack.", arn, lb.ipType())
	}
	return nil
}

// checkEndpointIPType applies AWS's rules for an endpoint's IP address type
// and DNS record IP type (given as set, "" when not): the service supports
// the type, and every subnet has the address ranges it needs. It returns
// the DNS record IP type to keep.
func checkEndpointIPType(s *Service, ipType, recordType string, subnets []*Subnet) (string, *APIError) {
	switch ipType {
	case IPv4, IPv6:
		if !slices.Contains(s.IPAddressTypes, ipType) {
			return "", errInvalidParameter("The VPC endpoint service %s does not support IP address type %s.", s.Name, ipType)
		}
	case Dualstack:
		if !slices.Contains(s.IPAddressTypes, IPv4) || !slices.Contains(s.IPAddressTypes, IPv6) {
			return "", errInvalidParameter("The VPC endpoint service %s does not support IP address type %s.", s.Name, ipType)
		}
	default:
		return "", errInvalidParameterValue("Value (%s) for parameter IpAddressType is invalid.", ipType)
	}
	if aerr := checkSubnetRanges(ipType, subnets); aerr != nil {
		return "", aerr
	}
	if recordType == "" {
		return ipType, nil
	}
	ok := false
	switch recordType {
	case IPv4:
		ok = ipType == IPv4 || ipType == Dualstack
	case IPv6:
		ok = ipType == IPv6 || ipType == Dualstack
	case Dualstack:
		ok = ipType == Dualstack
	case "service-defined":
		return "", errInvalidParameter("The DNS record IP type service-defined is only supported for gateway endpoints.")
	default:
		return "", errInvalidParameterValue("Value (%s) for parameter DnsOptions.DnsRecordIpType is invalid.", recordType)
	}
	if !ok {
		return "", errInvalidParameter("The DNS record IP type %s is not compatible with the IP address type %s of the endpoint.", recordType, ipType)
	}
	return recordType, nil
}

// checkSubnetRanges: every subnet of an endpoint has the address ranges its
// IP address type needs.
func checkSubnetRanges(ipType string, subnets []*Subnet) *APIError {
	for _, sn := range subnets {
		switch {
		case ipType == Dualstack && sn.IPv6CIDR == "":
			return errInvalidParameter("The subnet %s does not have an IPv6 CIDR block. An endpoint of IP address type dualstack needs subnets with both IPv4 and IPv6 address ranges.", sn.ID)
		case ipType == IPv6 && sn.CIDR != "":
			return errInvalidParameter("The subnet %s has an IPv4 address range. An endpoint of IP address type ipv6 needs IPv6-only subnets.", sn.ID)
		}
	}
	return nil
}

// lbForAZ is the one load balancer of the service an endpoint network
// interface in the AZ connects to (AWS: "for a specific Availability Zone,
// an interface endpoint will establish a connection with one load balancer
// only"): the first of the service's that serves the AZ; nil if none does.
func (w *World) lbForAZ(s *Service, azID string) *LoadBalancer {
	for _, arn := range s.NLBARNs {
		lb := w.LoadBalancers[arn]
		if lb == nil {
			continue
		}
		for _, id := range lb.SubnetIDs {
			if sn := w.Subnets[id]; sn != nil && sn.AZID == azID {
				return lb
			}
		}
	}
	return nil
}

// lbForENI is the load balancer an endpoint's interface reaches: the one
// serving its AZ, or, for an endpoint of another region (whose AZs are
// not the service's), the service's first.
func (w *World) lbForENI(s *Service, eni *ENI, cross bool) *LoadBalancer {
	if !cross {
		return w.lbForAZ(s, eni.AZID)
	}
	for _, arn := range s.NLBARNs {
		if lb := w.LoadBalancers[arn]; lb != nil {
			return lb
		}
	}
	return nil
}
