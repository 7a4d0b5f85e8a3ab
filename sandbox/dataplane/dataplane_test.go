package dataplane

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// source is a Source whose snapshot a test changes between syncs.
type source struct {
	mu   sync.Mutex
	snap Snapshot
}

func (s *source) get() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

func (s *source) set(snap Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap = snap
}

// testNet returns a random 127.a.b.0 block so parallel tests (and
// parallel test binaries) do not fight over addresses.
func testNet() (a, b byte) { return byte(16 + rand.IntN(200)), byte(rand.IntN(250)) }

func addr(a, b, c byte) netip.Addr { return netip.AddrFrom4([4]byte{127, a, b, c}) }

const (
	svcID      = "vpce-svc-0123456789abcdef0"
	svcName    = "com.amazonaws.vpce.us-east-1." + svcID
	privName   = "api.example.com"
	regional   = "vpce-0aaaabbbbccccdddd-x1y2z3.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
	zonalA     = "vpce-0aaaabbbbccccdddd-x1y2z3-us-east-1a.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com"
	vpceZone   = "us-east-1.vpce.amazonaws.com"
	vpceWild   = "*." + svcID + ".us-east-1.vpce.amazonaws.com"
	svcPort    = 8443
	verifyName = "_abc123.example.com"
)

// baseSnapshot is a service with one endpoint of two ENIs, private DNS on,
// a verification TXT record, and forwards on both ENIs.
func baseSnapshot(a, b byte) Snapshot {
	e1, e2 := addr(a, b, 4), addr(a, b, 5)
	return Snapshot{
		Zones: []Zone{
			{Name: vpceZone},
			{Name: "example.com.", SOA: "ns-1.sandbox.plwiz.invalid. hostmaster.sandbox.plwiz.invalid. 1 7200 900 1209600 86400", SOATTL: 900},
		},
		A: map[string][]netip.Addr{
			regional: {e2, e1},
			zonalA:   {e1},
			privName: {e1, e2},
		},
		TXT: []TXTRecord{
			{Name: verifyName + ".", TTL: 1800, Values: []string{`"vpce:Zx9"`}},
			{Name: "multi.example.com.", TTL: 300, Values: []string{`"part one" "part \"two\""`, `bare`}},
		},
		Forwards: []Forward{
			{Addr: e1, Port: svcPort, Service: svcID},
			{Addr: e2, Port: svcPort, Service: svcID},
		},
		Services: []Service{{ID: svcID, Name: svcName, DNSNames: []string{privName, vpceWild}}},
	}
}

