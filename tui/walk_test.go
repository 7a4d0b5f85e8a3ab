package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/plwiz/plwiz/steps"
)

// What a walk through the real flows in a terminal tripped over, each
// kept from coming back.

// freshSession is a new session of flow's role in a folder of the test's.
func freshSession(t testing.TB, flow *steps.Flow) *steps.Session {
	t.Helper()
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// harnessFor drives flow from a fresh session in a w×h Model.
func harnessFor(t testing.TB, flow *steps.Flow, env *steps.Env, w, h int) (*Model, *harness, *steps.Session) {
	t.Helper()
	s := freshSession(t, flow)
	m := New(flow, s, env, testOpts())
	return m, newHarness(t, m, w, h), s
}

// TestSidebarWrapsLongTitlesWhenThereIsRoom: a long step title is read
// whole on two lines while the flow fits the height, and cut to one line
// when it does not.
func TestSidebarWrapsLongTitlesWhenThereIsRoom(t *testing.T) {
	hs := startScene(t, scenes()[2], 120, 40, goldenOpts())
	v := plain(hs.m.View())
	if !strings.Contains(v, "▸ Create the endpoint ") || !strings.Contains(v, "\n   service ") || strings.Contains(v, "servi…") {
		t.Errorf("tall: want the title wrapped:\n%s", v)
	}
	hs.m.SetSize(120, 12)
	v = plain(hs.m.View())
	if !strings.Contains(v, "▸ Create the endpoint ser…") {
		t.Errorf("short: want the title cut to one line:\n%s", v)
	}
	assertFits(t, hs.m.View(), 120, 12)
}

// TestTableColumnsFitTheWidth: the connections table keeps its first
// columns whole (endpoint, owner, state), cuts the next if there is room
// for a few letters, and says how many it leaves out.
func TestTableColumnsFitTheWidth(t *testing.T) {
	com := &Common{Theme: NewTheme(true, true), Keys: DefaultKeyMap()}
	tv := newTableView(com, &steps.Table{Columns: []string{"Endpoint", "Owner", "State", "Created", "Expected"}})
	tv.SetRows([]steps.Row{{ID: "vpce-7dde44cb6a852c4ca", Expected: true,
		Cells: []string{"vpce-7dde44cb6a852c4ca", "222222222222", "pendingAcceptance", "2026-11-22 02:36", "yes"}}})
	for _, tc := range []struct {
		w          int
		row, extra string
	}{
		{67, "vpce-7dde44cb6a852c4ca  222222222222  pendingAcceptance", "2 more columns in a wider window"},
		{78, "vpce-7dde44cb6a852c4ca  222222222222  pendingAcceptance  2026-11-22 02…", "1 more columns in a wider window"},
		{100, "vpce-7dde44cb6a852c4ca  222222222222  pendingAcceptance  2026-11-22 02:36  yes", ""},
	} {
		tv.SetSize(tc.w, 6)
		lines := tv.view()
		for _, l := range lines {
			if ansi.StringWidth(l) > tc.w {
				t.Errorf("%d columns: line %q is %d wide", tc.w, l, ansi.StringWidth(l))
			}
		}
		if !strings.HasSuffix(plain(lines[1]), tc.row) {
			t.Errorf("%d columns: the row %q, want it to end %q", tc.w, lines[1], tc.row)
		}
		if status := lines[len(lines)-1]; tc.extra != "" && !strings.Contains(status, tc.extra) || tc.extra == "" && strings.Contains(status, "more columns") {
			t.Errorf("%d columns: status %q", tc.w, status)
		}
	}
}

// summaryFlow is one summary step that, like the real ones, has nothing
// to read before it runs.
func summaryFlow() *steps.Flow {
	return &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{{
		ID: steps.StepSummary, Title: "Summary", Kind: steps.KindAction,
		Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
			return steps.Result{Detail: "use api.example.com:8443 from inside vpc-0abc"}, nil
		},
	}}}
}

