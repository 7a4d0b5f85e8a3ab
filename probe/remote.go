package probe

import (
	_ "embed"
	"encoding/pem"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// remoteBody is the check script's logic; RemoteScript puts the target's
// values in front of it.
//
//go:embed remote.sh
var remoteBody string

// RemoteTarget is what the check script checks from a host inside the
// consumer VPC (run there through SSM Run Command, or by hand).
type RemoteTarget struct {
	Name string // the DNS name clients use (the private DNS name)
	Port int
	// Addresses are the endpoint's ENI addresses, tried when the name does
	// not resolve, and what it must resolve to when given.
	Addresses []netip.Addr
	VPCENames []string // the endpoint's own DNS names, each checked
	// ServerName is the name TLS asks for and verifies ("" is Name).
	ServerName string
	TLS        TLSMode
	HTTPPath   string // "" skips the HTTP step
	// Resolver is a DNS server "ip:port" to ask instead of the host's own
	// (which inside a VPC is the VPC's). plwiz sets it only when the sandbox
	// names one; on AWS it stays empty.
	Resolver string
	// CAPEM are the PEM certificates TLS trusts instead of the host's
	// store (the sandbox's CA); nil on AWS.
	CAPEM []byte
	// Timeout bounds each lookup, connect, handshake and request, in whole
	// seconds; zero is DefaultTimeout.
	Timeout time.Duration
}

// remoteMaxAddrs is how many addresses the script connects to.
const remoteMaxAddrs = 8

// Validate checks everything that goes into the script; the values end up
// in a shell script run as root on someone's instance, so only names,
// addresses and a plain path are accepted.
func (t RemoteTarget) Validate() error {
	if err := ValidateName(t.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if t.Port < 1 || t.Port > 65535 {
		return fmt.Errorf("port %d is out of range 1-65535", t.Port)
	}
	if t.ServerName != "" {
		if err := ValidateName(t.ServerName); err != nil {
			return fmt.Errorf("server name: %w", err)
		}
	}
	for _, n := range t.VPCENames {
		if err := ValidateName(n); err != nil {
			return fmt.Errorf("vpce name: %w", err)
		}
	}
	if len(t.VPCENames) > 16 {
		return fmt.Errorf("%d vpce names; an endpoint has at most one per zone and a regional one", len(t.VPCENames))
	}
	if len(t.Addresses) > remoteMaxAddrs {
		return fmt.Errorf("%d addresses; the check connects to at most %d", len(t.Addresses), remoteMaxAddrs)
	}
	for _, a := range t.Addresses {
		if !a.Is4() && !a.Is4In6() {
			return fmt.Errorf("address %s: the remote check speaks IPv4 only", a)
		}
	}
	switch t.TLS {
	case "", TLSAuto, TLSOn, TLSOff:
	default:
		return fmt.Errorf("tls mode %q is not one of auto, on, off", sanitize(string(t.TLS)))
	}
	if t.HTTPPath != "" {
		if !strings.HasPrefix(t.HTTPPath, "/") || len(t.HTTPPath) > 512 {
			return fmt.Errorf("http path %q must start with / and be at most 512 characters", sanitize(t.HTTPPath))
		}
		for _, r := range t.HTTPPath {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-._~%!$&()*+,;=:@?", r)) {
				return fmt.Errorf("http path %q: %q is not allowed (use percent-encoding)", sanitize(t.HTTPPath), sanitize(string(r)))
			}
		}
	}
	if t.Resolver != "" {
		if _, err := netip.ParseAddrPort(t.Resolver); err != nil {
			return fmt.Errorf("resolver %q is not an ip:port: %w", sanitize(t.Resolver), err)
		}
	}
	if len(t.CAPEM) > 0 {
		if err := checkPEM(t.CAPEM); err != nil {
			return fmt.Errorf("CA: %w", err)
		}
	}
	if t.Timeout < 0 || t.Timeout > time.Minute {
		return fmt.Errorf("timeout %s is not between 0 and 1m", t.Timeout)
	}
	return nil
}

// checkPEM accepts only CERTIFICATE blocks with nothing around them.
func checkPEM(b []byte) error {
	if len(b) > 64<<10 {
		return fmt.Errorf("%d bytes of PEM is too much", len(b))
	}
	rest := b
	n := 0
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" || len(blk.Headers) > 0 {
			return fmt.Errorf("a PEM block of type %q; only certificates are allowed", sanitize(blk.Type))
		}
		n++
	}
	if n == 0 || strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("not PEM certificates only")
	}
	return nil
}

