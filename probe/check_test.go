package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	name     = "api.example.com"
	regional = "vpce-0abc1234-xyz.vpce-svc-0def5678.us-east-1.vpce.amazonaws.com"
	zonal    = "vpce-0abc1234-xyz-us-east-1a.vpce-svc-0def5678.us-east-1.vpce.amazonaws.com"
)

// world is one test's loopback service: a DNS server, a CA, and a TLS server
// for the name.
type world struct {
	dns  string
	ca   *testCA
	port int
	dial *loopbackDialer
}

func newWorld(t *testing.T, records map[string][]string, h http.Handler) *world {
	t.Helper()
	ca := newCA(t, "plwiz test CA")
	return &world{
		dns:  dnsServer(t, records),
		ca:   ca,
		port: tlsServer(t, ca.validLeaf(t, name), h),
		dial: &loopbackDialer{t: t},
	}
}

func (w *world) config(t *testing.T) Config {
	return Config{
		Name:         name,
		Port:         w.port,
		Addresses:    addrs(t, "127.0.0.1"),
		RootCAs:      w.ca.pool(),
		Resolver:     resolverAt(t, w.dns),
		ResolverAddr: w.dns,
		Dialer:       w.dial,
		Timeout:      5 * time.Second,
	}
}

func TestAllPass(t *testing.T) {
	w := newWorld(t, map[string][]string{name: {"127.0.0.1"}, regional: {"127.0.0.1"}, zonal: {"127.0.0.1"}}, okHandler("ok\n"))
	cfg := w.config(t)
	cfg.VPCENames = []string{regional, zonal}
	cfg.HTTPPath = "/health"
	rep := check(t, cfg)

	if !rep.OK() || rep.OutsideVPC {
		t.Fatalf("OK=%v OutsideVPC=%v, want a passing report inside the VPC: %+v", rep.OK(), rep.OutsideVPC, rep.Results)
	}
	if p, f, s := rep.Counts(); p != 6 || f != 0 || s != 0 {
		t.Fatalf("counts %d/%d/%d, want 6 passed: %+v", p, f, s, rep.Results)
	}
	dnsRes := byStep(rep, StepDNS)
	for i, target := range []string{name, regional, zonal} {
		if dnsRes[i].Target != target {
			t.Errorf("dns result %d is for %q, want %q", i, dnsRes[i].Target, target)
		}
		wantVerdict(t, dnsRes[i], Pass)
		if dnsRes[i].Seen != "127.0.0.1" {
			t.Errorf("dns %s seen %q, want 127.0.0.1", target, dnsRes[i].Seen)
		}
	}
	wantContains(t, "dns expected", dnsRes[0].Expected, "the endpoint's addresses 127.0.0.1")
	wantContains(t, "vpce expected", dnsRes[1].Expected, "some of the endpoint's addresses 127.0.0.1")

	hp := fmt.Sprintf("127.0.0.1:%d", w.port)
	tcp := one(t, rep, StepTCP)
	wantVerdict(t, tcp, Pass)
	if tcp.Target != hp || tcp.Seen != "connection accepted" || tcp.Expected != "a connection accepted within 5s" {
		t.Errorf("tcp = %+v", tcp)
	}
	tlsRes := one(t, rep, StepTLS)
	wantVerdict(t, tlsRes, Pass)
	wantContains(t, "tls target", tlsRes.Target, hp+" (SNI api.example.com)")
	wantContains(t, "tls expected", tlsRes.Expected, "a certificate for api.example.com", "chaining to the given CA certificates")
	wantContains(t, "tls seen", tlsRes.Seen, "TLS 1.3", "certificate for api.example.com", "issued by CN=plwiz test CA",
		"to "+day(time.Now().Add(90*24*time.Hour)))
	if tlsRes.Warning != "" {
		t.Errorf("tls warning %q for a certificate valid 90 days", tlsRes.Warning)
	}
	httpRes := one(t, rep, StepHTTP)
	wantVerdict(t, httpRes, Pass)
	wantContains(t, "http target", httpRes.Target, fmt.Sprintf("https://api.example.com:%d/health via %s", w.port, hp))
	if httpRes.Seen != `status 200 OK, body "ok"` {
		t.Errorf("http seen %q", httpRes.Seen)
	}
	if httpRes.Expected != "a status in 200-399" {
		t.Errorf("http expected %q", httpRes.Expected)
	}
	for _, r := range rep.Results {
		if r.Duration <= 0 {
			t.Errorf("%s %s has no duration", r.Step, r.Target)
		}
	}
}

