package sandbox

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/plwiz/plwiz/sandbox/dataplane"
)

// startDataPlane starts the loopback data plane when the options ask for it.
func (s *Sandbox) startDataPlane() error {
	if !s.dpOpts.DataPlane {
		return nil
	}
	dp, err := dataplane.Start(dataplane.Options{
		Source:    s.dataPlaneSource(),
		StateDir:  s.dpOpts.StateDir,
		DNSListen: s.dpOpts.DNSListen,
		Logf:      s.logf,
		NoIPv6:    s.dpOpts.NoIPv6,
	})
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.dp = dp
	return nil
}

func (s *Sandbox) closeDataPlane() error {
	if s.dp == nil {
		return nil
	}
	return s.dp.Close()
}

// DNSAddr is the data plane DNS server's "ip:port" (UDP and TCP), "" when
// the data plane is off.
func (s *Sandbox) DNSAddr() string {
	if s.dp == nil {
		return ""
	}
	return s.dp.DNSAddr()
}

// IPv6Served reports whether the data plane serves the IPv6 side of
// endpoints (on ::1): false when it is off, when the machine has no ::1
// (Start logs dataplane.IPv6Unavailable then), or with Options.NoIPv6.
func (s *Sandbox) IPv6Served() bool {
	return s.dp != nil && s.dp.IPv6()
}

// CAFile is the path of the PEM CA certificate the service backends chain
// to, for clients to trust; "" when the data plane is off.
func (s *Sandbox) CAFile() string {
	if s.dp == nil {
		return ""
	}
	return s.dp.CAFile()
}

// CAPool is a certificate pool holding only the sandbox CA, for in-process
// clients (the demo's probe); nil when the data plane is off.
func (s *Sandbox) CAPool() *x509.CertPool {
	if s.dp == nil {
		return nil
	}
	return s.dp.CAPool()
}

// SyncDataPlane makes DNS and the ENI listeners match the world now (the
// data plane also does this on its own every 100 ms of wall time); tests
// call it after moving a manual clock.
func (s *Sandbox) SyncDataPlane() error {
	if s.dp == nil {
		return errors.New("sandbox data plane is off (Options.DataPlane)")
	}
	return s.dp.Sync()
}

// dataPlaneSource copies what the data plane needs from the world under
// the lock (cheap: cached names, flat views) and builds the Snapshot after
// releasing it, so a big world does not stall the API while DNS data is
// assembled. The cache is only touched with the world locked.
func (s *Sandbox) dataPlaneSource() dataplane.Source {
	cache := map[string]*epCache{}
	return func() dataplane.Snapshot {
		var v worldView
		s.World(func(w *World, now time.Time) { v = collectView(w, now, s.delays, cache) })
		return v.snapshot()
	}
}

// dnsLiveStates are the endpoint states whose vpce names resolve: AWS
// creates the names and ENIs with the endpoint, before acceptance.
var dnsLiveStates = map[string]bool{
	EndpointPendingAcceptance: true,
	EndpointPending:           true,
	EndpointAvailable:         true,
}

// worldView is the flat copy of the world the snapshot is built from.
type worldView struct {
	vpceZones []dataplane.Zone // <region>.vpce.amazonaws.com, one per region
	zones     []dataplane.Zone
	txt       []dataplane.TXTRecord
	services  []dataplane.Service
	privNames map[string]string   // service ID → verified private DNS name
	ports     map[string][]uint16 // service ID → listener ports
	endpoints []epView
}

// epView is one live endpoint.
type epView struct {
	c          *epCache // immutable once built; shared with later syncs
	serviceID  string
	available  bool
	privateDNS bool // private DNS on and propagated
	a, aaaa    bool // the record types of its names (DNS record IP type)
	// sources6 are, per port, the clients let in through its IPv6 address.
	sources6 map[uint16][]netip.Prefix
	// sources are, per ENI address and port, the clients let through
	// (nil: all); see admission in diag_dataplane.go.
	sources map[netip.AddrPort][]netip.Prefix
}

// epCache holds an endpoint's names and ENI addresses, which only change
// when its subnets or ENIs do, so a sync does not rebuild them for every
// endpoint of a large world.
type epCache struct {
	suffix  string
	subnets []string
	enis    []string
	names   []EndpointDNS
	all     []netip.Addr
	byAZ    map[string][]netip.Addr
	all6    []netip.Addr
	byAZ6   map[string][]netip.Addr
	touched bool
}

