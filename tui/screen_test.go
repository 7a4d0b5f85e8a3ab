package tui

import (
	"context"
	"fmt"
	"image/color"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/steps"
)

// TestLayoutFitsEverySize: every screen fills exactly its size at and above
// 80x24, also after resizes and with the full help open.
func TestLayoutFitsEverySize(t *testing.T) {
	sizes := [][2]int{{80, 24}, {99, 30}, {100, 30}, {120, 40}, {200, 50}}
	for _, sc := range scenes() {
		t.Run(sc.name, func(t *testing.T) {
			hs := startScene(t, sc, 120, 40, goldenOpts())
			for _, sz := range sizes {
				hs.m.SetSize(sz[0], sz[1])
				assertFits(t, plain(hs.m.View()), sz[0], sz[1])
			}
			if hs.m.confirm == nil && (hs.m.cur == nil || hs.m.cur.phase != phaseInput) {
				hs.key("?")
				for _, sz := range sizes {
					hs.m.SetSize(sz[0], sz[1])
					assertFits(t, plain(hs.m.View()), sz[0], sz[1])
				}
			}
		})
	}
}

func TestSidebarCollapsesWhenNarrow(t *testing.T) {
	hs := startScene(t, scenes()[2], 120, 40, goldenOpts())
	if v := plain(hs.m.View()); !strings.Contains(v, "✓ Identity") || strings.Contains(v, "step 3 of 10") {
		t.Errorf("wide: want the sidebar:\n%s", v)
	}
	hs.m.SetSize(80, 24)
	if v := plain(hs.m.View()); strings.Contains(v, "✓ Identity") || !strings.Contains(v, "step 3 of 10") {
		t.Errorf("narrow: want the progress line instead of the sidebar:\n%s", v)
	}
}

func TestHelpToggle(t *testing.T) {
	hs := startScene(t, scene{name: "table", upTo: steps.StepConnections, sess: expectEndpoint, drive: untilRows}, 120, 40, goldenOpts())
	if v := plain(hs.m.View()); strings.Contains(v, "page up") {
		t.Fatalf("short help shows the full list:\n%s", v)
	}
	hs.key("?")
	if v := plain(hs.m.View()); !strings.Contains(v, "page up") || !strings.Contains(v, "sort order") {
		t.Errorf("full help missing keys:\n%s", v)
	}
}

// sgr matches SGR sequences; colourParam finds a colour among their
// parameters.
var (
	sgr       = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)
	colourSGR = regexp.MustCompile(`^(3[0-9]|4[0-9]|9[0-7]|10[0-7])$`)
)

func hasColour(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			if colourSGR.MatchString(p) {
				return true
			}
		}
	}
	return false
}

func TestNoColor(t *testing.T) {
	for _, sc := range scenes() {
		t.Run(sc.name, func(t *testing.T) {
			coloured := startScene(t, sc, 120, 40, goldenOpts())
			if !hasColour(coloured.m.View()) {
				t.Errorf("the default theme drew no colour at all; the check below would prove nothing")
			}
			opts := goldenOpts()
			opts.NoColor = true
			bw := startScene(t, sc, 120, 40, opts)
			if v := bw.m.View(); hasColour(v) {
				t.Errorf("NoColor view has colour: %q", v)
			}
			if plain(bw.m.View()) != plain(coloured.m.View()) {
				t.Errorf("NoColor changes the text:\n%s\nvs\n%s", plain(bw.m.View()), plain(coloured.m.View()))
			}
		})
	}
}

func TestNoColorFromEnv(t *testing.T) {
	env := map[string]string{"NO_COLOR": "1"}
	if !NoColorFromEnv(func(k string) string { return env[k] }) || NoColorFromEnv(func(string) string { return "" }) {
		t.Error("NO_COLOR not honoured")
	}
}

