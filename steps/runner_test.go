package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// noSleep lets waits run without real time passing.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newRunner(t *testing.T, flow *Flow) (*Runner, *bytes.Buffer) {
	t.Helper()
	s, err := NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	return &Runner{Flow: flow, Session: s, Env: &Env{Now: func() time.Time { return t0 }}, Out: &out, Sleep: noSleep}, &out
}

func TestRunnerRunsStepsInOrderAndSavesEach(t *testing.T) {
	var order []string
	polls := 0
	flow := &Flow{Role: RoleProvider, Steps: []*Step{
		{ID: "a", Title: "First", Kind: KindAction, Do: func(context.Context, *Env, *Session) (Result, error) {
			order = append(order, "a")
			return Result{Detail: "made \x1b[31mthing"}, nil
		}},
		{ID: "b", Title: "Skipped", Kind: KindAction, Skip: func(*Session) bool { return true }},
		{ID: "c", Title: "Wait", Kind: KindWait, Poll: func(context.Context, *Env, *Session) (Status, error) {
			polls++
			return Status{Done: polls == 3, State: "pending", Detail: "still going"}, nil
		}},
	}}
	r, out := newRunner(t, flow)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if polls != 3 || len(order) != 1 {
		t.Errorf("polls %d, order %v", polls, order)
	}
	want := "✓ First: made [31mthing\n– Skipped (skipped)\n✓ Wait: still going\n"
	if out.String() != want {
		t.Errorf("output\n%q\nwant\n%q", out.String(), want)
	}
	loaded, err := LoadSession(r.Session.Path())
	if err != nil {
		t.Fatal(err)
	}
	for id, st := range map[string]StepState{"a": StateDone, "b": StateSkipped, "c": StateDone} {
		if got := loaded.Step(id).State; got != st {
			t.Errorf("step %s saved as %s, want %s", id, got, st)
		}
	}
}

func TestRunnerResumesAtFirstUnfinishedStep(t *testing.T) {
	ran := map[string]int{}
	mk := func(id string, fail bool) *Step {
		return &Step{ID: id, Title: id, Kind: KindAction, Do: func(context.Context, *Env, *Session) (Result, error) {
			ran[id]++
			if fail && ran[id] == 1 {
				return Result{}, errors.New("boom")
			}
			return Result{}, nil
		}}
	}
	flow := &Flow{Role: RoleConsumer, Steps: []*Step{mk("a", false), mk("b", true), mk("c", false)}}
	r, _ := newRunner(t, flow)
	err := r.Run(context.Background())
	var re *RunError
	if !errors.As(err, &re) || re.Code != ExitFailed || re.Step != "b" {
		t.Fatalf("first run: %v", err)
	}
	resumed, err := LoadSession(r.Session.Path())
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Step("b").State != StateFailed || resumed.Step("b").Error != "boom" {
		t.Errorf("failed step saved as %+v", resumed.Step("b"))
	}
	r2 := &Runner{Flow: flow, Session: resumed, Env: r.Env, Sleep: noSleep}
	if err := r2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ran["a"] != 1 || ran["b"] != 2 || ran["c"] != 1 {
		t.Errorf("runs %v: a resumed flow must not redo finished steps", ran)
	}
}

