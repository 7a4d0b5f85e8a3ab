package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/steps"
)

// work runs fn in a command that holds the session: Update does not touch
// the session until fn's message arrives. Only one runs at a time.
func (m *Model) work(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	if m.busy {
		// A programming error: two commands would share the session.
		panic("tui: session work started while another is in flight")
	}
	m.busy = true
	ctx := m.ctx
	return func() tea.Msg { return fn(ctx) }
}

func (m *Model) now() time.Time { return m.com.now() }

// save writes the session; run only inside work.
func (m *Model) save() error { return saveSession(m.sess, m.now) }

// saveSession writes s, with the context every caller gives its error.
func saveSession(s *steps.Session, now func() time.Time) error {
	if err := s.Save(now()); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (m *Model) base(gen int) workBase {
	return workBase{owner: m, gen: gen, snap: takeSnapshot(m.sess)}
}

// advanceCmd records skipped steps and finds the next one to show.
func (m *Model) advanceCmd() tea.Cmd {
	gen := m.nextGen()
	return m.work(func(context.Context) tea.Msg {
		var saveErr error
		for {
			st := m.flow.Next(m.sess)
			if st == nil {
				b := m.base(gen)
				b.saveErr = saveErr
				return advanceMsg{workBase: b}
			}
			if st.Skip != nil && st.Skip(m.sess) {
				rec := m.sess.Step(st.ID)
				rec.State, rec.FinishedAt = steps.StateSkipped, m.now()
				saveErr = errors.Join(saveErr, m.save())
				continue
			}
			b := m.base(gen)
			b.saveErr = saveErr
			return advanceMsg{workBase: b, step: st, index: m.indexOf(st)}
		}
	})
}

// optionsCmd loads the choices of the select inputs among inputs.
func (m *Model) optionsCmd(inputs []steps.Input, gen int) tea.Cmd {
	return m.work(func(ctx context.Context) tea.Msg {
		out := map[string][]steps.Option{}
		var errs []error
		for _, in := range inputs {
			if in.Options == nil {
				continue
			}
			opts, err := in.Options(ctx, m.env, m.sess)
			if err != nil {
				errs = append(errs, fmt.Errorf("load choices for %s: %w", in.Label, err))
				continue
			}
			clean := make([]steps.Option, len(opts))
			for i, o := range opts {
				clean[i] = steps.Option{Value: o.Value, Label: steps.Sanitize(o.Label), Note: steps.Sanitize(o.Note), Disabled: o.Disabled}
			}
			out[in.Key] = clean
		}
		return optionsMsg{workBase: m.base(gen), options: out, err: errors.Join(errs...)}
	})
}

// doCmd runs st's Do and records the outcome.
func (m *Model) doCmd(st *steps.Step, gen int) tea.Cmd {
	return m.work(func(ctx context.Context) tea.Msg {
		o := execDo(ctx, st, m.sess, m.env, m.now)
		b := m.base(gen)
		b.saveErr = o.saveErr
		return doMsg{workBase: b, result: o.result, err: o.err, pending: o.pending, cancelled: o.cancelled}
	})
}

// pollCmd runs one Poll of st and records a final outcome.
func (m *Model) pollCmd(st *steps.Step, gen int) tea.Cmd {
	return m.work(func(ctx context.Context) tea.Msg {
		o := execPoll(ctx, st, m.sess, m.env, m.now)
		b := m.base(gen)
		b.saveErr = o.saveErr
		return pollMsg{workBase: b, status: o.status, err: o.err, retryable: o.retryable, cancelled: o.cancelled}
	})
}

// doOutcome is what running a step's Do came to.
type doOutcome struct {
	result    steps.Result // sanitised
	err       error
	pending   bool // the step goes on polling (Poll or Table)
	cancelled bool // the context ended: not a failure, the step runs again on resume
	saveErr   error
}

// execDo runs st's Do and records the outcome in s, as the headless runner
// does, saving before and after. Both the Model and the line driver use it.
func execDo(ctx context.Context, st *steps.Step, s *steps.Session, env *steps.Env, now func() time.Time) doOutcome {
	rec := s.Step(st.ID)
	if rec.State == steps.StatePending || rec.State == steps.StateFailed || rec.StartedAt.IsZero() {
		rec.StartedAt = now()
	}
	rec.State, rec.Error, rec.Hint, rec.FinishedAt = steps.StateRunning, "", "", time.Time{}
	var o doOutcome
	o.saveErr = saveSession(s, now)

	var res steps.Result
	var err error
	if st.Do != nil {
		res, err = st.Do(ctx, env, s)
	}
	o.result = cleanResult(res)
	switch {
	case err != nil && ctx.Err() != nil:
		rec.State = steps.StatePending
		o.cancelled = true
	case err != nil:
		rec.State, rec.Error, rec.Hint, rec.FinishedAt = steps.StateFailed, err.Error(), steps.HintOf(err), now()
		o.err = err
	case res.Failed(false):
		rec.State, rec.Error, rec.FinishedAt = steps.StateFailed, "a check that must pass failed", now()
		rec.Detail = res.Detail
		o.err = errors.New(rec.Error)
	case st.Poll != nil || st.Table != nil:
		rec.State, rec.Detail = steps.StateWaiting, res.Detail
		o.pending = true
	default:
		rec.State, rec.Detail, rec.FinishedAt = steps.StateDone, res.Detail, now()
	}
	o.saveErr = errors.Join(o.saveErr, saveSession(s, now))
	return o
}

// pollOutcome is what one Poll came to.
type pollOutcome struct {
	status    steps.Status // sanitised
	err       error
	retryable bool // a throttle or a 5xx: keep polling
	cancelled bool
	saveErr   error
}

// execPoll runs one Poll of st and records a final outcome in s.
func execPoll(ctx context.Context, st *steps.Step, s *steps.Session, env *steps.Env, now func() time.Time) pollOutcome {
	status, err := st.Poll(ctx, env, s)
	o := pollOutcome{status: cleanStatus(status)}
	rec := s.Step(st.ID)
	final := false
	switch {
	case err != nil && ctx.Err() != nil:
		o.cancelled = true
	case err != nil:
		// A passing error (a throttle, a 5xx, a timeout): the wait goes on.
		if steps.Retryable(err) {
			o.retryable = true
			o.err = err
			break
		}
		rec.State, rec.Error, rec.Hint, rec.FinishedAt = steps.StateFailed, err.Error(), steps.HintOf(err), now()
		if rec.Hint == "" {
			rec.Hint = status.Hint
		}
		o.err = err
		final = true
	case status.Failed:
		rec.State, rec.Error, rec.Hint, rec.FinishedAt = steps.StateFailed, status.Detail, status.Hint, now()
		final = true
	case status.Done:
		rec.State, rec.FinishedAt = steps.StateDone, now()
		if status.Detail != "" {
			rec.Detail = status.Detail
		}
		final = true
	}
	if final {
		o.saveErr = saveSession(s, now)
	}
	return o
}

// rowsCmd loads a table step's rows.
func (m *Model) rowsCmd(st *steps.Step, gen int) tea.Cmd {
	return m.work(func(ctx context.Context) tea.Msg {
		rows, err := st.Table.Rows(ctx, m.env, m.sess)
		msg := rowsMsg{}
		switch {
		case err != nil && ctx.Err() != nil:
			msg.cancelled = true
		case err != nil:
			msg.err = err
		default:
			msg.rows = cleanRows(rows)
			msg.done = st.Table.Done == nil || st.Table.Done(rows, m.sess)
		}
		msg.workBase = m.base(gen)
		return msg
	})
}

// rowActionCmd runs a row action on the given rows.
func (m *Model) rowActionCmd(act steps.RowAction, ids []string, gen int) tea.Cmd {
	return m.work(func(ctx context.Context) tea.Msg {
		detail, err := act.Do(ctx, m.env, m.sess, ids)
		b := m.base(gen)
		b.saveErr = m.save()
		return rowActionMsg{workBase: b, label: act.Label, detail: steps.Sanitize(detail), err: err}
	})
}

// fixCmd runs a check's fix or, with recover, a failed wait's way forward
// (which resets the session to an earlier step).
func (m *Model) fixCmd(fix *steps.Fix, gen int, recover bool) tea.Cmd {
	return m.work(func(ctx context.Context) tea.Msg {
		err := fix.Do(ctx, m.env, m.sess)
		b := m.base(gen)
		b.saveErr = m.save()
		return fixMsg{workBase: b, label: steps.Sanitize(fix.Label), err: err, recover: recover}
	})
}

// finishCmd records a table step done on the user's word.
func (m *Model) finishCmd(st *steps.Step, gen int) tea.Cmd {
	return m.work(func(context.Context) tea.Msg {
		rec := m.sess.Step(st.ID)
		rec.State, rec.FinishedAt = steps.StateDone, m.now()
		b := m.base(gen)
		b.saveErr = m.save()
		return finishMsg{workBase: b}
	})
}

// saveCmd saves the session on leaving.
func (m *Model) saveCmd() tea.Cmd {
	gen := m.gen
	return m.work(func(context.Context) tea.Msg {
		b := m.base(gen)
		b.saveErr = m.save()
		return savedMsg{workBase: b}
	})
}

// pollAfter asks for the next poll of gen after d.
func (m *Model) pollAfter(gen int, d time.Duration) tea.Cmd {
	if d <= 0 {
		return func() tea.Msg { return pollTickMsg{owner: m, gen: gen} }
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return pollTickMsg{owner: m, gen: gen} })
}

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
		cells := make([]string, len(r.Cells))
		for j, c := range r.Cells {
			cells[j] = steps.Sanitize(c)
		}
		out[i] = steps.Row{ID: r.ID, Cells: cells, Expected: r.Expected, State: steps.Sanitize(r.State), Note: steps.Sanitize(r.Note)}
	}
	return out
}

func cleanFields(fs []steps.Field) []steps.Field {
	out := make([]steps.Field, len(fs))
	for i, f := range fs {
		out[i] = steps.Field{Label: steps.Sanitize(f.Label), Value: steps.Sanitize(f.Value), Copyable: f.Copyable}
	}
	return out
}