func start(t *testing.T, src *source, stateDir string) *DataPlane {
	t.Helper()
	d, err := Start(Options{Source: src.get, StateDir: stateDir, Interval: -1, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

func query(t *testing.T, d *DataPlane, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, d.DNSAddr())
	if err != nil {
		t.Fatalf("query %s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return r
}

func aAnswers(t *testing.T, r *dns.Msg) []string {
	t.Helper()
	var out []string
	for _, rr := range r.Answer {
		a, ok := rr.(*dns.A)
		if !ok {
			t.Fatalf("answer %v is not an A record", rr)
		}
		out = append(out, a.A.String())
	}
	return out
}

func TestDNSAnswers(t *testing.T) {
	a, b := testNet()
	src := &source{snap: baseSnapshot(a, b)}
	d := start(t, src, "")
	e1, e2 := addr(a, b, 4).String(), addr(a, b, 5).String()

	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			t.Run("regional name gives every ENI, case-insensitively", func(t *testing.T) {
				r := query(t, d, network, strings.ToUpper(regional[:10])+regional[10:]+".", dns.TypeA)
				if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
					t.Fatalf("rcode %s aa=%v, want NOERROR authoritative", dns.RcodeToString[r.Rcode], r.Authoritative)
				}
				if got := aAnswers(t, r); !slices.Equal(got, []string{e1, e2}) {
					t.Fatalf("A = %v, want %v", got, []string{e1, e2})
				}
				if r.Answer[0].Header().Ttl != ATTL {
					t.Errorf("TTL %d, want %d", r.Answer[0].Header().Ttl, ATTL)
				}
			})
			t.Run("zonal name gives its AZ's ENI", func(t *testing.T) {
				r := query(t, d, network, zonalA+".", dns.TypeA)
				if got := aAnswers(t, r); !slices.Equal(got, []string{e1}) {
					t.Fatalf("A = %v, want [%s]", got, e1)
				}
			})
			t.Run("private name", func(t *testing.T) {
				r := query(t, d, network, "API.Example.COM.", dns.TypeA)
				if got := aAnswers(t, r); !slices.Equal(got, []string{e1, e2}) {
					t.Fatalf("A = %v", got)
				}
			})
			t.Run("TXT strings are unquoted", func(t *testing.T) {
				r := query(t, d, network, verifyName+".", dns.TypeTXT)
				if len(r.Answer) != 1 {
					t.Fatalf("answers %v, want one TXT", r.Answer)
				}
				txt := r.Answer[0].(*dns.TXT)
				if !slices.Equal(txt.Txt, []string{"vpce:Zx9"}) || txt.Hdr.Ttl != 1800 {
					t.Fatalf("TXT %q ttl %d, want [vpce:Zx9] ttl 1800", txt.Txt, txt.Hdr.Ttl)
				}
				r = query(t, d, network, "multi.example.com.", dns.TypeTXT)
				var got [][]string
				for _, rr := range r.Answer {
					got = append(got, rr.(*dns.TXT).Txt)
				}
				// miekg/dns shows TXT strings escaped: \" is a bare quote on the wire.
				want := [][]string{{"part one", `part \"two\"`}, {"bare"}}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("TXT %q, want %q", got, want)
				}
			})
			t.Run("unknown name in a known zone is NXDOMAIN with the SOA", func(t *testing.T) {
				r := query(t, d, network, "nope.example.com.", dns.TypeA)
				if r.Rcode != dns.RcodeNameError {
					t.Fatalf("rcode %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
				}
				if len(r.Ns) != 1 || r.Ns[0].(*dns.SOA).Minttl != 86400 || r.Ns[0].Header().Name != "example.com." {
					t.Fatalf("authority %v, want the example.com SOA", r.Ns)
				}
				r = query(t, d, network, "vpce-0nothere.vpce-svc-0123456789abcdef0.us-east-1.vpce.amazonaws.com.", dns.TypeA)
				if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
					t.Fatalf("rcode %s ns %v, want NXDOMAIN with SOA", dns.RcodeToString[r.Rcode], r.Ns)
				}
			})
			t.Run("other record type of a known name is NODATA", func(t *testing.T) {
				r := query(t, d, network, privName+".", dns.TypeAAAA)
				if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
					t.Fatalf("rcode %s answer %v ns %v, want NOERROR, no answer, SOA", dns.RcodeToString[r.Rcode], r.Answer, r.Ns)
				}
			})
			t.Run("name between a record and its zone exists", func(t *testing.T) {
				r := query(t, d, network, svcID+".us-east-1.vpce.amazonaws.com.", dns.TypeA)
				if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
					t.Fatalf("rcode %s answer %v, want NODATA", dns.RcodeToString[r.Rcode], r.Answer)
				}
			})
			t.Run("zone apex answers SOA and NS", func(t *testing.T) {
				r := query(t, d, network, "example.com.", dns.TypeSOA)
				if len(r.Answer) != 1 || r.Answer[0].(*dns.SOA).Ns != "ns-1.sandbox.plwiz.invalid." {
					t.Fatalf("SOA answer %v", r.Answer)
				}
				r = query(t, d, network, vpceZone+".", dns.TypeNS)
				if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeNS {
					t.Fatalf("NS answer %v", r.Answer)
				}
			})
			t.Run("names outside every zone are refused", func(t *testing.T) {
				r := query(t, d, network, "www.golang.org.", dns.TypeA)
				if r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
					t.Fatalf("rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
				}
			})
		})
	}

	t.Run("records follow the source after Sync", func(t *testing.T) {
		snap := baseSnapshot(a, b)
		delete(snap.A, privName)
		src.set(snap)
		if r := query(t, d, "udp", privName+".", dns.TypeA); len(r.Answer) != 2 {
			t.Fatalf("before Sync the old answer should still be served, got %v", r.Answer)
		}
		if err := d.Sync(); err != nil {
			t.Fatal(err)
		}
		if r := query(t, d, "udp", privName+".", dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Fatalf("after removal: rcode %s answer %v, want NXDOMAIN", dns.RcodeToString[r.Rcode], r.Answer)
		}
	})
}