func TestResolvedAddressesUsedWhenNoneGiven(t *testing.T) {
	w := newWorld(t, map[string][]string{name: {"127.0.0.1"}}, okHandler("ok"))
	cfg := w.config(t)
	cfg.Addresses = nil
	cfg.CAFile = w.ca.file(t)
	cfg.RootCAs = nil
	rep := check(t, cfg)
	if !rep.OK() {
		t.Fatalf("report not OK: %+v", rep.Results)
	}
	wantContains(t, "dns expected", one(t, rep, StepDNS).Expected, "private (VPC) addresses")
	wantContains(t, "tls expected", one(t, rep, StepTLS).Expected, "chaining to the CA in "+cfg.CAFile)
	if got := w.dial.dialed; len(got) == 0 || got[0] != fmt.Sprintf("127.0.0.1:%d", w.port) {
		t.Errorf("dialed %v, want the resolved address", got)
	}
}

func TestNXDOMAINSaysOutsideVPCAndPrintsCommand(t *testing.T) {
	w := newWorld(t, map[string][]string{regional: {"127.0.0.1"}}, okHandler("ok"))
	cfg := w.config(t)
	cfg.VPCENames = []string{regional}
	cfg.CAFile = "/etc/plwiz/provider ca.pem"
	cfg.HTTPPath = "/health"
	rep := check(t, cfg)

	want := fmt.Sprintf("plwiz check --name api.example.com --port %d --addresses 127.0.0.1 --vpce-names %s "+
		"--ca '/etc/plwiz/provider ca.pem' --http /health", w.port, regional)
	if rep.Command != want {
		t.Errorf("Command\n got %s\nwant %s", rep.Command, want)
	}
	if !rep.OutsideVPC || rep.OK() {
		t.Errorf("OutsideVPC=%v OK=%v, want outside and failed", rep.OutsideVPC, rep.OK())
	}
	d := byStep(rep, StepDNS)[0]
	wantVerdict(t, d, Fail)
	if d.Seen != "no such name (NXDOMAIN, or no A/AAAA records)" {
		t.Errorf("dns seen %q", d.Seen)
	}
	wantContains(t, "dns hint", d.Hint, "api.example.com does not resolve at the DNS server "+w.dns,
		"private DNS is not enabled on the endpoint yet", "this host is likely outside the consumer VPC",
		"From a host inside the VPC run: "+want)
	// The endpoint's own name still resolves: the endpoint exists.
	wantVerdict(t, byStep(rep, StepDNS)[1], Pass)
	// The given addresses are still tried: DNS is the only problem.
	wantVerdict(t, one(t, rep, StepTCP), Pass)

	var text strings.Builder
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "text", text.String(), "If private DNS is on for the endpoint, this host is likely outside the consumer VPC. From a host inside it, run:\n  "+want+"\n")
}

func TestNXDOMAINWithoutAddressesSkipsTheRest(t *testing.T) {
	w := newWorld(t, map[string][]string{}, okHandler("ok"))
	cfg := w.config(t)
	cfg.Addresses = nil
	cfg.HTTPPath = "/health"
	rep := check(t, cfg)
	wantVerdict(t, one(t, rep, StepDNS), Fail)
	for _, s := range []Step{StepTCP, StepTLS, StepHTTP} {
		r := one(t, rep, s)
		wantVerdict(t, r, Skipped)
		wantContains(t, string(s)+" seen", r.Seen, "not run: no address to connect to (DNS for api.example.com failed")
	}
	if len(w.dial.dialed) != 0 {
		t.Errorf("dialed %v with no address", w.dial.dialed)
	}
	wantContains(t, "command", rep.Command, fmt.Sprintf("plwiz check --name api.example.com --port %d", w.port))
	wantNotContains(t, "command", rep.Command, "--addresses", "--resolver")
}

