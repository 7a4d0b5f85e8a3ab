package tui

import (
	"slices"

	"github.com/plwiz/plwiz/steps"
)

// Everything shown that came from AWS or files loses its control
// characters once, when it arrives, not at every frame.

func cleanResult(r steps.Result) steps.Result {
	out := steps.Result{Detail: steps.Sanitize(r.Detail)}
	for _, c := range r.Checks {
		c.Name, c.Expected, c.Seen, c.Hint = steps.Sanitize(c.Name), steps.Sanitize(c.Expected), steps.Sanitize(c.Seen), steps.Sanitize(c.Hint)
		out.Checks = append(out.Checks, c)
	}
	if r.Export != nil {
		out.Export = &steps.Export{Path: steps.Sanitize(r.Export.Path), Token: steps.Sanitize(r.Export.Token)}
	}
	return out
}

func cleanStatus(s steps.Status) steps.Status {
	s.State, s.Detail, s.Hint = steps.Sanitize(s.State), steps.Sanitize(s.Detail), steps.Sanitize(s.Hint)
	return s
}

func cleanRows(rows []steps.Row) []steps.Row {
	out := make([]steps.Row, len(rows))
	for i, r := range rows {
		out[i] = steps.Row{ID: r.ID, Cells: cleanCells(r.Cells), Expected: r.Expected, State: steps.Sanitize(r.State), Note: steps.Sanitize(r.Note)}
	}
	return out
}

// cleanCells returns cells with control characters stripped: the same
// slice when there are none, as there almost never are, so a table of
// 10,000 rows is not held twice (the cells are never written to).
func cleanCells(cells []string) []string {
	for j, c := range cells {
		if steps.Sanitize(c) == c {
			continue
		}
		out := slices.Clone(cells)
		for k := j; k < len(out); k++ {
			out[k] = steps.Sanitize(out[k])
		}
		return out
	}
	return cells
}

func cleanFields(fs []steps.Field) []steps.Field {
	out := make([]steps.Field, len(fs))
	for i, f := range fs {
		out[i] = steps.Field{Label: steps.Sanitize(f.Label), Value: steps.Sanitize(f.Value), Copyable: f.Copyable}
	}
	return out
}

func cleanOptions(in map[string][]steps.Option) map[string][]steps.Option {
	out := make(map[string][]steps.Option, len(in))
	for k, opts := range in {
		clean := make([]steps.Option, len(opts))
		for i, o := range opts {
			clean[i] = steps.Option{Value: o.Value, Label: steps.Sanitize(o.Label), Note: steps.Sanitize(o.Note), Disabled: o.Disabled}
		}
		out[k] = clean
	}
	return out
}
