package tui

import (
	"strings"

	"github.com/plwiz/plwiz/steps"
)

// guidance is what the user of one Model should do now, in a few words,
// for the demo's banner: which party to play next and what to press.
type guidance struct {
	step string // the current step's title ("" when none)
	todo string // what to do or what is going on
	// needsUser is true when nothing moves until this party's user acts.
	needsUser bool
	// waitsOnOther is true when this party waits on the other one.
	waitsOnOther bool
	done         bool
}

// guide reads the Model's state of the moment. Like View, it runs on the
// program's goroutine and reads only what Update keeps.
func (m *Model) guide() guidance {
	switch {
	case m.left && !m.finished:
		return guidance{todo: "left"}
	case m.finished:
		return guidance{todo: "all steps done", done: true}
	case m.leaving:
		return guidance{todo: "saving the session…"}
	}
	r := m.cur
	if r == nil {
		return guidance{todo: "starting…"}
	}
	g := guidance{step: steps.Sanitize(r.st.Title)}
	if m.confirm != nil {
		g.todo, g.needsUser = "answer the question below: y for yes, n for no", true
		return g
	}
	if m.asked == nil && (r.phase == phaseResult || r.phase == phaseFailed || r.phase == phaseReady || r.phase == phaseInput) {
		// The engine has not asked yet: a key would not be taken.
		g.todo = "working…"
		return g
	}
	switch r.phase {
	case phaseStarting, phaseLoading:
		g.todo = "loading…"
	case phaseInput:
		g.needsUser = true
		g.todo = "check the answer and press enter"
		if label := r.form.focusedLabel(); label != "" {
			// Each field of a form has its own words, so the tape (and
			// the eye) can tell one press of enter from the next.
			g.todo = label + " is filled in: press enter"
		}
		if r.st.Kind == steps.KindHandoff {
			g.todo = "the file in the shared folder is filled in: press enter"
			if r.st.Handoff == steps.HandoffExport {
				g.todo = "the file to write in the shared folder is filled in: press enter"
			}
		}
	case phaseReady:
		g.needsUser = true
		g.todo = "press enter to go ahead"
		if r.st.Confirm != "" {
			g.todo += " (you will be asked to confirm)"
		}
	case phaseRunning:
		g.todo = "working…"
	case phasePolling:
		if r.table != nil {
			return m.tableGuide(g)
		}
		if r.status.OtherParty {
			g.waitsOnOther = true
			g.todo = "waiting for the other party"
			if r.status.Detail != "" {
				g.todo = r.status.Detail
			}
			return g
		}
		g.todo = "AWS is working"
		if r.status.Detail != "" {
			g.todo += ": " + r.status.Detail
		} else if r.status.State != "" {
			g.todo += " (" + r.status.State + ")"
		}
	case phaseResult:
		g.needsUser = true
		g.todo = "done: press enter to continue"
		if e := r.result.Export; e != nil && e.Path != "" {
			g.todo = "written to the shared folder: press enter to continue"
		}
		if r.checks != nil {
			if pass, fail, _ := r.checks.counts(); fail == 0 && pass > 0 {
				g.todo = "every check passed: press enter to continue"
			}
		}
	case phaseFailed:
		g.needsUser = true
		g.todo = "it failed: read the hint, then press r to retry"
		if r.checks != nil && r.checks.selectedFix() != nil {
			g.todo = "a check failed: press f to let plwiz fix it"
		}
		if r.recover != nil {
			g.todo = "read the hint, then press f to " + steps.Sanitize(r.recover.Label)
		}
	}
	return g
}

// tableGuide says what to do on a live table (the provider's connections).
func (m *Model) tableGuide(g guidance) guidance {
	r := m.cur
	if r.tableDone {
		g.needsUser, g.todo = true, "complete: press enter to continue"
		return g
	}
	t := r.table
	var expected, some bool
	for _, row := range t.rows {
		some = true
		if row.Expected {
			expected = true
		}
	}
	var keys []string
	for _, a := range r.st.Table.Actions {
		if a.Key != "" {
			keys = append(keys, a.Key+" "+strings.ToLower(steps.Sanitize(a.Label)))
		}
	}
	switch {
	case expected:
		g.needsUser = true
		g.todo = "the row marked ★ is the consumer's endpoint: " + strings.Join(keys, ", ") + " the row under the cursor"
	case some:
		g.needsUser = true
		g.todo = strings.Join(keys, ", ") + " the row under the cursor"
	default:
		g.waitsOnOther = true
		g.todo = "no connection yet: waiting for the other party's endpoint"
	}
	return g
}