func TestPublicAnswerMeansOutsideVPC(t *testing.T) {
	w := newWorld(t, map[string][]string{name: {"203.0.113.10", "203.0.113.11"}}, okHandler("ok"))
	cfg := w.config(t)
	cfg.Addresses = nil
	rep := check(t, cfg)
	d := one(t, rep, StepDNS)
	wantVerdict(t, d, Fail)
	if d.Seen != "public addresses 203.0.113.10, 203.0.113.11" {
		t.Errorf("dns seen %q", d.Seen)
	}
	if d.Expected != "private (VPC) addresses" {
		t.Errorf("dns expected %q", d.Expected)
	}
	wantContains(t, "dns hint", d.Hint, "resolves to public addresses", "likely outside the consumer VPC", "From a host inside the VPC run: plwiz check --name api.example.com")
	if !rep.OutsideVPC {
		t.Error("OutsideVPC not set")
	}
	wantVerdict(t, one(t, rep, StepTCP), Skipped)
}

func TestWrongAddresses(t *testing.T) {
	w := newWorld(t, map[string][]string{name: {"127.0.0.1", "127.0.0.9"}, regional: {"127.0.0.8"}}, okHandler("ok"))
	cfg := w.config(t)
	cfg.VPCENames = []string{regional}
	rep := check(t, cfg)
	d := byStep(rep, StepDNS)
	wantVerdict(t, d[0], Fail)
	if d[0].Seen != "127.0.0.1, 127.0.0.9 (not the endpoint's: 127.0.0.9)" {
		t.Errorf("dns seen %q", d[0].Seen)
	}
	if d[0].Expected != "the endpoint's addresses 127.0.0.1" {
		t.Errorf("dns expected %q", d[0].Expected)
	}
	wantContains(t, "dns hint", d[0].Hint, "not this endpoint's", "private hosted zone")
	wantVerdict(t, d[1], Fail)
	wantContains(t, "vpce hint", d[1].Hint, regional+" answers with addresses that are not this endpoint's")
	if rep.OutsideVPC {
		t.Error("OutsideVPC set for private but wrong addresses")
	}
}

func TestMissingAddressWarnsAndRefusedAddressFails(t *testing.T) {
	w := newWorld(t, map[string][]string{name: {"127.0.0.1"}, zonal: {"127.0.0.2"}}, okHandler("ok"))
	cfg := w.config(t)
	cfg.Addresses = addrs(t, "127.0.0.2", "127.0.0.1")
	cfg.VPCENames = []string{zonal}
	cfg.HTTPPath = "/health"
	rep := check(t, cfg)
	d := byStep(rep, StepDNS)
	wantVerdict(t, d[0], Pass)
	if d[0].Seen != "127.0.0.1 (missing: 127.0.0.2)" {
		t.Errorf("dns seen %q", d[0].Seen)
	}
	wantContains(t, "dns warning", d[0].Warning, "leaves out the endpoint's 127.0.0.2")
	wantVerdict(t, d[1], Pass) // a zonal name answers with its zone's address only

	tcp := byStep(rep, StepTCP)
	if len(tcp) != 2 {
		t.Fatalf("%d tcp results, want one per address", len(tcp))
	}
	wantVerdict(t, tcp[0], Pass) // 127.0.0.1 sorts first
	wantVerdict(t, tcp[1], Fail)
	refused := fmt.Sprintf("127.0.0.2:%d", w.port)
	if tcp[1].Target != refused || tcp[1].Seen != "connection refused" {
		t.Errorf("tcp[1] = %+v", tcp[1])
	}
	wantContains(t, "tcp hint", tcp[1].Hint, "nothing accepts connections on "+refused, "pending acceptance",
		fmt.Sprintf("no listener on port %d", w.port))
	tl := byStep(rep, StepTLS)
	wantVerdict(t, tl[0], Pass)
	wantVerdict(t, tl[1], Skipped)
	if tl[1].Seen != "not run: TCP to "+refused+" failed" {
		t.Errorf("tls[1] seen %q", tl[1].Seen)
	}
	h := byStep(rep, StepHTTP)
	wantVerdict(t, h[0], Pass)
	wantVerdict(t, h[1], Skipped)
}