// TestGoResolver asks the way a Go client (the probe) does: net.Resolver
// with its Dial pointed at the sandbox.
func TestGoResolver(t *testing.T) {
	a, b := testNet()
	src := &source{snap: baseSnapshot(a, b)}
	d := start(t, src, "")
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, d.DNSAddr())
	}}
	ctx := context.Background()
	ips, err := r.LookupIP(ctx, "ip4", privName)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ip := range ips {
		got = append(got, ip.String())
	}
	slices.Sort(got)
	if want := []string{addr(a, b, 4).String(), addr(a, b, 5).String()}; !slices.Equal(got, want) {
		t.Fatalf("LookupIP = %v, want %v", got, want)
	}
	txt, err := r.LookupTXT(ctx, verifyName)
	if err != nil || !slices.Equal(txt, []string{"vpce:Zx9"}) {
		t.Fatalf("LookupTXT = %q, %v", txt, err)
	}
	// Go joins a record's strings; the quote arrives unescaped.
	txt, err = r.LookupTXT(ctx, "multi.example.com")
	slices.Sort(txt)
	if err != nil || !slices.Equal(txt, []string{"bare", `part onepart "two"`}) {
		t.Fatalf("LookupTXT multi = %q, %v", txt, err)
	}
	_, err = r.LookupHost(ctx, "missing.example.com")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Fatalf("LookupHost missing: %v, want not found", err)
	}
}

func TestDNSRejectsBadQueries(t *testing.T) {
	a, b := testNet()
	zs, errs := compileZones(baseSnapshot(a, b))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	q := func(name string, qtype, class uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Question[0].Qclass = class
		return m
	}
	cases := []struct {
		name  string
		msg   *dns.Msg
		rcode int
	}{
		{"chaos class", q("version.bind.", dns.TypeTXT, dns.ClassCHAOS), dns.RcodeRefused},
		{"zone transfer", q("example.com.", dns.TypeAXFR, dns.ClassINET), dns.RcodeRefused},
		{"two questions", func() *dns.Msg {
			m := q("example.com.", dns.TypeA, dns.ClassINET)
			m.Question = append(m.Question, m.Question[0])
			return m
		}(), dns.RcodeFormatError},
		{"update opcode", func() *dns.Msg {
			m := q("example.com.", dns.TypeA, dns.ClassINET)
			m.Opcode = dns.OpcodeUpdate
			return m
		}(), dns.RcodeNotImplemented},
		{"label too long", q(strings.Repeat("a", 64)+".example.com.", dns.TypeA, dns.ClassINET), dns.RcodeFormatError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := zs.answer(c.msg)
			if r.Rcode != c.rcode || len(r.Answer) != 0 {
				t.Fatalf("rcode %s answer %v, want %s", dns.RcodeToString[r.Rcode], r.Answer, dns.RcodeToString[c.rcode])
			}
		})
	}
}