// TestControlCharactersStripped: text from AWS or files cannot drive the
// terminal (clear the screen, set the clipboard, ring the bell).
func TestControlCharactersStripped(t *testing.T) {
	evil := "x\x1b[2J\x1b]52;c;ZXZpbA==\x07\u009b31m\r"
	flow := &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{
		{ID: "a", Title: "Action" + evil, Kind: steps.KindAction,
			Describe: func(*steps.Session) string { return "describe" + evil + "\nline two" + evil },
			Fields: func(*steps.Session) []steps.Field {
				return []steps.Field{{Label: "L" + evil, Value: "v" + evil, Copyable: true}}
			},
			Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
				return steps.Result{}, hintErr("failed"+evil, "hint"+evil)
			}},
		{ID: "t", Title: "Table", Kind: steps.KindTable, Table: &steps.Table{
			Columns: []string{"C" + evil},
			Rows: func(context.Context, *steps.Env, *steps.Session) ([]steps.Row, error) {
				return []steps.Row{{ID: "r", Cells: []string{"cell" + evil}, Note: "note" + evil, State: "s" + evil}}, nil
			}}},
	}}
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	s.Account = "1111" + evil
	m := New(flow, s, &steps.Env{Now: (&clock{t: t0}).Now}, goldenOpts())
	h := newHarness(t, m, 120, 40)
	check := func(when string) {
		t.Helper()
		v := sgr.ReplaceAllString(m.View(), "")
		for i, r := range v {
			if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("%s: control character %q at %d in\n%q", when, r, i, v)
			}
		}
		if !strings.Contains(v, "describex[2J]52;c;ZXZpbA==31m") {
			t.Fatalf("%s: the text around the controls is gone:\n%s", when, v)
		}
	}
	h.until("the action", inPhase("a", phaseReady))
	check("ready")
	h.key("enter")
	h.until("the failure", inPhase("a", phaseFailed))
	check("failed")
	if v := plain(m.View()); !strings.Contains(v, "hintx[2J]52;c;ZXZpbA==31m") {
		t.Errorf("hint not shown:\n%s", v)
	}
}

// TestStaleAndForeignMessagesDropped: another Model's engine messages
// change nothing, and an answer to a question the engine no longer asks
// does not answer the next one.
func TestStaleAndForeignMessagesDropped(t *testing.T) {
	sc := scene{name: "wait", upTo: steps.StepServiceReady, world: func(w *fakeWorld) { w.pollsNeeded = 1000 },
		drive: func(h *harness) {
			h.until("a poll", func(m *Model) bool { return m.cur != nil && m.cur.polled && !m.busy })
		}}
	hs := startScene(t, sc, 80, 24, goldenOpts())
	m := hs.m
	other := New(fakeFlow(newWorld()), newSession(t, fakeFlow(newWorld()), steps.StepServiceReady), nil, goldenOpts())
	defer other.Stop()
	before := m.cur.status
	m.Update(engineMsg{owner: other, ev: &steps.Event{Kind: steps.EventStatus, Step: m.cur.st, Status: steps.Status{Done: true, State: "available"}}})
	m.Update(engineMsg{owner: other, ev: &steps.Event{Kind: steps.EventFinished}})
	if m.cur == nil || m.cur.status != before || m.cur.phase != phasePolling || m.finished {
		t.Error("another Model's engine event was taken")
	}

	// The front end: a reply to question 1 does not answer question 2.
	f := newFrontend(other)
	go func() {
		<-f.msgs // question 1 reaches Update
		f.answer(&asked{seq: 1, q: steps.Question{Kind: steps.AskConfirm}}, steps.Reply{Choice: steps.ChoiceYes})
	}()
	r, err := f.Ask(context.Background(), steps.Question{Kind: steps.AskConfirm, Step: &steps.Step{ID: "x"}})
	if err != nil || r.Choice != steps.ChoiceYes {
		t.Fatalf("answer to the question asked: %v %v", r, err)
	}
	f.answer(&asked{seq: 1, q: steps.Question{Kind: steps.AskConfirm}}, steps.Reply{Choice: steps.ChoiceNo}) // late, for question 1
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-f.msgs // question 2
		cancel()
	}()
	if r, err := f.Ask(ctx, steps.Question{Kind: steps.AskConfirm, Step: &steps.Step{ID: "x"}}); err == nil {
		t.Errorf("question 2 took question 1's late answer %v", r)
	}
}

// TestBlurredIgnoresKeys: the party without focus in the demo takes no keys.
func TestBlurredIgnoresKeys(t *testing.T) {
	hs := startScene(t, scenes()[2], 80, 24, goldenOpts()) // the action, ready
	hs.m.Blur()
	hs.key("enter")
	if hs.m.cur.phase != phaseReady || hs.m.Focused() {
		t.Fatal("a blurred Model took enter")
	}
	hs.m.Focus()
	hs.key("enter")
	if hs.m.cur.phase == phaseReady {
		t.Fatal("a focused Model ignored enter")
	}
}

