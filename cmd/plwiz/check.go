package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plwiz/plwiz/probe"
)

// checkOptions are plwiz check's flags.
type checkOptions struct {
	name       string
	port       int
	addresses  []string
	vpceNames  []string
	caFile     string
	tls        string
	httpPath   string
	httpStatus string
	resolver   string
	timeout    time.Duration
	output     string
}

// maxCheckTimeout bounds --timeout: the check runs up to a few operations
// per address, each within it.
const maxCheckTimeout = 5 * time.Minute

func newCheckCmd(_ *globalOptions) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Test connectivity to a service through its endpoint: DNS, TCP, TLS, HTTP",
		Long: `check tests, from this host, that a name reaches a service through a
PrivateLink interface endpoint: the name resolves to the endpoint's addresses
(and the endpoint's own vpce names too), each address accepts TCP on the port,
the TLS certificate is valid for the name and trusted, and optionally an HTTP
request gets an expected status. Each check prints what it expected, what it
saw, and what to do when it failed.

Run it from a host inside the consumer VPC; when the name does not resolve or
resolves to public addresses, check says so and prints the command to run
there.

Exit status: 0 when every check passed, 1 when one failed, 2 on bad input.`,
		Example: `  plwiz check --name api.example.com --port 443
  plwiz check --name api.example.com --port 443 --addresses 10.0.1.5,10.0.2.5 --http /health
  plwiz check --name api.example.com --port 8443 --ca provider-ca.pem --resolver 127.0.0.1:5353 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			rep, err := probe.Check(cmd.Context(), cfg)
			if err != nil {
				return &exitError{code: exitBadInput, err: err}
			}
			out := cmd.OutOrStdout()
			if o.output == "json" {
				err = probe.WriteJSON(out, rep)
			} else {
				err = probe.WriteText(out, rep)
			}
			if err != nil {
				return &exitError{code: exitFailed, err: fmt.Errorf("write the report: %w", err)}
			}
			if !rep.OK() {
				// The report already says what failed.
				return &exitError{code: exitFailed}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "The DNS name clients use for the service, such as the private DNS name (required).")
	f.IntVar(&o.port, "port", 443, "The service port to connect to.")
	f.StringSliceVar(&o.addresses, "addresses", nil, "The endpoint's ENI addresses, separated by commas: the name must resolve to them, and TCP, TLS and HTTP are tried on each.")
	f.StringSliceVar(&o.vpceNames, "vpce-names", nil, "The endpoint's regional and zonal DNS names, separated by commas; each must resolve to its addresses.")
	f.StringVar(&o.caFile, "ca", "", "A PEM file of CA certificates to trust instead of the system roots.")
	f.StringVar(&o.tls, "tls", string(probe.TLSAuto), "The TLS check: auto (skipped when the port answers in plain text), on or off.")
	f.StringVar(&o.httpPath, "http", "", "Also send GET PATH, such as /health, with Host set to --name.")
	f.StringVar(&o.httpStatus, "http-status", probe.DefaultStatusRange().String(), "The HTTP statuses that pass: CODE or MIN-MAX.")
	f.StringVar(&o.resolver, "resolver", "", "Ask this DNS server (IP:PORT, such as the sandbox's) instead of the system resolver.")
	f.DurationVar(&o.timeout, "timeout", probe.DefaultTimeout, "The time limit for each lookup, connection, handshake and request.")
	f.StringVar(&o.output, "output", "text", "Output format: text or json.")
	return cmd
}

// config validates the flags into a probe.Config; every error is bad input.
func (o *checkOptions) config() (probe.Config, error) {
	if o.name == "" {
		return probe.Config{}, badInput("--name is required (the DNS name clients use, e.g. api.example.com)")
	}
	if err := probe.ValidateName(o.name); err != nil {
		return probe.Config{}, badInput("--name: %w", err)
	}
	if o.port < 1 || o.port > 65535 {
		return probe.Config{}, badInput("--port %d is out of range 1-65535", o.port)
	}
	if o.output != "text" && o.output != "json" {
		return probe.Config{}, badInput("--output %q is not text or json", checkFlagText(o.output))
	}
	if o.timeout <= 0 || o.timeout > maxCheckTimeout {
		return probe.Config{}, badInput("--timeout %s is not between 0 and %s", o.timeout, maxCheckTimeout)
	}
	cfg := probe.Config{Name: o.name, Port: o.port, TLS: probe.TLSMode(o.tls), HTTPPath: o.httpPath, Timeout: o.timeout}
	switch cfg.TLS {
	case probe.TLSAuto, probe.TLSOn, probe.TLSOff:
	default:
		return probe.Config{}, badInput("--tls %q is not auto, on or off", checkFlagText(o.tls))
	}
	for _, s := range o.addresses {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return probe.Config{}, badInput("--addresses: %q is not an IP address", checkFlagText(s))
		}
		cfg.Addresses = append(cfg.Addresses, a)
	}
	for _, n := range o.vpceNames {
		n = strings.TrimSpace(n)
		if err := probe.ValidateName(n); err != nil {
			return probe.Config{}, badInput("--vpce-names: %w", err)
		}
		cfg.VPCENames = append(cfg.VPCENames, n)
	}
	statuses, err := parseStatusRange(o.httpStatus)
	if err != nil {
		return probe.Config{}, badInput("--http-status: %w", err)
	}
	cfg.HTTPStatuses = statuses
	if o.caFile != "" {
		if strings.ContainsFunc(o.caFile, isControl) {
			return probe.Config{}, badInput("--ca contains control characters; pass a plain file name")
		}
		pool, err := probe.LoadCAFile(o.caFile)
		if err != nil {
			return probe.Config{}, badInput("--ca: %w", err)
		}
		cfg.RootCAs, cfg.CAFile = pool, o.caFile
	}
	if o.resolver != "" {
		r, err := probe.NewServerResolver(o.resolver)
		if err != nil {
			return probe.Config{}, badInput("--resolver: %w", err)
		}
		cfg.Resolver, cfg.ResolverAddr = r, o.resolver
	}
	if err := cfg.Validate(); err != nil {
		return probe.Config{}, badInput("%w", err)
	}
	return cfg, nil
}

// parseStatusRange reads "200" or "200-399".
func parseStatusRange(s string) (probe.StatusRange, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	if !isRange {
		hi = lo
	}
	first, err1 := strconv.Atoi(lo)
	last, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || first < 100 || last > 599 || first > last {
		return probe.StatusRange{}, fmt.Errorf("%q is not a status code or MIN-MAX range within 100-599", checkFlagText(s))
	}
	return probe.StatusRange{Min: first, Max: last}, nil
}

// checkFlagText drops control characters from a flag value before it is echoed.
func checkFlagText(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}
