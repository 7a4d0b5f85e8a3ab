//go:build !unix

package dataplane

// blackhole needs a listen backlog of zero, which only the unix socket
// calls give; elsewhere a dropped address is simply not listened on, and
// connects to it are refused rather than timing out.
type blackhole struct{}

func startBlackhole(key fwdKey) (*blackhole, error) {
	if _, err := servedNetwork(key); err != nil {
		return nil, err
	}
	return &blackhole{}, nil
}

func (*blackhole) close() {}
