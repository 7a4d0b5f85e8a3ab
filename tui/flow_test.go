package tui

import (
	"bytes"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plwiz/plwiz/steps"
)

// probe keeps the last frame the program drew, so a test can wait for what
// the user would see (the renderer writes only changed cells, so the byte
// stream is no good for that). It wraps an App or the Demo.
type probe[M tea.Model] struct {
	m      M
	mu     sync.Mutex
	screen string
}

func (p *probe[M]) Init() tea.Cmd { return p.m.Init() }

func (p *probe[M]) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := p.m.Update(msg)
	return p, cmd
}

func (p *probe[M]) View() tea.View {
	v := p.m.View()
	p.mu.Lock()
	p.screen = plain(v.Content)
	p.mu.Unlock()
	return v
}

func (p *probe[M]) frame() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.screen
}

type flowRun struct {
	t  *testing.T
	tm *teatest.TestModel
	p  *probe[*App]
	s  *steps.Session
}

func startFlow(t *testing.T, flow *steps.Flow, w, h int) *flowRun {
	t.Helper()
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	m := New(flow, s, &steps.Env{Now: clk.Now}, testOpts())
	p := &probe[*App]{m: NewApp(m)}
	tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(w, h))
	return &flowRun{t: t, tm: tm, p: p, s: s}
}

// see waits until the screen shows every one of texts.
func (f *flowRun) see(texts ...string) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		fr := f.p.frame()
		ok := true
		for _, s := range texts {
			if !strings.Contains(fr, s) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("screen never showed %q; last frame:\n%s", texts, fr)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// output waits until the program has written want (escape sequences such
// as OSC 52 live only in the byte stream).
func (f *flowRun) output(want string) {
	f.t.Helper()
	teatest.WaitFor(f.t, f.tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(2*time.Millisecond))
}

func (f *flowRun) press(keys ...string) {
	for _, k := range keys {
		f.tm.Send(keyMsg(k))
	}
}

func (f *flowRun) typeText(s string) { f.tm.Type(s) }

func (f *flowRun) model() *Model {
	return f.tm.FinalModel(f.t, teatest.WithFinalTimeout(5*time.Second)).(*probe[*App]).m.Model
}

func osc52(s string) string { return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(s)) }

