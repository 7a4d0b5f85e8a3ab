package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Check runs the checks in order — DNS for the name and each vpce name, then
// TCP, TLS and HTTP for each address — and returns one result per check.
//
// Its error is only for bad input (an invalid Config or an unreadable CA
// file), found before any traffic; everything the network does is a result.
// TCP, TLS and HTTP run against Config.Addresses when given (so they still
// tell whether the endpoint works when DNS does not), else against what the
// name resolved to.
func Check(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	c := cfg.withDefaults()
	if c.RootCAs == nil && c.CAFile != "" {
		pool, err := LoadCAFile(c.CAFile)
		if err != nil {
			return Report{}, err
		}
		c.RootCAs = pool
	}
	p := &prober{c: c, cmd: command(c)}
	rep := Report{Name: c.Name, Port: c.Port, Command: p.cmd}
	add := func(r Result) {
		rep.Results = append(rep.Results, r)
		if c.Progress != nil {
			c.Progress(r)
		}
	}

	resolved, nameRes, outside := p.dnsName(ctx)
	add(nameRes)
	rep.OutsideVPC = outside
	for _, n := range c.VPCENames {
		add(p.dnsVPCE(ctx, strings.TrimSuffix(n, ".")))
	}

	targets := c.Addresses
	if len(targets) == 0 && nameRes.Verdict == Pass {
		targets = resolved
	}
	if len(targets) == 0 {
		why := fmt.Sprintf("not run: no address to connect to (DNS for %s failed and no endpoint addresses were given)", c.Name)
		target := net.JoinHostPort(c.Name, strconv.Itoa(c.Port))
		add(Result{Step: StepTCP, Target: target, Verdict: Skipped, Expected: p.tcpExpected(), Seen: why})
		if c.TLS != TLSOff {
			add(Result{Step: StepTLS, Target: p.tlsTarget(target), Verdict: Skipped, Expected: p.tlsExpected(), Seen: why})
		}
		if c.HTTPPath != "" {
			add(Result{Step: StepHTTP, Target: p.httpTarget(c.TLS != TLSOff, target), Verdict: Skipped, Expected: p.httpExpected(), Seen: why})
		}
		return rep, nil
	}

	tcpOK := make([]bool, len(targets))
	for i, a := range targets {
		res := p.tcp(ctx, p.hostport(a))
		tcpOK[i] = res.Verdict == Pass
		add(res)
	}

	// useTLS: HTTP goes over TLS; tlsOK: HTTP may run (TLS passed, or auto
	// found a plain-text port).
	useTLS := make([]bool, len(targets))
	tlsOK := make([]bool, len(targets))
	for i, a := range targets {
		if c.TLS == TLSOff {
			tlsOK[i] = true
			continue
		}
		target := p.hostport(a)
		if !tcpOK[i] {
			add(Result{Step: StepTLS, Target: p.tlsTarget(target), Verdict: Skipped,
				Expected: p.tlsExpected(), Seen: skipWhy(ctx, fmt.Sprintf("not run: TCP to %s failed", target))})
			continue
		}
		res, plain := p.tlsCheck(ctx, target)
		useTLS[i] = !plain
		tlsOK[i] = res.Verdict == Pass || plain
		add(res)
	}

	if c.HTTPPath != "" {
		for i, a := range targets {
			target := p.hostport(a)
			switch {
			case !tcpOK[i]:
				add(Result{Step: StepHTTP, Target: p.httpTarget(c.TLS != TLSOff, target), Verdict: Skipped,
					Expected: p.httpExpected(), Seen: skipWhy(ctx, fmt.Sprintf("not run: TCP to %s failed", target))})
			case !tlsOK[i]:
				add(Result{Step: StepHTTP, Target: p.httpTarget(true, target), Verdict: Skipped,
					Expected: p.httpExpected(), Seen: skipWhy(ctx, fmt.Sprintf("not run: TLS with %s failed", target))})
			default:
				add(p.httpCheck(ctx, target, useTLS[i]))
			}
		}
	}
	return rep, nil
}

// prober holds one Check's configuration (with defaults filled in).
type prober struct {
	c   Config
	cmd string
}

const canceledSeen = "not run: the check was canceled"

// skipWhy names the reason a dependent check did not run: the
// cancellation, when that is what stopped the check it depends on.
func skipWhy(ctx context.Context, why string) string {
	if ctx.Err() != nil {
		return canceledSeen
	}
	return why
}

