package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/steps"
)

func runLines(t *testing.T, world *fakeWorld, input string) (Outcome, string, *steps.Session) {
	t.Helper()
	return runFlowLines(t, fakeFlow(world), input)
}

// runFlowLines answers flow's line prompts with input, from a fresh
// session.
func runFlowLines(t *testing.T, flow *steps.Flow, input string) (Outcome, string, *steps.Session) {
	t.Helper()
	s := freshSession(t, flow)
	var out bytes.Buffer
	o, err := Run(context.Background(), flow, s, &steps.Env{Now: (&clock{t: t0}).Now},
		Options{Accessible: true, Backoff: testOpts().Backoff}, IO{In: strings.NewReader(input), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return o, out.String(), s
}

// TestAccessibleWholeFlow answers the line prompts from the first step to
// the end: a refused choice, a bad value asked again, a failed step with
// its hint and a retry, a reject confirmed, an accept, and a fix.
func TestAccessibleWholeFlow(t *testing.T) {
	world := newWorld()
	world.createFails = 1
	input := strings.Join([]string{
		"2", "3", // the disabled load balancer is refused; then api
		"12345", "123456789012", // a bad principal is asked again
		"y",                // try the failed create again
		"plwiz1.request.x", // the request
		"r 2", "y",         // reject vpce-0bad, confirmed
		"a 1", "done", // accept vpce-0exp
		"y", // turn on DNS hostnames
	}, "\n") + "\n"
	o, out, s := runLines(t, world, input)
	if !o.Finished || o.ResumeCommand != "" {
		t.Fatalf("outcome %+v\n%s", o, out)
	}
	for _, want := range []string{
		"Step 1 of 10: Identity",
		"✓ You are arn:aws:iam::111122223333:user/alice in us-east-1.",
		"2. old — provisioning, not active (not available)",
		"provisioning, not active",
		`"12345" is not a 12-digit account ID or an IAM ARN`,
		"✗ create endpoint service: UnauthorizedOperation",
		"hint: your role lacks ec2:CreateVpcEndpointServiceConfiguration",
		"Try again? [y/n]",
		"✓ Created vpce-svc-0abc.",
		"✓ The service is Available.",
		"Value: vpce:abcdefghij0123456789",
		"token: plwiz1.offer.",
		"2. vpce-0bad | 999988887777 | pendingAcceptance — not named in the request",
		"Reject vpce-0bad? Rejecting cannot be undone. [y/n]",
		"✓ Reject: rejected vpce-0bad",
		"1. vpce-0exp | 444455556666 | available (expected)",
		"✗ VPC DNS hostnames: expected on, saw off",
		"✓ Turn on DNS hostnames: done; checking again",
		"All steps done.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("accessible output has escape sequences:\n%q", out)
	}
	if s.Input("nlb") != "arn:nlb/api" || s.Input("principals") != "123456789012" {
		t.Errorf("inputs %v", s.Inputs)
	}
	if !slices.Equal(world.rejected, []string{"vpce-0bad"}) || !slices.Equal(world.accepted, []string{"vpce-0exp"}) {
		t.Errorf("rejected %v accepted %v", world.rejected, world.accepted)
	}
	saved, err := steps.LoadSession(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Finished() {
		t.Errorf("saved session not finished: %+v", saved.Steps)
	}
	if t.Failed() {
		t.Log(out)
	}
}

// TestAccessibleInputEnds: when input ends the session is saved and the
// resume command printed.
func TestAccessibleInputEnds(t *testing.T) {
	o, out, s := runLines(t, newWorld(), "3\n")
	want := "plwiz provider --resume --session " + s.ID + " --accessible"
	if o.Finished || !o.Left || o.ResumeCommand != want || !strings.Contains(out, "resume with: "+want) {
		t.Fatalf("outcome %+v\n%s", o, out)
	}
	saved, err := steps.LoadSession(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if saved.Step(steps.StepIdentity).State != steps.StateDone || saved.Step(steps.StepChooseNLB).State.Finished() {
		t.Errorf("saved steps %+v", saved.Steps)
	}
}

// recoverFlow is an endpoint made and then waited for: the first one is
// rejected, and the failed wait's way forward resets the session to make
// a new one, as the consumer's flow does after a rejection.
func recoverFlow(creates *int) *steps.Flow {
	return &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{
		{ID: "make", Title: "Create the endpoint", Kind: steps.KindAction,
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				*creates++
				id := fmt.Sprintf("vpce-%d", *creates)
				s.SetResource("endpoint", id)
				return steps.Result{Detail: "created " + id}, nil
			}},
		{ID: "wait", Title: "Wait for the provider to accept", Kind: steps.KindWait,
			Poll: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Status, error) {
				if s.Resource("endpoint") != "vpce-1" {
					return steps.Status{Done: true, State: "available", Detail: s.Resource("endpoint") + " is available"}, nil
				}
				return steps.Status{Failed: true, State: "rejected", Detail: "the provider rejected vpce-1", Hint: "A rejected endpoint stays rejected.",
					Recover: &steps.Fix{Label: "create a new endpoint and send a new request", Do: func(_ context.Context, _ *steps.Env, s *steps.Session) error {
						for _, id := range []string{"make", "wait"} {
							s.Steps[id] = &steps.StepRecord{State: steps.StatePending}
						}
						return nil
					}}}, nil
			}},
	}}
}

func runRecoverLines(t *testing.T, input string) (Outcome, string, *steps.Session, int) {
	t.Helper()
	creates := 0
	o, out, s := runFlowLines(t, recoverFlow(&creates), input)
	return o, out, s, creates
}

// TestAccessibleFailedWaitOffersItsWayForward: a rejected endpoint's wait
// asks whether to create a new one; yes runs it and the flow goes on from
// the step it reset, to the end.
func TestAccessibleFailedWaitOffersItsWayForward(t *testing.T) {
	o, out, s, creates := runRecoverLines(t, "y\n")
	if !o.Finished || creates != 2 {
		t.Fatalf("outcome %+v, %d endpoints created\n%s", o, creates, out)
	}
	wantInOrder(t, out,
		"Step 1 of 2: Create the endpoint", "✓ created vpce-1",
		"Step 2 of 2: Wait for the provider to accept", "✗ the provider rejected vpce-1", "hint: A rejected endpoint stays rejected.",
		"create a new endpoint and send a new request? [y/n]", "✓ create a new endpoint and send a new request: going on from there",
		"Step 1 of 2: Create the endpoint", "✓ created vpce-2",
		"Step 2 of 2: Wait for the provider to accept", "✓ vpce-2 is available",
		"All steps done.")
	if strings.Contains(out, "Try again?") {
		t.Errorf("asked to try again after the way forward ran:\n%s", out)
	}
	saved, err := steps.LoadSession(s.Path())
	if err != nil || saved.Step("wait").State != steps.StateDone || saved.Resource("endpoint") != "vpce-2" {
		t.Errorf("saved %+v, %v", saved, err)
	}
}

// TestAccessibleFailedWaitWayForwardDeclined: no to the way forward falls
// back to trying again, and no to that stops with the resume command.
func TestAccessibleFailedWaitWayForwardDeclined(t *testing.T) {
	o, out, s, creates := runRecoverLines(t, "n\nn\n")
	if o.Finished || !o.Left || creates != 1 {
		t.Fatalf("outcome %+v, %d endpoints created\n%s", o, creates, out)
	}
	wantInOrder(t, out, "create a new endpoint and send a new request? [y/n]", "Try again? [y/n]",
		"resume with: plwiz consumer --resume --session "+s.ID+" --accessible")
}

// wantInOrder fails unless out has each of wants, one after another.
func wantInOrder(t *testing.T, out string, wants ...string) {
	t.Helper()
	rest := out
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q after what came before:\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

// TestAccessibleCtrlCWhileAsking: ctrl+c (the context ending) while a
// prompt waits for a line stops at once, saved, with the resume command;
// it does not wait for enter.
func TestAccessibleCtrlCWhileAsking(t *testing.T) {
	flow := fakeFlow(newWorld())
	s := freshSession(t, flow)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in, keys := io.Pipe() // a terminal where nobody types
	defer keys.Close()
	outR, outW := io.Pipe()
	prompted, text := make(chan struct{}), make(chan string)
	go func() { // the screen: what the driver printed, and when it asks
		var all []byte
		buf := make([]byte, 256)
		asked := false
		for {
			n, err := outR.Read(buf)
			all = append(all, buf[:n]...)
			if !asked && bytes.Contains(all, []byte("Enter a number: ")) {
				close(prompted)
				asked = true
			}
			if err != nil {
				text <- string(all)
				return
			}
		}
	}()
	done := make(chan Outcome, 1)
	go func() {
		o, err := Run(ctx, flow, s, &steps.Env{Now: (&clock{t: t0}).Now}, Options{Accessible: true, Backoff: testOpts().Backoff}, IO{In: in, Out: outW})
		if err != nil {
			t.Error(err)
		}
		outW.Close()
		done <- o
	}()
	select {
	case <-prompted:
	case <-time.After(5 * time.Second):
		t.Fatal("no prompt")
	}
	cancel()
	select {
	case o := <-done:
		out := <-text
		if o.Finished || !o.Left || o.ResumeCommand != "plwiz provider --resume --session "+s.ID+" --accessible" {
			t.Errorf("outcome %+v", o)
		}
		if !strings.Contains(out, "Stopped. Your progress is saved; resume with: plwiz provider --resume --session "+s.ID+" --accessible") {
			t.Errorf("output:\n%s", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting for a line after ctrl+c")
	}
	saved, err := steps.LoadSession(s.Path())
	if err != nil || saved.Step(steps.StepIdentity).State != steps.StateDone {
		t.Errorf("saved %+v, %v", saved, err)
	}
}