func TestRunnerExitCodes(t *testing.T) {
	tests := []struct {
		name string
		step *Step
		yes  bool
		set  map[string]string
		code int
		want string
	}{
		{"missing input", &Step{ID: "x", Title: "X", Inputs: []Input{{Key: "nlb", Label: "NLB", Flag: "nlb", Required: true}}}, false, nil, ExitBadInput, "missing --nlb"},
		{"invalid input", &Step{ID: "x", Title: "X", Inputs: []Input{{Key: "pre", Label: "Port", Validate: func(string) error { return errors.New("not a port") }}}}, false, map[string]string{"pre": "99999"}, ExitBadInput, "Port: not a port"},
		{"confirm", &Step{ID: "x", Title: "X", Confirm: "Reject? It cannot be undone."}, false, nil, ExitBadInput, "needs confirmation: Reject?"},
		{"bad input from Do", &Step{ID: "x", Title: "X", Do: func(context.Context, *Env, *Session) (Result, error) {
			return Result{}, badInputf("offer file: not an offer")
		}}, true, nil, ExitBadInput, "offer file: not an offer"},
		{"fatal check", &Step{ID: "x", Title: "X", Do: func(context.Context, *Env, *Session) (Result, error) {
			return Result{Checks: []CheckResult{{Name: "owner", Fatal: true, Expected: "111", Seen: "333"}}}, nil
		}}, true, nil, ExitFailed, "a check that must pass failed"},
		{"poll failed", &Step{ID: "x", Title: "X", Poll: func(context.Context, *Env, *Session) (Status, error) {
			return Status{Failed: true, Detail: "endpoint rejected", Hint: "create a new endpoint"}, nil
		}}, true, nil, ExitFailed, "endpoint rejected (create a new endpoint)"},
		{"other party timeout", &Step{ID: "x", Title: "X", Poll: func(context.Context, *Env, *Session) (Status, error) {
			return Status{State: "pendingAcceptance", Detail: "waiting for the provider to accept", OtherParty: true}, nil
		}}, true, nil, ExitTimedOut, "timed out waiting after 50ms; last seen: waiting for the provider to accept"},
		{"own timeout", &Step{ID: "x", Title: "X", Poll: func(context.Context, *Env, *Session) (Status, error) {
			return Status{State: "Pending", Detail: "service pending"}, nil
		}}, true, nil, ExitFailed, "timed out waiting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, out := newRunner(t, &Flow{Role: RoleProvider, Steps: []*Step{tt.step}})
			r.AssumeYes = tt.yes
			for k, v := range tt.set {
				r.Session.SetInput(k, v)
			}
			r.WaitTimeout = 50 * time.Millisecond
			r.Sleep = sleepCtx
			r.Backoff = func() *Backoff { return &Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond, Factor: 2} }
			err := r.Run(context.Background())
			var re *RunError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a RunError", err)
			}
			if re.Code != tt.code || !strings.Contains(re.Error(), tt.want) {
				t.Errorf("code %d error %q, want %d containing %q", re.Code, re.Error(), tt.code, tt.want)
			}
			if !strings.Contains(out.String(), "✗ X") {
				t.Errorf("output %q lacks the failed step", out.String())
			}
		})
	}
}

func TestRunnerJSONLines(t *testing.T) {
	flow := &Flow{Role: RoleConsumer, Steps: []*Step{
		{ID: "check", Title: "Check", Kind: KindCheck, Do: func(context.Context, *Env, *Session) (Result, error) {
			return Result{Checks: []CheckResult{{Name: "dns", Passed: true}, {Name: "tls", Expected: "api.example.com", Seen: "other\x07.com", Hint: "fix cert"}}}, nil
		}},
		{ID: "export", Title: "Export", Kind: KindHandoff, Do: func(context.Context, *Env, *Session) (Result, error) {
			return Result{Export: &Export{Path: "/tmp/r.json", Token: "plwiz1.request.abc"}}, nil
		}},
	}}
	r, out := newRunner(t, flow)
	r.JSON = true
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), out.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	checks := first["checks"].([]any)
	if first["step"] != "check" || first["state"] != "done" || len(checks) != 2 {
		t.Errorf("first line %v", first)
	}
	if seen := checks[1].(map[string]any)["seen"]; seen != "other.com" {
		t.Errorf("control character not stripped: %q", seen)
	}
	if exp := second["export"].(map[string]any); exp["token"] != "plwiz1.request.abc" || exp["path"] != "/tmp/r.json" {
		t.Errorf("export %v", exp)
	}
}

func TestSanitize(t *testing.T) {
	if got := Sanitize("a\x1b]52;c;evil\x07b\nc\u009bd"); got != "a]52;c;evilb cd" {
		t.Errorf("got %q", got)
	}
}
