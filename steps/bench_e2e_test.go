package steps_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// BenchmarkTwoPartyRun runs both parties headless against the sandbox at a
// given speed and reports, per wait, the lag between the sandbox's event
// (AWS changing, or the other party's file being written) and plwiz's line
// saying so; the overhead of the whole run over AWS's own delays on its
// critical path; and the API calls each party made, polls included.
//
// "processes" shares nothing between the parties, as two plwiz processes
// against `plwiz sandbox` do; "demo" wakes each party's waits on the other
// party's actions and on the sandbox's changes, as `plwiz demo` does;
// "throttled" is "processes" with one call in five throttled (compare its
// time with "processes": the goal is at most twice); "live" is
// "processes" with both parties' live updates on (--live-updates), their
// waits on the other party woken by connection events. Each reports the
// lag of the consumer's wait on the provider: from the endpoint leaving
// pendingAcceptance to the consumer's look seeing it
// (consumer/accepted-seen).
// PLWIZ_BENCH_SPEEDS (default "1,10") picks the speeds; at speed 1 one run
// takes about 75 s of AWS's delays.
func BenchmarkTwoPartyRun(b *testing.B) {
	speeds := strings.Split(os.Getenv("PLWIZ_BENCH_SPEEDS"), ",")
	if os.Getenv("PLWIZ_BENCH_SPEEDS") == "" {
		speeds = []string{"1", "10"}
	}
	for _, mode := range []string{"processes", "demo", "throttled", "live"} {
		for _, sp := range speeds {
			speed, err := strconv.ParseFloat(strings.TrimSpace(sp), 64)
			if err != nil || speed <= 0 {
				b.Fatalf("PLWIZ_BENCH_SPEEDS: %q is not a speed", sp)
			}
			b.Run(fmt.Sprintf("%s/speed=%s", mode, sp), func(b *testing.B) {
				var last runFigures
				for b.Loop() {
					var faults sandbox.Faults
					if mode == "throttled" {
						faults = sandbox.Faults{Throttle: 0.2, Seed: 3}
					}
					last = twoPartyRun(b, speed, mode == "demo", mode == "live", faults)
				}
				last.report(b)
			})
		}
	}
}

// runFigures are what one run measured.
type runFigures struct {
	lags     map[string]time.Duration // wait → lag
	wall     time.Duration            // first line to last line
	delays   time.Duration            // AWS's delays on the critical path
	calls    map[steps.Role]int64
	overhead float64 // percent
}

func (f runFigures) report(b *testing.B) {
	names := make([]string, 0, len(f.lags))
	for n := range f.lags {
		names = append(names, n)
	}
	sort.Strings(names)
	var lines []string
	for _, n := range names {
		b.ReportMetric(float64(f.lags[n].Microseconds())/1000, "ms-lag/"+n)
		lines = append(lines, fmt.Sprintf("  %-32s %8.0f ms", n, float64(f.lags[n].Microseconds())/1000))
	}
	b.ReportMetric(f.overhead, "%overhead")
	b.ReportMetric(float64(f.calls[steps.RoleProvider]), "calls/provider")
	b.ReportMetric(float64(f.calls[steps.RoleConsumer]), "calls/consumer")
	b.Logf("lag between AWS's change (or the other party's file) and plwiz's line:\n%s\nrun %s over AWS's delays of %s: overhead %.1f%%; API calls: provider %d, consumer %d",
		strings.Join(lines, "\n"), f.wall.Round(time.Millisecond), f.delays.Round(time.Millisecond), f.overhead,
		f.calls[steps.RoleProvider], f.calls[steps.RoleConsumer])
}

type benchLine struct {
	Time  time.Time `json:"time"`
	Step  string    `json:"step"`
	State string    `json:"state"`
}

