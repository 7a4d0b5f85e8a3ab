package sandbox

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// localClient is where clients on this machine (the local probe, Run
// Command scripts) connect from.
var localClient = netip.MustParseAddr("127.0.0.1")

// admission decides, for one data plane sync, which clients get through
// each endpoint network interface on each port. A connection passes the
// endpoint ENI's security groups (from its client), then the NLB's
// security groups when they are enforced on PrivateLink traffic (from the
// ENI's address), then needs a healthy target reachable from the ENI's
// zone. What fails the last two fails every client: the forward drops all.
// Results are memoised per sync since many endpoints share them.
type admission struct {
	w      *World
	now    time.Time
	d      Delays
	routes map[string]bool
}

func newAdmission(w *World, now time.Time, d Delays) *admission {
	return &admission{w: w, now: now, d: d, routes: map[string]bool{}}
}

// endpoint returns the sources per ENI address and service port of an
// available endpoint; a missing key lets everyone in.
func (a *admission) endpoint(e *Endpoint) map[netip.AddrPort][]netip.Prefix {
	w := a.w
	if w.Diag == nil {
		return nil
	}
	svc := w.Services[e.ServiceID]
	if svc == nil {
		return nil
	}
	out := map[netip.AddrPort][]netip.Prefix{}
	cross := w.crossRegion(e)
	for _, id := range e.ENIIDs {
		eni := w.ENIs[id]
		if eni == nil {
			continue
		}
		zone := eni.AZID
		if cross {
			zone = ""
		}
		ip, err := netip.ParseAddr(eni.PrivateIP)
		if err != nil {
			continue
		}
		// In one AZ an endpoint connects to one load balancer only.
		if lb := w.lbForENI(svc, eni, cross); lb != nil {
			lbARN := lb.ARN
			for _, lid := range SortedKeys(w.Listeners) {
				ln := w.Listeners[lid]
				if ln.LBARN != lbARN || ln.Port <= 0 || ln.Port > 65535 {
					continue
				}
				key := netip.AddrPortFrom(ip, uint16(ln.Port))
				if !a.passesNLB(lb, eni, zone, ln.Port, false) {
					out[key] = []netip.Prefix{}
					continue
				}
				out[key] = w.endpointSources(eni, ln.Port)
			}
		}
	}
	return out
}

// passesNLB: the NLB's groups admit the ENI's clients (over IPv6 when v6)
// and a healthy target is reachable from its zone ("" for an endpoint of
// another region, whose traffic may reach any zone).
func (a *admission) passesNLB(lb *LoadBalancer, eni *ENI, zone string, port int32, v6 bool) bool {
	key := strings.Join([]string{lb.ARN, zone, eni.PrivateIP, eni.SubnetID, strings.Join(slices.Sorted(slices.Values(eni.SecurityGroupIDs)), ","), strconv.Itoa(int(port)), strconv.FormatBool(v6)}, "|")
	if ok, seen := a.routes[key]; seen {
		return ok
	}
	ok, _ := a.w.nlbAdmits(lb, eni, port, v6)
	if ok {
		ok, _ = a.w.routable(lb, port, zone, a.now, a.d)
	}
	a.routes[key] = ok
	return ok
}

// listenerCertNames are the names of the default ACM certificate of the
// first TLS listener of the service's load balancers, nil when none has
// one.
func listenerCertNames(w *World, svc *Service) []string {
	if w.Diag == nil {
		return nil
	}
	for _, lbARN := range svc.NLBARNs {
		for _, id := range SortedKeys(w.Listeners) {
			ln := w.Listeners[id]
			lc := w.Diag.Listeners[id]
			if ln.LBARN != lbARN || ln.Protocol != "TLS" || lc == nil || len(lc.CertificateARNs) == 0 {
				continue
			}
			if cert := w.Diag.Certificates[lc.CertificateARNs[0]]; cert != nil {
				return slices.Compact(append([]string{cert.Domain}, cert.SANs...))
			}
		}
	}
	return nil
}
