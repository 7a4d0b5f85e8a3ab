package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/plwiz/plwiz/steps"
)

// Layout: a header line and a rule, then the sidebar and the screen side by
// side, then the key help. Below sidebarMinWidth columns the sidebar folds
// into the rule line ("step 3 of 9").
const (
	sidebarWidth    = 30
	sidebarMinWidth = 100
	headerHeight    = 2
)

func (m *Model) sidebarShown() bool { return m.com.Width >= sidebarMinWidth }

// screenSize is the room of the current step's screen.
func (m *Model) screenSize() (w, h int) { return m.screenSizeFor(m.helpLines()) }

// screenSizeFor is the room of the screen above the key help help.
func (m *Model) screenSizeFor(help []string) (w, h int) {
	w = m.com.Width - 2
	if m.sidebarShown() {
		w = m.com.Width - sidebarWidth - 3
	}
	h = m.com.Height - headerHeight - len(help)
	return max(w, 10), max(h, 3)
}

// helpLines is the key help at the bottom; only the party that has the
// keyboard shows it (the demo blurs the other).
func (m *Model) helpLines() []string {
	if !m.focused {
		return nil
	}
	m.help.SetWidth(m.com.Width - 2)
	return strings.Split(m.help.View(m), "\n")
}

// layoutChildren hands the components their sizes.
func (m *Model) layoutChildren() {
	if m.cur != nil {
		m.layoutChildrenAt(m.screenSize())
	}
}

// layoutChildrenAt hands the components their sizes in a screen of w×h.
func (m *Model) layoutChildrenAt(w, h int) {
	r := m.cur
	if r == nil {
		return
	}
	if r.form != nil {
		r.form.SetSize(w, h-2)
	}
	if r.fields != nil {
		r.fields.SetSize(w, 0)
	}
	if r.table != nil {
		r.table.SetSize(w, h-2)
	}
	if r.checks != nil {
		r.checks.SetSize(w, h-4)
	}
}

