//go:build !unix

package dataplane

import "fmt"

// blackhole needs a listen backlog of zero, which only the unix socket
// calls give; elsewhere a dropped address is simply not listened on, and
// connects to it are refused rather than timing out.
type blackhole struct{}

func startBlackhole(key fwdKey) (*blackhole, error) {
	if !key.addr.Is4() || !key.addr.IsLoopback() {
		return nil, fmt.Errorf("drop %s: only IPv4 loopback (127.0.0.0/8) addresses are served", key)
	}
	return &blackhole{}, nil
}

func (*blackhole) close() {}
