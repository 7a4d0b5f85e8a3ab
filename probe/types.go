// Package probe is plwiz's connectivity test: it checks that a name reaches a
// service through a PrivateLink endpoint, step by step (DNS, TCP, TLS, HTTP),
// and says for each step what was expected, what was seen, how long it took
// and what to do when it failed.
//
// It takes a resolver and a dialer so that it runs against the system's DNS
// and network, a given DNS server (the sandbox's), or test doubles. It imports
// no AWS SDK and nothing else of plwiz.
package probe

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Step names one kind of check.
type Step string

// The steps, in the order they run.
const (
	StepDNS  Step = "dns"
	StepTCP  Step = "tcp"
	StepTLS  Step = "tls"
	StepHTTP Step = "http"
)

// Verdict is the outcome of one check.
type Verdict string

// Verdicts. Skipped means the check did not run, because a check it depends
// on failed, the check was canceled, or it does not apply (TLS on a
// plain-text port); Seen then says why.
const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Skipped Verdict = "skipped"
)

// Result is one check's outcome. Every text field is free of control
// characters.
type Result struct {
	Step     Step
	Target   string // what was checked: a name, an address:port, a URL
	Verdict  Verdict
	Expected string // what a pass looks like
	Seen     string // what was observed (for Skipped: why it did not run)
	Duration time.Duration
	Hint     string // what to do; set on Fail, sometimes on Skipped
	Warning  string // something to look at even though the check passed
}

// Report is the outcome of one Check.
type Report struct {
	Name    string
	Port    int
	Results []Result
	// OutsideVPC is set when the private name did not resolve or resolved to
	// public addresses: this host is likely not in the consumer VPC.
	OutsideVPC bool
	// Command is the plwiz check command line that repeats this check,
	// shell-quoted, to run from a host inside the VPC.
	Command string
	// From says where the checks ran when not on this host, e.g.
	// "i-0abc… in vpc-0def…" for the remote check (ParseRemote).
	From string
}

// Counts returns how many results passed, failed and were skipped.
func (r Report) Counts() (passed, failed, skipped int) {
	for _, res := range r.Results {
		switch res.Verdict {
		case Pass:
			passed++
		case Fail:
			failed++
		default:
			skipped++
		}
	}
	return passed, failed, skipped
}

// OK reports whether no check failed (skipped checks do not count: they are
// skipped only when another check failed or when they do not apply).
func (r Report) OK() bool {
	_, failed, _ := r.Counts()
	return failed == 0 && len(r.Results) > 0
}

// TLSMode says whether the TLS step runs.
type TLSMode string

// TLS modes. Auto (also the zero value) tries a handshake and, when the
// server answers in plain text, skips TLS and speaks plain HTTP.
const (
	TLSAuto TLSMode = "auto"
	TLSOn   TLSMode = "on"
	TLSOff  TLSMode = "off"
)

// StatusRange is the inclusive range of HTTP status codes that pass.
type StatusRange struct{ Min, Max int }

// DefaultStatusRange passes 2xx and 3xx: a redirect still proves the service
// answered through the endpoint.
func DefaultStatusRange() StatusRange { return StatusRange{Min: 200, Max: 399} }

func (s StatusRange) String() string { return fmt.Sprintf("%d-%d", s.Min, s.Max) }

// Contains reports whether code is in the range.
func (s StatusRange) Contains(code int) bool { return code >= s.Min && code <= s.Max }

// Resolver looks up a host's addresses; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer opens connections; *net.Dialer implements it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// DefaultTimeout bounds each operation (one lookup, one connect, one
// handshake, one request) when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// DefaultExpiryWarning is how close to its expiry a certificate gets a
// warning when Config.ExpiryWarning is zero.
const DefaultExpiryWarning = 14 * 24 * time.Hour