// TestFlowFirstStepToEnd drives the fake flow through every screen kind:
// a failed step with its hint and a retry, validation as typed, a resize
// mid-flow, copying with OSC 52, a reject that asks first and an accept.
func TestFlowFirstStepToEnd(t *testing.T) {
	world := newWorld()
	world.createFails = 1
	f := startFlow(t, fakeFlow(world), 80, 24)

	f.see("Ask AWS who you are", "step 1 of 10")
	f.press("enter")
	f.see("You are arn:aws:iam::111122223333:user/alice", "account 111122223333", "us-east-1 · 127.0.0.1:4566")
	f.press("enter")

	// Form: a disabled choice is refused, a bad principal is flagged as
	// typed, then the answers are taken.
	f.see("Load balancer", "old — provisioning, not active (not available)")
	f.press("down", "enter")
	// Refused as chosen (our line) or as entered (huh's), whichever frame
	// is drawn last; the choice stays on screen either way.
	f.see("old: provisioning, not active", "> old")
	f.press("down")
	f.see("enter select")
	f.press("enter")
	f.see("enter submit")
	f.typeText("12345")
	f.see(`"12345" is not a 12-digit account ID`)
	f.typeText("6789012")
	f.press("enter")

	// Action that fails with a hint, then a retry.
	f.see("Create a VPC endpoint service in front of arn:nlb/api")
	f.press("enter")
	f.see("✗ create endpoint service: UnauthorizedOperation", "hint: your role lacks ec2:CreateVpcEndpointServiceConfiguration", "r retry")

	// Resize mid-flow: the sidebar appears and the layout holds.
	f.tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	f.see("✗ Create the endpoint", "✓ Identity", "· Summary")
	assertFits(t, f.p.frame(), 120, 40)
	f.press("r")
	f.see("✓ Created vpce-svc-0abc.")
	f.press("enter")

	// The wait polls to done on its own; the TXT screen copies fields.
	f.see("Prove you own example.com", "_plwiz-abc.example.com", "✓ Service available")
	f.press("c")
	f.see("Copied Name to the clipboard")
	f.output(osc52("_plwiz-abc.example.com"))
	f.press("down", "down", "c")
	f.see("Copied Value to the clipboard")
	f.output(osc52("vpce:abcdefghij0123456789"))
	f.tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	f.see("step 5 of 10")
	f.press("enter")
	f.see("Route 53 reports INSYNC")
	f.press("enter")

	// Export: the token is shown and copied.
	f.see("One-line token", "/home/alice/plwiz/offer-vpce-svc-0abc.json")
	f.press("c")
	f.see("Copied the token")
	f.output(osc52("plwiz1.offer." + strings.Repeat("eyJzZXJ2aWNlIjoidnBjZS1zdmMtMGFiYyJ9", 3)))
	f.press("enter")

	// Import: validated as typed.
	f.see("Request file or token")
	f.typeText("nope")
	f.see("give a .json file or a token starting plwiz1.request.")
	f.press("backspace", "backspace", "backspace", "backspace")
	f.typeText("plwiz1.request.abc")
	f.press("enter")
	f.see("The consumer 444455556666 asks for vpce-0exp.")
	f.press("enter")

	// Table: reject asks first; accept the expected endpoint.
	f.see("vpce-0bad", "★ vpce-0exp")
	f.press("down", "r")
	f.see("Reject vpce-0bad? Rejecting cannot be undone.")
	f.press("y")
	f.see("Reject: rejected vpce-0bad")
	f.press("up", "a")
	f.see("Accept: accepted vpce-0exp", "Complete — press enter")
	f.press("enter")

	// Check: a failed check offers its fix; after it, all pass.
	f.see("✗ VPC DNS hostnames", "f: Turn on DNS hostnames")
	f.press("f")
	f.see("Turn on DNS hostnames? (for the check")
	f.press("y")
	f.see("2 passed, 0 failed, 1 skipped")
	f.press("enter")

	f.see("Everything is in place.", "api.example.com")
	f.press("enter")
	f.see("✓ Done.")
	f.press("enter")
	f.see("All done", "all 10 steps done")
	f.press("enter")

	m := f.model()
	if !m.Finished() || !m.Left() || m.ResumeCommand() != "" {
		t.Errorf("finished %v left %v resume %q", m.Finished(), m.Left(), m.ResumeCommand())
	}
	if !slices.Equal(world.rejected, []string{"vpce-0bad"}) || !slices.Equal(world.accepted, []string{"vpce-0exp"}) {
		t.Errorf("rejected %v accepted %v", world.rejected, world.accepted)
	}
	saved, err := steps.LoadSession(f.s.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range fakeFlow(world).Steps {
		if got := saved.Step(st.ID).State; got != steps.StateDone {
			t.Errorf("step %s saved as %s", st.ID, got)
		}
	}
	if saved.Input("nlb") != "arn:nlb/api" || saved.Input("principals") != "123456789012" || saved.Input("request") != "plwiz1.request.abc" {
		t.Errorf("inputs saved: %v", saved.Inputs)
	}
}

// TestFlowRejectDeclined: answering no to the reject question does nothing.
func TestFlowRejectDeclined(t *testing.T) {
	world := newWorld()
	flow := fakeFlow(world)
	s := newSession(t, flow, steps.StepConnections)
	expectEndpoint(s)
	m := New(flow, s, &steps.Env{Now: (&clock{t: t0}).Now}, testOpts())
	h := newHarness(t, m, 80, 24)
	untilRows(h)
	h.key("down", "r")
	h.untilScreen("Reject vpce-0bad? Rejecting cannot be undone.")
	h.key("n")
	if strings.Contains(plain(m.View()), "Reject vpce-0bad?") {
		t.Fatalf("question still shown:\n%s", plain(m.View()))
	}
	// Selected rows are what an action applies to.
	h.key("space", "space", "a")
	h.untilScreen("Accept: accepted vpce-0bad, vpce-0old")
	world.mu.Lock()
	defer world.mu.Unlock()
	if len(world.rejected) != 0 || !slices.Equal(world.accepted, []string{"vpce-0bad", "vpce-0old"}) {
		t.Errorf("rejected %v accepted %v", world.rejected, world.accepted)
	}
}

// TestFlowCtrlCLeaves: ctrl+c asks; yes saves and gives the resume command.
func TestFlowCtrlCLeaves(t *testing.T) {
	f := startFlow(t, fakeFlow(newWorld()), 80, 24)
	f.see("Ask AWS who you are")
	f.press("enter")
	f.see("You are arn")
	f.press("enter")
	f.see("Load balancer")
	f.press("ctrl+c")
	want := "plwiz provider --resume --session " + f.s.ID
	f.see("Leave plwiz? Your progress is saved.", "y: yes")
	if !strings.Contains(strings.Join(strings.Fields(f.p.frame()), ""), strings.Join(strings.Fields(want), "")) {
		t.Errorf("the question does not show %q:\n%s", want, f.p.frame())
	}
	f.press("y")
	m := f.model()
	if !m.Left() || m.Finished() || m.ResumeCommand() != want {
		t.Errorf("left %v finished %v resume %q", m.Left(), m.Finished(), m.ResumeCommand())
	}
	saved, err := steps.LoadSession(f.s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if saved.Step(steps.StepIdentity).State != steps.StateDone || saved.Account != "111122223333" {
		t.Errorf("saved: identity %s account %q", saved.Step(steps.StepIdentity).State, saved.Account)
	}
}

// TestCtrlCWhileWorking: leaving cancels the step in flight; it is saved as
// not done, to run again on resume, and a second ctrl+c answers the
// question.
func TestCtrlCWhileWorking(t *testing.T) {
	started := make(chan struct{})
	flow := &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{{
		ID: "slow", Title: "Slow", Kind: steps.KindWait,
		Do: func(ctx context.Context, _ *steps.Env, _ *steps.Session) (steps.Result, error) {
			close(started)
			<-ctx.Done()
			return steps.Result{}, ctx.Err()
		},
		Poll: func(context.Context, *steps.Env, *steps.Session) (steps.Status, error) {
			return steps.Status{Done: true}, nil
		},
	}}}
	f := startFlow(t, flow, 80, 24)
	<-started
	f.see("Working…")
	f.press("ctrl+c")
	f.see("Leave plwiz?")
	f.press("ctrl+c")
	m := f.model()
	if !m.Left() {
		t.Fatal("not left")
	}
	saved, err := steps.LoadSession(f.s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Step("slow").State; got != steps.StatePending {
		t.Errorf("interrupted step saved as %s, want pending", got)
	}
}

// assertFits checks a frame is exactly h lines, none wider than w.
func assertFits(t testing.TB, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d wide, more than %d: %q", i, n, w, l)
		}
	}
}
