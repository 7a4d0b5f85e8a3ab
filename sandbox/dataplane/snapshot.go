package dataplane

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Source returns what the data plane should serve right now. It is called on
// every reconciliation (Sync and each tick), so it must be safe to call from
// any goroutine and should be cheap.
type Source func() Snapshot

// Snapshot is the data plane's view of the world at one instant: the DNS
// records to answer, the TCP forwards to listen on, and the services that
// get a TLS backend. It is plain data so the package can be tested without
// the sandbox.
type Snapshot struct {
	// Zones are the zones served authoritatively. A record whose name is in
	// no listed zone gets a zone of its own at that name.
	Zones []Zone
	// A maps a name to its IPv4 addresses (answered with TTL ATTL). Only
	// loopback addresses are served: the sandbox never points clients off
	// the machine.
	A map[string][]netip.Addr
	// AAAA maps a name to its IPv6 addresses, which can only be ::1 (see
	// Forward): the one IPv6 loopback address.
	AAAA map[string][]netip.Addr
	// TXT are TXT record sets, values as Route 53 stores them.
	TXT []TXTRecord
	// Forwards are the TCP listeners to run (endpoint ENI address and
	// service port) and which service's backend each one proxies to.
	Forwards []Forward
	// Services get one TLS+HTTP backend each.
	Services []Service
}

// ATTL is the TTL of A answers, the 60 s AWS gives endpoint names.
const ATTL = 60

// Zone is one DNS zone; SOA is the SOA record data in presentation form
// ("mname rname serial refresh retry expire minimum"), or "" for a
// synthesized one.
type Zone struct {
	Name   string
	SOA    string
	SOATTL uint32
}

// TXTRecord is a TXT record set. Each value is in Route 53's presentation
// form: one or more character strings, quoted ("v=1" "more") or bare, with
// \" \\ and \DDD escapes.
type TXTRecord struct {
	Name   string
	TTL    uint32
	Values []string
}

// Forward is one TCP listener: connections to Addr:Port are proxied to the
// backend of Service. Several services may forward [::1]:Port (every IPv6
// endpoint address of the sandbox is ::1): the listener then picks the
// backend by the TLS server name the client sends, as each backend's
// certificate names it.
type Forward struct {
	Addr    netip.Addr
	Port    uint16
	Service string
	// Drop makes every connect to the address time out, as a security
	// group's silent drop or a load balancer with no healthy target does:
	// nothing is proxied.
	Drop bool
	// Sources, when not nil, are the only client addresses let in; others
	// are reset as soon as they connect (loopback has no way to drop one
	// client's packets and not another's; Drop is the timeout).
	Sources []netip.Prefix
}

// Service is one endpoint service's backend: ID keys it, Name is shown in
// HTTP answers, DNSNames go into its certificate (a leading "*." is a
// wildcard).
type Service struct {
	ID       string
	Name     string
	DNSNames []string
}

// CanonicalName lower-cases a DNS name, adds the trailing dot, turns Route
// 53's \052 escape back into "*", and checks that it is a valid name.
func CanonicalName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.ReplaceAll(n, `\052`, "*")
	if n == "" || n == "." {
		return "", fmt.Errorf("empty DNS name %q", name)
	}
	n = dns.Fqdn(n)
	if _, ok := dns.IsDomainName(n); !ok {
		return "", fmt.Errorf("invalid DNS name %q", name)
	}
	for _, r := range n {
		// Only what can appear in a hostname or a TXT owner name (the _ of
		// verification records, the * of wildcards).
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '*') {
			return "", fmt.Errorf("invalid DNS name %q: character %q", name, r)
		}
	}
	if i := strings.LastIndex(n, "*"); i > 0 || (i == 0 && !strings.HasPrefix(n, "*.")) {
		return "", fmt.Errorf("invalid DNS name %q: a wildcard is only allowed as the whole first label", name)
	}
	return n, nil
}

// ParseTXTValue splits one Route 53 TXT value into its character strings.
func ParseTXTValue(v string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i >= len(v) {
			break
		}
		quoted := v[i] == '"'
		if quoted {
			i++
		}
		var sb strings.Builder
		closed := false
		for i < len(v) {
			c := v[i]
			if quoted && c == '"' {
				i++
				closed = true
				break
			}
			if !quoted && (c == ' ' || c == '\t' || c == '"') {
				break
			}
			if c < 0x20 || c == 0x7f {
				return nil, fmt.Errorf("TXT value %q: control character", v)
			}
			if c == '\\' {
				if i+1 >= len(v) {
					return nil, fmt.Errorf("TXT value %q: escape at end", v)
				}
				if isDigit(v[i+1]) {
					if i+3 >= len(v) || !isDigit(v[i+2]) || !isDigit(v[i+3]) {
						return nil, fmt.Errorf("TXT value %q: \\DDD escape needs three digits", v)
					}
					n, _ := strconv.Atoi(v[i+1 : i+4])
					if n > 255 {
						return nil, fmt.Errorf("TXT value %q: escape \\%s is above 255", v, v[i+1:i+4])
					}
					sb.WriteByte(byte(n))
					i += 4
					continue
				}
				sb.WriteByte(v[i+1])
				i += 2
				continue
			}
			sb.WriteByte(c)
			i++
		}
		if quoted && !closed {
			return nil, fmt.Errorf("TXT value %q: unterminated quote", v)
		}
		if sb.Len() > 255 {
			return nil, fmt.Errorf("TXT value %q: a character string is longer than 255 bytes", v)
		}
		out = append(out, sb.String())
	}
	if len(out) == 0 {
		return nil, errors.New("empty TXT value")
	}
	return out, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseSOA reads "mname rname serial refresh retry expire minimum".
func parseSOA(zone, data string, ttl uint32) (*dns.SOA, error) {
	f := strings.Fields(data)
	if len(f) != 7 {
		return nil, fmt.Errorf("zone %s: SOA %q: want 7 fields", zone, data)
	}
	var nums [5]uint32
	for i := range nums {
		n, err := strconv.ParseUint(f[2+i], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("zone %s: SOA %q: %w", zone, data, err)
		}
		nums[i] = uint32(n)
	}
	mname, err := CanonicalName(f[0])
	if err != nil {
		return nil, fmt.Errorf("zone %s: SOA mname: %w", zone, err)
	}
	rname, err := CanonicalName(f[1])
	if err != nil {
		return nil, fmt.Errorf("zone %s: SOA rname: %w", zone, err)
	}
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  mname, Mbox: rname,
		Serial: nums[0], Refresh: nums[1], Retry: nums[2], Expire: nums[3], Minttl: nums[4],
	}, nil
}

// defaultSOA is the SOA of zones the snapshot gives none for. The short
// minimum keeps negative answers from being cached across a private DNS
// name going live.
func defaultSOA(zone string) *dns.SOA {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns:  "ns-1.sandbox.plwiz.invalid.", Mbox: "hostmaster.sandbox.plwiz.invalid.",
		Serial: 1, Refresh: 7200, Retry: 900, Expire: 1209600, Minttl: 5,
	}
}
