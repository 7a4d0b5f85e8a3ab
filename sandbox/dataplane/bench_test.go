package dataplane

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// bigSnapshot has n endpoints, each with a regional and three zonal names.
func bigSnapshot(n int) Snapshot {
	s := baseSnapshot(40, 0)
	s.Forwards = nil
	for i := range n {
		ip := netip.AddrFrom4([4]byte{127, 41 + byte(i/62500), byte(i / 250 % 250), byte(1 + i%250)})
		base := fmt.Sprintf("vpce-%017x-abcd1234", i)
		tail := "." + svcID + ".us-east-1.vpce.amazonaws.com"
		s.A[base+tail] = []netip.Addr{ip}
		for _, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
			s.A[base+"-"+az+tail] = []netip.Addr{ip}
		}
	}
	return s
}

// BenchmarkAnswer is the DNS handler's work per query (no sockets) in a
// world of 10,000 endpoints.
func BenchmarkAnswer(b *testing.B) {
	zs, errs := compileZones(bigSnapshot(10000))
	if len(errs) != 0 {
		b.Fatal(errs)
	}
	queries := map[string]*dns.Msg{
		"A-hit":    new(dns.Msg).SetQuestion(fmt.Sprintf("vpce-%017x-abcd1234-us-east-1b.%s.us-east-1.vpce.amazonaws.com.", 4321, svcID), dns.TypeA),
		"TXT-hit":  new(dns.Msg).SetQuestion(verifyName+".", dns.TypeTXT),
		"NXDOMAIN": new(dns.Msg).SetQuestion("missing.example.com.", dns.TypeA),
		"REFUSED":  new(dns.Msg).SetQuestion("www.example.net.", dns.TypeA),
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m := zs.answer(q); m == nil {
					b.Fatal("no answer")
				}
			}
		})
	}
}

// BenchmarkDNSOverUDP is a full round trip through the server on loopback.
func BenchmarkDNSOverUDP(b *testing.B) {
	src := &source{snap: bigSnapshot(1000)}
	d, err := Start(Options{Source: src.get, Interval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	q := new(dns.Msg).SetQuestion("API.example.com.", dns.TypeA)
	for b.Loop() {
		r, _, err := c.Exchange(q, d.DNSAddr())
		if err != nil || len(r.Answer) != 2 {
			b.Fatalf("answer %v, %v", r, err)
		}
	}
}

// BenchmarkSync is one reconciliation of a 10,000-endpoint snapshot that
// did not change (DNS recompiled, backends and forwards compared).
func BenchmarkSync(b *testing.B) {
	src := &source{snap: bigSnapshot(10000)}
	d, err := Start(Options{Source: src.get, Interval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		if err := d.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
