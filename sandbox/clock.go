package sandbox

import (
	"sync"
	"time"
)

// Clock is the sandbox's notion of now. Lifecycle transitions are computed
// lazily from timestamps against it, so a test that controls the clock
// controls every AWS-side delay without sleeping.
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current wall-clock time.
func (RealClock) Now() time.Time { return time.Now() }

// ManualClock is a clock that only moves when told to; for tests.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Delays are the AWS-side delays of real-world size, before scaling.
type Delays struct {
	ServiceAvailable    time.Duration // pending → Available for a new endpoint service
	EndpointPending     time.Duration // pendingAcceptance (accepted) → pending
	EndpointAvailable   time.Duration // pending → available
	Verification        time.Duration // pendingVerification → verified|failed
	PrivateDNSPropagate time.Duration // private DNS enabled → answered by DNS
	ChangeInsync        time.Duration // Route 53 change PENDING → INSYNC
	Visibility          time.Duration // eventual consistency window (fault knob)

	TargetHealthy  time.Duration // a registered target's initial health checks
	TargetDraining time.Duration // deregistration delay at its default (300 s)
	CommandVisible time.Duration // SendCommand → its invocations are listed
	CommandPickup  time.Duration // invocation Pending → InProgress (agent picks it up)
	Analysis       time.Duration // network insights analysis running → done
}

// DefaultDelays are roughly what AWS takes.
func DefaultDelays() Delays {
	return Delays{
		ServiceAvailable:    5 * time.Second,
		EndpointPending:     2 * time.Second,
		EndpointAvailable:   10 * time.Second,
		Verification:        30 * time.Second,
		PrivateDNSPropagate: 5 * time.Second,
		ChangeInsync:        20 * time.Second,
		Visibility:          2 * time.Second,
		TargetHealthy:       30 * time.Second,
		TargetDraining:      300 * time.Second,
		CommandVisible:      time.Second,
		CommandPickup:       2 * time.Second,
		Analysis:            20 * time.Second,
	}
}

// Scaled divides every delay by speed (speed > 1 is faster). A speed of zero
// or less leaves the delays as they are.
func (d Delays) Scaled(speed float64) Delays {
	if speed <= 0 {
		return d
	}
	s := func(x time.Duration) time.Duration { return time.Duration(float64(x) / speed) }
	return Delays{
		ServiceAvailable:    s(d.ServiceAvailable),
		EndpointPending:     s(d.EndpointPending),
		EndpointAvailable:   s(d.EndpointAvailable),
		Verification:        s(d.Verification),
		PrivateDNSPropagate: s(d.PrivateDNSPropagate),
		ChangeInsync:        s(d.ChangeInsync),
		Visibility:          s(d.Visibility),
		TargetHealthy:       s(d.TargetHealthy),
		TargetDraining:      s(d.TargetDraining),
		CommandVisible:      s(d.CommandVisible),
		CommandPickup:       s(d.CommandPickup),
		Analysis:            s(d.Analysis),
	}
}
