package dataplane

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fwdKey identifies one listener: an ENI address and a service port.
type fwdKey struct {
	addr netip.Addr
	port uint16
}

func (k fwdKey) String() string {
	return net.JoinHostPort(k.addr.String(), strconv.Itoa(int(k.port)))
}

// forwarder is what an endpoint's ENI does in the data plane: it accepts TCP
// on the service port and carries the bytes to the provider's backend,
// untouched, so TLS is end to end as through a real NLB.
type forwarder struct {
	key fwdKey
	ln  net.Listener
	// routes are the services behind this address: one, or several on
	// [::1] told apart by TLS server name (see route).
	routes  atomic.Pointer[[]route]
	backend func(service string) string // current backend address, "" if none
	// sources are the client addresses let in (nil: all); see Forward.
	sources atomic.Pointer[[]netip.Prefix]

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func startForwarder(key fwdKey, routes []route, sources []netip.Prefix, backend func(string) string) (*forwarder, error) {
	network, err := servedNetwork(key)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, key.String())
	if err != nil {
		return nil, fmt.Errorf("forward %s: %w", key, err)
	}
	f := &forwarder{key: key, ln: ln, backend: backend, conns: map[net.Conn]struct{}{}}
	f.setRoutes(routes)
	f.admit(sources)
	f.wg.Add(1)
	go f.acceptLoop()
	return f, nil
}

func (f *forwarder) acceptLoop() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, keep serving.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !f.admitted(c.RemoteAddr()) {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
			continue
		}
		if !f.track(c) {
			c.Close()
			return
		}
		f.wg.Add(1)
		go f.serve(c)
	}
}

// track registers a connection so close can cut it; false once closed.
func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

func (f *forwarder) serve(client net.Conn) {
	defer f.wg.Done()
	defer f.untrack(client)
	service, hello, ok := pickRoute(client, *f.routes.Load())
	if !ok {
		return // no service of this address answers to that name: reset
	}
	addr := f.backend(service)
	if addr == "" {
		return // the service's backend is gone: the connection is reset
	}
	up, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		return
	}
	if !f.track(up) {
		up.Close()
		return
	}
	defer f.untrack(up)
	if len(hello) > 0 {
		if _, err := up.Write(hello); err != nil {
			return
		}
	}

	// Copy both ways; when one side finishes sending, pass the half-close
	// on so request/response protocols see EOF where they expect it.
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go pipe(up, client)
	go pipe(client, up)
	wg.Wait()
}

// close stops listening and cuts every connection through this address, as
// deleting or rejecting an endpoint does.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	conns := make([]net.Conn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	f.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	f.wg.Wait()
}

// setRoutes sets the services behind the address.
func (f *forwarder) setRoutes(routes []route) { f.routes.Store(&routes) }

// admit sets which client addresses get through (nil: all).
func (f *forwarder) admit(sources []netip.Prefix) {
	f.sources.Store(&sources)
}

// admitted reports whether a client address may connect.
func (f *forwarder) admitted(a net.Addr) bool {
	p := f.sources.Load()
	if p == nil || *p == nil {
		return true
	}
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, s := range *p {
		if s.Contains(ip) {
			return true
		}
	}
	return false
}
