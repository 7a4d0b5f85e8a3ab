package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/plwiz/plwiz/steps"
)

// demoHarness drives a Demo as a program does, on the test's goroutine
// (see harness).
type demoHarness struct {
	t    testing.TB
	d    *Demo
	quit bool
	pump
}

func newDemoHarness(t testing.TB, d *Demo, w, h int) *demoHarness {
	t.Helper()
	hs := &demoHarness{t: t, d: d, pump: newPump()}
	t.Cleanup(func() {
		deadline := time.After(5 * time.Second)
		for _, m := range d.parties {
			m.Stop()
		}
		for !d.parties[0].engineDone || !d.parties[1].engineDone {
			select {
			case msg := <-hs.msgs:
				d.Update(msg)
			case <-deadline:
				t.Error("an engine still runs after Stop")
				d.parties[0].engineDone, d.parties[1].engineDone = true, true
			}
		}
		close(hs.done)
	})
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(d.Init())
	return hs
}

func (h *demoHarness) send(msg tea.Msg) {
	if _, ok := msg.(tea.QuitMsg); ok {
		h.quit = true
		return
	}
	_, cmd := h.d.Update(msg)
	h.run(cmd)
}

func (h *demoHarness) key(keys ...string) {
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

func (h *demoHarness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (h *demoHarness) until(what string, cond func(d *Demo) bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond(h.d) {
		select {
		case msg := <-h.msgs:
			h.send(msg)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, plain(h.d.Render()))
		}
	}
}

func (h *demoHarness) untilScreen(s string) {
	h.t.Helper()
	h.until(fmt.Sprintf("%q on screen", s), func(d *Demo) bool { return strings.Contains(plain(d.Render()), s) })
}

// idle is true when neither party has work in flight.
func idle(d *Demo) bool { return !d.parties[0].busy && !d.parties[1].busy }

// fakeDemo is two fake flows, the consumer's a copy of the provider's
// with its role, resumed at the given steps.
func fakeDemo(t testing.TB, providerAt, consumerAt string) (*Demo, *fakeWorld) {
	world := newWorld()
	pflow := fakeFlow(world)
	cflow := fakeFlow(world)
	cflow.Role = steps.RoleConsumer
	ps := newSession(t, pflow, providerAt)
	cs := newSession(t, cflow, consumerAt)
	cs.ID = "consumer-20250301-120000-abcd1234"
	expectEndpoint(ps)
	clk := &clock{t: t0.Add(90 * time.Second)}
	p := New(pflow, ps, &steps.Env{Now: clk.Now}, goldenOpts())
	c := New(cflow, cs, &steps.Env{Now: clk.Now}, goldenOpts())
	return NewDemo(p, c, DemoOptions{}), world
}

func TestDemoLayoutBySize(t *testing.T) {
	for _, tc := range []struct {
		w, h       int
		sideBySide bool
	}{{80, 24, false}, {120, 40, false}, {159, 40, false}, {160, 40, true}, {200, 50, true}} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			d, _ := fakeDemo(t, steps.StepIdentity, steps.StepIdentity)
			h := newDemoHarness(t, d, tc.w, tc.h)
			h.until("both identity steps", func(d *Demo) bool {
				return idle(d) && d.parties[0].cur != nil && d.parties[1].cur != nil
			})
			if d.SideBySide() != tc.sideBySide {
				t.Fatalf("side by side %v at %dx%d", d.SideBySide(), tc.w, tc.h)
			}
			p, c := d.Provider().com, d.Consumer().com
			if tc.sideBySide {
				if p.Width != c.Width || p.Width+c.Width+1 > tc.w || p.Width+c.Width+2 < tc.w || p.Height != tc.h-d.bannerH || c.Height != p.Height {
					t.Errorf("panes %dx%d and %dx%d in %dx%d", p.Width, p.Height, c.Width, c.Height, tc.w, tc.h)
				}
			} else {
				if p.Width != tc.w || c.Width != tc.w || p.Height+c.Height != tc.h-d.bannerH || p.Height <= c.Height {
					t.Errorf("stacked panes %dx%d over %dx%d in %dx%d; the focused provider should be taller", p.Width, p.Height, c.Width, c.Height, tc.w, tc.h)
				}
			}
			frame := plain(d.Render())
			assertFits(t, frame, tc.w, tc.h)
			if !strings.Contains(frame, "▶ provider · Identity — press enter to go ahead") {
				t.Errorf("the banner does not say what to do:\n%s", frame)
			}
			// Tab gives the keyboard to the consumer, which grows when
			// stacked.
			h.key("tab")
			if d.Focused() != d.Consumer() || !d.Consumer().Focused() || d.Provider().Focused() {
				t.Fatal("tab did not move the focus to the consumer")
			}
			if !tc.sideBySide && d.Consumer().com.Height <= d.Provider().com.Height {
				t.Errorf("the focused consumer is %d rows, the provider %d", d.Consumer().com.Height, d.Provider().com.Height)
			}
			frame = plain(d.Render())
			assertFits(t, frame, tc.w, tc.h)
			if !strings.Contains(frame, "▶ consumer · Identity — press enter to go ahead") {
				t.Errorf("the banner does not follow the focus:\n%s", frame)
			}
		})
	}
}