func TestTCPRefused(t *testing.T) {
	port := freePort(t)
	cfg := Config{Name: name, Port: port, Addresses: addrs(t, "127.0.0.1"), Dialer: &loopbackDialer{t: t},
		Resolver: resolverAt(t, dnsServer(t, map[string][]string{name: {"127.0.0.1"}})), HTTPPath: "/"}
	rep := check(t, cfg)
	tcp := one(t, rep, StepTCP)
	wantVerdict(t, tcp, Fail)
	if tcp.Seen != "connection refused" || tcp.Expected != "a connection accepted within 5s" {
		t.Errorf("tcp = %+v", tcp)
	}
	wantVerdict(t, one(t, rep, StepTLS), Skipped)
	wantVerdict(t, one(t, rep, StepHTTP), Skipped)
}

func TestTCPTimeout(t *testing.T) {
	cfg := Config{Name: name, Port: 443, Addresses: addrs(t, "127.0.0.1"), Dialer: blockingDialer{},
		Resolver: resolverAt(t, dnsServer(t, map[string][]string{name: {"127.0.0.1"}})), Timeout: 50 * time.Millisecond}
	rep := check(t, cfg)
	tcp := one(t, rep, StepTCP)
	wantVerdict(t, tcp, Fail)
	if tcp.Seen != "no answer within 50ms" {
		t.Errorf("tcp seen %q", tcp.Seen)
	}
	wantContains(t, "tcp hint", tcp.Hint, "security group must allow TCP 443 from this host")
}

func TestTLSFailures(t *testing.T) {
	ca := newCA(t, "plwiz test CA")
	other := newCA(t, "someone else's CA")
	now := time.Now()
	tests := []struct {
		name     string
		cert     tls.Certificate
		caFile   bool // trust ca through a file instead of a pool
		system   bool // trust the system roots only
		seen     []string
		hint     []string
		notHint  []string
		cfgNow   time.Time
		verdict  Verdict
		warning  string
		problems int
	}{
		{name: "wrong name", cert: ca.validLeaf(t, "other.example.com", "www.other.example.com"),
			seen:    []string{"certificate for other.example.com, www.other.example.com", "— not valid for api.example.com"},
			hint:    []string{"the certificate is for other.example.com, www.other.example.com, not api.example.com", "must cover the private DNS name"},
			notHint: []string{"unknown authority", "expired"}, verdict: Fail},
		{name: "untrusted CA file", cert: other.validLeaf(t, name), caFile: true,
			seen:    []string{"issued by CN=someone else's CA", "— signed by an unknown authority"},
			hint:    []string{"does not chain to the CA in ", "ca.pem", "(CN=someone else's CA)"},
			notHint: []string{"not api.example.com", "expired"}, verdict: Fail},
		{name: "untrusted by system roots", cert: other.validLeaf(t, name), system: true,
			hint: []string{"pass the provider's CA certificate with --ca FILE"}, verdict: Fail},
		{name: "self-signed", cert: selfSigned(t, name),
			seen: []string{"issued by CN=api.example.com", "signed by an unknown authority"},
			hint: []string{"does not chain to the given CA certificates"}, verdict: Fail},
		{name: "expired", cert: ca.leaf(t, []string{name}, now.Add(-100*24*time.Hour), now.Add(-3*24*time.Hour-time.Hour)),
			seen:    []string{"— expired 3 days ago"},
			hint:    []string{"the certificate expired on " + day(now.Add(-3*24*time.Hour-time.Hour)), "the provider must renew it"},
			notHint: []string{"unknown authority", "not api.example.com"}, verdict: Fail},
		{name: "not yet valid", cert: ca.leaf(t, []string{name}, now.Add(48*time.Hour), now.Add(90*24*time.Hour)),
			seen: []string{"— not valid for another"}, hint: []string{"valid only from", "check this host's clock"}, verdict: Fail},
		{name: "expired and wrong name and untrusted", cert: other.leaf(t, []string{"other.example.com"}, now.Add(-10*24*time.Hour), now.Add(-2*24*time.Hour-time.Hour)),
			seen: []string{"not valid for api.example.com, expired 2 days ago, signed by an unknown authority"},
			hint: []string{"not api.example.com", "expired on", "does not chain"}, verdict: Fail},
		{name: "expires soon", cert: ca.leaf(t, []string{name}, now.Add(-80*24*time.Hour), now.Add(5*24*time.Hour+time.Hour)),
			verdict: Pass, warning: "the certificate expires in 5 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := tlsServer(t, tt.cert, okHandler("ok"))
			cfg := Config{Name: name, Port: port, Addresses: addrs(t, "127.0.0.1"), RootCAs: ca.pool(),
				Resolver: resolverAt(t, dnsServer(t, map[string][]string{name: {"127.0.0.1"}})), Dialer: &loopbackDialer{t: t},
				HTTPPath: "/health"}
			if tt.caFile {
				cfg.RootCAs, cfg.CAFile = nil, ca.file(t)
			}
			if tt.system {
				cfg.RootCAs = nil
			}
			rep := check(t, cfg)
			res := one(t, rep, StepTLS)
			wantVerdict(t, res, tt.verdict)
			wantContains(t, "tls seen", res.Seen, tt.seen...)
			wantContains(t, "tls hint", res.Hint, tt.hint...)
			wantNotContains(t, "tls hint", res.Hint, tt.notHint...)
			if tt.warning != "" || res.Warning != "" {
				wantContains(t, "tls warning", res.Warning, tt.warning)
			}
			h := one(t, rep, StepHTTP)
			if tt.verdict == Fail {
				wantVerdict(t, h, Skipped)
				wantContains(t, "http seen", h.Seen, "not run: TLS with 127.0.0.1:")
				if rep.OK() {
					t.Error("report OK with a failed TLS check")
				}
			} else {
				wantVerdict(t, h, Pass)
			}
		})
	}
}