func (p *prober) hostport(a netip.Addr) string {
	return netip.AddrPortFrom(a, uint16(p.c.Port)).String()
}

// via names the DNS server for messages.
func (p *prober) via() string {
	if p.c.ResolverAddr == "" {
		return "with the system resolver"
	}
	return "at the DNS server " + sanitize(p.c.ResolverAddr)
}

func (p *prober) expectedAddrs() string {
	if len(p.c.Addresses) == 0 {
		return "private (VPC) addresses"
	}
	return "the endpoint's addresses " + joinAddrs(p.c.Addresses)
}

// lookup resolves host within the step timeout, as an absolute name so that
// search domains never turn it into another name; the answer is deduplicated
// and sorted.
func (p *prober) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	octx, cancel := context.WithTimeout(ctx, p.c.Timeout)
	defer cancel()
	addrs, err := p.c.Resolver.LookupNetIP(octx, "ip", host+".")
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Unmap())
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no addresses in the answer", Name: host, IsNotFound: true}
	}
	return out, nil
}

// dnsError says what a failed lookup looked like and what to do; for a name
// that does not exist the caller writes the hint.
func (p *prober) dnsError(ctx context.Context, err error) (seen, hint string) {
	var de *net.DNSError
	switch {
	case ctx.Err() != nil:
		return "canceled before an answer", "the check was canceled"
	case errors.As(err, &de) && de.IsNotFound:
		return "no such name (NXDOMAIN, or no A/AAAA records)", ""
	case timedOut(err):
		return fmt.Sprintf("no answer within %s", p.c.Timeout),
			fmt.Sprintf("no DNS answer %s: check that the DNS server is reachable from this host", p.via())
	default:
		// DNSError names the server from resolv.conf even when the resolver
		// dialled another one, so show only its cause.
		msg := err.Error()
		if de != nil && de.Err != "" {
			msg = de.Err
		}
		return "lookup failed: " + sanitize(msg),
			fmt.Sprintf("no usable DNS answer %s (refused, server failure or unreachable): check that this DNS server "+
				"is reachable from this host and serves the name", p.via())
	}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// dnsName checks the name clients use. outside reports that this host is
// likely not in the consumer VPC.
func (p *prober) dnsName(ctx context.Context) (addrs []netip.Addr, res Result, outside bool) {
	c := p.c
	res = Result{Step: StepDNS, Target: c.Name, Expected: p.expectedAddrs()}
	if ctx.Err() != nil {
		res.Verdict, res.Seen = Skipped, canceledSeen
		return nil, res, false
	}
	start := time.Now()
	addrs, err := p.lookup(ctx, c.Name)
	res.Duration = time.Since(start)
	if err != nil {
		res.Verdict = Fail
		res.Seen, res.Hint = p.dnsError(ctx, err)
		if isNotFound(err) && ctx.Err() == nil {
			outside = true
			res.Hint = fmt.Sprintf("%s does not resolve %s. Either private DNS is not enabled on the endpoint yet "+
				"(enable it and wait until the endpoint reports it), or this host is likely outside the consumer VPC, "+
				"where the private name does not exist. From a host inside the VPC run: %s", c.Name, p.via(), p.cmd)
		}
		return nil, res, outside
	}
	res.Seen = joinAddrs(addrs)
	public := publicAddrs(addrs)
	if len(public) == len(addrs) {
		res.Verdict = Fail
		res.Seen = "public addresses " + joinAddrs(addrs)
		res.Hint = fmt.Sprintf("%s resolves to public addresses: this host is likely outside the consumer VPC, where public DNS "+
			"answers with the service's public endpoint instead of the endpoint's private addresses. From a host inside the VPC run: %s",
			c.Name, p.cmd)
		return addrs, res, true
	}
	if len(c.Addresses) == 0 {
		if len(public) > 0 {
			res.Verdict = Fail
			res.Seen = fmt.Sprintf("%s (public: %s)", joinAddrs(addrs), joinAddrs(public))
			res.Hint = fmt.Sprintf("%s resolves to private and public addresses: a public record is mixed into the answer, so some "+
				"clients will bypass the endpoint; remove the public record from the zone this VPC uses for the name", c.Name)
			return addrs, res, false
		}
		res.Verdict = Pass
		return addrs, res, false
	}
	extra, missing := diffAddrs(addrs, c.Addresses)
	if len(extra) > 0 {
		res.Verdict = Fail
		res.Seen = fmt.Sprintf("%s (not the endpoint's: %s)", joinAddrs(addrs), joinAddrs(extra))
		res.Hint = fmt.Sprintf("%s resolves to addresses that are not this endpoint's: another endpoint of the service with private "+
			"DNS on, or a private hosted zone for the name associated with this VPC, answers instead; find and remove it, "+
			"or check that the endpoint addresses given are this endpoint's", c.Name)
		return addrs, res, false
	}
	res.Verdict = Pass
	if len(missing) > 0 {
		res.Seen = fmt.Sprintf("%s (missing: %s)", joinAddrs(addrs), joinAddrs(missing))
		res.Warning = fmt.Sprintf("the answer leaves out the endpoint's %s: clients in that subnet's zone still work, "+
			"but the record may still be propagating", joinAddrs(missing))
	}
	return addrs, res, false
}

// dnsVPCE checks one of the endpoint's own names. A zonal name answers with
// its zone's address only, so a subset of the endpoint's addresses passes.
func (p *prober) dnsVPCE(ctx context.Context, name string) Result {
	c := p.c
	res := Result{Step: StepDNS, Target: name, Expected: p.expectedAddrs()}
	if len(c.Addresses) > 0 {
		res.Expected = "some of " + res.Expected
	}
	if ctx.Err() != nil {
		res.Verdict, res.Seen = Skipped, canceledSeen
		return res
	}
	start := time.Now()
	addrs, err := p.lookup(ctx, name)
	res.Duration = time.Since(start)
	if err != nil {
		res.Verdict = Fail
		res.Seen, res.Hint = p.dnsError(ctx, err)
		if isNotFound(err) && ctx.Err() == nil {
			res.Hint = fmt.Sprintf("the endpoint name %s does not resolve %s: the endpoint may be deleted or not created yet, "+
				"or the name is mistyped (copy it from the endpoint's DNS names)", name, p.via())
		}
		return res
	}
	res.Seen = joinAddrs(addrs)
	if public := publicAddrs(addrs); len(public) > 0 {
		res.Verdict = Fail
		res.Seen = fmt.Sprintf("%s (public: %s)", joinAddrs(addrs), joinAddrs(public))
		res.Hint = fmt.Sprintf("an endpoint name always resolves to the endpoint's private addresses; the DNS server used (%s) "+
			"rewrote the answer for %s", strings.TrimPrefix(p.via(), "with "), name)
		return res
	}
	if len(c.Addresses) > 0 {
		if extra, _ := diffAddrs(addrs, c.Addresses); len(extra) > 0 {
			res.Verdict = Fail
			res.Seen = fmt.Sprintf("%s (not the endpoint's: %s)", joinAddrs(addrs), joinAddrs(extra))
			res.Hint = fmt.Sprintf("%s answers with addresses that are not this endpoint's: it is another endpoint's name, "+
				"or the endpoint addresses given are not this endpoint's", name)
			return res
		}
	}
	res.Verdict = Pass
	return res
}

func (p *prober) tcpExpected() string {
	return fmt.Sprintf("a connection accepted within %s", p.c.Timeout)
}

// tcp checks that target accepts a connection.
func (p *prober) tcp(ctx context.Context, target string) Result {
	res := Result{Step: StepTCP, Target: target, Expected: p.tcpExpected()}
	if ctx.Err() != nil {
		res.Verdict, res.Seen = Skipped, canceledSeen
		return res
	}
	start := time.Now()
	conn, err := p.dial(ctx, target)
	res.Duration = time.Since(start)
	if err != nil {
		res.Verdict = Fail
		res.Seen, res.Hint = p.dialError(ctx, target, err)
		return res
	}
	_ = conn.Close()
	res.Verdict, res.Seen = Pass, "connection accepted"
	return res
}

func (p *prober) dial(ctx context.Context, target string) (net.Conn, error) {
	octx, cancel := context.WithTimeout(ctx, p.c.Timeout)
	defer cancel()
	return p.c.Dialer.DialContext(octx, "tcp", target)
}

func (p *prober) dialError(ctx context.Context, target string, err error) (seen, hint string) {
	port := p.c.Port
	switch {
	case ctx.Err() != nil:
		return "canceled before a connection", "the check was canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", fmt.Sprintf("nothing accepts connections on %s. If it is the endpoint's address, the endpoint "+
			"is not available yet (is its connection still pending acceptance by the provider?), or the provider's load "+
			"balancer has no listener on port %d", target, port)
	case timedOut(err):
		return fmt.Sprintf("no answer within %s", p.c.Timeout), fmt.Sprintf("connections to %s get no answer: the endpoint's "+
			"security group must allow TCP %d from this host, and network ACLs must allow the traffic both ways", target, port)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the address", fmt.Sprintf("this host has no route to %s: it is likely outside the consumer VPC "+
			"(run the check from inside it: %s)", target, p.cmd)
	default:
		return "connect failed: " + sanitize(err.Error()), fmt.Sprintf("the connection to %s failed", target)
	}
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func (p *prober) roots() string {
	switch {
	case p.c.CAFile != "":
		return "the CA in " + sanitize(p.c.CAFile)
	case p.c.RootCAs != nil:
		return "the given CA certificates"
	default:
		return "the system's trusted roots"
	}
}

func (p *prober) tlsTarget(target string) string { return fmt.Sprintf("%s (SNI %s)", target, p.c.Name) }

func (p *prober) tlsExpected() string {
	return fmt.Sprintf("a certificate for %s, chaining to %s, valid now", p.c.Name, p.roots())
}

// tlsCheck does a TLS handshake with SNI = the name and verifies the
// certificate. plain reports that, in auto mode, the server answered in
// plain text, so the result is Skipped and HTTP goes without TLS.
func (p *prober) tlsCheck(ctx context.Context, target string) (res Result, plain bool) {
	res = Result{Step: StepTLS, Target: p.tlsTarget(target), Expected: p.tlsExpected()}
	if ctx.Err() != nil {
		res.Verdict, res.Seen = Skipped, canceledSeen
		return res, false
	}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	conn, err := p.dial(ctx, target)
	if err != nil {
		res.Verdict = Fail
		res.Seen, res.Hint = p.dialError(ctx, target, err)
		return res, false
	}
	defer conn.Close()
	octx, cancel := context.WithTimeout(ctx, p.c.Timeout)
	defer cancel()
	// Verification is done below, by hand, so that a bad certificate is
	// still shown (names, issuer, expiry) and each problem gets its own hint.
	tc := tls.Client(conn, &tls.Config{ServerName: p.c.Name, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(octx); err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			if p.c.TLS == TLSAuto {
				res.Verdict = Skipped
				res.Seen = "not run: the server answered in plain text, not TLS (HTTP goes without TLS)"
				return res, true
			}
			res.Verdict = Fail
			res.Seen = "a plain-text answer, not a TLS handshake"
			res.Hint = fmt.Sprintf("port %d does not speak TLS (the listener is TCP, not TLS): check without TLS (--tls off)", p.c.Port)
			return res, false
		}
		res.Verdict = Fail
		res.Seen, res.Hint = p.handshakeError(ctx, err)
		return res, false
	}
	res.Verdict, res.Seen, res.Hint, res.Warning = p.verify(tc.ConnectionState())
	return res, false
}

func (p *prober) handshakeError(ctx context.Context, err error) (seen, hint string) {
	var alert tls.AlertError
	switch {
	case ctx.Err() != nil:
		return "canceled during the handshake", "the check was canceled"
	case timedOut(err):
		return fmt.Sprintf("no handshake within %s", p.c.Timeout), fmt.Sprintf("the server accepted TCP but did not complete a TLS "+
			"handshake: port %d may speak another protocol (check with --tls off)", p.c.Port)
	case errors.As(err, &alert):
		return "the server refused the handshake: " + sanitize(err.Error()), fmt.Sprintf("the server rejected a handshake for %s: "+
			"it may have no certificate for this name, or need a TLS version this client does not offer", p.c.Name)
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection closed during the handshake", fmt.Sprintf("the server closed the connection instead of answering: "+
			"port %d may not speak TLS (check with --tls off), or it refuses the name %s", p.c.Port, p.c.Name)
	default:
		return "handshake failed: " + sanitize(err.Error()), "the TLS handshake failed"
	}
}

