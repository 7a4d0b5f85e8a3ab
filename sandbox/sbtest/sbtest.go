// Package sbtest starts a sandbox for a test and hands out aws.Configs for its
// accounts, so every package's tests talk to it through the real SDK over HTTP.
package sbtest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/plwiz/plwiz/sandbox"
)

// Env is a running test sandbox.
type Env struct {
	SB    *sandbox.Sandbox
	Clock *sandbox.ManualClock // nil when the test asked for the real clock
	URL   string

	dataPlane bool
}

// Options for Start; the zero value gives a manual clock and no faults.
type Options struct {
	RealClock bool    // use the wall clock (with Speed) instead of a manual one
	Speed     float64 // only with RealClock
	Faults    sandbox.Faults
	World     *sandbox.World
	Delays    *sandbox.Delays
	// DataPlane runs the loopback DNS server, ENI listeners and TLS
	// backends (Env.SB.DNSAddr, CAFile, CAPool).
	DataPlane bool
	// Scenario sets the new world up (sandbox.Options.Scenario); not with World.
	Scenario string
	// WorldFile keeps the world in this file (sandbox.Options.WorldFile).
	WorldFile string
	// Events gets every state change (sandbox.Options.Events).
	Events func(sandbox.Event)
}

// Start runs a sandbox on 127.0.0.1:0 until the test ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	var clock sandbox.Clock = sandbox.RealClock{}
	var manual *sandbox.ManualClock
	if !o.RealClock {
		manual = sandbox.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		clock = manual
	}
	sb := sandbox.New(sandbox.Options{World: o.World, Clock: clock, Speed: o.Speed, Faults: o.Faults, Delays: o.Delays, DataPlane: o.DataPlane,
		Scenario: o.Scenario, WorldFile: o.WorldFile, Events: o.Events})
	if err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return &Env{SB: sb, Clock: manual, URL: sb.URL(), dataPlane: o.DataPlane}
}

// Account returns the world's account with the given name ("provider",
// "consumer").
func (e *Env) Account(t testing.TB, name string) sandbox.Account {
	t.Helper()
	var acct sandbox.Account
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		if a := w.AccountByName(name); a != nil {
			acct = *a
		}
	})
	if acct.ID == "" {
		t.Fatalf("sandbox has no account named %q", name)
	}
	return acct
}

// Config returns an aws.Config for the named account pointed at the sandbox,
// with the SDK's standard retryer, in the world's home region.
func (e *Env) Config(t testing.TB, name string) aws.Config {
	t.Helper()
	return e.ConfigIn(t, name, "")
}

// ConfigIn is Config for calls to another region ("" is the home region).
func (e *Env) ConfigIn(t testing.TB, name, region string) aws.Config {
	t.Helper()
	a := e.Account(t, name)
	if region == "" {
		e.SB.World(func(w *sandbox.World, _ time.Time) { region = w.Region })
	}
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(e.URL),
		RetryMaxAttempts: 5,
	}
}

// Advance moves the manual clock; it fails the test if the sandbox runs on
// the real clock.
func (e *Env) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	if e.Clock == nil {
		t.Fatal("Advance needs the manual clock")
	}
	e.Clock.Advance(d)
	if e.dataPlane {
		// Make DNS and the ENI listeners match the new time at once rather
		// than at the data plane's next tick. What it cannot serve (a bad
		// record a test put in on purpose) is logged; the rest is applied.
		if err := e.SB.SyncDataPlane(); err != nil {
			t.Logf("sync data plane: %v", err)
		}
	}
}

// Context returns a context that ends with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