func TestTLSOnPlainPort(t *testing.T) {
	port := plainServer(t, okHandler("plain ok"))
	base := Config{Name: name, Port: port, Addresses: addrs(t, "127.0.0.1"), Dialer: &loopbackDialer{t: t},
		Resolver: resolverAt(t, dnsServer(t, map[string][]string{name: {"127.0.0.1"}})), HTTPPath: "/health"}

	t.Run("auto speaks plain HTTP", func(t *testing.T) {
		rep := check(t, base)
		tl := one(t, rep, StepTLS)
		wantVerdict(t, tl, Skipped)
		wantContains(t, "tls seen", tl.Seen, "the server answered in plain text, not TLS")
		h := one(t, rep, StepHTTP)
		wantVerdict(t, h, Pass)
		wantContains(t, "http target", h.Target, fmt.Sprintf("http://api.example.com:%d/health", port))
		if h.Seen != `status 200 OK, body "plain ok"` {
			t.Errorf("http seen %q", h.Seen)
		}
		if !rep.OK() {
			t.Error("report not OK")
		}
	})
	t.Run("on fails", func(t *testing.T) {
		cfg := base
		cfg.TLS = TLSOn
		rep := check(t, cfg)
		tl := one(t, rep, StepTLS)
		wantVerdict(t, tl, Fail)
		if tl.Seen != "a plain-text answer, not a TLS handshake" {
			t.Errorf("tls seen %q", tl.Seen)
		}
		wantContains(t, "tls hint", tl.Hint, "does not speak TLS", "--tls off")
		wantVerdict(t, one(t, rep, StepHTTP), Skipped)
	})
	t.Run("off has no TLS step", func(t *testing.T) {
		cfg := base
		cfg.TLS = TLSOff
		rep := check(t, cfg)
		if n := len(byStep(rep, StepTLS)); n != 0 {
			t.Errorf("%d TLS results with TLS off", n)
		}
		wantVerdict(t, one(t, rep, StepHTTP), Pass)
		wantContains(t, "command", rep.Command, "--tls off")
	})
}

