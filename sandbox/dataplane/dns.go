package dataplane

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/miekg/dns"
)

// zoneSet is the compiled, read-only DNS data of one snapshot. The server
// swaps whole zoneSets atomically, so a query never sees half a sync.
type zoneSet struct {
	zones map[string]*dns.SOA // apex → SOA
	// names holds every owner name with records, and every name between an
	// owner and its zone apex (empty non-terminals), so NODATA and NXDOMAIN
	// are told apart as RFC 8020 wants.
	names map[string]*node
}

type node struct {
	a    []dns.RR
	aaaa []dns.RR
	txt  []dns.RR
}

// compileZones builds a zoneSet; records it cannot serve are left out and
// reported.
func compileZones(s Snapshot) (*zoneSet, []error) {
	zs := &zoneSet{zones: map[string]*dns.SOA{}, names: map[string]*node{}}
	var errs []error
	for _, z := range s.Zones {
		name, err := CanonicalName(z.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("dns zone: %w", err))
			continue
		}
		soa := defaultSOA(name)
		if z.SOA != "" {
			ttl := z.SOATTL
			if ttl == 0 {
				ttl = 900
			}
			parsed, err := parseSOA(name, z.SOA, ttl)
			if err != nil {
				errs = append(errs, fmt.Errorf("dns zone: %w", err))
			} else {
				soa = parsed
			}
		}
		zs.zones[name] = soa
	}

	aNames := make([]string, 0, len(s.A))
	for n := range s.A {
		aNames = append(aNames, n)
	}
	sort.Strings(aNames) // stable error order and answers
	for _, raw := range aNames {
		name, err := CanonicalName(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("dns A record: %w", err))
			continue
		}
		addrs := slices.Clone(s.A[raw])
		slices.SortFunc(addrs, netip.Addr.Compare)
		addrs = slices.Compact(addrs)
		nd := zs.node(name)
		for _, ip := range addrs {
			if !ip.Is4() || !ip.IsLoopback() {
				errs = append(errs, fmt.Errorf("dns A record %s: %s is not an IPv4 loopback address; the sandbox only hands out 127.0.0.0/8", name, ip))
				continue
			}
			nd.a = append(nd.a, &dns.A{
				Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ATTL},
				A:   net.IP(ip.AsSlice()),
			})
		}
	}

	errs = append(errs, compileAAAA(zs, s.AAAA)...)

	for _, rec := range s.TXT {
		name, err := CanonicalName(rec.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("dns TXT record: %w", err))
			continue
		}
		ttl := rec.TTL
		if ttl > 1<<31-1 {
			ttl = 1<<31 - 1 // RFC 2181 §8
		}
		nd := zs.node(name)
		for _, v := range rec.Values {
			strs, err := ParseTXTValue(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("dns TXT record %s: %w", name, err))
				continue
			}
			for i := range strs {
				strs[i] = escapeTXT(strs[i])
			}
			nd.txt = append(nd.txt, &dns.TXT{
				Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl},
				Txt: strs,
			})
		}
	}

	// Give orphan names a zone of their own, then fill in the empty
	// non-terminals between each name and its apex.
	owners := make([]string, 0, len(zs.names))
	for n := range zs.names {
		owners = append(owners, n)
	}
	// Shortest first, so an orphan's orphan ancestor becomes the zone.
	slices.SortFunc(owners, func(a, b string) int { return strings.Count(a, ".") - strings.Count(b, ".") })
	for _, n := range owners {
		if zs.apex(n) == "" {
			zs.zones[n] = defaultSOA(n)
		}
	}
	for _, n := range owners {
		apex := zs.apex(n)
		for p := parent(n); p != "" && len(p) >= len(apex); p = parent(p) {
			if _, ok := zs.names[p]; ok {
				break // its ancestors were added by the name that added it
			}
			zs.names[p] = &node{}
		}
	}
	for apex := range zs.zones {
		if zs.names[apex] == nil {
			zs.names[apex] = &node{}
		}
	}
	return zs, errs
}