func TestDNSWildcardAndTruncation(t *testing.T) {
	a, b := testNet()
	snap := baseSnapshot(a, b)
	snap.A["*.wild.example.com"] = []netip.Addr{addr(a, b, 9)}
	snap.A["deep.x.wild.example.com"] = []netip.Addr{addr(a, b, 10)}
	var many []netip.Addr
	for i := 1; i <= 60; i++ {
		many = append(many, addr(a, b, byte(i)))
	}
	snap.A["many.example.com"] = many
	src := &source{snap: snap}
	d := start(t, src, "")

	r := query(t, d, "udp", "anything.wild.example.com.", dns.TypeA)
	if got := aAnswers(t, r); !slices.Equal(got, []string{addr(a, b, 9).String()}) || r.Answer[0].Header().Name != "anything.wild.example.com." {
		t.Fatalf("wildcard answer %v", r.Answer)
	}
	// x.wild.example.com exists (on the way to deep...), so it is the
	// closest encloser and the wildcard one level up does not cover y.x.
	if r := query(t, d, "udp", "y.x.wild.example.com.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("y.x.wild: rcode %s answer %v, want NXDOMAIN", dns.RcodeToString[r.Rcode], r.Answer)
	}

	// 60 A records do not fit in 512 bytes: UDP says TC, TCP has them all.
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion("many.example.com.", dns.TypeA)
	ur, _, err := c.Exchange(m, d.DNSAddr())
	if err != nil {
		t.Fatal(err)
	}
	if !ur.Truncated || len(ur.Answer) >= 60 {
		t.Fatalf("UDP: truncated=%v answers=%d, want TC and fewer than 60", ur.Truncated, len(ur.Answer))
	}
	tr := query(t, d, "tcp", "many.example.com.", dns.TypeA)
	if tr.Truncated || len(tr.Answer) != 60 {
		t.Fatalf("TCP: truncated=%v answers=%d, want all 60", tr.Truncated, len(tr.Answer))
	}
	// With EDNS0 the client's buffer size is honoured (capped at 1232).
	m.SetEdns0(4096, false)
	er, _, err := c.Exchange(m, d.DNSAddr())
	if err != nil {
		t.Fatal(err)
	}
	if er.Truncated || len(er.Answer) != 60 || er.IsEdns0() == nil {
		t.Fatalf("EDNS0: truncated=%v answers=%d opt=%v, want all 60 with OPT", er.Truncated, len(er.Answer), er.IsEdns0())
	}
}

func TestSyncReportsWhatItCannotServe(t *testing.T) {
	a, b := testNet()
	snap := baseSnapshot(a, b)
	snap.A["public.example.com"] = []netip.Addr{netip.MustParseAddr("93.184.216.34")}
	snap.A["bad name!.example.com"] = []netip.Addr{addr(a, b, 7)}
	snap.TXT = append(snap.TXT, TXTRecord{Name: "broken.example.com", TTL: 60, Values: []string{`"unterminated`}})
	snap.Forwards = append(snap.Forwards, Forward{Addr: netip.MustParseAddr("10.0.0.1"), Port: svcPort, Service: svcID})
	src := &source{snap: snap}
	d := start(t, src, "")
	err := d.Sync()
	if err == nil {
		t.Fatal("Sync accepted a non-loopback address, a bad name, a bad TXT value and a non-loopback forward")
	}
	for _, want := range []string{"93.184.216.34 is not an IPv4 loopback", `invalid DNS name "bad name!.example.com"`, "unterminated quote", "forward 10.0.0.1:8443"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Sync error lacks %q:\n%v", want, err)
		}
	}
	// The rest is still served.
	if r := query(t, d, "udp", regional+".", dns.TypeA); len(r.Answer) != 2 {
		t.Fatalf("regional name not served next to bad records: %v", r.Answer)
	}
	if r := query(t, d, "udp", "public.example.com.", dns.TypeA); len(r.Answer) != 0 {
		t.Fatalf("non-loopback address served: %v", r.Answer)
	}
	if got := d.Listening(); len(got) != 2 {
		t.Fatalf("listening on %v, want the two loopback forwards", got)
	}
}

func dialRefused(t *testing.T, hostport string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", hostport, 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s: connected, want connection refused", hostport)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", hostport, err)
	}
}

func TestForwardsFollowTheSource(t *testing.T) {
	a, b := testNet()
	full := baseSnapshot(a, b)
	noForwards := baseSnapshot(a, b)
	noForwards.Forwards = nil
	src := &source{snap: noForwards}
	d := start(t, src, "")
	e1 := net.JoinHostPort(addr(a, b, 4).String(), fmt.Sprint(svcPort))

	dialRefused(t, e1)

	src.set(full)
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", e1, &tls.Config{RootCAs: d.CAPool(), ServerName: privName})
	if err != nil {
		t.Fatalf("TLS through the ENI address: %v", err)
	}
	// An open connection is cut when the endpoint goes away, and new ones
	// are refused.
	src.set(noForwards)
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a connection through a removed forward: %v, want it closed", err)
	}
	conn.Close()
	dialRefused(t, e1)
}

