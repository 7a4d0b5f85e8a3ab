package dataplane

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// route is one service behind a listening address, with the names its
// backend's certificate carries (a leading "*." is a one-label wildcard).
type route struct {
	service string
	names   []string
}

// servedNetwork is the network a forward or drop listens on: IPv4 loopback
// addresses and the IPv6 loopback address, nothing else.
func servedNetwork(key fwdKey) (string, error) {
	if key.port == 0 {
		return "", fmt.Errorf("forward %s: port 0", key)
	}
	switch {
	case key.addr.Is4() && key.addr.IsLoopback():
		return "tcp4", nil
	case key.addr == netip.IPv6Loopback():
		return "tcp6", nil
	}
	return "", fmt.Errorf("forward %s: only loopback addresses (127.0.0.0/8 and ::1) are served", key)
}

// helloTimeout bounds how long a shared address waits for a client's TLS
// ClientHello.
const helloTimeout = 5 * time.Second

// errHelloRead ends the handshake once the ClientHello is read.
var errHelloRead = errors.New("client hello read")

// pickRoute chooses the service a connection goes to. With one route it is
// that one, and nothing is read. With several (services sharing [::1] on a
// port), it reads the TLS ClientHello and picks the service whose
// certificate names the server name asked for; hello is what was read, to
// be sent on first. ok is false when no service fits.
func pickRoute(c net.Conn, routes []route) (service string, hello []byte, ok bool) {
	switch len(routes) {
	case 0:
		return "", nil, false
	case 1:
		return routes[0].service, nil, true
	}
	var buf bytes.Buffer
	var sni string
	_ = c.SetReadDeadline(time.Now().Add(helloTimeout))
	srv := tls.Server(readOnly{io.TeeReader(c, &buf), c}, &tls.Config{
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			sni = h.ServerName
			return nil, errHelloRead
		},
	})
	_ = srv.Handshake()
	_ = c.SetReadDeadline(time.Time{})
	if sni == "" {
		return "", nil, false
	}
	for _, r := range routes {
		if namesMatch(r.names, sni) {
			return r.service, buf.Bytes(), true
		}
	}
	return "", nil, false
}

// namesMatch reports whether a certificate with these names is valid for
// host.
func namesMatch(names []string, host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, n := range names {
		n = strings.TrimSuffix(strings.ToLower(n), ".")
		if n == host {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if _, parent, found := strings.Cut(host, "."); found && parent == rest {
				return true
			}
		}
	}
	return false
}

// readOnly is a connection whose reads come from r and whose writes go
// nowhere: the ClientHello is read without answering the client.
type readOnly struct {
	r io.Reader
	net.Conn
}

func (c readOnly) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c readOnly) Write(p []byte) (int, error) { return len(p), nil }
