package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/plwiz/plwiz/steps"
)

// fieldList shows a step's labelled facts; the copyable ones can be
// chosen with up/down and copied with c (the TXT record's name, type,
// value and TTL).
type fieldList struct {
	com    *Common
	fields []steps.Field
	cursor int // index into fields; -1 when nothing is copyable
	width  int
}

func newFieldList(com *Common, fs []steps.Field) *fieldList {
	l := &fieldList{com: com, cursor: -1}
	l.setFields(fs)
	return l
}

func (l *fieldList) setFields(fs []steps.Field) {
	l.fields = fs
	if l.cursor >= len(fs) || l.cursor < 0 || !fs[l.cursor].Copyable {
		l.cursor = -1
		for i, f := range fs {
			if f.Copyable {
				l.cursor = i
				break
			}
		}
	}
}

// SetSize gives the list its width; it is as tall as its fields.
func (l *fieldList) SetSize(w, _ int) { l.width = w }

func (l *fieldList) copyable() bool { return l.cursor >= 0 }

func (l *fieldList) move(d int) {
	if l.cursor < 0 {
		return
	}
	for i := l.cursor + d; i >= 0 && i < len(l.fields); i += d {
		if l.fields[i].Copyable {
			l.cursor = i
			return
		}
	}
}

func (l *fieldList) selected() (steps.Field, bool) {
	if l.cursor < 0 {
		return steps.Field{}, false
	}
	return l.fields[l.cursor], true
}

// ShortHelp is the list's keys.
func (l *fieldList) ShortHelp() []key.Binding {
	if !l.copyable() {
		return nil
	}
	k := l.com.Keys
	return []key.Binding{k.Copy, k.Up, k.Down}
}

// FullHelp is the list's keys in one column.
func (l *fieldList) FullHelp() [][]key.Binding { return [][]key.Binding{l.ShortHelp()} }

func (l *fieldList) view() []string {
	t := l.com.Theme
	lw := 0
	for _, f := range l.fields {
		lw = max(lw, ansi.StringWidth(f.Label))
	}
	lw = min(lw, 22)
	valW := max(l.width-lw-4, 10)
	var out []string
	for i, f := range l.fields {
		mark := "  "
		if i == l.cursor {
			mark = t.Accent.Render("›") + " "
		}
		label := padRight(ansi.Truncate(f.Label, lw, "…"), lw)
		chunks := strings.Split(ansi.Wrap(f.Value, valW, ""), "\n")
		for j, c := range chunks {
			val := t.Value.Render(c)
			if i == l.cursor {
				val = t.Cursor.Render(c)
			}
			if j == 0 {
				out = append(out, mark+t.Label.Render(label)+"  "+val)
			} else {
				out = append(out, strings.Repeat(" ", lw+4)+val)
			}
		}
	}
	return out
}

// checkList shows the results of a check step, each with a mark, what was
// expected and seen, its hint, and the fix it offers.
type checkList struct {
	com     *Common
	results []steps.CheckResult
	cursor  int
	width   int
	height  int
}

func newCheckList(com *Common, rs []steps.CheckResult) *checkList {
	l := &checkList{com: com, results: rs}
	// Start on the first failed check: that is what to read first.
	for i, r := range rs {
		if !r.Passed && !r.Skipped {
			l.cursor = i
			break
		}
	}
	return l
}

// SetSize gives the list its room.
func (l *checkList) SetSize(w, h int) { l.width, l.height = w, h }

func (l *checkList) move(d int) {
	l.cursor = min(max(l.cursor+d, 0), max(len(l.results)-1, 0))
}

func (l *checkList) selectedFix() *steps.CheckResult {
	if l.cursor >= len(l.results) {
		return nil
	}
	r := &l.results[l.cursor]
	if r.Passed || r.Skipped || r.Fix == nil {
		return nil
	}
	return r
}

// ShortHelp is the list's keys.
func (l *checkList) ShortHelp() []key.Binding {
	k := l.com.Keys
	out := []key.Binding{k.Up, k.Down}
	if r := l.selectedFix(); r != nil {
		fix := k.Fix
		fix.SetHelp(k.Fix.Help().Key, "fix: "+steps.Sanitize(r.Fix.Label))
		out = append([]key.Binding{fix}, out...)
	}
	return out
}

// FullHelp is the list's keys in one column.
func (l *checkList) FullHelp() [][]key.Binding { return [][]key.Binding{l.ShortHelp()} }

func (l *checkList) counts() (pass, fail, skip int) {
	for _, r := range l.results {
		switch {
		case r.Skipped:
			skip++
		case r.Passed:
			pass++
		default:
			fail++
		}
	}
	return
}

func (l *checkList) view() []string {
	t := l.com.Theme
	w := max(l.width, 16)
	var out []string
	cursorLine := 0
	starts := make([]int, 0, len(l.results)) // each check's first line
	for i, r := range l.results {
		starts = append(starts, len(out))
		var mark string
		switch {
		case r.Skipped:
			mark = t.MarkSkipped.Render("–")
		case r.Passed:
			mark = t.MarkDone.Render("✓")
		default:
			mark = t.MarkFailed.Render("✗")
		}
		sel := "  "
		name := r.Name
		if i == l.cursor {
			sel = t.Accent.Render("›") + " "
			cursorLine = len(out)
		}
		// A long name (a vpce DNS name) wraps under itself.
		names := strings.Split(ansi.Wrap(name, max(w-4, 8), ""), "\n")
		line := sel + mark + " " + names[0]
		if r.Skipped {
			line += t.Dim.Render(" (skipped)")
		}
		out = append(out, line)
		for _, n := range names[1:] {
			out = append(out, "    "+n)
		}
		if r.Passed {
			if r.Seen != "" {
				out = append(out, wrapIndent(r.Seen, w, "      ", t.Dim)...)
			}
			continue
		}
		if r.Expected != "" || r.Seen != "" {
			out = append(out, wrapIndent(fmt.Sprintf("expected %s, saw %s", orDash(r.Expected), orDash(r.Seen)), w, "      ", t.Value)...)
		}
		if r.Hint != "" && !r.Skipped {
			out = append(out, wrapIndent("hint: "+r.Hint, w, "      ", t.Hint)...)
		}
		if r.Fix != nil && !r.Skipped {
			out = append(out, wrapIndent(l.com.Keys.Fix.Help().Key+": "+steps.Sanitize(r.Fix.Label), w, "      ", t.Accent)...)
		}
	}
	// Keep the cursor's check in view when the list is taller than its
	// room, starting at the first line of a check, not in the middle of
	// the one before.
	if l.height > 0 && len(out) > l.height {
		cursorEnd := len(out)
		if l.cursor+1 < len(starts) {
			cursorEnd = starts[l.cursor+1]
		}
		// Checks before the cursor's come into view while they leave it
		// room, up to a third of the height.
		start := cursorLine
		for i := l.cursor - 1; i >= 0 && starts[i] >= cursorLine-l.height/3 && cursorEnd-starts[i] <= l.height; i-- {
			start = starts[i]
		}
		start = min(start, len(out)-l.height)
		out = out[start : start+l.height]
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