func TestTableSortFilterSelect(t *testing.T) {
	com := &Common{Theme: NewTheme(true, false), Keys: DefaultKeyMap()}
	tv := newTableView(com, &steps.Table{Columns: []string{"ID", "State"}})
	tv.SetSize(80, 20)
	var rows []steps.Row
	for i, st := range []string{"pending", "available", "rejected", "available"} {
		id := fmt.Sprintf("vpce-%d", i)
		rows = append(rows, steps.Row{ID: id, Cells: []string{id, st}})
	}
	tv.SetRows(rows)
	ids := func() string {
		var out []string
		for _, i := range tv.order {
			out = append(out, tv.rows[i].ID)
		}
		return strings.Join(out, " ")
	}
	tv.update(keyMsg("s")) // by ID
	tv.update(keyMsg("s")) // by State
	if got := ids(); got != "vpce-1 vpce-3 vpce-0 vpce-2" {
		t.Errorf("sorted by state: %s", got)
	}
	tv.update(keyMsg("o"))
	if got := ids(); got != "vpce-2 vpce-0 vpce-1 vpce-3" {
		t.Errorf("sorted by state, descending: %s", got)
	}
	if !strings.Contains(plain(strings.Join(tv.view(), "\n")), "State ▼") {
		t.Errorf("no sort mark:\n%s", strings.Join(tv.view(), "\n"))
	}
	tv.update(keyMsg("/"))
	for _, r := range "avail" {
		tv.update(keyMsg(string(r)))
	}
	if got := ids(); got != "vpce-1 vpce-3" {
		t.Errorf("filtered: %s", got)
	}
	tv.update(keyMsg("backspace"))
	tv.update(keyMsg("enter"))
	tv.update(keyMsg("space"))
	if !tv.selected["vpce-1"] || tv.cursor != 1 {
		t.Errorf("selected %v cursor %d", tv.selected, tv.cursor)
	}
	// New rows keep the cursor's row and drop the selection of rows gone.
	tv.SetRows(rows[:3])
	if got := ids(); got != "vpce-1" || tv.selected["vpce-1"] != true {
		t.Errorf("after new rows: %s selected %v", got, tv.selected)
	}
	tv.update(keyMsg("esc"))
	if got := ids(); got != "vpce-2 vpce-0 vpce-1" {
		t.Errorf("filter cleared: %s", got)
	}
	if got := tv.targets(); len(got) != 1 || got[0] != "vpce-1" {
		t.Errorf("targets %v", got)
	}
}

// TestStepConfirmAsksFirst: an action with a Confirm question runs only on
// yes.
func TestStepConfirmAsksFirst(t *testing.T) {
	ran := 0
	flow := &steps.Flow{Role: steps.RoleProvider, Steps: []*steps.Step{{
		ID: "del", Title: "Delete", Kind: steps.KindAction, Confirm: "This deletes the endpoint service.",
		Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
			ran++
			return steps.Result{Detail: "deleted"}, nil
		},
	}}}
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	m := New(flow, s, &steps.Env{Now: (&clock{t: t0}).Now}, goldenOpts())
	h := newHarness(t, m, 80, 24)
	h.until("the action", inPhase("del", phaseReady))
	h.key("enter")
	h.untilScreen("? This deletes the endpoint service.")
	h.key("n")
	if m.cur.phase != phaseReady || m.confirm != nil {
		t.Fatalf("no did not cancel: phase %v", m.cur.phase)
	}
	h.until("the action again", inPhase("del", phaseReady))
	h.key("enter")
	h.untilScreen("? This deletes the endpoint service.")
	h.key("y")
	h.until("the result", inPhase("del", phaseResult))
	if ran != 1 {
		t.Errorf("ran %d times", ran)
	}
}

// TestLightBackground: the terminal's answer switches the theme.
func TestLightBackground(t *testing.T) {
	hs := startScene(t, scenes()[2], 80, 24, goldenOpts())
	dark := hs.m.View()
	hs.send(tea.BackgroundColorMsg{Color: color.White})
	if hs.m.com.Theme.Dark {
		t.Fatal("still the dark theme on a white background")
	}
	light := hs.m.View()
	if light == dark || plain(light) != plain(dark) {
		t.Error("the light theme should change colours only")
	}
}

// TestRetryablePollErrorKeepsWaiting: a throttled look is shown and the
// wait goes on; a plain error fails the step with its hint.
func TestRetryablePollErrorKeepsWaiting(t *testing.T) {
	polls := 0
	flow := &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{{
		ID: "w", Title: "Wait", Kind: steps.KindWait,
		Poll: func(context.Context, *steps.Env, *steps.Session) (steps.Status, error) {
			polls++
			switch polls {
			case 1:
				return steps.Status{}, &awsops.Error{Code: "RequestLimitExceeded", Retryable: true}
			case 2:
				return steps.Status{State: "pending"}, nil
			case 3:
				return steps.Status{}, fmt.Errorf("describe endpoint: %w", &awsops.Error{Code: "InvalidVpcEndpointId.NotFound", Hint: "the endpoint is gone"})
			}
			return steps.Status{Done: true, State: "available"}, nil
		},
	}}}
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	m := New(flow, s, &steps.Env{Now: (&clock{t: t0}).Now}, testOpts())
	h := newHarness(t, m, 80, 24)
	h.until("the failure", inPhase("w", phaseFailed))
	if polls != 3 {
		t.Errorf("failed after %d polls, want 3 (the throttle is not a failure)", polls)
	}
	h.untilScreen("hint: the endpoint is gone")
	h.key("r")
	h.until("the end", func(m *Model) bool { return m.Finished() })
}