// Config is what to check and how.
type Config struct {
	Name string // the DNS name clients use (the private DNS name)
	Port int
	// Addresses are the endpoint's ENI addresses. When set, the name must
	// resolve to some of them and nothing else, and TCP/TLS/HTTP run against
	// them; when empty, the name must resolve to private addresses and the
	// later steps run against what it resolved to.
	Addresses []netip.Addr
	// VPCENames are the endpoint's own regional and zonal DNS names; each
	// must resolve to some of Addresses (to private addresses when
	// Addresses is empty).
	VPCENames []string

	TLS TLSMode
	// RootCAs verifies the server's certificate; nil means the system roots,
	// or the CA file when CAFile is set.
	RootCAs *x509.CertPool
	CAFile  string // shown in messages and in Command

	HTTPPath     string      // "" skips the HTTP step
	HTTPStatuses StatusRange // zero value means DefaultStatusRange()

	Resolver Resolver // nil: the system resolver
	// ResolverAddr names the DNS server Resolver queries, for messages
	// ("" means the system resolver).
	ResolverAddr string
	Dialer       Dialer // nil: a net.Dialer

	Timeout       time.Duration    // per operation; zero: DefaultTimeout
	ExpiryWarning time.Duration    // zero: DefaultExpiryWarning
	Now           func() time.Time // certificate validity clock; nil: time.Now
	// Progress, when set, gets each result as soon as it is known, in the
	// order of Report.Results, so a UI can show the check as it runs. It is
	// called on Check's goroutine.
	Progress func(Result)
}

// Validate checks the configuration before any network traffic; its errors
// are bad input.
func (c Config) Validate() error {
	if err := ValidateName(c.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("port %d is out of range 1-65535", c.Port)
	}
	for _, a := range c.Addresses {
		if !a.IsValid() {
			return fmt.Errorf("addresses: an empty address")
		}
		if a.Zone() != "" {
			return fmt.Errorf("addresses: %s has a zone; endpoint addresses have none", a)
		}
	}
	for _, n := range c.VPCENames {
		if err := ValidateName(n); err != nil {
			return fmt.Errorf("vpce name: %w", err)
		}
	}
	switch c.TLS {
	case "", TLSAuto, TLSOn, TLSOff:
	default:
		return fmt.Errorf("tls mode %q is not one of auto, on, off", sanitize(string(c.TLS)))
	}
	if hasControl(c.CAFile) {
		return fmt.Errorf("CA file name contains control characters")
	}
	if c.HTTPPath != "" {
		if !strings.HasPrefix(c.HTTPPath, "/") {
			return fmt.Errorf("http path %q must start with /", sanitize(c.HTTPPath))
		}
		if hasControl(c.HTTPPath) || strings.ContainsAny(c.HTTPPath, " #") {
			return fmt.Errorf("http path %q contains spaces, # or control characters", sanitize(c.HTTPPath))
		}
	}
	if s := c.HTTPStatuses; s != (StatusRange{}) && (s.Min < 100 || s.Max > 599 || s.Min > s.Max) {
		return fmt.Errorf("http status range %s is not within 100-599 with min <= max", s)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %s is negative", c.Timeout)
	}
	if c.ExpiryWarning < 0 {
		return fmt.Errorf("expiry warning %s is negative", c.ExpiryWarning)
	}
	return nil
}

// ValidateName checks that s is a DNS host name (letters, digits, hyphens
// and underscores in dot-separated labels, not an IP address). Its errors
// show s escaped, never stripped: a control character in it is seen, and
// named by code point.
func ValidateName(s string) error {
	q := strconv.QuoteToASCII(truncate(s, 100))
	name := strings.TrimSuffix(s, ".")
	switch {
	case name == "":
		return fmt.Errorf("a DNS name is required")
	case len(name) > 253:
		return fmt.Errorf("%s is longer than 253 characters", q)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("%s is an IP address, not a DNS name", q)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%s has an empty label or one longer than 63 characters", q)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%s has a label that starts or ends with a hyphen", q)
		}
		for _, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
			if !ok {
				return fmt.Errorf("%s is not a DNS name: %s (%U) is not a letter, digit, hyphen or underscore", q, strconv.QuoteToASCII(string(r)), r)
			}
		}
	}
	return nil
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	c.Name = strings.TrimSuffix(c.Name, ".")
	if c.TLS == "" {
		c.TLS = TLSAuto
	}
	if c.HTTPStatuses == (StatusRange{}) {
		c.HTTPStatuses = DefaultStatusRange()
	}
	// Compare addresses in one form: an IPv4 address inside IPv6 is IPv4.
	addrs := make([]netip.Addr, 0, len(c.Addresses))
	for _, a := range c.Addresses {
		addrs = append(addrs, a.Unmap())
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	c.Addresses = slices.Compact(addrs)
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.Dialer == nil {
		c.Dialer = &net.Dialer{}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ExpiryWarning == 0 {
		c.ExpiryWarning = DefaultExpiryWarning
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
