package tui

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/plwiz/plwiz/steps"
)

func runLines(t *testing.T, world *fakeWorld, input string) (Outcome, string, *steps.Session) {
	t.Helper()
	flow := fakeFlow(world)
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
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
		"Reject 1 row(s)? Rejecting cannot be undone. [y/n]",
		"✓ Reject: rejected vpce-0bad",
		"1. vpce-0exp | 444455556666 | available (expected)",
		"✗ VPC DNS hostnames: expected on, saw off",
		"✓ Turn on DNS hostnames: done; checking again.",
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
	want := "plwiz provider --resume --session " + s.ID
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