func twoPartyRun(b *testing.B, speed float64, demo, live bool, faults sandbox.Faults) runFigures {
	b.Helper()
	var mu sync.Mutex
	var events []sandbox.Event
	var wake *steps.Signal
	if demo {
		wake = steps.NewSignal()
	}
	d := sandbox.DefaultDelays().Scaled(speed)
	sb := sbtest.Start(b, sbtest.Options{RealClock: true, Delays: &d, DataPlane: true, Faults: faults, Events: func(e sandbox.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
		wake.Broadcast()
	}})
	dir := b.TempDir()
	calls := map[steps.Role]*atomic.Int64{steps.RoleProvider: {}, steps.RoleConsumer: {}}
	mk := func(account string, role steps.Role) *party {
		p := newParty(b, sb, account, role, dir)
		count := func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("bench/Calls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					calls[role].Add(1)
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		}
		client, err := awsops.New(sb.Config(b, account), awsops.Options{APIOptions: []func(*middleware.Stack) error{count}})
		if err != nil {
			b.Fatal(err)
		}
		p.env.AWS, p.env.Wake = client, wake
		return p
	}
	provider, consumer := mk("provider", steps.RoleProvider), mk("consumer", steps.RoleConsumer)
	setInputs(b, sb, dir, provider, consumer)
	if live {
		for _, p := range []*party{provider, consumer} {
			p.session.SetInput(steps.InLiveUpdates, "true")
		}
	}
	accepted := &seenAt{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []*party{provider, consumer} {
		flow := steps.ProviderFlow()
		if p.session.Role == steps.RoleConsumer {
			flow = accepted.watch(steps.ConsumerFlow())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The real schedules, not the tests' fast polls.
			r := &steps.Runner{Flow: flow, Session: p.session, Env: p.env, Out: &p.out, JSON: true, AssumeYes: true, WaitTimeout: 5 * time.Minute}
			errs[i] = r.Run(ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		b.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", errs[0], provider.out.String(), errs[1], consumer.out.String())
	}

	lines := map[steps.Role]map[string]time.Time{}
	var first, lastLine time.Time
	for role, p := range map[steps.Role]*party{steps.RoleProvider: provider, steps.RoleConsumer: consumer} {
		lines[role] = map[string]time.Time{}
		sc := bufio.NewScanner(bytes.NewReader(p.out.Bytes()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l benchLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				b.Fatalf("%s line %q: %v", role, sc.Text(), err)
			}
			if l.State == "done" {
				lines[role][l.Step] = l.Time
			}
			if first.IsZero() || l.Time.Before(first) {
				first = l.Time
			}
			if l.Time.After(lastLine) {
				lastLine = l.Time
			}
		}
	}
	svc := provider.session.Resource(steps.ResServiceID)
	ep := consumer.session.Resource(steps.ResEndpointID)
	mu.Lock()
	defer mu.Unlock()
	at := func(resource, to string) time.Time {
		for _, e := range events {
			if e.Resource == resource && e.To == to {
				return e.Time
			}
		}
		b.Fatalf("no event %s → %s", resource, to)
		return time.Time{}
	}
	change := ""
	for _, e := range events {
		if strings.HasPrefix(e.Resource, "/change/") && e.To == "INSYNC" {
			change = e.Resource
		}
	}
	p, c := lines[steps.RoleProvider], lines[steps.RoleConsumer]
	f := runFigures{lags: map[string]time.Duration{
		"provider/service-available":   p[steps.StepServiceReady].Sub(at(svc, sandbox.ServiceAvailable)),
		"provider/txt-record-insync":   p[steps.StepTXTRecord].Sub(at(change, "INSYNC")),
		"provider/dns-verified":        p[steps.StepVerifyDNS].Sub(at(svc+"/private-dns", sandbox.DNSVerified)),
		"provider/request-file":        p[steps.StepImportRequest].Sub(c[steps.StepExportRequest]),
		"provider/endpoint-available":  p[steps.StepEndpointActive].Sub(at(ep, sandbox.EndpointAvailable)),
		"consumer/offer-file":          c[steps.StepImportOffer].Sub(p[steps.StepExportOffer]),
		"consumer/endpoint-available":  c[steps.StepWaitAcceptance].Sub(at(ep, sandbox.EndpointAvailable)),
		"consumer/private-dns-resolve": c[steps.StepPrivateDNSReady].Sub(at(ep+"/private-dns", "resolving")),
		"consumer/accepted-seen":       accepted.get().Sub(at(ep, sandbox.EndpointPending)),
	}, calls: map[steps.Role]int64{steps.RoleProvider: calls[steps.RoleProvider].Load(), steps.RoleConsumer: calls[steps.RoleConsumer].Load()}}
	f.wall = lastLine.Sub(first)
	f.delays = d.ServiceAvailable + d.ChangeInsync + d.Verification + d.EndpointPending + d.EndpointAvailable + d.PrivateDNSPropagate
	f.overhead = 100 * (f.wall.Seconds() - f.delays.Seconds()) / f.delays.Seconds()
	return f
}

// seenAt notes when the consumer's wait for acceptance first looked, and
// first saw the endpoint past pendingAcceptance.
type seenAt struct {
	mu    sync.Mutex
	began time.Time
	at    time.Time
}

func (w *seenAt) get() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}

func (w *seenAt) started() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.began
}

// watch returns flow with the wait for acceptance noting it.
func (w *seenAt) watch(flow *steps.Flow) *steps.Flow {
	return observePolls(flow, steps.StepWaitAcceptance, func(status steps.Status, err error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.began.IsZero() {
			w.began = time.Now()
		}
		if err == nil && status.State != "" && status.State != string(awsops.EndpointPendingAcceptance) && w.at.IsZero() {
			w.at = time.Now()
		}
	})
}