// collectView runs under the world lock.
func collectView(w *World, now time.Time, d Delays, cache map[string]*epCache) worldView {
	adm := newAdmission(w, now, d)
	v := worldView{
		privNames: map[string]string{},
		ports:     map[string][]uint16{},
		endpoints: make([]epView, 0, len(w.Endpoints)),
	}
	for _, r := range w.Regions {
		v.vpceZones = append(v.vpceZones, dataplane.Zone{Name: vpceZone(r.Name)})
	}
	for _, id := range SortedKeys(w.HostedZones) {
		z := w.HostedZones[id]
		if z.Private {
			continue
		}
		zone := dataplane.Zone{Name: z.Name}
		for _, r := range z.Records {
			switch r.Type {
			case "SOA":
				if len(r.Values) == 1 {
					zone.SOA, zone.SOATTL = r.Values[0], ttl32(r.TTL)
				}
			case "TXT":
				v.txt = append(v.txt, dataplane.TXTRecord{Name: r.Name, TTL: ttl32(r.TTL), Values: slices.Clone(r.Values)})
			}
		}
		v.zones = append(v.zones, zone)
	}
	for _, id := range SortedKeys(w.Services) {
		svc := w.Services[id]
		if svc.State == ServiceDeleted || svc.State == ServiceFailed {
			continue
		}
		var names []string
		if svc.PrivateDNSName != "" {
			names = append(names, svc.PrivateDNSName)
		}
		// Every endpoint name of the service is one label under this.
		names = append(names, "*."+svc.ID+"."+vpceZone(w.serviceRegion(svc)))
		if acm := listenerCertNames(w, svc); len(acm) > 0 {
			// A TLS listener ends TLS at the load balancer with its ACM
			// certificate: clients see that certificate's names.
			names = acm
		}
		v.services = append(v.services, dataplane.Service{ID: svc.ID, Name: svc.Name, DNSNames: names})
		if svc.PrivateDNSName != "" && svc.PrivateDNSState == DNSVerified {
			v.privNames[svc.ID] = svc.PrivateDNSName
		}
		v.ports[svc.ID] = servicePorts(w, svc)
	}
	for _, c := range cache {
		c.touched = false
	}
	for id, e := range w.Endpoints {
		if !dnsLiveStates[e.State] {
			continue
		}
		c := cache[id]
		if c == nil || c.suffix != e.DNSSuffix || !slices.Equal(c.subnets, e.SubnetIDs) || !slices.Equal(c.enis, e.ENIIDs) {
			c = newEPCache(w, e)
			cache[id] = c
		}
		c.touched = true
		if len(c.all) == 0 {
			continue
		}
		ev := epView{
			c:          c,
			serviceID:  e.ServiceID,
			available:  e.State == EndpointAvailable,
			privateDNS: w.privateNameLive(e, now),
			a:          e.hasA(),
			aaaa:       e.hasAAAA() && len(c.all6) > 0,
		}
		if ev.available {
			ev.sources = adm.endpoint(e)
			if len(c.all6) > 0 {
				ev.sources6 = adm.endpoint6(e)
			}
		}
		v.endpoints = append(v.endpoints, ev)
	}
	for id, c := range cache {
		if !c.touched {
			delete(cache, id)
		}
	}
	return v
}

// vpcResolvesPrivate: the private hosted zone of an endpoint only answers
// in a VPC with both DNS attributes on; turning one off later silences it.
func vpcResolvesPrivate(w *World, vpcID string) bool {
	v := w.VPCs[vpcID]
	return v != nil && v.EnableDNSSupport && v.EnableDNSHostnames
}

func newEPCache(w *World, e *Endpoint) *epCache {
	c := &epCache{
		suffix:  e.DNSSuffix,
		subnets: slices.Clone(e.SubnetIDs),
		enis:    slices.Clone(e.ENIIDs),
		names:   w.EndpointDNSNames(e),
		byAZ:    map[string][]netip.Addr{},
		byAZ6:   map[string][]netip.Addr{},
	}
	for _, id := range e.ENIIDs {
		eni := w.ENIs[id]
		if eni == nil {
			continue
		}
		ip, err := netip.ParseAddr(eni.PrivateIP)
		if err != nil {
			continue // not an address: nothing to serve for it
		}
		c.all = append(c.all, ip)
		c.byAZ[eni.AZID] = append(c.byAZ[eni.AZID], ip)
		if ip6, err := netip.ParseAddr(eni.IPv6); err == nil {
			if !slices.Contains(c.all6, ip6) {
				c.all6 = append(c.all6, ip6)
			}
			c.byAZ6[eni.AZID] = append(c.byAZ6[eni.AZID], ip6)
		}
	}
	return c
}

