package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/steps"
)

// screenKey handles a key on the current step's screen.
func (m *Model) screenKey(msg tea.KeyPressMsg) tea.Cmd {
	r := m.cur
	k := m.com.Keys
	q := m.asked
	if r.table != nil && r.phase == phasePolling {
		if !r.table.filtering && key.Matches(msg, k.Continue) {
			if !r.tableDone {
				m.setNote("Not finished yet: "+m.tableWaitText(), false)
				return nil
			}
			if q == nil || q.q.Kind != steps.AskTable {
				r.table.finishQueued = true
				return nil
			}
			m.reply(steps.Reply{Choice: steps.ChoiceFinish})
			return nil
		}
		if !r.table.filtering && key.Matches(msg, k.Refresh) {
			m.replyTable(steps.Reply{Choice: steps.ChoiceRefresh})
			return nil
		}
		if req := r.table.update(msg); req != nil && req.act.Do != nil {
			if req.act.Confirm == "" {
				m.setNote(steps.Sanitize(req.act.Label)+"…", false)
			}
			m.replyTable(steps.Reply{Choice: steps.ChoiceRowAction, Action: req.act.Key, Rows: req.ids})
		}
		return nil
	}
	switch {
	case r.phase == phaseReady && key.Matches(msg, k.Continue) && q != nil && q.q.Kind == steps.AskGo:
		m.reply(steps.Reply{Choice: steps.ChoiceYes})
		if r.st.Confirm == "" {
			r.phase = phaseStarting
		}
	case r.phase == phaseResult && key.Matches(msg, k.Continue):
		if q == nil || q.q.Kind != steps.AskResult {
			return nil
		}
		m.reply(steps.Reply{Choice: steps.ChoiceContinue})
	case r.phase == phaseFailed && r.recover != nil && key.Matches(msg, k.Fix) && (r.checks == nil || r.checks.selectedFix() == nil):
		if q == nil || q.q.Kind != steps.AskFailed {
			return nil
		}
		label := steps.Sanitize(r.recover.Label)
		m.ask(label+"?", func() tea.Cmd {
			r.phase, r.recover = phaseRunning, nil
			m.reply(steps.Reply{Choice: steps.ChoiceRecover})
			return nil
		})
	case r.phase == phaseFailed && key.Matches(msg, k.Retry):
		if q == nil || q.q.Kind != steps.AskFailed {
			return nil
		}
		m.note = ""
		r.errText, r.hint = "", ""
		m.reply(steps.Reply{Choice: steps.ChoiceRetry})
		r.phase = phaseStarting
	case key.Matches(msg, k.Copy):
		return m.copySelected()
	case key.Matches(msg, k.TokenAlone) && r.result.Export != nil && r.result.Export.Token != "":
		m.tokenAlone = true
	case key.Matches(msg, k.Fix) && r.checks != nil:
		m.offerFix()
	case key.Matches(msg, k.Up):
		m.moveCursor(-1)
	case key.Matches(msg, k.Down):
		m.moveCursor(1)
	}
	return nil
}

func (m *Model) tableWaitText() string {
	if m.cur.st.Describe != nil && m.cur.describe != "" {
		return strings.SplitN(m.cur.describe, "\n", 2)[0]
	}
	return "the table's step is not complete"
}

func (m *Model) moveCursor(d int) {
	r := m.cur
	switch {
	case r.checks != nil:
		r.checks.move(d)
	case r.fields != nil:
		r.fields.move(d)
	}
}

// copySelected copies the export token, or the chosen copyable field, with
// OSC 52.
func (m *Model) copySelected() tea.Cmd {
	r := m.cur
	if r.result.Export != nil && r.result.Export.Token != "" {
		m.setNote("Copied the token to the clipboard (OSC 52).", false)
		return tea.SetClipboard(r.result.Export.Token)
	}
	if r.fields != nil {
		if f, ok := r.fields.selected(); ok {
			m.setNote(fmt.Sprintf("Copied %s to the clipboard (OSC 52).", f.Label), false)
			return tea.SetClipboard(f.Value)
		}
	}
	return nil
}

