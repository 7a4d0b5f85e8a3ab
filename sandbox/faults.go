package sandbox

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults are the knobs of injected failure, each independent, all driven by
// one seed so a failing reliability test can be replayed.
type Faults struct {
	Seed uint64 `json:"seed"`
	// Throttle is the probability (0..1) that a call fails with the service's
	// throttling error (EC2: RequestLimitExceeded; others: Throttling).
	Throttle float64 `json:"throttle"`
	// ServerError is the probability that a call fails with a 500/503.
	ServerError float64 `json:"serverError"`
	// Latency is added to every call.
	Latency time.Duration `json:"latency"`
	// Consistency hides freshly created resources from Describe calls for
	// Delays.Visibility, as AWS's eventual consistency does.
	Consistency bool `json:"consistency"`
}

type faultInjector struct {
	cfg Faults
	mu  sync.Mutex
	rng *rand.Rand
}

func newFaultInjector(f Faults) *faultInjector {
	return &faultInjector{cfg: f, rng: rand.New(rand.NewPCG(f.Seed, 0x6661756c7473))}
}

// before runs ahead of each call: sleeps the latency, then maybe fails it.
func (f *faultInjector) before(ctx context.Context, service string) *APIError {
	if f.cfg.Latency > 0 {
		t := time.NewTimer(f.cfg.Latency)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	f.mu.Lock()
	throttle := f.cfg.Throttle > 0 && f.rng.Float64() < f.cfg.Throttle
	fail := f.cfg.ServerError > 0 && f.rng.Float64() < f.cfg.ServerError
	f.mu.Unlock()
	switch {
	case throttle && service == "ec2":
		return Errorf(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	case throttle:
		return Errorf(http.StatusBadRequest, "Throttling", "Rate exceeded")
	case fail && service == "ec2":
		return Errorf(http.StatusInternalServerError, "InternalError", "An internal error has occurred")
	case fail:
		return Errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable. Please try again later.")
	}
	return nil
}
