package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/plwiz/plwiz/steps"
)

// maxColWidth caps a column so one long value cannot push the others off
// the screen.
const maxColWidth = 40

// rowRequest is a row action the user asked for, on these rows.
type rowRequest struct {
	act steps.RowAction
	ids []string
}

// tableView is a live list of rows: sortable by column, filterable with /,
// multi-select with space, actions on their keys. Filtering, sorting and
// column widths are computed when the rows, the filter or the order
// change, never in View, and View draws only the rows on screen, so it
// stays quick with tens of thousands of rows.
type tableView struct {
	com     *Common
	cols    []string
	actions []steps.RowAction

	rows     []steps.Row
	lower    []string // each row's text, lower-cased, for the filter
	widths   []int
	selected map[string]bool

	filtering bool
	filter    string
	sortCol   int // -1: the order the rows came in
	desc      bool
	order     []int // indexes into rows, filtered and sorted

	cursor, offset int
	width, height  int
	finishQueued   bool
}

func newTableView(com *Common, t *steps.Table) *tableView {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = steps.Sanitize(c)
	}
	tv := &tableView{com: com, cols: cols, actions: t.Actions, selected: map[string]bool{}, sortCol: -1}
	tv.SetRows(nil)
	return tv
}

// SetSize gives the table its room.
func (t *tableView) SetSize(w, h int) {
	t.width, t.height = w, h
	t.clamp()
}

// SetRows replaces the rows (already sanitised), keeping the cursor on the
// same row when it is still there.
func (t *tableView) SetRows(rows []steps.Row) {
	curID := ""
	if t.cursor < len(t.order) {
		curID = t.rows[t.order[t.cursor]].ID
	}
	t.rows = rows
	t.lower = nil // built when a filter needs it
	t.widths = make([]int, len(t.cols))
	for i, c := range t.cols {
		t.widths[i] = ansi.StringWidth(c) + 2 // room for the sort arrow
	}
	ids := make(map[string]bool, len(rows))
	for _, r := range rows {
		ids[r.ID] = true
		for j := range min(len(r.Cells), len(t.widths)) {
			t.widths[j] = max(t.widths[j], min(ansi.StringWidth(r.Cells[j]), maxColWidth))
		}
	}
	for id := range t.selected {
		if !ids[id] {
			delete(t.selected, id)
		}
	}
	t.rebuild()
	if curID != "" {
		for i, ri := range t.order {
			if t.rows[ri].ID == curID {
				t.cursor = i
				break
			}
		}
	}
	t.clamp()
}

// lowered is row i's text as the filter matches it. The texts are made
// on the first filter, not with the rows: 10,000 rows shown unfiltered
// need none.
func (t *tableView) lowered(i int) string {
	if t.lower == nil {
		t.lower = make([]string, len(t.rows))
		for k, r := range t.rows {
			t.lower[k] = strings.ToLower(strings.Join(r.Cells, "\x00") + "\x00" + r.State + "\x00" + r.Note)
		}
	}
	return t.lower[i]
}

// rebuild filters and sorts from scratch.
func (t *tableView) rebuild() {
	t.order = t.order[:0]
	f := strings.ToLower(t.filter)
	for i := range t.rows {
		if f == "" || strings.Contains(t.lowered(i), f) {
			t.order = append(t.order, i)
		}
	}
	t.sortView()
}

// narrow filters the current view further: a filter that grew can only
// keep fewer of the rows already shown, in the same order.
func (t *tableView) narrow() {
	f := strings.ToLower(t.filter)
	t.order = slices.DeleteFunc(t.order, func(i int) bool { return !strings.Contains(t.lowered(i), f) })
	t.clamp()
}

func (t *tableView) sortView() {
	if t.sortCol < 0 {
		if t.desc {
			slices.Reverse(t.order)
		}
		return
	}
	c := t.sortCol
	cell := func(i int) string {
		if c < len(t.rows[i].Cells) {
			return t.rows[i].Cells[c]
		}
		return ""
	}
	slices.SortStableFunc(t.order, func(a, b int) int {
		r := cmp.Compare(cell(a), cell(b))
		if t.desc {
			return -r
		}
		return r
	})
}