// escapeTXT turns raw bytes into the escaped form miekg/dns keeps TXT
// strings in (it unescapes \\ and \DDD when packing), so a backslash in a
// record reaches the wire as itself.
func escapeTXT(raw string) string {
	var sb strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '\\' || c == '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, "\\%03d", c)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

func (zs *zoneSet) node(name string) *node {
	nd := zs.names[name]
	if nd == nil {
		nd = &node{}
		zs.names[name] = nd
	}
	return nd
}

// apex returns the closest enclosing zone of name, or "".
func (zs *zoneSet) apex(name string) string {
	for n := name; n != ""; n = parent(n) {
		if _, ok := zs.zones[n]; ok {
			return n
		}
	}
	return ""
}

// parent drops the first label: "a.b.c." → "b.c.", "c." → "" (the root is
// never a zone here).
func parent(name string) string {
	i := strings.IndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return name[i+1:]
}

// answer builds the reply to one query. It is pure, so tests and
// benchmarks call it without sockets. Policy: authoritative only, no
// recursion; names outside every zone get REFUSED (we are not their
// server, and a resolver pointed here should not cache a false NXDOMAIN);
// names inside a zone that do not exist get NXDOMAIN with the SOA.
func (zs *zoneSet) answer(r *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	if r.Opcode != dns.OpcodeQuery {
		m.SetRcode(r, dns.RcodeNotImplemented)
		return m
	}
	if len(r.Question) != 1 {
		m.SetRcodeFormatError(r)
		return m
	}
	m.SetReply(r)
	m.RecursionAvailable = false
	q := r.Question[0]
	if q.Qclass != dns.ClassINET {
		m.Rcode = dns.RcodeRefused
		return m
	}
	name := strings.ToLower(q.Name)
	if _, ok := dns.IsDomainName(name); !ok || !dns.IsFqdn(name) {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	apex := zs.apex(name)
	if apex == "" {
		m.Rcode = dns.RcodeRefused
		return m
	}
	switch q.Qtype {
	case dns.TypeAXFR, dns.TypeIXFR:
		m.Rcode = dns.RcodeRefused // no zone transfers
		return m
	}
	m.Authoritative = true
	soa := zs.zones[apex]

	nd, owner := zs.lookup(name, apex)
	if nd == nil {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa}
		return m
	}
	switch q.Qtype {
	case dns.TypeA:
		m.Answer = withOwner(nd.a, owner, name)
	case dns.TypeAAAA:
		m.Answer = withOwner(nd.aaaa, owner, name)
	case dns.TypeTXT:
		m.Answer = withOwner(nd.txt, owner, name)
	case dns.TypeANY:
		m.Answer = slices.Concat(withOwner(nd.a, owner, name), withOwner(nd.aaaa, owner, name), withOwner(nd.txt, owner, name))
	case dns.TypeSOA:
		if name == apex {
			m.Answer = []dns.RR{soa}
		}
	case dns.TypeNS:
		if name == apex {
			m.Answer = []dns.RR{&dns.NS{
				Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: soa.Hdr.Ttl},
				Ns:  soa.Ns,
			}}
		}
	}
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{soa} // NODATA
	}
	return m
}

// lookup finds name's node, or the wildcard that covers it (RFC 4592: the
// closest encloser's "*" child only), returning the owner name it found.
func (zs *zoneSet) lookup(name, apex string) (*node, string) {
	if nd := zs.names[name]; nd != nil {
		return nd, name
	}
	for p := parent(name); p != "" && len(p) >= len(apex); p = parent(p) {
		if nd := zs.names["*."+p]; nd != nil {
			return nd, "*." + p
		}
		if zs.names[p] != nil {
			break // p is the closest encloser and has no wildcard child
		}
	}
	return nil, ""
}

// withOwner returns rrs, renamed to qname when they come from a wildcard.
func withOwner(rrs []dns.RR, owner, qname string) []dns.RR {
	if owner == qname || len(rrs) == 0 {
		return slices.Clone(rrs)
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		c := dns.Copy(rr)
		c.Header().Name = qname
		out[i] = c
	}
	return out
}

// dnsHandler serves the current zoneSet.
type dnsHandler struct {
	zones func() *zoneSet
}

// ServeDNS answers one query, sized for its transport (EDNS0 buffer size
// on UDP, truncating with TC when it does not fit).
func (h dnsHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := h.zones().answer(r)
	size := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		if opt.Version() != 0 {
			m = new(dns.Msg)
			m.SetReply(r)
			m.Rcode = dns.RcodeBadVers
		}
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		m.SetEdns0(uint16(min(size, 1232)), false)
	}
	if _, tcp := w.LocalAddr().(*net.TCPAddr); tcp {
		size = dns.MaxMsgSize
	}
	m.Truncate(size)
	_ = w.WriteMsg(m)
}

// compileAAAA adds the AAAA records of a snapshot: only the IPv6 loopback
// address is served, as only 127.0.0.0/8 is for A.
func compileAAAA(zs *zoneSet, records map[string][]netip.Addr) []error {
	var errs []error
	for _, raw := range slices.Sorted(maps.Keys(records)) {
		name, err := CanonicalName(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("dns AAAA record: %w", err))
			continue
		}
		addrs := slices.Clone(records[raw])
		slices.SortFunc(addrs, netip.Addr.Compare)
		nd := zs.node(name)
		for _, ip := range slices.Compact(addrs) {
			if !ip.Is6() || ip.Is4In6() || !ip.IsLoopback() {
				errs = append(errs, fmt.Errorf("dns AAAA record %s: %s is not the IPv6 loopback address; the sandbox only hands out ::1", name, ip))
				continue
			}
			nd.aaaa = append(nd.aaaa, &dns.AAAA{
				Hdr:  dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ATTL},
				AAAA: net.IP(ip.AsSlice()),
			})
		}
	}
	return errs
}