// verify checks the certificate the server sent for the name, validity
// period and chain, each on its own so every problem is reported.
func (p *prober) verify(st tls.ConnectionState) (v Verdict, seen, hint, warning string) {
	if len(st.PeerCertificates) == 0 {
		return Fail, "no certificate", "the server sent no certificate", ""
	}
	leaf := st.PeerCertificates[0]
	now := p.c.Now()
	names := certNames(leaf)
	seen = fmt.Sprintf("%s; certificate for %s; issued by %s; valid %s to %s",
		tls.VersionName(st.Version), names, sanitize(issuerName(leaf)), day(leaf.NotBefore), day(leaf.NotAfter))

	var problems, hints []string
	if err := leaf.VerifyHostname(p.c.Name); err != nil {
		problems = append(problems, "not valid for "+p.c.Name)
		hints = append(hints, fmt.Sprintf("the certificate is for %s, not %s: the provider's TLS listener or backend serves a "+
			"certificate that does not name %s; it must cover the private DNS name", names, p.c.Name, p.c.Name))
	}
	timeOK := true
	switch {
	case now.After(leaf.NotAfter):
		timeOK = false
		problems = append(problems, fmt.Sprintf("expired %s ago", ago(now.Sub(leaf.NotAfter))))
		hints = append(hints, fmt.Sprintf("the certificate expired on %s: the provider must renew it", day(leaf.NotAfter)))
	case now.Before(leaf.NotBefore):
		timeOK = false
		problems = append(problems, fmt.Sprintf("not valid for another %s", ago(leaf.NotBefore.Sub(now))))
		hints = append(hints, fmt.Sprintf("the certificate is valid only from %s: check this host's clock (it says %s), "+
			"or the provider installed it too early", leaf.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	// Verify the chain at a moment the leaf is valid, so an expired leaf does
	// not hide an untrusted one.
	at := now
	if !timeOK {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: p.c.RootCAs, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var sr x509.SystemRootsError
		switch {
		case errors.As(err, &ua):
			problems = append(problems, "signed by an unknown authority")
			if p.c.CAFile != "" || p.c.RootCAs != nil {
				hints = append(hints, fmt.Sprintf("the certificate does not chain to %s: the server uses another CA, or that is "+
					"not the certificate of its issuer (%s)", p.roots(), sanitize(issuerName(leaf))))
			} else {
				hints = append(hints, fmt.Sprintf("the certificate's issuer (%s) is not among this host's trusted roots: pass the "+
					"provider's CA certificate with --ca FILE", sanitize(issuerName(leaf))))
			}
		case errors.As(err, &sr):
			problems = append(problems, "no trusted roots on this host")
			hints = append(hints, "this host has no system root certificates: install the CA bundle or pass --ca FILE")
		default:
			problems = append(problems, "chain not valid: "+sanitize(err.Error()))
			hints = append(hints, "a certificate in the chain is not usable for a TLS server (expired intermediate, wrong key usage)")
		}
	}
	if len(problems) > 0 {
		return Fail, seen + " — " + strings.Join(problems, ", "), strings.Join(hints, ". Also: "), ""
	}
	if left := leaf.NotAfter.Sub(now); left < p.c.ExpiryWarning {
		warning = fmt.Sprintf("the certificate expires in %s (%s): the provider should renew it soon", ago(left), day(leaf.NotAfter))
	}
	return Pass, seen, "", warning
}

func certNames(c *x509.Certificate) string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		if c.Subject.CommonName == "" {
			return "no name"
		}
		return sanitize("CN=" + c.Subject.CommonName)
	}
	const most = 4
	more := ""
	if len(names) > most {
		more = fmt.Sprintf(" (+%d more)", len(names)-most)
		names = names[:most]
	}
	return sanitize(strings.Join(names, ", ")) + more
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return "CN=" + c.Issuer.CommonName
	}
	return c.Issuer.String()
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// ago renders a duration in days, or hours below two days.
func ago(d time.Duration) string {
	switch h := int(d.Hours()); {
	case h >= 48:
		return fmt.Sprintf("%d days", h/24)
	case h >= 2:
		return fmt.Sprintf("%d hours", h)
	default:
		return "less than 2 hours"
	}
}

func (p *prober) httpURL(useTLS bool) string {
	scheme, def := "http", 80
	if useTLS {
		scheme, def = "https", 443
	}
	host := p.c.Name
	if p.c.Port != def {
		host = net.JoinHostPort(host, strconv.Itoa(p.c.Port))
	}
	return scheme + "://" + host + p.c.HTTPPath
}

func (p *prober) httpTarget(useTLS bool, target string) string {
	return fmt.Sprintf("%s via %s", p.httpURL(useTLS), target)
}

func (p *prober) httpExpected() string {
	return fmt.Sprintf("a status in %s", p.c.HTTPStatuses)
}

// bodyPreview is how much of the body is read and shown.
const (
	bodyRead = 512
	bodyShow = 80
)

// httpCheck sends GET path to target with Host = the name, over TLS when
// useTLS, and reads the status and the start of the body. Redirects are
// not followed: the answer itself proves the path works.
func (p *prober) httpCheck(ctx context.Context, target string, useTLS bool) (res Result) {
	res = Result{Step: StepHTTP, Target: p.httpTarget(useTLS, target), Expected: p.httpExpected()}
	if ctx.Err() != nil {
		res.Verdict, res.Seen = Skipped, canceledSeen
		return res
	}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	fail := func(seen, hint string) Result {
		res.Verdict, res.Seen, res.Hint = Fail, seen, hint
		return res
	}
	conn, err := p.dial(ctx, target)
	if err != nil {
		seen, hint := p.dialError(ctx, target, err)
		return fail(seen, hint)
	}
	defer conn.Close()
	octx, cancel := context.WithTimeout(ctx, p.c.Timeout)
	defer cancel()
	// Reads and writes below take no context: a deadline bounds them and a
	// cancellation closes the connection under them.
	if dl, ok := octx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(octx, func() { _ = conn.Close() })
	defer stop()

	var rw net.Conn = conn
	if useTLS {
		tc := tls.Client(conn, &tls.Config{ServerName: p.c.Name, RootCAs: p.c.RootCAs, Time: p.c.Now, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(octx); err != nil {
			seen, hint := p.handshakeError(ctx, err)
			return fail("TLS: "+seen, hint)
		}
		rw = tc
	}
	req, err := http.NewRequestWithContext(octx, http.MethodGet, p.httpURL(useTLS), nil)
	if err != nil {
		return fail("could not build the request: "+sanitize(err.Error()), "check the HTTP path")
	}
	req.Header.Set("User-Agent", "plwiz-check")
	req.Close = true
	if err := req.Write(rw); err != nil {
		return fail(p.ioSeen(ctx, "sending the request", err), "the server closed the connection before taking the request")
	}
	resp, err := http.ReadResponse(bufio.NewReader(rw), req)
	if err != nil {
		return fail(p.ioSeen(ctx, "waiting for the response", err), fmt.Sprintf("the server took the connection but did not "+
			"answer HTTP: port %d may speak another protocol", p.c.Port))
	}
	defer resp.Body.Close()
	// A body that stops early still shows what came; the status is what counts.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, bodyRead))
	res.Seen = "status " + sanitize(resp.Status)
	if b := truncate(strings.TrimSpace(sanitize(string(body))), bodyShow); b != "" {
		res.Seen += fmt.Sprintf(", body %q", b)
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Seen += ", location " + truncate(sanitize(loc), bodyShow)
	}
	if p.c.HTTPStatuses.Contains(resp.StatusCode) {
		res.Verdict = Pass
		return res
	}
	res.Verdict = Fail
	switch {
	case resp.StatusCode >= 500:
		res.Hint = "the service answered through the endpoint but failed: its targets behind the load balancer may be unhealthy or erroring"
	case resp.StatusCode >= 400:
		res.Hint = fmt.Sprintf("the service answered through the endpoint (network and TLS work) but refused the request: check "+
			"the path %s and that the service accepts the host name %s", sanitize(p.c.HTTPPath), p.c.Name)
	default:
		res.Hint = fmt.Sprintf("the service answered with a status outside %s", p.c.HTTPStatuses)
	}
	return res
}

func (p *prober) ioSeen(ctx context.Context, doing string, err error) string {
	switch {
	case ctx.Err() != nil:
		return "canceled while " + doing
	case timedOut(err):
		return fmt.Sprintf("no answer within %s while %s", p.c.Timeout, doing)
	default:
		return fmt.Sprintf("failed while %s: %s", doing, sanitize(err.Error()))
	}
}

// isPrivate reports whether a can be a VPC (or sandbox loopback) address:
// RFC 1918, IPv6 ULA, loopback, or the shared space 100.64.0.0/10 some VPCs
// use.
func isPrivate(a netip.Addr) bool {
	cgnat := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64, 0, 0}), 10)
	return a.IsPrivate() || a.IsLoopback() || cgnat.Contains(a)
}

func publicAddrs(addrs []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		if !isPrivate(a) {
			out = append(out, a)
		}
	}
	return out
}

// diffAddrs returns the addresses in got but not in want, and those in want
// but not in got.
func diffAddrs(got, want []netip.Addr) (extra, missing []netip.Addr) {
	for _, a := range got {
		if !slices.Contains(want, a) {
			extra = append(extra, a)
		}
	}
	for _, a := range want {
		if !slices.Contains(got, a) {
			missing = append(missing, a)
		}
	}
	return extra, missing
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
