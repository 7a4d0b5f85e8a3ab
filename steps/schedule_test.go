package steps

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestDefaultScheduleFitsWhatIsAwaited: an AWS-side change is looked at
// every second while it is due and never less often than every 5 s; a
// file every 250 ms; the other party every 2 s, then 5 s, and as an AWS
// change once it has acted.
func TestDefaultScheduleFitsWhatIsAwaited(t *testing.T) {
	waiting := Status{State: "Pending"}
	aws := DefaultSchedule(&Step{Await: Await{Kind: AwaitAWS, Typical: 30 * time.Second}})
	for _, waited := range []time.Duration{0, 10 * time.Second, 2 * time.Minute} {
		if d := aws.Next(waiting, waited); d != time.Second {
			t.Errorf("AWS wait after %s: next look in %s, want 1s while the change is due", waited, d)
		}
	}
	last := time.Duration(0)
	for waited := 3 * time.Minute; waited < 2*time.Hour; waited += time.Minute {
		d := aws.Next(waiting, waited)
		if d < last || d > 5*time.Second {
			t.Fatalf("AWS wait after %s: next look in %s (before: %s); want slowing, at most 5s", waited, d, last)
		}
		last = d
	}
	if last != 5*time.Second {
		t.Errorf("a long-late change is looked at every %s, want 5s", last)
	}

	file := DefaultSchedule(&Step{Await: Await{Kind: AwaitFile}})
	if d := file.Next(Status{OtherParty: true}, time.Hour); d != 250*time.Millisecond {
		t.Errorf("file wait: %s, want 250ms", d)
	}

	party := DefaultSchedule(&Step{Await: Await{Kind: AwaitParty, Typical: time.Minute}})
	other := Status{State: "pendingAcceptance", OtherParty: true}
	if d := party.Next(other, 10*time.Second); d != 2*time.Second {
		t.Errorf("party wait: %s, want 2s", d)
	}
	if d := party.Next(other, 10*time.Minute); d != 5*time.Second {
		t.Errorf("long party wait: %s, want 5s", d)
	}
	// Accepted: AWS provisions now, looked at as an AWS-side change from
	// this moment, however long the party took.
	if d := party.Next(Status{State: "pending"}, 10*time.Minute); d != time.Second {
		t.Errorf("after the party acted: %s, want 1s", d)
	}
}

// TestWakeLooksAgainAtOnce: a wait whose next look is an hour away looks
// again as soon as Env.Wake broadcasts (the demo's other party acted).
func TestWakeLooksAgainAtOnce(t *testing.T) {
	var polls atomic.Int32
	wake := NewSignal()
	flow := &Flow{Role: RoleConsumer, Steps: []*Step{{ID: "w", Title: "W", Kind: KindWait,
		Poll: func(context.Context, *Env, *Session) (Status, error) {
			return Status{Done: polls.Add(1) > 1, State: "waiting", OtherParty: true}, nil
		}}}}
	s, err := NewSession(t.TempDir(), RoleConsumer, t0)
	if err != nil {
		t.Fatal(err)
	}
	hour := &Backoff{Min: time.Hour, Max: time.Hour, Factor: 1}
	r := &Runner{Flow: flow, Session: s, Env: &Env{Wake: wake}, Backoff: func() *Backoff { return hour }}
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	for polls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Keep waking until the second look: the first broadcast may come
	// before the wait has started sleeping.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		wake.Broadcast()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-ctx.Done():
			t.Fatal("the wait did not look again when woken")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