// offerFix asks before running the fix of the check under the cursor.
func (m *Model) offerFix() {
	r := m.cur
	q := m.asked
	c := r.checks.selectedFix()
	if c == nil || q == nil || (q.q.Kind != steps.AskFailed && q.q.Kind != steps.AskResult) {
		return
	}
	i := r.checks.cursor
	m.ask(fmt.Sprintf("%s? (for the check %q)", steps.Sanitize(c.Fix.Label), c.Name), func() tea.Cmd {
		r.phase = phaseRunning
		m.reply(steps.Reply{Choice: steps.ChoiceFix, Check: i})
		return nil
	})
}

// screenKeys is the help of the screen of the moment.
func (m *Model) screenKeys() keyList {
	k := m.com.Keys
	var short []key.Binding
	var groups [][]key.Binding
	add := func(bs ...key.Binding) { short = append(short, bs...) }
	switch {
	case m.confirm != nil:
		add(k.Yes, k.No)
	case m.finished && !m.inDemo:
		add(withHelp(k.Continue, "leave"))
	case m.cur == nil:
	case m.cur.phase == phaseInput && m.cur.form != nil:
		add(m.cur.form.ShortHelp()...)
		if m.cur.stage > 0 && m.cur.form.atFirstField() {
			add(withHelp(k.Back, "back to "+m.cur.backTo))
		}
	default:
		r := m.cur
		if r.table != nil && r.phase == phasePolling {
			add(r.table.ShortHelp()...)
			if r.tableDone {
				short = append([]key.Binding{k.Continue}, short...)
			}
			groups = append(groups, r.table.FullHelp()...)
		}
		switch r.phase {
		case phaseReady:
			label := "go ahead"
			if r.st.Confirm != "" {
				label = "go ahead (asks first)"
			}
			add(withHelp(k.Continue, label))
		case phaseResult:
			add(k.Continue)
		case phaseFailed:
			add(k.Retry)
			if r.recover != nil {
				add(withHelp(k.Fix, steps.Sanitize(r.recover.Label)))
			}
		}
		if r.result.Export != nil && r.result.Export.Token != "" {
			add(withHelp(k.Copy, "copy token"), k.TokenAlone)
		} else if r.fields != nil && r.fields.copyable() && r.table == nil {
			add(r.fields.ShortHelp()...)
		}
		if r.checks != nil && r.table == nil {
			add(r.checks.ShortHelp()...)
		}
	}
	if m.confirm == nil && !(m.cur != nil && m.cur.phase == phaseInput) {
		add(k.Help)
	}
	add(k.Quit)
	groups = append([][]key.Binding{short}, groups...)
	return keyList{short: short, full: groups}
}

func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// ShortHelp is the keys of the screen of the moment (help.KeyMap).
func (m *Model) ShortHelp() []key.Binding { return m.screenKeys().ShortHelp() }

// FullHelp is every key of the screen of the moment (help.KeyMap).
func (m *Model) FullHelp() [][]key.Binding { return m.screenKeys().FullHelp() }

// screenView draws the current step's screen in w×h cells.
func (m *Model) screenView(w, h int) []string {
	t := m.com.Theme
	if m.finished {
		return m.finishedView(w)
	}
	r := m.cur
	if r == nil {
		return []string{m.spinView() + " Starting…"}
	}
	title := t.Title.Render(steps.Sanitize(r.st.Title))
	out := []string{title, ""}
	var bottom []string
	if m.note != "" {
		st := t.Success
		if m.noteBad {
			st = t.Error
		}
		bottom = append(bottom, wrapIndent(m.note, w, "", st)...)
	}
	if m.saveErr != "" {
		bottom = append(bottom, wrapIndent("Could not save the session: "+m.saveErr, w, "", t.Warn)...)
	}
	if m.confirm != nil {
		bottom = append(bottom, "")
		bottom = append(bottom, wrapIndent("? "+m.confirm.question, w, "", t.Dialog)...)
		bottom = append(bottom, t.Dim.Render("  y: yes   n: no"))
	}
	if m.leaving {
		bottom = append(bottom, m.spinView()+" Saving the session…")
	}
	room := max(h-len(out)-len(bottom), 1)
	body := m.kindView(r, w, room)
	if len(body) > room {
		body = body[:room]
	}
	out = append(out, body...)
	// The question and notes sit at the bottom, where the eye is after a
	// key press.
	for len(out)+len(bottom) < h {
		out = append(out, "")
	}
	return append(out, bottom...)
}