func (t RemoteTarget) seconds() int {
	d := t.Timeout
	if d == 0 {
		d = DefaultTimeout
	}
	return int(math.Ceil(d.Seconds()))
}

func (t RemoteTarget) sni() string {
	if t.ServerName != "" {
		return strings.TrimSuffix(t.ServerName, ".")
	}
	return strings.TrimSuffix(t.Name, ".")
}

func (t RemoteTarget) tlsMode() TLSMode {
	if t.TLS == "" {
		return TLSAuto
	}
	return t.TLS
}

// RemoteScript returns the bash script that checks t from inside the VPC
// and prints one machine-readable line per check (ParseRemote reads them).
func RemoteScript(t RemoteTarget) (string, error) {
	if err := t.Validate(); err != nil {
		return "", fmt.Errorf("remote check script: %w", err)
	}
	var b strings.Builder
	set := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	b.WriteString("#!/bin/bash\n# Generated by plwiz: checks the PrivateLink endpoint from this host.\n")
	set("NAME", strings.TrimSuffix(t.Name, "."))
	set("PORT", strconv.Itoa(t.Port))
	set("SNI", t.sni())
	var names []string
	for _, n := range t.VPCENames {
		names = append(names, strings.TrimSuffix(n, "."))
	}
	set("VPCE_NAMES", strings.Join(names, " "))
	var addrs []string
	for _, a := range t.Addresses {
		addrs = append(addrs, a.Unmap().String())
	}
	set("EXPECTED_ADDRS", strings.Join(addrs, " "))
	set("TLS_MODE", string(t.tlsMode()))
	set("HTTP_PATH", t.HTTPPath)
	rip, rport := "", ""
	if t.Resolver != "" {
		ap := netip.MustParseAddrPort(t.Resolver)
		rip, rport = ap.Addr().String(), strconv.Itoa(int(ap.Port()))
	}
	set("RESOLVER_IP", rip)
	set("RESOLVER_PORT", rport)
	set("CA_PEM", strings.TrimSpace(string(t.CAPEM)))
	set("T", strconv.Itoa(t.seconds()))
	b.WriteString(remoteBody)
	return b.String(), nil
}

// remoteEOF ends the here-document RemoteCommands wraps the script in.
const remoteEOF = "PLWIZ_CHECK_SCRIPT_END"

// RemoteCommands is the script as AWS-RunShellScript's "commands": the SSM
// agent runs them with sh (dash on Ubuntu), so they write the bash script
// to a temporary file and run it with bash, then remove it.
func RemoteCommands(t RemoteTarget) ([]string, error) {
	script, err := RemoteScript(t)
	if err != nil {
		return nil, err
	}
	if strings.Contains(script, remoteEOF) {
		return nil, fmt.Errorf("remote check script: it contains its own end marker")
	}
	out := []string{
		`plwiz_f=$(mktemp) || exit 1`,
		`cat >"$plwiz_f" <<'` + remoteEOF + `'`,
	}
	out = append(out, strings.Split(strings.TrimRight(script, "\n"), "\n")...)
	out = append(out, remoteEOF, `bash "$plwiz_f"; plwiz_rc=$?; rm -f "$plwiz_f"; exit $plwiz_rc`)
	return out, nil
}