func TestHTTPStatusShown(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("backend down\n"))
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/health", http.StatusFound)
	})
	mux.HandleFunc("/evil", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("\x1b[2J\x1b]0;pwned\x07hello\u009b31m\u202eworld\n" + strings.Repeat("x", 200)))
	})
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "host=%s", r.Host)
	})
	ca := newCA(t, "plwiz test CA")
	port := tlsServer(t, ca.validLeaf(t, name), mux)
	base := Config{Name: name, Port: port, Addresses: addrs(t, "127.0.0.1"), RootCAs: ca.pool(), Dialer: &loopbackDialer{t: t},
		Resolver: resolverAt(t, dnsServer(t, map[string][]string{name: {"127.0.0.1"}}))}

	tests := []struct {
		path     string
		statuses StatusRange
		verdict  Verdict
		seen     string
		hint     string
	}{
		{path: "/down", verdict: Fail, seen: `status 503 Service Unavailable, body "backend down"`, hint: "targets behind the load balancer may be unhealthy"},
		{path: "/nope", verdict: Fail, seen: `status 404 Not Found, body "404 page not found"`, hint: "check the path /nope and that the service accepts the host name api.example.com"},
		{path: "/moved", verdict: Pass, seen: `status 302 Found, body "<a href=\"/health\">Found</a>.", location /health`},
		{path: "/moved", statuses: StatusRange{200, 200}, verdict: Fail, seen: "status 302 Found", hint: "outside 200-200"},
		{path: "/host", verdict: Pass, seen: fmt.Sprintf(`status 200 OK, body "host=api.example.com:%d"`, port)},
		{path: "/evil", verdict: Pass, seen: `status 200 OK, body "[2J]0;pwnedhello31mworld ` + strings.Repeat("x", 80-1-25) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.statuses.String(), func(t *testing.T) {
			cfg := base
			cfg.HTTPPath, cfg.HTTPStatuses = tt.path, tt.statuses
			rep := check(t, cfg)
			h := one(t, rep, StepHTTP)
			wantVerdict(t, h, tt.verdict)
			wantContains(t, "http seen", h.Seen, tt.seen)
			wantContains(t, "http hint", h.Hint, tt.hint)
			if tt.statuses != (StatusRange{}) {
				wantContains(t, "http expected", h.Expected, "a status in "+tt.statuses.String())
				wantContains(t, "command", rep.Command, "--http-status "+tt.statuses.String())
			}
			if strings.ContainsFunc(h.Seen, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u202e' }) {
				t.Errorf("http seen %q holds control characters", h.Seen)
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
	addr, queried := silentDNS(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-queried
		cancel()
	}()
	cfg := Config{Name: name, Port: 443, Addresses: addrs(t, "127.0.0.1"), VPCENames: []string{regional},
		Resolver: resolverAt(t, addr), Dialer: &loopbackDialer{t: t}, HTTPPath: "/", Timeout: time.Minute}
	rep, err := Check(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := byStep(rep, StepDNS)
	wantVerdict(t, d[0], Fail)
	if d[0].Seen != "canceled before an answer" || d[0].Hint != "the check was canceled" {
		t.Errorf("dns = %+v", d[0])
	}
	if rep.OutsideVPC {
		t.Error("a canceled lookup says outside the VPC")
	}
	for _, r := range append([]Result{d[1]}, rep.Results[2:]...) {
		wantVerdict(t, r, Skipped)
		if r.Seen != canceledSeen {
			t.Errorf("%s %s seen %q, want %q", r.Step, r.Target, r.Seen, canceledSeen)
		}
	}
	if len(rep.Results) != 5 {
		t.Errorf("%d results, want dns×2 tcp tls http", len(rep.Results))
	}
}

func TestDNSTimeout(t *testing.T) {
	addr, _ := silentDNS(t)
	cfg := Config{Name: name, Port: 443, Resolver: resolverAt(t, addr), ResolverAddr: addr, Dialer: &loopbackDialer{t: t},
		Timeout: 100 * time.Millisecond}
	rep := check(t, cfg)
	d := one(t, rep, StepDNS)
	wantVerdict(t, d, Fail)
	if d.Seen != "no answer within 100ms" {
		t.Errorf("dns seen %q", d.Seen)
	}
	wantContains(t, "dns hint", d.Hint, "no DNS answer at the DNS server "+addr)
	if rep.OutsideVPC {
		t.Error("a DNS timeout says outside the VPC")
	}
}

func TestBadInput(t *testing.T) {
	good := Config{Name: name, Port: 443}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"empty name", func(c *Config) { c.Name = "" }, "a DNS name is required"},
		{"ip name", func(c *Config) { c.Name = "10.0.0.1" }, "is an IP address, not a DNS name"},
		{"bad label", func(c *Config) { c.Name = "api..example.com" }, "empty label"},
		{"hyphen", func(c *Config) { c.Name = "-api.example.com" }, "starts or ends with a hyphen"},
		{"control", func(c *Config) { c.Name = "api\x1b.example.com" }, `"api\x1b.example.com" is not a DNS name: "\x1b" (U+001B) is not a letter`},
		{"long label", func(c *Config) { c.Name = strings.Repeat("a", 64) + ".com" }, "longer than 63"},
		{"port 0", func(c *Config) { c.Port = 0 }, "port 0 is out of range 1-65535"},
		{"port high", func(c *Config) { c.Port = 70000 }, "port 70000 is out of range"},
		{"vpce name", func(c *Config) { c.VPCENames = []string{"vpce_ok", "bad name"} }, "vpce name:"},
		{"tls mode", func(c *Config) { c.TLS = "maybe" }, `tls mode "maybe"`},
		{"http path", func(c *Config) { c.HTTPPath = "health" }, "must start with /"},
		{"http path space", func(c *Config) { c.HTTPPath = "/a b" }, "contains spaces"},
		{"status range", func(c *Config) { c.HTTPStatuses = StatusRange{400, 200} }, "400-200 is not within"},
		{"timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout -1s is negative"},
		{"ca file", func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }, "read CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := Check(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCancelWhileConnecting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var seen []Result
	cfg := Config{Name: name, Port: 443, Addresses: addrs(t, "127.0.0.1", "127.0.0.2"), Dialer: cancelingDialer{cancel},
		Resolver: resolverAt(t, dnsServer(t, map[string][]string{name: {"127.0.0.1", "127.0.0.2"}})), HTTPPath: "/",
		Timeout: time.Minute, Progress: func(r Result) { seen = append(seen, r) }}
	rep, err := Check(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dns pass", "tcp fail", "tcp skipped", "tls skipped", "tls skipped", "http skipped", "http skipped"}
	var got []string
	for _, r := range rep.Results {
		got = append(got, string(r.Step)+" "+string(r.Verdict))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("results %v, want %v", got, want)
	}
	if r := rep.Results[1]; r.Seen != "canceled before a connection" || r.Hint != "the check was canceled" {
		t.Errorf("tcp = %+v", r)
	}
	for _, r := range rep.Results[2:] {
		if r.Seen != canceledSeen {
			t.Errorf("%s %s seen %q", r.Step, r.Target, r.Seen)
		}
	}
	if len(seen) != len(rep.Results) {
		t.Fatalf("Progress got %d results, the report has %d", len(seen), len(rep.Results))
	}
	for i := range seen {
		if seen[i] != rep.Results[i] {
			t.Errorf("Progress result %d = %+v, report has %+v", i, seen[i], rep.Results[i])
		}
	}
}

// cancelingDialer cancels the check while the first connection is being
// made, then waits for the cancellation to arrive.
type cancelingDialer struct{ cancel context.CancelFunc }

func (d cancelingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.cancel()
	<-ctx.Done()
	return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
}

func TestDNSServerUnreachable(t *testing.T) {
	port := freePortUDP(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := Config{Name: name, Port: 443, Resolver: resolverAt(t, addr), ResolverAddr: addr, Dialer: &loopbackDialer{t: t},
		Timeout: 2 * time.Second}
	rep := check(t, cfg)
	d := one(t, rep, StepDNS)
	wantVerdict(t, d, Fail)
	wantContains(t, "dns seen", d.Seen, "lookup failed: ", "->"+addr, "connection refused")
	wantNotContains(t, "dns seen", d.Seen, " on ")
	wantContains(t, "dns hint", d.Hint, "no usable DNS answer at the DNS server "+addr)
	if rep.OutsideVPC {
		t.Error("an unreachable DNS server says outside the VPC")
	}
}

// freePortUDP returns a UDP port nothing listens on, so queries to it are
// refused with an ICMP port unreachable.
func freePortUDP(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portOf(t, pc.LocalAddr().String())
	_ = pc.Close()
	return p
}