// View draws the whole Model in exactly its size: Height lines, none wider
// than Width.
func (m *Model) View() string {
	W, H := m.com.Width, m.com.Height
	t := m.com.Theme
	if m.tokenAlone && m.cur != nil && m.cur.result.Export != nil {
		return m.tokenView()
	}
	lines := make([]string, 0, H)
	lines = append(lines, fit(m.headerLine(), W))
	if m.sidebarShown() {
		lines = append(lines, t.Rule.Render(strings.Repeat("─", W)))
	} else {
		lines = append(lines, fit(m.progressLine(), W))
	}

	// The key help is drawn once a frame: its height sizes the screen.
	help := m.helpLines()
	sw, sh := m.screenSizeFor(help)
	m.layoutChildrenAt(sw, sh)
	screen := m.screenView(sw, sh)
	if m.sidebarShown() {
		side := m.sidebarView(sidebarWidth, sh)
		sep := t.Rule.Render("│")
		for i := range sh {
			var l, s string
			if i < len(side) {
				l = side[i]
			}
			if i < len(screen) {
				s = screen[i]
			}
			lines = append(lines, strings.TrimRight(padRight(fit(l, sidebarWidth), sidebarWidth)+" "+sep+" "+fit(s, sw), " "))
		}
	} else {
		for i := range sh {
			var s string
			if i < len(screen) {
				s = screen[i]
			}
			lines = append(lines, strings.TrimRight(" "+fit(s, sw), " "))
		}
	}
	for _, l := range help {
		lines = append(lines, fit(" "+l, W))
	}
	if len(lines) > H {
		lines = lines[:H]
	}
	for len(lines) < H {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// tokenView is the export's token and nothing else beside it: no
// sidebar, no indent, so a mouse selection copies the token alone (its
// line breaks do not matter: an import drops them).
func (m *Model) tokenView() string {
	W, H := m.com.Width, m.com.Height
	t := m.com.Theme
	lines := []string{fit(t.Dim.Render("The token alone, to select with the mouse. Any key goes back."), W), ""}
	for _, l := range strings.Split(ansi.Hardwrap(m.cur.result.Export.Token, W, true), "\n") {
		lines = append(lines, t.Value.Render(l))
	}
	if len(lines) > H {
		lines = append(lines[:H-1], fit(t.Warn.Render("The window is too small for the whole token: press any key and use c, or the file."), W))
	}
	for len(lines) < H {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) headerLine() string {
	t := m.com.Theme
	s := m.snap
	parts := []string{t.HeaderInfo.Render(string(s.role))}
	acct := s.account
	if acct == "" {
		acct = "account —"
	} else {
		acct = "account " + acct
	}
	parts = append(parts, t.HeaderInfo.Render(acct))
	if s.region != "" {
		parts = append(parts, t.HeaderInfo.Render(s.region))
	}
	focus := " "
	if m.focused {
		focus = t.Accent.Render("●")
	}
	line := func(parts []string) string {
		return focus + t.App.Render("plwiz") + "  " + strings.Join(parts, t.HeaderDim.Render(" · "))
	}
	if s.endpoint == "" {
		return line(parts)
	}
	// The endpoint URL is cut last: first its label and scheme go.
	full := line(append(parts, t.HeaderDim.Render("endpoint "+s.endpoint)))
	if ansi.StringWidth(full) <= m.com.Width {
		return full
	}
	host := s.endpoint
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	return line(append(parts, t.HeaderDim.Render(host)))
}

// progressLine replaces the sidebar on narrow terminals.
func (m *Model) progressLine() string {
	t := m.com.Theme
	n := len(m.flow.Steps)
	if m.finished {
		return t.Rule.Render("── ") + t.Success.Render(fmt.Sprintf("all %d steps done", n)) + t.Rule.Render(" ──")
	}
	if m.cur == nil {
		return t.Rule.Render(strings.Repeat("─", 3))
	}
	done := 0
	for _, st := range m.flow.Steps {
		if m.snap.recs[st.ID].State.Finished() {
			done++
		}
	}
	mark, _ := m.mark(m.cur.st)
	return t.Rule.Render("── ") + fmt.Sprintf("step %d of %d %s ", m.cur.index+1, n, mark) +
		t.Dim.Render(fmt.Sprintf("(%d done)", done)) + t.Rule.Render(" ──")
}

// mark is a step's state mark and its style.
func (m *Model) mark(st *steps.Step) (string, bool) {
	t := m.com.Theme
	rec := m.snap.recs[st.ID]
	current := m.cur != nil && m.cur.st == st
	switch {
	case rec.State == steps.StateDone:
		return t.MarkDone.Render("✓"), current
	case rec.State == steps.StateSkipped:
		return t.MarkSkipped.Render("–"), current
	case current && m.cur.phase == phaseFailed, !current && rec.State == steps.StateFailed:
		return t.MarkFailed.Render("✗"), current
	case rec.State == steps.StateWaiting:
		return t.MarkWaiting.Render("…"), current
	case current:
		return t.MarkCurrent.Render("▸"), current
	}
	return t.MarkPending.Render("·"), current
}

func (m *Model) sidebarView(w, h int) []string {
	t := m.com.Theme
	now := m.now()
	els := make([]string, len(m.flow.Steps))
	elW := 0
	for i, st := range m.flow.Steps {
		if d := m.snap.elapsed(st.ID, now); d > 0 || m.snap.recs[st.ID].State == steps.StateDone {
			els[i] = fmtDuration(d)
			elW = max(elW, len(els[i]))
		}
	}
	// Titles wrap when every step still fits in the height, so a long
	// title is read whole; else each is cut to one line.
	titleW := max(w-3-elW-1, 8)
	titles := make([][]string, len(m.flow.Steps))
	lines := 0
	for i, st := range m.flow.Steps {
		titles[i] = strings.Split(ansi.Wrap(steps.Sanitize(st.Title), titleW, ""), "\n")
		lines += len(titles[i])
	}
	if lines > h {
		for i, st := range m.flow.Steps {
			titles[i] = []string{ansi.Truncate(steps.Sanitize(st.Title), titleW, "…")}
		}
	}
	out := make([]string, 0, len(m.flow.Steps))
	cursorAt := 0
	for i, st := range m.flow.Steps {
		mark, current := m.mark(st)
		style := func(s string) string { return s }
		if current {
			style = func(s string) string { return t.Current.Render(s) }
			cursorAt = len(out)
		} else if m.snap.recs[st.ID].State == steps.StateSkipped {
			style = func(s string) string { return t.Dim.Render(s) }
		}
		for j, l := range titles[i] {
			if j == 0 {
				out = append(out, " "+mark+" "+style(padRight(l, titleW))+" "+t.Dim.Render(fmt.Sprintf("%*s", elW, els[i])))
				continue
			}
			out = append(out, "   "+style(l))
		}
	}
	// Long flows scroll so the current step stays in view.
	if len(out) > h {
		start := min(max(cursorAt-h/2, 0), len(out)-h)
		out = out[start : start+h]
	}
	return out
}

// fit cuts a line to w cells.
func fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// padRight pads a line with spaces to w cells.
func padRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// wrapIndent word-wraps text to w cells, indenting every line, each styled.
func wrapIndent(text string, w int, indent string, st interface{ Render(...string) string }) []string {
	width := max(w-ansi.StringWidth(indent), 8)
	var out []string
	for _, l := range strings.Split(ansi.Wrap(text, width, ""), "\n") {
		out = append(out, indent+st.Render(l))
	}
	return out
}

// hardWrapIndent breaks text anywhere (tokens have no spaces).
func hardWrapIndent(text string, w int, indent string, st interface{ Render(...string) string }) []string {
	width := max(w-ansi.StringWidth(indent), 8)
	var out []string
	for _, l := range strings.Split(ansi.Hardwrap(text, width, true), "\n") {
		out = append(out, indent+st.Render(l))
	}
	return out
}