// snapshot builds, outside the lock, what the data plane serves:
//   - A for each live endpoint's regional name (all its ENIs) and zonal
//     names (the ENI in that AZ);
//   - A for a service's private DNS name → the ENIs of every available
//     endpoint with private DNS on, once its propagation time has passed,
//     while the name is verified and the endpoint's VPC has both DNS
//     attributes on;
//   - TXT (and the SOA) of every public hosted zone;
//   - a forward per available endpoint ENI and service listener port;
//   - a backend per service that is not deleted, whose certificate names
//     the private DNS name and every vpce name of the service.
func (v worldView) snapshot() dataplane.Snapshot {
	snap := dataplane.Snapshot{
		Zones:    slices.Concat(v.vpceZones, v.zones),
		A:        make(map[string][]netip.Addr, 4*len(v.endpoints)),
		AAAA:     map[string][]netip.Addr{},
		TXT:      v.txt,
		Services: v.services,
	}
	for _, e := range v.endpoints {
		for _, n := range e.c.names {
			if e.a {
				if n.AZID == "" {
					snap.A[n.Name] = e.c.all
				} else if ips := e.c.byAZ[n.AZID]; len(ips) > 0 {
					snap.A[n.Name] = ips
				}
			}
			if e.aaaa {
				if n.AZID == "" {
					snap.AAAA[n.Name] = e.c.all6
				} else if ips := e.c.byAZ6[n.AZID]; len(ips) > 0 {
					snap.AAAA[n.Name] = ips
				}
			}
		}
		if !e.available {
			continue
		}
		if name := v.privNames[e.serviceID]; name != "" && e.privateDNS {
			// Concat copies: the cached slice is shared with the regional name.
			if e.a {
				snap.A[name] = slices.Concat(snap.A[name], e.c.all)
			}
			if e.aaaa {
				snap.AAAA[name] = slices.Concat(snap.AAAA[name], e.c.all6)
			}
		}
		for _, ip := range e.c.all6 {
			for _, port := range v.ports[e.serviceID] {
				f := dataplane.Forward{Addr: ip, Port: port, Service: e.serviceID}
				if src, ok := e.sources6[port]; ok {
					f.Sources = src
					f.Drop = !slices.ContainsFunc(src, func(p netip.Prefix) bool { return p.Contains(localClient6) })
				}
				snap.Forwards = append(snap.Forwards, f)
			}
		}
		for _, ip := range e.c.all {
			for _, port := range v.ports[e.serviceID] {
				f := dataplane.Forward{Addr: ip, Port: port, Service: e.serviceID}
				if src, ok := e.sources[netip.AddrPortFrom(ip, port)]; ok {
					f.Sources = src
					// Clients on this machine connect from 127.0.0.1: when
					// it is not let in, their connects must time out.
					f.Drop = !slices.ContainsFunc(src, func(p netip.Prefix) bool { return p.Contains(localClient) })
				}
				snap.Forwards = append(snap.Forwards, f)
			}
		}
	}
	return snap
}

// buildSnapshot is collectView and snapshot in one, for tests.
func buildSnapshot(w *World, now time.Time) dataplane.Snapshot {
	return collectView(w, now, Delays{}, map[string]*epCache{}).snapshot()
}

// servicePorts are the listener ports of the service's load balancers.
func servicePorts(w *World, svc *Service) []uint16 {
	var out []uint16
	for _, lbARN := range svc.NLBARNs {
		for _, id := range SortedKeys(w.Listeners) {
			ln := w.Listeners[id]
			if ln.LBARN == lbARN && ln.Port > 0 && ln.Port <= math.MaxUint16 {
				out = append(out, uint16(ln.Port))
			}
		}
	}
	return out
}

func ttl32(ttl int64) uint32 {
	if ttl < 0 {
		return 0
	}
	return uint32(min(ttl, math.MaxInt32))
}

// vpceZone is the zone of a region's endpoint and endpoint service names.
func vpceZone(region string) string { return region + ".vpce.amazonaws.com" }