func (m *Model) spinView() string {
	if m.opts.Static {
		return m.com.Theme.Accent.Render("•")
	}
	return m.com.Theme.Accent.Render(m.spin.View())
}

// kindView is the body of the step's screen, by kind.
func (m *Model) kindView(r *stepRun, w, h int) []string {
	t := m.com.Theme
	var out []string
	if r.describe != "" && r.phase != phaseInput && r.phase != phaseStarting {
		for _, l := range strings.Split(r.describe, "\n") {
			out = append(out, wrapIndent(l, w, "", t.Value)...)
		}
		out = append(out, "")
	}
	switch r.phase {
	case phaseLoading:
		return append(out, m.spinView()+" Loading the choices…")
	case phaseInput:
		if r.form != nil {
			for _, a := range r.answers[:min(r.stage, len(r.answers))] {
				for _, l := range a {
					out = append(out, t.Dim.Render(fit("✓ "+l, w)))
				}
			}
			if r.stage > 0 {
				out = append(out, "")
			}
			out = append(out, r.form.view()...)
			if r.st.Handoff == steps.HandoffExport && m.env.BundleDir != "" {
				out = append(out, "")
				out = append(out, wrapIndent("A file name without a folder is written in "+steps.Sanitize(m.env.BundleDir)+".", w, "", t.Dim)...)
			}
			return out
		}
	case phaseRunning:
		out = append(out, m.fieldsView()...)
		return append(out, m.spinView()+" "+runningText(r.st))
	}
	switch r.st.Kind {
	case steps.KindTable:
		if r.table != nil && r.phase == phasePolling {
			if r.rowsErr != "" {
				out = append(out, wrapIndent("✗ "+r.rowsErr, w, "", t.Error)...)
			}
			if r.tableDone {
				out = append(out, t.Success.Render("✓ Complete — press enter to continue."))
			}
			r.table.SetSize(w, max(h-len(out), 3))
			return append(out, r.table.view()...)
		}
	case steps.KindCheck:
		if r.checks != nil {
			pass, fail, skip := r.checks.counts()
			out = append(out, t.Label.Render(fmt.Sprintf("%d passed, %d failed, %d skipped", pass, fail, skip)), "")
			// The list takes the room the lines below it leave.
			tail := m.tailView(r, w)
			r.checks.SetSize(w, max(h-len(out)-len(tail), 3))
			out = append(out, r.checks.view()...)
			return append(out, tail...)
		}
	case steps.KindHandoff:
		if e := r.result.Export; e != nil && r.phase == phaseResult {
			out = append(out, t.Label.Render("Written to"))
			out = append(out, hardWrapIndent(e.Path, w, "  ", t.Value)...)
			out = append(out, "")
			out = append(out, wrapIndent("One-line token (c copies it; t shows it alone, to select with the mouse)", w, "", t.Label)...)
			out = append(out, hardWrapIndent(e.Token, w, "  ", t.Value)...)
			out = append(out, "")
		}
	}
	return append(out, m.tailView(r, w)...)
}

