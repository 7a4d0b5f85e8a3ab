package probe

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"os"
)

// NewServerResolver returns a resolver that sends every query to the DNS
// server at hostport (an IP address and a port, like the sandbox's
// 127.0.0.1:5353) instead of the servers in /etc/resolv.conf. It uses Go's
// own resolver so the system's stub resolver is never involved.
func NewServerResolver(hostport string) (*net.Resolver, error) {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("resolver %q is not an IP:port: %w", sanitize(hostport), err)
	}
	if ap.Port() == 0 {
		return nil, fmt.Errorf("resolver %q has port 0", sanitize(hostport))
	}
	server := ap.String()
	return &net.Resolver{
		PreferGo: true,
		// The Go resolver asks for the servers it read from resolv.conf; we
		// keep the network it chose (udp, or tcp after a truncated answer)
		// and replace the address.
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}, nil
}

// LoadCAFile reads a PEM file of one or more CA certificates into a pool.
func LoadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CA file %s: certificate %d: %w", sanitize(path), n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("CA file %s holds no PEM CERTIFICATE block", sanitize(path))
	}
	return pool, nil
}
