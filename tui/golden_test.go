package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/plwiz/plwiz/steps"
)

// scene puts a Model on one screen in a known state.
type scene struct {
	name  string
	upTo  string // the steps before this one are done
	world func(w *fakeWorld)
	sess  func(s *steps.Session)
	drive func(h *harness)
}

func scenes() []scene {
	return []scene{
		{name: "form", upTo: steps.StepChooseNLB, drive: func(h *harness) {
			h.until("the form", inPhase(steps.StepChooseNLB, phaseInput))
		}},
		{name: "form-invalid", upTo: steps.StepChooseNLB, drive: func(h *harness) {
			h.until("the form", inPhase(steps.StepChooseNLB, phaseInput))
			h.key("enter") // the first load balancer; on to the principals
			h.until("the principals field", func(m *Model) bool {
				return m.cur.form.form.GetFocusedField().GetKey() == "principals"
			})
			h.typeText(",12345")
		}},
		{name: "action", upTo: steps.StepCreateService, drive: func(h *harness) {
			h.until("the action", inPhase(steps.StepCreateService, phaseReady))
		}},
		{name: "action-failed", upTo: steps.StepCreateService, world: func(w *fakeWorld) { w.createFails = 1 }, drive: func(h *harness) {
			h.until("the action", inPhase(steps.StepCreateService, phaseReady))
			h.key("enter")
			h.until("the failure", inPhase(steps.StepCreateService, phaseFailed))
		}},
		{name: "wait", upTo: steps.StepServiceReady, world: func(w *fakeWorld) { w.pollsNeeded = 1000 },
			sess: func(s *steps.Session) {
				rec := s.Step(steps.StepServiceReady)
				rec.State, rec.StartedAt = steps.StateWaiting, t0.Add(30*time.Second)
			},
			drive: func(h *harness) {
				h.until("a poll", func(m *Model) bool {
					return m.cur != nil && m.cur.st.ID == steps.StepServiceReady && m.cur.polled && !m.busy
				})
			}},
		{name: "txt-fields", upTo: steps.StepTXTRecord, drive: func(h *harness) {
			h.until("the fields", inPhase(steps.StepTXTRecord, phaseReady))
			h.key("down", "down")
		}},
		{name: "handoff-export", upTo: steps.StepExportOffer, drive: func(h *harness) {
			h.until("the export", inPhase(steps.StepExportOffer, phaseResult))
		}},
		{name: "handoff-import", upTo: steps.StepImportRequest, drive: func(h *harness) {
			h.until("the import", inPhase(steps.StepImportRequest, phaseInput))
			h.typeText("plwiz1.req")
		}},
		{name: "table", upTo: steps.StepConnections, sess: expectEndpoint, drive: untilRows},
		{name: "table-confirm", upTo: steps.StepConnections, sess: expectEndpoint, drive: func(h *harness) {
			untilRows(h)
			h.key("down", "r")
			h.until("the question", func(m *Model) bool { return m.confirm != nil })
		}},
		{name: "check", upTo: steps.StepPreflight, drive: func(h *harness) {
			h.until("the checks", inPhase(steps.StepPreflight, phaseResult))
		}},
		{name: "leave", upTo: steps.StepCreateService, drive: func(h *harness) {
			h.until("the action", inPhase(steps.StepCreateService, phaseReady))
			h.key("ctrl+c")
		}},
		{name: "finished", upTo: "all", drive: func(h *harness) {
			h.until("the end", func(m *Model) bool { return m.Finished() })
		}},
	}
}

func expectEndpoint(s *steps.Session) { s.SetResource("expectedEndpoint", "vpce-0exp") }

func untilRows(h *harness) {
	h.until("the rows", func(m *Model) bool {
		return m.cur != nil && m.cur.table != nil && len(m.cur.table.rows) > 0 && !m.busy
	})
}

// startScene builds the Model of a scene at a size and drives it there.
func startScene(t testing.TB, sc scene, w, h int, opts Options) *harness {
	world := newWorld()
	if sc.world != nil {
		sc.world(world)
	}
	flow := fakeFlow(world)
	s := newSession(t, flow, sc.upTo)
	if sc.sess != nil {
		sc.sess(s)
	}
	clk := &clock{t: t0.Add(90 * time.Second)}
	m := New(flow, s, &steps.Env{Now: clk.Now}, opts)
	hs := newHarness(t, m, w, h)
	sc.drive(hs)
	return hs
}

// goldenOpts poll at the default pace so the wait screen's "next look" is a
// stable second, with nothing animated.
func goldenOpts() Options { return Options{Static: true} }

func TestGolden(t *testing.T) {
	for _, sc := range scenes() {
		t.Run(sc.name, func(t *testing.T) {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
					hs := startScene(t, sc, size[0], size[1], goldenOpts())
					golden.RequireEqual(t, plain(hs.m.View()))
				})
			}
		})
	}
}