// TestDemoKeysGoToTheFocusedParty: enter runs the focused party's step
// only; tab and enter then run the other's.
func TestDemoKeysGoToTheFocusedParty(t *testing.T) {
	d, _ := fakeDemo(t, steps.StepIdentity, steps.StepIdentity)
	h := newDemoHarness(t, d, 200, 50)
	h.until("both ready", func(d *Demo) bool {
		return idle(d) && d.parties[0].cur != nil && d.parties[0].cur.phase == phaseReady && d.parties[1].cur != nil && d.parties[1].cur.phase == phaseReady
	})
	h.key("enter")
	h.until("the provider's identity", func(d *Demo) bool { return idle(d) && d.Provider().cur.phase == phaseResult })
	if d.Consumer().cur.phase != phaseReady {
		t.Fatalf("the consumer moved without the keyboard: phase %v", d.Consumer().cur.phase)
	}
	h.untilScreen("provider · Identity — done: press enter to continue")
	h.key("tab", "enter")
	h.until("the consumer's identity", func(d *Demo) bool { return idle(d) && d.Consumer().cur.phase == phaseResult })
	if d.Provider().cur.phase != phaseResult || d.Provider().cur.st.ID != steps.StepIdentity {
		t.Errorf("the provider moved without the keyboard: %s %v", d.Provider().cur.st.ID, d.Provider().cur.phase)
	}
}

// TestDemoGuidesToTheOtherParty: a party waiting on the other says so and
// names the key; a finished party sends the user to the other one.
func TestDemoGuidesToTheOtherParty(t *testing.T) {
	d, _ := fakeDemo(t, steps.StepImportRequest, steps.StepIdentity)
	d.Provider().flow.Step(steps.StepImportRequest).Poll = func(context.Context, *steps.Env, *steps.Session) (steps.Status, error) {
		return steps.Status{OtherParty: true, State: "waiting", Detail: "waiting for the consumer's request"}, nil
	}
	h := newDemoHarness(t, d, 120, 40)
	h.untilScreen("Request file or token")
	h.typeText("request.json")
	h.key("enter")
	h.untilScreen("▶ The provider waits for the consumer: press tab to play the consumer.")
	h.key("tab")
	h.untilScreen("▶ consumer · Identity — press enter to go ahead")
}

// TestDemoLeave: ctrl+c asks; n keeps going; ctrl+c twice leaves both
// parties, saved, and quits.
func TestDemoLeave(t *testing.T) {
	d, _ := fakeDemo(t, steps.StepCreateService, steps.StepIdentity)
	h := newDemoHarness(t, d, 120, 40)
	h.until("ready", func(d *Demo) bool { return idle(d) && d.Provider().cur != nil && d.Consumer().cur != nil })
	h.key("ctrl+c")
	h.untilScreen("? Leave the demo? The sandbox stops; its files are deleted.  y: yes  n: no")
	h.key("enter") // neither yes nor no: the question stays, the party does nothing
	if d.Provider().cur.phase != phaseReady || !d.askLeave {
		t.Fatalf("a key under the question reached the party: phase %v, asking %v", d.Provider().cur.phase, d.askLeave)
	}
	h.key("n")
	h.untilScreen("▶ provider · Create the endpoint service — press enter to go ahead")
	h.key("ctrl+c", "ctrl+c")
	h.until("both parties to leave", func(*Demo) bool { return h.quit })
	if !d.Provider().Left() || !d.Consumer().Left() {
		t.Errorf("left: provider %v consumer %v", d.Provider().Left(), d.Consumer().Left())
	}
	for _, m := range d.parties {
		saved, err := steps.LoadSession(m.engine.Session.Path())
		if err != nil {
			t.Fatal(err)
		}
		if saved.ID != m.SessionID() {
			t.Errorf("saved %s, want %s", saved.ID, m.SessionID())
		}
	}
}

// TestDemoInterruptLeavesAtOnce: a SIGINT leaves without asking.
func TestDemoInterruptLeavesAtOnce(t *testing.T) {
	d, _ := fakeDemo(t, steps.StepIdentity, steps.StepIdentity)
	h := newDemoHarness(t, d, 80, 24)
	h.until("ready", func(d *Demo) bool { return idle(d) && d.Provider().cur != nil })
	h.send(leaveNowMsg{})
	h.until("quit", func(*Demo) bool { return h.quit })
}

func TestDemoGolden(t *testing.T) {
	scenes := []struct {
		name                 string
		providerAt, consumer string
		drive                func(h *demoHarness)
	}{
		{name: "start", providerAt: steps.StepIdentity, consumer: steps.StepIdentity, drive: func(h *demoHarness) {
			h.until("both ready", func(d *Demo) bool {
				return idle(d) && d.Provider().cur != nil && d.Consumer().cur != nil && d.Consumer().cur.phase == phaseReady
			})
		}},
		{name: "table-and-checks", providerAt: steps.StepConnections, consumer: steps.StepPreflight, drive: func(h *demoHarness) {
			h.until("the rows and the checks", func(d *Demo) bool {
				p, c := d.Provider().cur, d.Consumer().cur
				return idle(d) && p != nil && p.table != nil && len(p.table.rows) > 0 && c != nil && c.phase == phaseResult
			})
			h.key("tab")
		}},
		{name: "leave", providerAt: steps.StepCreateService, consumer: steps.StepIdentity, drive: func(h *demoHarness) {
			h.until("ready", func(d *Demo) bool { return idle(d) && d.Provider().cur != nil && d.Consumer().cur != nil })
			h.key("ctrl+c")
		}},
	}
	for _, sc := range scenes {
		t.Run(sc.name, func(t *testing.T) {
			for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
				t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
					d, _ := fakeDemo(t, sc.providerAt, sc.consumer)
					h := newDemoHarness(t, d, size[0], size[1])
					sc.drive(h)
					frame := plain(d.Render())
					assertFits(t, frame, size[0], size[1])
					golden.RequireEqual(t, frame)
				})
			}
		})
	}
}