func (t *tableView) visibleRows() int { return max(t.height-2, 1) }

func (t *tableView) clamp() {
	n := len(t.order)
	t.cursor = min(max(t.cursor, 0), max(n-1, 0))
	vis := t.visibleRows()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+vis {
		t.offset = t.cursor - vis + 1
	}
	t.offset = min(max(t.offset, 0), max(n-vis, 0))
}

// ClearSelection unselects every row (after an action ran on them).
func (t *tableView) ClearSelection() { clear(t.selected) }

// targets is the selected rows, or the row under the cursor.
func (t *tableView) targets() []string {
	var ids []string
	for _, r := range t.rows {
		if t.selected[r.ID] {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 && t.cursor < len(t.order) {
		ids = []string{t.rows[t.order[t.cursor]].ID}
	}
	return ids
}

// update handles a key; a row action comes back as a request.
func (t *tableView) update(msg tea.KeyPressMsg) *rowRequest {
	k := t.com.Keys
	if t.filtering {
		switch msg.String() {
		case "enter":
			t.filtering = false
		case "esc":
			t.filtering, t.filter = false, ""
			t.rebuild()
			t.clamp()
		case "backspace":
			if t.filter != "" {
				_, size := lastRune(t.filter)
				t.filter = t.filter[:len(t.filter)-size]
				t.rebuild()
				t.clamp()
			}
		default:
			if txt := steps.Sanitize(msg.Text); txt != "" && msg.Mod&^tea.ModShift == 0 {
				t.filter += txt
				t.narrow()
			}
		}
		return nil
	}
	for _, a := range t.actions {
		if a.Key != "" && msg.String() == a.Key {
			if len(t.order) == 0 {
				return nil
			}
			return &rowRequest{act: a, ids: t.targets()}
		}
	}
	vis := t.visibleRows()
	switch {
	case key.Matches(msg, k.Up):
		t.cursor--
	case key.Matches(msg, k.Down):
		t.cursor++
	case key.Matches(msg, k.PageUp):
		t.cursor -= vis
	case key.Matches(msg, k.PageDown):
		t.cursor += vis
	case key.Matches(msg, k.Home):
		t.cursor = 0
	case key.Matches(msg, k.End):
		t.cursor = len(t.order) - 1
	case key.Matches(msg, k.Select):
		if t.cursor < len(t.order) {
			id := t.rows[t.order[t.cursor]].ID
			if t.selected[id] {
				delete(t.selected, id)
			} else {
				t.selected[id] = true
			}
			t.cursor++
		}
	case key.Matches(msg, k.Filter):
		t.filtering = true
	case key.Matches(msg, k.Clear):
		if t.filter != "" {
			t.filter = ""
			t.rebuild()
		}
	case key.Matches(msg, k.Sort):
		t.sortCol++
		if t.sortCol >= len(t.cols) {
			t.sortCol = -1
		}
		t.rebuild()
	case key.Matches(msg, k.Reverse):
		t.desc = !t.desc
		t.rebuild()
	}
	t.clamp()
	return nil
}

// minColWidth is the least a column is squeezed to: a few letters and "…".
const minColWidth = 6

// fitColumns fits columns into room cells, with a gap of two between
// them. The first ones (the endpoint ID, its owner, its state) matter most:
// columns are kept whole from the left while they fit; the next one is cut
// if at least minColWidth cells are left for it, and the rest are hidden
// (width 0).
func fitColumns(widths []int, room int) []int {
	out := make([]int, len(widths))
	used := 0
	for i, w := range widths {
		gap := 0
		if i > 0 {
			gap = 2
		}
		left := room - used - gap
		if i > 0 && left < minColWidth || i == 0 && left <= 0 {
			break
		}
		out[i] = min(w, left)
		used += gap + out[i]
		if out[i] < w {
			break
		}
	}
	return out
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return []rune(s[i:])[0], len(s) - i
		}
	}
	return 0, 0
}