// tailView is what closes a step's screen: its fields, then what stage it
// is at (go ahead, waiting, done, failed).
func (m *Model) tailView(r *stepRun, w int) []string {
	t := m.com.Theme
	out := m.fieldsView()
	switch r.phase {
	case phaseReady:
		if r.st.Confirm != "" && m.confirm == nil {
			out = append(out, wrapIndent("Press enter to go ahead; you will be asked to confirm: "+steps.Sanitize(r.st.Confirm), w, "", t.Dim)...)
		} else if m.confirm == nil {
			out = append(out, t.Dim.Render("Press enter to go ahead."))
		}
	case phasePolling:
		out = append(out, m.waitView(r, w)...)
	case phaseResult:
		text := "Done."
		if r.result.Detail != "" {
			text = r.result.Detail
		}
		out = append(out, wrapIndent("✓ "+text, w, "", t.Success)...)
	case phaseFailed:
		out = append(out, wrapIndent("✗ "+orDash(r.errText), w, "", t.Error)...)
		if r.hint != "" {
			out = append(out, wrapIndent("hint: "+r.hint, w, "  ", t.Hint)...)
		}
		out = append(out, t.Dim.Render("  r: retry"))
		if r.recover != nil {
			out = append(out, t.Accent.Render("  f: "+steps.Sanitize(r.recover.Label)))
		}
	}
	return out
}

func runningText(st *steps.Step) string {
	switch st.Kind {
	case steps.KindCheck:
		return "Checking…"
	case steps.KindHandoff:
		if st.Handoff == steps.HandoffImport {
			return "Reading the bundle…"
		}
		return "Writing the bundle…"
	}
	return "Working…"
}

func (m *Model) fieldsView() []string {
	r := m.cur
	if r.fields == nil || len(r.fields.fields) == 0 {
		return nil
	}
	return append(r.fields.view(), "")
}

// waitView is the live status of a poll: state, what AWS is doing, how long
// it has been, and when the next look is.
func (m *Model) waitView(r *stepRun, w int) []string {
	t := m.com.Theme
	now := m.now()
	row := func(label, value string, st func(...string) string) string {
		return "  " + t.Label.Render(padRight(label, 10)) + st(value)
	}
	state := r.status.State
	if !r.polled {
		state = "looking…"
	}
	out := []string{m.spinView() + " " + t.Bold.Render("Waiting")}
	out = append(out, row("state", orDash(state), t.Value.Render))
	if r.status.Detail != "" {
		lines := wrapIndent(r.status.Detail, max(w-12, 10), "", t.Value)
		out = append(out, row("doing", "", t.Value.Render)+lines[0])
		for _, l := range lines[1:] {
			out = append(out, strings.Repeat(" ", 12)+l)
		}
	}
	out = append(out, row("elapsed", fmtDuration(m.snap.elapsed(r.st.ID, now)), t.Value.Render))
	if !r.nextPoll.IsZero() {
		next := r.nextPoll.Sub(now).Round(time.Second)
		txt := "now"
		if next > 0 {
			txt = "in " + fmtDuration(next)
		}
		out = append(out, row("next look", txt, t.Dim.Render))
	}
	if r.status.OtherParty {
		out = append(out, "")
		out = append(out, wrapIndent("This waits on the other party.", w, "  ", t.Dim)...)
	}
	if r.pollErr != "" {
		out = append(out, wrapIndent("last look failed, trying again: "+r.pollErr, w, "  ", t.Warn)...)
	}
	if r.status.Hint != "" {
		out = append(out, wrapIndent("hint: "+r.status.Hint, w, "  ", t.Hint)...)
	}
	return out
}

func (m *Model) finishedView(w int) []string {
	t := m.com.Theme
	out := []string{t.Title.Render("All done"), ""}
	if sum := m.Summary(); sum != "" {
		out = append(out, wrapIndent("✓ "+sum, w, "", t.Success)...)
		out = append(out, "")
	}
	out = append(out, wrapIndent(fmt.Sprintf("Every step of the %s flow is done. The session %s is saved.", m.snap.role, m.snap.id), w, "", t.Value)...)
	leave := "Press enter to leave."
	if m.inDemo {
		leave = "Tab plays the other party; ctrl+c leaves the demo."
	}
	return append(out, "", t.Dim.Render(leave))
}

// fmtDuration is a short, stable duration: 4s, 1m05s, 2h03m.
func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
