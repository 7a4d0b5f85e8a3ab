package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds on the untrusted output ParseRemote reads (SSM returns at most
// 24,000 characters of it anyway).
const (
	remoteMaxOutput = 64 << 10
	remoteMaxLine   = 2048
	remoteMaxLines  = 256
	remoteSeenMax   = 300
)

// ErrRemoteIncomplete is returned (with the checks read so far) when the
// script's output ends before its last line: it was cut, or killed.
var ErrRemoteIncomplete = errors.New("the check's output ended before its last line (cut at SSM's 24,000 characters, or the script was stopped)")

// remoteLine is one parsed PLWIZ|v1 line.
type remoteLine struct {
	step, target, result string
	dur                  time.Duration
	detail               map[string]string
	raw                  string // the detail as printed, sanitized
}

// ParseRemote turns the output of RemoteScript into the same check list
// the local probe gives, marked with where it ran (from, e.g. "i-0abc in
// vpc-0def"). The output is untrusted: lines that are not the script's,
// or whose fields do not fit what t asked for, are dropped; text is
// stripped of control characters and cut. It fails when no check line is
// left, and returns ErrRemoteIncomplete beside the checks when the last
// line is missing.
func ParseRemote(output string, t RemoteTarget, from string) (Report, error) {
	if err := t.Validate(); err != nil {
		return Report{}, fmt.Errorf("parse remote check: %w", err)
	}
	if len(output) > remoteMaxOutput {
		output = output[:remoteMaxOutput]
	}
	rep := Report{Name: strings.TrimSuffix(t.Name, "."), Port: t.Port, From: truncate(sanitize(from), 120)}
	var lines []remoteLine
	done := false
	for raw := range strings.SplitSeq(output, "\n") {
		if len(lines) >= remoteMaxLines {
			break
		}
		l, ok := parseRemoteLine(strings.TrimRight(raw, "\r"), t)
		if !ok {
			continue
		}
		if l.step == "done" {
			done = true
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return Report{}, fmt.Errorf("parse remote check: the output holds no check line of plwiz's (did the script run? see its error output)")
	}
	r := remoteReader{t: t, tools: map[string]bool{}}
	for _, l := range lines {
		if l.step == "env" {
			for _, f := range strings.Fields(l.detail["bash"] + " " + l.raw) {
				if k, v, ok := strings.Cut(f, "="); ok {
					r.tools[k] = v == "yes"
				}
			}
			continue
		}
		rep.Results = append(rep.Results, r.result(l))
	}
	if !done {
		return rep, ErrRemoteIncomplete
	}
	return rep, nil
}

// parseRemoteLine reads one line; false for anything that is not a well
// formed line about one of t's targets.
func parseRemoteLine(s string, t RemoteTarget) (remoteLine, bool) {
	if len(s) > remoteMaxLine || !strings.HasPrefix(s, "PLWIZ|v1|") {
		return remoteLine{}, false
	}
	f := strings.SplitN(s, "|", 7)
	if len(f) != 7 {
		return remoteLine{}, false
	}
	l := remoteLine{step: f[2], target: f[3], result: f[4], detail: map[string]string{}}
	ms, err := strconv.Atoi(f[5])
	if err != nil || ms < 0 || ms > 24*3600*1000 {
		return remoteLine{}, false
	}
	l.dur = time.Duration(ms) * time.Millisecond
	if !slices.Contains([]string{"ok", "fail", "skip", "info"}, l.result) {
		return remoteLine{}, false
	}
	switch l.step {
	case "env", "done":
		l.target = truncate(sanitize(l.target), 80)
	case "dns":
		if !sameName(l.target, t.Name) && !slices.ContainsFunc(t.VPCENames, func(n string) bool { return sameName(l.target, n) }) {
			return remoteLine{}, false
		}
	case "tcp", "tls", "http":
		ap, err := netip.ParseAddrPort(l.target)
		if err != nil || !ap.Addr().Is4() || int(ap.Port()) != t.Port {
			return remoteLine{}, false
		}
	default:
		return remoteLine{}, false
	}
	l.raw = truncate(sanitize(f[6]), 600)
	// key=value words; a value runs to the next key= word, so reasons and
	// names with spaces stay whole.
	key := ""
	for _, w := range strings.Fields(l.raw) {
		if k, v, ok := strings.Cut(w, "="); ok && isDetailKey(k) {
			key = k
			l.detail[key] = v
			continue
		}
		if key != "" {
			l.detail[key] += " " + w
		}
	}
	return l, true
}

func isDetailKey(k string) bool {
	return slices.Contains([]string{"addresses", "via", "reason", "verify", "subject", "notafter", "names", "status", "url", "bash", "checks"}, k)
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// remoteReader turns lines into Results with the local probe's wording.
type remoteReader struct {
	t     RemoteTarget
	tools map[string]bool
}

func (r remoteReader) result(l remoteLine) Result {
	res := Result{Target: l.target, Duration: l.dur}
	seen := func(s string) string { return truncate(sanitize(strings.TrimSpace(s)), remoteSeenMax) }
	port := r.t.Port
	switch l.step {
	case "dns":
		res.Step = StepDNS
		res.Expected = "the endpoint's private addresses"
		if len(r.t.Addresses) > 0 {
			res.Expected = "some of " + joinAddrs(r.t.Addresses) + " and nothing else"
		}
		if l.result != "ok" {
			res.Verdict = Fail
			switch strings.TrimSpace(l.detail["reason"]) {
			case "nxdomain":
				res.Seen = "the name does not resolve (via " + seen(l.detail["via"]) + ")"
				res.Hint = "inside the VPC the name has no address: is private DNS enabled on the endpoint, and are the VPC's enableDnsSupport and enableDnsHostnames on?"
			case "timeout":
				res.Seen = "no DNS answer (via " + seen(l.detail["via"]) + ")"
				res.Hint = "the VPC's resolver did not answer this host: check the host's resolver configuration (/etc/resolv.conf) and the VPC's DHCP options"
			default:
				res.Seen = "no tool to look the name up"
				res.Hint = "the host has none of getent, dig or nslookup; install dnsutils (bind-utils on Amazon Linux)"
			}
			return res
		}
		var got []netip.Addr
		for _, w := range strings.Fields(l.detail["addresses"]) {
			if a, err := netip.ParseAddr(w); err == nil && a.Is4() {
				got = append(got, a)
			}
		}
		res.Seen = joinAddrs(got)
		switch {
		case len(got) == 0:
			res.Verdict, res.Seen = Fail, "an answer without addresses"
			res.Hint = "the name exists but has no IPv4 address inside the VPC"
		case len(r.t.Addresses) > 0:
			extra, _ := diffAddrs(got, r.t.Addresses)
			if len(extra) > 0 {
				res.Verdict = Fail
				res.Hint = fmt.Sprintf("inside the VPC the name resolves to %s, which are not the endpoint's: another record (a private hosted zone, or another endpoint with private DNS) answers for it", joinAddrs(extra))
			} else {
				res.Verdict = Pass
			}
		case len(publicAddrs(got)) > 0:
			res.Verdict = Fail
			res.Hint = "inside the VPC the name resolves to public addresses: private DNS is off for the endpoint, or the VPC's DNS attributes are off"
		default:
			res.Verdict = Pass
		}
	case "tcp":
		res.Step = StepTCP
		res.Expected = fmt.Sprintf("a connection accepted within %ds", r.t.seconds())
		if l.result == "ok" {
			res.Verdict, res.Seen = Pass, "connection accepted"
			return res
		}
		res.Verdict = Fail
		switch reason := strings.TrimSpace(l.detail["reason"]); {
		case reason == "timeout":
			res.Seen = fmt.Sprintf("no answer within %ds", r.t.seconds())
			res.Hint = fmt.Sprintf("from inside the VPC, connections to %s time out: the endpoint's security group must allow TCP %d from this host "+
				"(and this host's security group must allow it out); if they do, the provider's side drops it: no healthy target in this "+
				"zone with cross-zone load balancing off, or NLB security groups that enforce inbound rules on PrivateLink traffic "+
				"without allowing the consumer VPC's CIDR", l.target, port)
		case reason == "refused":
			res.Seen = "connection refused"
			res.Hint = fmt.Sprintf("nothing accepts connections on %s: the endpoint is not available (still pending acceptance?), or the provider's load balancer has no listener on port %d", l.target, port)
		case reason == "unreachable":
			res.Seen = "no route to the address"
			res.Hint = "this host has no route to the endpoint's address: check the subnet's route table and network ACLs"
		case reason == "notool":
			res.Seen = "no tool to open a connection"
			res.Hint = "this host's bash has no /dev/tcp and there is no nc; install netcat (nmap-ncat on Amazon Linux)"
		default:
			res.Seen = "connect failed: " + seen(strings.TrimPrefix(reason, "error"))
			res.Hint = fmt.Sprintf("the connection to %s failed", l.target)
		}
	case "tls":
		res.Step = StepTLS
		res.Target = fmt.Sprintf("%s (SNI %s)", l.target, r.t.sni())
		res.Expected = "a handshake with a certificate valid for " + r.t.sni()
		names := seen(l.detail["names"])
		switch {
		case l.result == "ok":
			res.Verdict = Pass
			res.Seen = fmt.Sprintf("certificate for %s, valid until %s", names, seen(l.detail["notafter"]))
		case l.result == "skip":
			res.Verdict = Skipped
			switch strings.TrimSpace(l.detail["reason"]) {
			case "plaintext":
				res.Seen = "the port answers in plain text, not TLS"
			case "tcp":
				res.Seen = fmt.Sprintf("not run: TCP to %s failed", l.target)
			case "notool":
				res.Seen = "not run: openssl is not installed on the host (the HTTP step still checks the certificate)"
			default:
				res.Seen = "not run"
			}
		default:
			res.Verdict = Fail
			verify := seen(l.detail["verify"])
			switch reason := strings.TrimSpace(l.detail["reason"]); {
			case reason == "timeout":
				res.Seen = "no handshake within the timeout"
				res.Hint = "the connection opens but TLS never completes: the port may not speak TLS, or the provider's target does not answer"
			case strings.Contains(verify, "hostname mismatch") || (names != "" && !certCovers(strings.Fields(names), r.t.sni())):
				res.Seen = fmt.Sprintf("certificate for %s (%s)", names, verify)
				res.Hint = fmt.Sprintf("the service's certificate does not name %s: the provider must serve a certificate for its private DNS name", r.t.sni())
			default:
				res.Seen = "handshake failed: " + seen(strings.TrimPrefix(reason, "handshake")+" "+verify)
				res.Hint = "the certificate did not verify: it may be expired, self-signed, or from a CA this host does not trust"
			}
		}
	case "http":
		res.Step = StepHTTP
		scheme := "https"
		if r.t.tlsMode() == TLSOff {
			scheme = "http"
		}
		if u := strings.TrimSpace(l.detail["url"]); strings.HasPrefix(u, "http://") {
			scheme = "http"
		}
		res.Target = fmt.Sprintf("%s://%s%s via %s", scheme, urlHost(r.t, scheme), r.t.HTTPPath, l.target)
		res.Expected = "a status in " + DefaultStatusRange().String()
		switch l.result {
		case "ok":
			code, err := strconv.Atoi(strings.TrimSpace(l.detail["status"]))
			res.Seen = "status " + seen(l.detail["status"])
			if err == nil && DefaultStatusRange().Contains(code) {
				res.Verdict = Pass
			} else {
				res.Verdict = Fail
				res.Hint = "the service answered through the endpoint, with an error status: look at the provider's application"
			}
		case "skip":
			res.Verdict = Skipped
			switch strings.TrimSpace(l.detail["reason"]) {
			case "tcp":
				res.Seen = fmt.Sprintf("not run: TCP to %s failed", l.target)
			case "tls":
				res.Seen = fmt.Sprintf("not run: TLS with %s failed", l.target)
			case "notool":
				res.Seen = "not run: curl is not installed on the host"
			default:
				res.Seen = "not run"
			}
		default:
			res.Verdict = Fail
			res.Seen = "request failed: " + seen(strings.TrimPrefix(strings.TrimSpace(l.detail["reason"]), "curl"))
			res.Hint = "the request through the endpoint failed; see what curl said"
		}
	}
	return res
}

// urlHost is the URL host of the target, as the local probe writes it:
// the name, with the port unless it is the scheme's default.
func urlHost(t RemoteTarget, scheme string) string {
	name := strings.TrimSuffix(t.Name, ".")
	if (scheme == "https" && t.Port == 443) || (scheme == "http" && t.Port == 80) {
		return name
	}
	return name + ":" + strconv.Itoa(t.Port)
}

// certCovers reports whether one of the certificate's names covers host
// (a wildcard covers one label).
func certCovers(names []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == host {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if _, tail, ok := strings.Cut(host, "."); ok && tail == rest {
				return true
			}
		}
	}
	return false
}
