package tui

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/plwiz/plwiz/steps"
)

// The rule: before Do, every step asks each input the session has no
// answer for yet, optional ones included, with its Default of the moment;
// an input answered before (a flag, the demo, a resumed session) is not
// asked again.

// seenInputs is what the steps' Do saw, read after the flow moved on.
type seenInputs struct {
	mu    sync.Mutex
	write string
	path  string
	runs  int
}

func (s *seenInputs) get() (write, path string, runs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write, s.path, s.runs
}

// optionalFlow finds (or not) a hosted zone, then publishes a TXT record,
// asking whether to write it (Yes proposed only when a zone was found) and
// for an optional comment, then runs a check with an optional HTTP path.
func optionalFlow(zoneFound bool, seen *seenInputs) *steps.Flow {
	return &steps.Flow{Role: steps.RoleProvider, Steps: []*steps.Step{
		{ID: "zone", Title: "Find the hosted zone", Kind: steps.KindAction,
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				if zoneFound {
					s.SetResource("zone", "Z0123")
					return steps.Result{Detail: "zone Z0123"}, nil
				}
				return steps.Result{Detail: "no zone"}, nil
			}},
		{ID: "txt", Title: "Publish the TXT record", Kind: steps.KindAction,
			Inputs: []steps.Input{
				{Key: "write", Label: "Write the record to Route 53 now", Type: steps.InputConfirm,
					Default: func(s *steps.Session) string { return strconv.FormatBool(s.Resource("zone") != "") }},
				{Key: "comment", Label: "Comment (optional)", Type: steps.InputText},
			},
			Describe: func(s *steps.Session) string { return "write the record: " + s.Input("write") },
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				seen.mu.Lock()
				defer seen.mu.Unlock()
				seen.write = s.Input("write")
				seen.runs++
				return steps.Result{Detail: "published"}, nil
			}},
		{ID: "probe", Title: "Connectivity test", Kind: steps.KindCheck,
			Inputs: []steps.Input{{Key: "path", Label: "HTTP path to request (optional)", Type: steps.InputText,
				Default: func(*steps.Session) string { return "/health" }}},
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				seen.mu.Lock()
				defer seen.mu.Unlock()
				seen.path = s.Input("path")
				return steps.Result{Checks: []steps.CheckResult{{Name: "HTTP GET " + s.Input("path"), Passed: true}}}, nil
			}},
	}}
}

func inputKeys(ins []steps.Input) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.Key)
	}
	return out
}

// TestInputsToAskByAnswer: a form asks all its inputs, answered or not;
// other steps ask what has no answer yet, optional or required, and an
// optional input answered empty counts as answered, a required one not.
func TestInputsToAskByAnswer(t *testing.T) {
	action := &steps.Step{ID: "a", Kind: steps.KindAction, Inputs: []steps.Input{
		{Key: "opt", Type: steps.InputConfirm},
		{Key: "emptyOpt", Type: steps.InputText},
		{Key: "req", Type: steps.InputText, Required: true},
		{Key: "given", Type: steps.InputText, Required: true},
	}}
	form := &steps.Step{ID: "f", Kind: steps.KindForm, Inputs: action.Inputs}
	flow := &steps.Flow{Role: steps.RoleProvider, Steps: []*steps.Step{action, form}}
	s := freshSession(t, flow)
	s.SetInput("emptyOpt", "")
	s.SetInput("req", "")
	s.SetInput("given", "x")
	if got, want := inputKeys(steps.InputsToAsk(action, s)), []string{"opt", "req"}; !slices.Equal(got, want) {
		t.Errorf("action asks %v, want %v", got, want)
	}
	if got, want := inputKeys(steps.InputsToAsk(form, s)), []string{"opt", "emptyOpt", "req", "given"}; !slices.Equal(got, want) {
		t.Errorf("form asks %v, want %v", got, want)
	}
	s.SetInput("opt", "false")
	s.SetInput("req", "y")
	if got := steps.InputsToAsk(action, s); len(got) != 0 {
		t.Errorf("action asks %v once all are answered", inputKeys(got))
	}
}