// TestSummaryRunsAndStaysOnScreen: a summary runs without a pointless
// "go ahead", the finished screen repeats it, and once the program has
// left the alternate screen it is printed where the terminal keeps it.
func TestSummaryRunsAndStaysOnScreen(t *testing.T) {
	flow := summaryFlow()
	m, h, _ := harnessFor(t, flow, &steps.Env{}, 80, 24)
	h.until("the summary", inPhase(steps.StepSummary, phaseResult))
	h.key("enter")
	h.until("the end", func(m *Model) bool { return m.Finished() && !m.busy })
	v := plain(m.View())
	for _, want := range []string{"All done", "✓ use api.example.com:8443 from inside vpc-0abc", "Press enter to leave.", "enter leave"} {
		if !strings.Contains(v, want) {
			t.Errorf("the finished screen lacks %q:\n%s", want, v)
		}
	}

	// The whole program: enter until it ends, then the summary is on the
	// terminal after the frames.
	s2 := freshSession(t, flow)
	in, keys := io.Pipe()
	var out bytes.Buffer
	done := make(chan Outcome)
	go func() {
		o, err := Run(context.Background(), flow, s2, &steps.Env{}, Options{Static: true, NoColor: true}, IO{In: in, Out: &out})
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	var o Outcome
	tick := time.NewTicker(30 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
wait:
	for {
		select {
		case o = <-done:
			break wait
		case <-tick.C:
			_, _ = keys.Write([]byte("\r"))
		case <-deadline:
			t.Fatalf("the program did not end; output:\n%s", out.String())
		}
	}
	_ = keys.Close()
	if !o.Finished || o.Summary != "use api.example.com:8443 from inside vpc-0abc" {
		t.Errorf("outcome %+v", o)
	}
	text := out.String()
	last := text[strings.LastIndex(text, "\x1b")+1:]
	if !strings.Contains(last, "plwiz consumer: every step is done. use api.example.com:8443 from inside vpc-0abc\n") {
		t.Errorf("the summary is not printed after the program's frames:\n%q", text[max(len(text)-300, 0):])
	}
}

// TestDemoFinishedPartySaysWhatLeaves: in the demo, a finished party's
// screen says what the keys do there, and enter does not pretend to
// leave (the demo ends on ctrl+c).
func TestDemoFinishedPartySaysWhatLeaves(t *testing.T) {
	d, _ := fakeDemo(t, "", steps.StepIdentity)
	h := newDemoHarness(t, d, 120, 40)
	h.until("the provider finished", func(d *Demo) bool { return idle(d) && d.Provider().Finished() })
	h.untilScreen("Tab plays the other party; ctrl+c leaves the demo.")
	v := plain(d.Render())
	if strings.Contains(v, "Press enter to leave") || strings.Contains(v, "enter leave") {
		t.Errorf("the demo's finished party offers enter to leave:\n%s", v)
	}
	h.key("enter")
	if d.Provider().Left() {
		t.Error("enter left the finished party")
	}
	h.untilScreen("▶ The provider is done: press tab to play the consumer.")
}

// TestDemoBannerFitsNarrowTerminals: when the advice does not fit, the
// banner leaves the step's title to the pane, then wraps rather than
// cutting off what to press; the panes give up the line it takes.
func TestDemoBannerFitsNarrowTerminals(t *testing.T) {
	d, _ := fakeDemo(t, steps.StepChooseNLB, steps.StepIdentity)
	h := newDemoHarness(t, d, 200, 50)
	h.until("the form", func(d *Demo) bool {
		return idle(d) && d.Provider().cur != nil && d.Provider().cur.phase == phaseInput
	})
	if v := plain(d.Render()); !strings.Contains(v, "▶ provider · Choose the load balancer — Load balancer is filled in: press enter") {
		t.Errorf("wide banner:\n%s", v)
	}
	for _, tc := range []struct {
		w, lines int
		want     string
	}{
		{80, 2, "▶ provider · Choose the load balancer — Load balancer is filled in: press enter"},
		{60, 2, "▶ provider — Load balancer is filled in: press enter"},
		{44, 3, "▶ provider — Load balancer is filled in: press enter"},
	} {
		h.send(tea.WindowSizeMsg{Width: tc.w, Height: 24})
		banner := d.bannerLines()
		text := ""
		for _, l := range banner[1:] {
			if ansi.StringWidth(l) > tc.w || strings.HasSuffix(plain(l), "…") {
				t.Errorf("%d columns: banner line cut: %q", tc.w, plain(l))
			}
			text += strings.TrimSpace(plain(l)) + " "
		}
		if len(banner) != tc.lines || d.bannerH != tc.lines || !strings.Contains(text, tc.want) {
			t.Errorf("%d columns: banner of %d lines (laid out for %d): %q", tc.w, len(banner), d.bannerH, text)
		}
		if p, c := d.Provider().com, d.Consumer().com; p.Height+c.Height+d.bannerH != 24 {
			t.Errorf("%d columns: panes %d + %d rows under a banner of %d in 24", tc.w, p.Height, c.Height, d.bannerH)
		}
		assertFits(t, d.Render(), tc.w, 24)
	}

	// The question to leave keeps its keys in view at 80 columns.
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.key("ctrl+c")
	if v := plain(d.Render()); !strings.Contains(v, "y: yes  n: no") {
		t.Errorf("the leave question's keys are cut:\n%s", v)
	}
}

// TestTokenAloneForTheMouse: t shows the export's token with nothing
// beside it, whole, and any key goes back.
func TestTokenAloneForTheMouse(t *testing.T) {
	hs := startScene(t, scene{upTo: steps.StepExportOffer, drive: func(h *harness) {
		h.until("the export", inPhase(steps.StepExportOffer, phaseResult))
	}}, 120, 40, goldenOpts())
	token := hs.m.cur.result.Export.Token
	hs.key("t")
	v := plain(hs.m.View())
	if strings.Contains(v, "│") || strings.Contains(v, "Identity") {
		t.Errorf("the token is not alone:\n%s", v)
	}
	lines := strings.Split(v, "\n")
	joined := ""
	for _, l := range lines[2:] {
		joined += strings.TrimRight(l, " ")
	}
	if joined != token || !strings.HasPrefix(lines[2], "plwiz1.offer.") {
		t.Errorf("the token on screen %q, want %q", joined, token)
	}
	assertFits(t, hs.m.View(), 120, 40)
	hs.key("x")
	if v := plain(hs.m.View()); !strings.Contains(v, "Written to") || !strings.Contains(v, "t token alone") {
		t.Errorf("any key goes back:\n%s", v)
	}
}

// TestFixNoteSaysDoneOnceChecked: the note of a fix stops saying "checking
// again" once the checks have run again.
func TestFixNoteSaysDoneOnceChecked(t *testing.T) {
	hs := startScene(t, scene{upTo: steps.StepPreflight, drive: func(h *harness) {
		h.until("the failed check", inPhase(steps.StepPreflight, phaseResult))
	}}, 120, 40, goldenOpts())
	hs.key("f", "y")
	hs.until("checked again", func(m *Model) bool { return !m.busy && m.cur.phase == phaseResult && m.cur.checks.selectedFix() == nil })
	v := plain(hs.m.View())
	if !strings.Contains(v, "Turn on DNS hostnames: done") || strings.Contains(v, "checking again") {
		t.Errorf("the note after the checks ran again:\n%s", v)
	}
}

// TestExportSaysWhereANameGoes: the export asks where to write, proposing
// its default, and says where a bare file name ends up.
func TestExportSaysWhereANameGoes(t *testing.T) {
	flow := &steps.Flow{Role: steps.RoleConsumer, Steps: []*steps.Step{{
		ID: steps.StepExportRequest, Title: "Export the request", Kind: steps.KindHandoff, Handoff: steps.HandoffExport,
		Inputs: []steps.Input{{Key: "out", Label: "Write the request to", Type: steps.InputText,
			Default: func(*steps.Session) string { return "request-vpce-0abc.json" }}},
		Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
			return steps.Result{Export: &steps.Export{Path: "/work/" + s.Input("out"), Token: "plwiz1.request.abc"}}, nil
		},
	}}}
	m, h, _ := harnessFor(t, flow, &steps.Env{BundleDir: "/work"}, 80, 24)
	h.until("the path", inPhase(steps.StepExportRequest, phaseInput))
	v := plain(m.View())
	if !strings.Contains(v, "> request-vpce-0abc.json") || !strings.Contains(v, "A file name without a folder is written in /work.") {
		t.Errorf("the export's question:\n%s", v)
	}
	h.key("enter")
	h.untilScreen("/work/request-vpce-0abc.json")
}

// TestLongCheckNamesWrap: a check named by a long vpce DNS name is read
// whole, under itself, and so is what it saw.
func TestLongCheckNamesWrap(t *testing.T) {
	name := "DNS vpce-c6c247ca0e64bc8ae-nfy8elax-us-east-1a.vpce-svc-4600f8e127e219b6b.us-east-1.vpce.amazonaws.com"
	seen := "TLS 1.3; certificate for api.example.com, *.vpce-svc-4600f8e127e219b6b.us-east-1.vpce.amazonaws.com"
	l := newCheckList(&Common{Theme: NewTheme(true, true), Keys: DefaultKeyMap()}, []steps.CheckResult{{Name: name, Passed: true, Seen: seen}})
	l.SetSize(60, 20)
	lines := l.view()
	text := ""
	for _, ln := range lines {
		if ansi.StringWidth(ln) > 60 {
			t.Errorf("line %q is wider than 60", ln)
		}
		text += strings.TrimSpace(plain(ln)) + " "
	}
	if !strings.Contains(strings.ReplaceAll(text, " ", ""), strings.ReplaceAll(name+seen, " ", "")) || strings.Contains(text, "…") {
		t.Errorf("the check is not whole:\n%s", strings.Join(lines, "\n"))
	}
}
