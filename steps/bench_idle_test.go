package steps_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// BenchmarkIdlePartyWait: the consumer waits for acceptance, on the real
// schedules, while the provider does nothing for PLWIZ_BENCH_IDLE
// (default 1m); then the provider accepts. It reports the consumer's API
// calls a minute while it waited (long polls included) and the lag from
// the endpoint leaving pendingAcceptance to the consumer's look seeing it.
// "polls" is without live updates, "live" with --live-updates.
func BenchmarkIdlePartyWait(b *testing.B) {
	idle := time.Minute
	if v := os.Getenv("PLWIZ_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("PLWIZ_BENCH_IDLE: %q is not a duration", v)
		}
		idle = d
	}
	for _, mode := range []string{"polls", "live"} {
		b.Run(fmt.Sprintf("%s/idle=%s", mode, idle), func(b *testing.B) {
			var perMin float64
			var lag time.Duration
			for b.Loop() {
				perMin, lag = idlePartyWait(b, idle, mode == "live")
			}
			b.ReportMetric(perMin, "calls/min")
			b.ReportMetric(float64(lag.Microseconds())/1000, "ms-lag/accepted-seen")
			b.Logf("%s: %.1f calls a minute while waiting %s for the provider; accepted endpoint seen %d ms after AWS showed it",
				mode, perMin, idle, lag.Milliseconds())
		})
	}
}

func idlePartyWait(b *testing.B, idle time.Duration, live bool) (perMin float64, lag time.Duration) {
	b.Helper()
	var mu sync.Mutex
	var pendingAt time.Time
	// The waits before the measured one are short; the idle wait and the
	// lag are on the real clock whatever the speed.
	d := sandbox.DefaultDelays().Scaled(20)
	sb := sbtest.Start(b, sbtest.Options{RealClock: true, Delays: &d, DataPlane: true, Events: func(e sandbox.Event) {
		if e.From == sandbox.EndpointPendingAcceptance && e.To == sandbox.EndpointPending {
			mu.Lock()
			pendingAt = e.Time
			mu.Unlock()
		}
	}})
	dir := b.TempDir()
	provider := newParty(b, sb, "provider", steps.RoleProvider, dir)
	// Its calls counted as they end: a long poll under way is not one yet.
	consumer, calls := probedParty(b, sb, "consumer", steps.RoleConsumer, dir)
	setInputs(b, sb, dir, provider, consumer)
	provider.session.SetInput(steps.InPrivateDNS, "")
	if live {
		consumer.session.SetInput(steps.InLiveUpdates, "true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), idle+5*time.Minute)
	defer cancel()
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(ctx); err != nil {
		b.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	seen := &seenAt{}
	done := make(chan error, 1)
	go func() {
		// The real schedules, not the tests' fast polls.
		r := &steps.Runner{Flow: seen.watch(steps.ConsumerFlow()), Session: consumer.session, Env: consumer.env, Out: &consumer.out, AssumeYes: true, WaitTimeout: idle + 5*time.Minute}
		done <- r.Run(ctx)
	}()
	for seen.started().IsZero() {
		select {
		case err := <-done:
			b.Fatalf("the consumer ended before waiting: %v\n%s", err, consumer.out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t0, c0 := time.Now(), calls.total()
	time.Sleep(idle)
	perMin = float64(calls.total()-c0) / time.Since(t0).Minutes()
	svc, ep := provider.session.Resource(steps.ResServiceID), consumer.session.Resource(steps.ResEndpointID)
	if err := provider.env.AWS.Provider().AcceptConnections(ctx, svc, []string{ep}); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatalf("consumer: %v\n%s", err, consumer.out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	return perMin, seen.get().Sub(pendingAt)
}
