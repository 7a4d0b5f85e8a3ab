//go:build unix

package dataplane

import (
	"fmt"
	"net"
	"syscall"
	"time"
)

// blackhole makes connects to an address time out, with no packet filter
// (loopback has none to offer without privileges): a listening socket whose
// one-slot accept queue is filled by a connection of our own and never
// accepted, so the kernel drops every further SYN unanswered.
type blackhole struct {
	key  fwdKey
	fd   int
	held net.Conn
}

func startBlackhole(key fwdKey) (*blackhole, error) {
	network, err := servedNetwork(key)
	if err != nil {
		return nil, err
	}
	// As4 panics on an IPv6 address: pick the family first.
	family, sa := syscall.AF_INET6, syscall.Sockaddr(&syscall.SockaddrInet6{Port: int(key.port), Addr: key.addr.As16()})
	if network != "tcp6" {
		family, sa = syscall.AF_INET, &syscall.SockaddrInet4{Port: int(key.port), Addr: key.addr.As4()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, fmt.Errorf("drop %s: %w", key, err)
	}
	syscall.CloseOnExec(fd)
	h := &blackhole{key: key, fd: fd}
	fail := func(err error) (*blackhole, error) {
		h.close()
		return nil, fmt.Errorf("drop %s: %w", key, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail(err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		return fail(err)
	}
	c, err := net.DialTimeout(network, key.String(), 2*time.Second)
	if err != nil {
		return fail(fmt.Errorf("fill the accept queue: %w", err))
	}
	h.held = c
	return h, nil
}

func (h *blackhole) close() {
	if h.held != nil {
		h.held.Close()
	}
	if h.fd >= 0 {
		syscall.Close(h.fd)
		h.fd = -1
	}
}
