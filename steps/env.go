package steps

import (
	"context"
	"crypto/x509"
	"sync"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/probe"
)

// Env is what steps need from the outside world, passed in so tests can
// point it at the sandbox and a fixed clock.
type Env struct {
	// AWS is the client of the party running the flow.
	AWS *awsops.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BundleDir is where offers and requests are written when no path is
	// given.
	BundleDir string
	// Probe configures the connectivity test.
	Probe ProbeSettings
	// Wake, when set, makes every wait look again at once when it
	// broadcasts (the demo's other party acted; AWS reported a change).
	Wake *Signal

	readsOnce sync.Once
	recent    *recentReads
}

// ProbeSettings are the parts of the connectivity test that depend on where
// plwiz runs (the sandbox has its own DNS server and CA).
type ProbeSettings struct {
	Resolver     probe.Resolver
	ResolverAddr string
	Dialer       probe.Dialer
	RootCAs      *x509.CertPool
	CAFile       string
	HTTPPath     string
	Timeout      time.Duration
}

// resolver is the configured resolver, or one that asks ResolverAddr (the
// sandbox's DNS server), or nil for the system's.
func (p ProbeSettings) resolver() (probe.Resolver, error) {
	if p.Resolver != nil || p.ResolverAddr == "" {
		return p.Resolver, nil
	}
	r, err := probe.NewServerResolver(p.ResolverAddr)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (e *Env) now() time.Time {
	if e != nil && e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Env) provider() *awsops.Provider { return e.AWS.Provider() }
func (e *Env) consumer() *awsops.Consumer { return e.AWS.Consumer() }

// identity asks the role's client who the caller is.
func (e *Env) identity(ctx context.Context, role Role) (awsops.Identity, error) {
	if role == RoleProvider {
		return e.provider().Identity(ctx)
	}
	return e.consumer().Identity(ctx)
}