func TestTLSThroughForward(t *testing.T) {
	a, b := testNet()
	src := &source{snap: baseSnapshot(a, b)}
	d := start(t, src, "")
	e2 := net.JoinHostPort(addr(a, b, 5).String(), fmt.Sprint(svcPort))

	// The CA file is what a client is told to trust.
	pemBytes, err := os.ReadFile(d.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("CA file %s holds no certificate", d.CAFile())
	}

	t.Run("private name verifies and HTTP answers", func(t *testing.T) {
		conn, err := tls.Dial("tcp", e2, &tls.Config{RootCAs: pool, ServerName: privName, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer conn.Close()
		leaf := conn.ConnectionState().PeerCertificates[0]
		if err := leaf.VerifyHostname(privName); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: "+privName+"\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), svcName) {
			t.Fatalf("GET /health: %d %q, want 200 naming %s", resp.StatusCode, body, svcName)
		}
	})
	t.Run("regional vpce name verifies", func(t *testing.T) {
		conn, err := tls.Dial("tcp", e2, &tls.Config{RootCAs: pool, ServerName: regional})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		conn.Close()
	})
	t.Run("unknown name fails verification", func(t *testing.T) {
		_, err := tls.Dial("tcp", e2, &tls.Config{RootCAs: pool, ServerName: "other.example.net"})
		var he x509.HostnameError
		if !errors.As(err, &he) {
			t.Fatalf("handshake for other.example.net: %v, want a hostname error", err)
		}
	})
	t.Run("without the CA it fails", func(t *testing.T) {
		_, err := tls.Dial("tcp", e2, &tls.Config{RootCAs: x509.NewCertPool(), ServerName: privName})
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) {
			t.Fatalf("handshake with an empty pool: %v, want unknown authority", err)
		}
	})
	t.Run("renamed service gets a new certificate", func(t *testing.T) {
		snap := baseSnapshot(a, b)
		snap.Services[0].DNSNames = []string{"new.example.org", vpceWild}
		src.set(snap)
		if err := d.Sync(); err != nil {
			t.Fatal(err)
		}
		conn, err := tls.Dial("tcp", e2, &tls.Config{RootCAs: pool, ServerName: "new.example.org"})
		if err != nil {
			t.Fatalf("handshake for the new name: %v", err)
		}
		conn.Close()
		_, err = tls.Dial("tcp", e2, &tls.Config{RootCAs: pool, ServerName: privName})
		var he x509.HostnameError
		if !errors.As(err, &he) {
			t.Fatalf("old name after rename: %v, want a hostname error", err)
		}
	})
	t.Run("HTTP through the backend directly", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "new.example.org"}}}
		defer client.CloseIdleConnections()
		resp, err := client.Get("https://" + d.BackendAddr(svcID) + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Plwiz-Service") != svcID {
			t.Fatalf("GET /: %d service %q", resp.StatusCode, resp.Header.Get("X-Plwiz-Service"))
		}
		resp, err = client.Get("https://" + d.BackendAddr(svcID) + "/nothing")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("GET /nothing: %d, want 404", resp.StatusCode)
		}
	})
	t.Run("removed service loses its backend", func(t *testing.T) {
		snap := baseSnapshot(a, b)
		snap.Services, snap.Forwards = nil, nil
		src.set(snap)
		if err := d.Sync(); err != nil {
			t.Fatal(err)
		}
		if got := d.BackendAddr(svcID); got != "" {
			t.Fatalf("backend still at %s", got)
		}
	})
}

func TestCAPersistsInStateDir(t *testing.T) {
	dir := t.TempDir()
	a, b := testNet()
	src := &source{snap: baseSnapshot(a, b)}
	src.snap.Forwards = nil
	d1, err := Start(Options{Source: src.get, StateDir: dir, Interval: -1})
	if err != nil {
		t.Fatal(err)
	}
	first := d1.CAPEM()
	if d1.CAFile() != filepath.Join(dir, CACertFile) {
		t.Fatalf("CAFile %s, want it in the state dir", d1.CAFile())
	}
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, CAKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("CA key file: %v mode %v, want 0600", err, st.Mode())
	}
	blk, _ := pem.Decode(first)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || !cert.IsCA || cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("CA certificate: %v, IsCA %v, alg %v", err, cert.IsCA, cert.PublicKeyAlgorithm)
	}

	d2 := start(t, src, dir)
	if string(d2.CAPEM()) != string(first) {
		t.Fatal("restart made a new CA; clients trusting the old one would break")
	}
	// Certificates from the restarted data plane chain to the saved CA.
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	conn, err := tls.Dial("tcp", d2.BackendAddr(svcID), &tls.Config{RootCAs: pool, ServerName: privName})
	if err != nil {
		t.Fatalf("handshake with the saved CA: %v", err)
	}
	conn.Close()
}

