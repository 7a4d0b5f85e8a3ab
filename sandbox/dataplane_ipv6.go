package sandbox

import (
	"net/netip"
)

// The IPv6 side of the data plane: every endpoint network interface's IPv6
// address is ::1 (see world_ipv6.go), where the data plane listens for
// every service with IPv6 endpoints and clients on this machine connect
// from ::1.

// endpoint6 returns the sources let in through the endpoint's IPv6 address
// per service port, as endpoint does for its IPv4 addresses: the NLB must
// pass the interface, and the interface's security groups let a client in.
func (a *admission) endpoint6(e *Endpoint) map[uint16][]netip.Prefix {
	w := a.w
	if w.Diag == nil {
		return nil
	}
	svc := w.Services[e.ServiceID]
	if svc == nil {
		return nil
	}
	out := map[uint16][]netip.Prefix{}
	cross := w.crossRegion(e)
	for _, id := range e.ENIIDs {
		eni := w.ENIs[id]
		if eni == nil || eni.IPv6 == "" {
			continue
		}
		zone := eni.AZID
		if cross {
			zone = "" // its traffic may reach any of the service's zones
		}
		if lb := w.lbForENI(svc, eni, cross); lb != nil {
			lbARN := lb.ARN
			for _, lid := range SortedKeys(w.Listeners) {
				ln := w.Listeners[lid]
				if ln.LBARN != lbARN || ln.Port <= 0 || ln.Port > 65535 {
					continue
				}
				port := uint16(ln.Port)
				// The same NLB and targets as over IPv4, but its groups
				// see the clients' IPv6 addresses.
				if !a.passesNLB(lb, eni, zone, ln.Port, true) {
					if _, seen := out[port]; !seen {
						out[port] = []netip.Prefix{}
					}
					continue
				}
				out[port] = append(out[port], w.endpointSources6(eni, ln.Port)...)
				if out[port] == nil {
					out[port] = []netip.Prefix{}
				}
			}
		}
	}
	return out
}

// localClient6 is where clients on this machine connect from over IPv6.
var localClient6 = netip.IPv6Loopback()

// endpointSources6 are the IPv6 clients an endpoint network interface's
// security groups let in on port: the IPv6 CIDRs of matching rules, and
// ::1 when this machine, standing for a host in the VPC, may connect. The
// host stand-in (see hostStandIn) has an address of its subnet's IPv6
// block, .250's counterpart; without one it has no IPv6. Egress is not
// checked: a default security group of a VPC with IPv6 lets ::/0 out.
func (w *World) endpointSources6(eni *ENI, port int32) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range w.tcpIngress(eni.SecurityGroupIDs, port) {
		out = append(out, r.cidrs(netip.Addr.Is6)...)
	}
	admitted := false
	if in := w.hostStandIn(eni.VPCID); in != nil {
		if host, ok := w.hostIPv6(in); ok {
			admitted = w.groupsAllow(eni.SecurityGroupIDs, false, port, host, in.SecurityGroupIDs)
		}
	} else if v := w.VPCs[eni.VPCID]; v != nil && v.IPv6CIDR != "" {
		if block, err := netip.ParsePrefix(v.IPv6CIDR); err == nil {
			for _, s := range out {
				if s.Overlaps(block) && s.Bits() <= block.Bits() {
					admitted = true
				}
			}
		}
	}
	if admitted {
		out = append(out, netip.PrefixFrom(localClient6, 128))
	}
	return out
}

// hostIPv6 is an instance's IPv6 address as the sandbox imagines it: the
// 250th of its subnet's block; false when the subnet has no IPv6.
func (w *World) hostIPv6(in *Instance) (netip.Addr, bool) {
	return w.subnetIPv6(in.SubnetID, 250)
}

// eniIPv6Source is where an endpoint network interface's clients come from
// over IPv6 as an NLB's security groups see them: an address of the
// interface subnet's IPv6 block (the interface itself answers on ::1),
// numbered as its IPv4 address ends; false when the subnet has no IPv6.
func (w *World) eniIPv6Source(eni *ENI) (netip.Addr, bool) {
	host := byte(1)
	if ip, err := netip.ParseAddr(eni.PrivateIP); err == nil && ip.Is4() {
		host = ip.As4()[3]
	}
	return w.subnetIPv6(eni.SubnetID, host)
}

// subnetIPv6 is the address numbered host in a subnet's IPv6 block, false
// when the subnet has none.
func (w *World) subnetIPv6(subnetID string, host byte) (netip.Addr, bool) {
	sn := w.Subnets[subnetID]
	if sn == nil || sn.IPv6CIDR == "" {
		return netip.Addr{}, false
	}
	p, err := netip.ParsePrefix(sn.IPv6CIDR)
	if err != nil || !p.Addr().Is6() {
		return netip.Addr{}, false
	}
	b := p.Masked().Addr().As16()
	b[15] = host
	return netip.AddrFrom16(b), true
}