// ShortHelp is the table's keys: its actions first.
func (t *tableView) ShortHelp() []key.Binding {
	k := t.com.Keys
	if t.filtering {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		}
	}
	var out []key.Binding
	for _, a := range t.actions {
		out = append(out, key.NewBinding(key.WithKeys(a.Key), key.WithHelp(a.Key, strings.ToLower(steps.Sanitize(a.Label)))))
	}
	return append(out, k.Select, k.Filter, k.Sort)
}

// FullHelp is every table key, by purpose.
func (t *tableView) FullHelp() [][]key.Binding {
	k := t.com.Keys
	short := t.ShortHelp()
	return [][]key.Binding{short, {k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.Reverse, k.Clear, k.Refresh}}
}

// view draws the header, the rows on screen and a status line.
func (t *tableView) view() []string {
	th := t.com.Theme
	prefixW := 7 // cursor, select box, expected mark
	widths := fitColumns(t.widths, t.width-prefixW)
	hidden := 0
	for _, w := range widths {
		if w == 0 {
			hidden++
		}
	}
	var head strings.Builder
	head.WriteString(strings.Repeat(" ", prefixW))
	for i, c := range t.cols {
		name := c
		if i == t.sortCol {
			if t.desc {
				name += " ▼"
			} else {
				name += " ▲"
			}
		}
		if widths[i] == 0 {
			continue
		}
		head.WriteString(padRight(ansi.Truncate(name, widths[i], "…"), widths[i]))
		head.WriteString("  ")
	}
	out := []string{th.TableHead.Render(ansi.Truncate(strings.TrimRight(head.String(), " "), t.width, "…"))}

	vis := t.visibleRows()
	end := min(t.offset+vis, len(t.order))
	var b strings.Builder
	for vi := t.offset; vi < end; vi++ {
		r := &t.rows[t.order[vi]]
		b.Reset()
		if vi == t.cursor {
			b.WriteString("› ")
		} else {
			b.WriteString("  ")
		}
		if t.selected[r.ID] {
			b.WriteString("[x]")
		} else {
			b.WriteString("[ ]")
		}
		if r.Expected {
			b.WriteString("★ ")
		} else {
			b.WriteString("  ")
		}
		for i := range t.cols {
			if widths[i] == 0 {
				continue
			}
			cell := ""
			if i < len(r.Cells) {
				cell = r.Cells[i]
			}
			b.WriteString(padRight(ansi.Truncate(cell, widths[i], "…"), widths[i]))
			b.WriteString("  ")
		}
		line := ansi.Truncate(strings.TrimRight(b.String(), " "), t.width, "…")
		switch {
		case vi == t.cursor:
			line = th.Cursor.Render(line)
		case r.Expected:
			line = th.Expected.Render(line)
		}
		out = append(out, line)
	}
	if len(t.order) == 0 {
		if len(t.rows) == 0 {
			out = append(out, th.Dim.Render("  no rows yet"))
		} else {
			out = append(out, th.Dim.Render("  no row matches the filter"))
		}
	}
	for len(out) < vis+1 {
		out = append(out, "")
	}

	status := fmt.Sprintf("%d of %d rows", len(t.order), len(t.rows))
	if hidden > 0 {
		status += fmt.Sprintf(" · %d more columns in a wider window", hidden)
	}
	if n := len(t.selected); n > 0 {
		status += fmt.Sprintf(" · %d selected", n)
	}
	if t.filtering {
		status += " · filter: " + t.filter + "▏"
	} else if t.filter != "" {
		status += " · filter: " + t.filter
	}
	if t.cursor < len(t.order) {
		r := &t.rows[t.order[t.cursor]]
		if r.Expected {
			status += " · ★ expected"
		}
		if r.Note != "" {
			status += " · " + r.Note
		}
	}
	out = append(out, th.Dim.Render(ansi.Truncate(status, t.width, "…")))
	return out
}