func TestCABrokenStateIsRefused(t *testing.T) {
	src := &source{}
	t.Run("only the certificate", func(t *testing.T) {
		dir := t.TempDir()
		d, err := Start(Options{Source: src.get, StateDir: dir, Interval: -1})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		os.Remove(filepath.Join(dir, CAKeyFile))
		if _, err := Start(Options{Source: src.get, StateDir: dir, Interval: -1}); err == nil || !strings.Contains(err.Error(), "only one of") {
			t.Fatalf("start with half a CA: %v", err)
		}
	})
	t.Run("key of another CA", func(t *testing.T) {
		dir1, dir2 := t.TempDir(), t.TempDir()
		for _, dir := range []string{dir1, dir2} {
			d, err := Start(Options{Source: src.get, StateDir: dir, Interval: -1})
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
		}
		key, _ := os.ReadFile(filepath.Join(dir2, CAKeyFile))
		if err := os.WriteFile(filepath.Join(dir1, CAKeyFile), key, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Start(Options{Source: src.get, StateDir: dir1, Interval: -1}); err == nil || !strings.Contains(err.Error(), "does not belong") {
			t.Fatalf("start with a mismatched key: %v", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, CACertFile), []byte("not pem"), 0o644)
		os.WriteFile(filepath.Join(dir, CAKeyFile), []byte("not pem"), 0o600)
		if _, err := Start(Options{Source: src.get, StateDir: dir, Interval: -1}); err == nil {
			t.Fatal("start with garbage CA files succeeded")
		}
	})
}

func TestTickerSyncsWithoutBeingAsked(t *testing.T) {
	a, b := testNet()
	empty := baseSnapshot(a, b)
	empty.Forwards = nil
	src := &source{snap: empty}
	d, err := Start(Options{Source: src.get, Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	src.set(baseSnapshot(a, b))
	deadline := time.Now().Add(5 * time.Second)
	for len(d.Listening()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("ticker did not open the forwards: %v", d.Listening())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: %v, want ErrClosed", err)
	}
	dialRefused(t, net.JoinHostPort(addr(a, b, 4).String(), fmt.Sprint(svcPort)))
}

func TestParseTXTValue(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{`"vpce:abc"`, []string{"vpce:abc"}, false},
		{`vpce:abc`, []string{"vpce:abc"}, false},
		{`"a b" "c"`, []string{"a b", "c"}, false},
		{`"say \"hi\"" \\x`, []string{`say "hi"`, `\x`}, false},
		{`"\065\066"`, []string{"AB"}, false},
		{`""`, []string{""}, false},
		{`"open`, nil, true},
		{`"\256"`, nil, true},
		{`"\12"`, nil, true},
		{"\"a\x01\"", nil, true},
		{`"` + strings.Repeat("x", 256) + `"`, nil, true},
		{`   `, nil, true},
	}
	for _, c := range cases {
		got, err := ParseTXTValue(c.in)
		if (err != nil) != c.err || (!c.err && !slices.Equal(got, c.want)) {
			t.Errorf("ParseTXTValue(%q) = %q, %v; want %q, err=%v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestCanonicalName(t *testing.T) {
	cases := map[string]string{
		"API.Example.com":       "api.example.com.",
		"_abc.example.com.":     "_abc.example.com.",
		`\052.example.com.`:     "*.example.com.",
		"*.example.com":         "*.example.com.",
		"a.*.example.com":       "",
		"a*.example.com":        "",
		"":                      "",
		"bad\nname.example.com": "",
		"x..example.com":        "",
	}
	for in, want := range cases {
		got, err := CanonicalName(in)
		if want == "" {
			if err == nil {
				t.Errorf("CanonicalName(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("CanonicalName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