// TestOptionalInputsAskedWithTheirDefault: in the full screen, an action
// step shows its optional confirm with the Default of the moment (Yes,
// since the step before found a zone) and its optional comment; enter
// takes them, the description follows, and Do sees the answer. The check
// step after it proposes its HTTP path the same way.
func TestOptionalInputsAskedWithTheirDefault(t *testing.T) {
	for _, zone := range []bool{true, false} {
		t.Run("zone found "+strconv.FormatBool(zone), func(t *testing.T) {
			seen := &seenInputs{}
			m, h, s := harnessFor(t, optionalFlow(zone, seen), nil, 100, 30)
			h.until("the zone step's result", inPhase("zone", phaseResult))
			h.key("enter")
			h.until("the TXT questions", inPhase("txt", phaseInput))
			h.untilScreen("Write the record to Route 53 now")
			h.untilScreen("Comment (optional)")
			want := strconv.FormatBool(zone)
			if got := m.cur.form.value(m.cur.st.Inputs[0]); got != want {
				t.Errorf("write proposed %q, want %q (from the zone found by the step before)", got, want)
			}
			h.key("enter", "enter")
			h.until("the go-ahead", inPhase("txt", phaseReady))
			h.untilScreen("write the record: " + want)
			if v, ok := s.Inputs["comment"]; !ok || v != "" {
				t.Errorf("comment recorded %q, %v; want answered empty", v, ok)
			}
			h.key("enter")
			h.until("the TXT result", inPhase("txt", phaseResult))
			if write, _, _ := seen.get(); write != want {
				t.Errorf("Do saw write %q, want %q", write, want)
			}
			h.key("enter")
			h.until("the HTTP path question", inPhase("probe", phaseInput))
			h.untilScreen("HTTP path to request (optional)")
			h.key("enter")
			h.until("the check's result", inPhase("probe", phaseResult))
			h.untilScreen("HTTP GET /health")
			if _, path, _ := seen.get(); path != "/health" {
				t.Errorf("Do saw path %q, want the proposed /health", path)
			}
		})
	}
}

// TestAnsweredOptionalInputsNotAskedAgain: answers already in the session
// (flags, the demo, a resumed session) go straight to the go-ahead and
// the check, with no form, and Do uses them even where the Default would
// say otherwise.
func TestAnsweredOptionalInputsNotAskedAgain(t *testing.T) {
	seen := &seenInputs{}
	flow := optionalFlow(true, seen)
	s := freshSession(t, flow)
	s.SetInput("write", "false") // the Default would be true: a zone is found
	s.SetInput("comment", "")
	s.SetInput("path", "/ready")
	m := New(flow, s, nil, testOpts())
	h := newHarness(t, m, 100, 30)
	h.until("the zone step's result", inPhase("zone", phaseResult))
	h.key("enter")
	h.until("the TXT go-ahead", func(m *Model) bool { return m.cur.st.ID == "txt" && m.cur.phase != phaseStarting && !m.busy })
	if m.cur.phase != phaseReady || m.cur.stages != 0 {
		t.Fatalf("txt in phase %v with forms %v; want the go-ahead, nothing asked", m.cur.phase, m.cur.stages)
	}
	h.key("enter")
	h.until("the TXT result", inPhase("txt", phaseResult))
	h.key("enter")
	h.until("the check's result", func(m *Model) bool { return m.cur.st.ID == "probe" && m.cur.phase == phaseResult && !m.busy })
	if m.cur.stages != 0 {
		t.Errorf("the check asked %v", m.cur.stages)
	}
	if write, path, runs := seen.get(); write != "false" || path != "/ready" || runs != 1 {
		t.Errorf("Do saw write %q, path %q, %d runs; want the answers given", write, path, runs)
	}
}

// TestAccessibleAsksOptionalInputs: the line driver asks the same
// questions, says what an empty line takes ([Y/n], [/health]), and
// records the answers; an answered input is not asked.
func TestAccessibleAsksOptionalInputs(t *testing.T) {
	seen := &seenInputs{}
	// Yes proposed: an empty line takes it; no comment; the path typed.
	o, out, s := runFlowLines(t, optionalFlow(true, seen), "\n\n/ready\n")
	if !o.Finished {
		t.Fatalf("outcome %+v\n%s", o, out)
	}
	wantInOrder(t, out, "Step 2 of 3: Publish the TXT record", "write the record: \n",
		"Write the record to Route 53 now [Y/n]", "Comment (optional):",
		"write the record: true", "✓ published",
		"HTTP path to request (optional) [/health]:", "✓ HTTP GET /ready")
	if write, path, _ := seen.get(); write != "true" || path != "/ready" || s.Input("write") != "true" {
		t.Errorf("Do saw write %q, path %q; session %v", write, path, s.Inputs)
	}

	// No zone: No is proposed; an empty path takes /health. The comment,
	// answered before, is not asked.
	seen = &seenInputs{}
	flow := optionalFlow(false, seen)
	s = freshSession(t, flow)
	s.SetInput("comment", "from a flag")
	o, out = runLinesOn(t, flow, s, "\n\n")
	if !o.Finished {
		t.Fatalf("outcome %+v\n%s", o, out)
	}
	wantInOrder(t, out, "Write the record to Route 53 now [y/N]", "write the record: false", "[/health]:", "✓ HTTP GET /health")
	if write, path, _ := seen.get(); write != "false" || path != "/health" {
		t.Errorf("Do saw write %q, path %q", write, path)
	}
	if got := strings.Count(out, "Comment (optional)"); got != 0 {
		t.Errorf("the answered comment was asked %d times:\n%s", got, out)
	}
}

// runLinesOn answers flow's line prompts with input, continuing s.
func runLinesOn(t *testing.T, flow *steps.Flow, s *steps.Session, input string) (Outcome, string) {
	t.Helper()
	var out bytes.Buffer
	o, err := Run(context.Background(), flow, s, &steps.Env{Now: (&clock{t: t0}).Now},
		Options{Accessible: true, Backoff: testOpts().Backoff}, IO{In: strings.NewReader(input), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return o, out.String()
}
