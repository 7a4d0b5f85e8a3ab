package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"charm.land/huh/v2"

	"github.com/plwiz/plwiz/steps"
)

// RunAccessible walks flow with plain line prompts: no alternate screen,
// no redraws, one line per event. Text and yes/no questions use huh's
// accessible prompts; choices are numbered lists answered by number; a
// table is printed as numbered rows and driven by typed commands ("a 1,3",
// "refresh", "done"). It is a front end of steps.Engine, like the full
// screen; the engine saves the session after every step, and when input
// ends or the user declines to go on it stops and reports the resume
// command.
func RunAccessible(ctx context.Context, flow *steps.Flow, s *steps.Session, env *steps.Env, opts Options, rw IO) (Outcome, error) {
	in, out := rw.In, rw.Out
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	if env == nil {
		env = &steps.Env{}
	}
	// The input's reader stops when the run does.
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	d := &lineDriver{flow: flow, r: newLineReader(readCtx, in), w: out, role: s.Role, id: s.ID}
	e := &steps.Engine{Flow: flow, Session: s, Env: env}
	if opts.Backoff != nil {
		e.Schedule = func(*steps.Step) steps.Schedule { return steps.BackoffSchedule(opts.Backoff()) }
	}
	d.printf("plwiz %s, session %s\n", s.Role, s.ID)
	err := e.Run(ctx, d)
	if err == nil {
		return d.outcome(true), nil
	}
	o := d.outcome(false)
	o.SaveError = d.saveErr
	d.printf("\nStopped. Your progress is saved; resume with: %s\n", o.ResumeCommand)
	return o, nil
}

// lineReader hands out at most one line per Read, so each of huh's
// prompts (which wrap the reader in a scanner of their own) takes exactly
// one line and leaves the rest for the next prompt. Lines are read from
// the input by a goroutine of its own, so a prompt waiting for a line
// gives up when ctx ends (ctrl+c): the driver then saves and stops
// instead of hanging until enter is pressed.
type lineReader struct {
	ctx     context.Context
	src     *bufio.Reader
	lines   chan lineRead
	once    sync.Once
	pending []byte // the rest of a line the caller's buffer did not take
	eof     bool   // the input ended, or ctx did
}

type lineRead struct {
	line []byte
	err  error
}

func newLineReader(ctx context.Context, in io.Reader) *lineReader {
	return &lineReader{ctx: ctx, src: bufio.NewReader(in), lines: make(chan lineRead)}
}

func (l *lineReader) readInput() {
	for {
		line, err := l.src.ReadBytes('\n')
		select {
		case l.lines <- lineRead{line, err}:
		case <-l.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// next is the next line with its line break, or why there is none.
func (l *lineReader) next() ([]byte, error) {
	if l.eof {
		return nil, io.EOF
	}
	l.once.Do(func() { go l.readInput() })
	select {
	case r := <-l.lines:
		if r.err != nil {
			l.eof = true
			if len(r.line) > 0 {
				return r.line, nil
			}
			return nil, r.err
		}
		return r.line, nil
	case <-l.ctx.Done():
		l.eof = true
		return nil, fmt.Errorf("stopped: %w", l.ctx.Err())
	}
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(l.pending) == 0 {
		line, err := l.next()
		if err != nil {
			return 0, err
		}
		l.pending = line
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

func (l *lineReader) readLine() (string, bool) {
	line := l.pending
	l.pending = nil
	if len(line) == 0 {
		var err error
		if line, err = l.next(); err != nil {
			return "", false
		}
	}
	return strings.TrimSpace(steps.Sanitize(strings.TrimRight(string(line), "\r\n"))), true
}

type lineDriver struct {
	flow *steps.Flow
	r    *lineReader
	w    io.Writer
	role steps.Role
	id   string

	// shown is the step description printed last, so a changed one is
	// printed again; seen is the last wait status printed.
	shown   string
	seen    string
	saveErr string
}

func (d *lineDriver) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

func (d *lineDriver) outcome(finished bool) Outcome {
	o := Outcome{Finished: finished, Left: !finished, SessionID: d.id}
	if !finished {
		// The user reads line by line: the resume command keeps it so.
		o.ResumeCommand = fmt.Sprintf("plwiz %s --resume --session %s --accessible", d.role, d.id)
	}
	return o
}

// Interactive is true: the user answers at the prompts.
func (d *lineDriver) Interactive() bool { return true }

// Show prints what happened, a line or a few.
func (d *lineDriver) Show(ev steps.Event) {
	if e := steps.Sanitize(ev.SaveErr); e != d.saveErr {
		d.saveErr = e
		if e != "" {
			d.printf("Could not save the session: %s\n", e)
		}
	}
	switch ev.Kind {
	case steps.EventFinished:
		d.printf("\nAll steps done.\n")
		return
	case steps.EventSkipped:
		d.printf("– %s (skipped)\n", steps.Sanitize(ev.Step.Title))
		return
	case steps.EventStep:
		title := steps.Sanitize(ev.Step.Title)
		if acct := steps.Sanitize(ev.Snap.Account); acct != "" {
			d.printf("\nStep %d of %d: %s (account %s)\n", ev.Index+1, len(d.flow.Steps), title, acct)
		} else {
			d.printf("\nStep %d of %d: %s\n", ev.Index+1, len(d.flow.Steps), title)
		}
		d.shown, d.seen = "", ""
		d.details(ev.View)
	case steps.EventLoading:
		d.printf("Loading the choices…\n")
	case steps.EventRunning:
		// What the step will do may follow the answers just given
		// (acceptance required, who writes the TXT record): say it
		// again when it changed.
		d.details(ev.View)
		d.printf("Working…\n")
	case steps.EventStatus:
		if ev.PollErr != "" {
			d.printf("  (a look failed, trying again: %s)\n", steps.Sanitize(ev.PollErr))
		}
		if seen := steps.Sanitize(ev.Status.State + " — " + ev.Status.Detail); ev.PollErr == "" && seen != d.seen {
			d.printf("  … %s\n", seen)
			d.seen = seen
		}
	case steps.EventRetrying:
		d.printf("  (%s; trying again in %s)\n", steps.Sanitize(ev.Err), fmtDuration(ev.Delay))
	case steps.EventNote:
		mark := "✓"
		if ev.Bad {
			mark = "✗"
		}
		d.printf("%s %s\n", mark, steps.Sanitize(ev.Note))
	case steps.EventDone:
		res := cleanResult(ev.Result)
		d.printChecks(res.Checks)
		if res.Detail != "" {
			d.printf("✓ %s\n", res.Detail)
		} else {
			d.printf("✓ Done.\n")
		}
		if e := res.Export; e != nil {
			d.printf("  file:  %s\n  token: %s\n", e.Path, e.Token)
		}
	case steps.EventFailed:
		d.printChecks(cleanResult(ev.Result).Checks)
		d.printf("✗ %s\n", steps.Sanitize(ev.Err))
		if ev.Hint != "" {
			d.printf("  hint: %s\n", steps.Sanitize(ev.Hint))
		}
	}
}

// details prints the step's description and fields when they changed.
func (d *lineDriver) details(v steps.StepView) {
	var b strings.Builder
	if v.Describe != "" {
		fmt.Fprintf(&b, "%s\n", cleanText(v.Describe))
	}
	for _, f := range cleanFields(v.Fields) {
		fmt.Fprintf(&b, "  %s: %s\n", f.Label, f.Value)
	}
	if b.String() != d.shown {
		d.printf("%s", b.String())
		d.shown = b.String()
	}
}

func (d *lineDriver) printChecks(cs []steps.CheckResult) {
	for _, c := range cs {
		switch {
		case c.Skipped:
			d.printf("  – %s (skipped)\n", c.Name)
		case c.Passed:
			d.printf("  ✓ %s\n", c.Name)
		default:
			d.printf("  ✗ %s: expected %s, saw %s\n", c.Name, orDash(c.Expected), orDash(c.Seen))
			if c.Hint != "" {
				d.printf("    hint: %s\n", c.Hint)
			}
		}
	}
}

// errInputEnded stops the run when there is nothing more to read.
var errInputEnded = errors.New("input ended")

// Ask asks at the prompt.
func (d *lineDriver) Ask(_ context.Context, q steps.Question) (steps.Reply, error) {
	switch q.Kind {
	case steps.AskInputs:
		vals := map[string]string{}
		fv := &formView{options: cleanOptions(q.Options)}
		for _, in := range q.Inputs {
			v, ok := d.askOne(in, fv, q.Start[in.Key])
			if !ok {
				return steps.Reply{}, errInputEnded
			}
			vals[in.Key] = v
		}
		return steps.Reply{Choice: steps.ChoiceContinue, Values: vals}, nil
	case steps.AskGo:
		if q.Declined {
			return steps.Reply{Choice: steps.ChoiceStop}, nil
		}
		return steps.Reply{Choice: steps.ChoiceYes}, nil
	case steps.AskConfirm:
		yes, ok := d.yesNo(steps.Sanitize(q.Text))
		if !ok {
			return steps.Reply{}, errInputEnded
		}
		if yes {
			return steps.Reply{Choice: steps.ChoiceYes}, nil
		}
		return steps.Reply{Choice: steps.ChoiceNo}, nil
	case steps.AskResult, steps.AskFailed:
		return d.afterStep(q)
	case steps.AskTable:
		return d.table(q)
	}
	return steps.Reply{Choice: steps.ChoiceContinue}, nil
}

// afterStep offers the fixes of failed checks, then a failure's way
// forward, then to try again.
func (d *lineDriver) afterStep(q steps.Question) (steps.Reply, error) {
	res := cleanResult(q.Result)
	for _, i := range q.Fixable {
		c := res.Checks[i]
		yes, ok := d.yesNo(fmt.Sprintf("%s? (for %q)", steps.Sanitize(c.Fix.Label), c.Name))
		if !ok {
			return steps.Reply{}, errInputEnded
		}
		if yes {
			return steps.Reply{Choice: steps.ChoiceFix, Check: i}, nil
		}
	}
	if q.Kind == steps.AskResult {
		return steps.Reply{Choice: steps.ChoiceContinue}, nil
	}
	if q.Recover != nil {
		yes, ok := d.yesNo(steps.Sanitize(q.Recover.Label) + "?")
		if !ok {
			return steps.Reply{}, errInputEnded
		}
		if yes {
			return steps.Reply{Choice: steps.ChoiceRecover}, nil
		}
	}
	again, ok := d.yesNo("Try again?")
	if !ok {
		return steps.Reply{}, errInputEnded
	}
	if again {
		return steps.Reply{Choice: steps.ChoiceRetry}, nil
	}
	return steps.Reply{Choice: steps.ChoiceStop}, nil
}

func (d *lineDriver) askOne(in steps.Input, fv *formView, start string) (string, bool) {
	start = steps.Sanitize(start)
	label := steps.Sanitize(in.Label)
	if in.Help != "" {
		d.printf("%s\n", steps.Sanitize(in.Help))
	}
	switch in.Type {
	case steps.InputSelect, steps.InputMultiSelect:
		opts := fv.options[in.Key]
		d.printf("%s\n", label)
		for i, o := range opts {
			d.printf("  %d. %s\n", i+1, optionLabel(o))
		}
		prompt := "Enter a number: "
		if in.Type == steps.InputMultiSelect {
			prompt = "Enter numbers separated by commas: "
		}
		for {
			d.printf("%s", prompt)
			line, ok := d.r.readLine()
			if !ok {
				return "", false
			}
			var vals []string
			bad := false
			for _, part := range strings.Split(line, ",") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				n, err := strconv.Atoi(part)
				if err != nil || n < 1 || n > len(opts) {
					bad = true
					break
				}
				vals = append(vals, opts[n-1].Value)
			}
			if bad || (in.Type == steps.InputSelect && len(vals) > 1) {
				d.printf("Please enter a number between 1 and %d.\n", len(opts))
				continue
			}
			v := strings.Join(vals, ",")
			if err := fv.check(in, v); err != nil {
				d.printf("%s\n", err)
				continue
			}
			return v, true
		}
	case steps.InputConfirm:
		b := start == "true"
		c := huh.NewConfirm().Title(label).Value(&b).Validate(func(b bool) error { return fv.check(in, fmt.Sprint(b)) })
		if err := d.runField(c); err != nil || d.r.eof {
			return "", false
		}
		return fmt.Sprint(b), true
	default:
		v := start
		title := label + ":"
		if start != "" {
			// An empty line takes the proposed value: say which it is.
			title = fmt.Sprintf("%s [%s]:", label, start)
		}
		i := huh.NewInput().Title(title).Value(&v).Validate(func(s string) error {
			s = strings.TrimSpace(steps.Sanitize(s))
			if s == "" && start != "" {
				return nil // the proposed value, checked below
			}
			return fv.check(in, s)
		})
		if err := d.runField(i); err != nil || (d.r.eof && strings.TrimSpace(v) == "") {
			return "", false
		}
		v = strings.TrimSpace(steps.Sanitize(v))
		if fv.check(in, v) != nil {
			return "", false
		}
		return v, true
	}
}

func (d *lineDriver) runField(f huh.Field) error {
	err := huh.NewForm(huh.NewGroup(f)).WithAccessible(true).WithTheme(huh.ThemeFunc(huh.ThemeBase)).
		WithInput(d.r).WithOutput(d.w).Run()
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	return nil
}

// yesNo asks a question; ok is false when input ended.
func (d *lineDriver) yesNo(q string) (yes, ok bool) {
	for {
		d.printf("%s [y/n] ", q)
		line, ok := d.r.readLine()
		if !ok {
			d.printf("\n")
			return false, false
		}
		switch strings.ToLower(line) {
		case "y", "yes":
			return true, true
		case "n", "no":
			return false, true
		}
		d.printf("Please answer y or n.\n")
	}
}

// maxPrintedRows is the most rows a table prints at once.
const maxPrintedRows = 50

// table prints the rows and reads one command: a row action, refresh, or
// done once the step is complete. The rows are those of the moment the
// question was asked; "refresh" loads them again.
func (d *lineDriver) table(q steps.Question) (steps.Reply, error) {
	if q.RowsErr != "" {
		d.printf("✗ %s\n", steps.Sanitize(q.RowsErr))
	}
	rows := cleanRows(q.Rows)
	d.printf("%s\n", strings.Join(cleanRows([]steps.Row{{Cells: q.Step.Table.Columns}})[0].Cells, " | "))
	for i, r := range rows {
		if i == maxPrintedRows {
			d.printf("  … and %d more rows\n", len(rows)-maxPrintedRows)
			break
		}
		mark := ""
		if r.Expected {
			mark = " (expected)"
		}
		note := ""
		if r.Note != "" {
			note = " — " + r.Note
		}
		d.printf("  %d. %s%s%s\n", i+1, strings.Join(r.Cells, " | "), mark, note)
	}
	var acts []string
	for _, a := range q.Step.Table.Actions {
		acts = append(acts, fmt.Sprintf("%s N = %s", a.Key, steps.Sanitize(a.Label)))
	}
	help := "Type " + strings.Join(append(acts, "refresh"), ", ")
	if q.Complete {
		help += ", or done to continue"
	}
	for {
		d.printf("%s: ", help)
		line, ok := d.r.readLine()
		if !ok {
			return steps.Reply{}, errInputEnded
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || fields[0] == "refresh":
			return steps.Reply{Choice: steps.ChoiceRefresh}, nil
		case fields[0] == "done":
			if q.Complete {
				return steps.Reply{Choice: steps.ChoiceFinish}, nil
			}
			d.printf("Not complete yet.\n")
			continue
		}
		i := slices.IndexFunc(q.Step.Table.Actions, func(a steps.RowAction) bool { return a.Key == fields[0] })
		if i < 0 || len(fields) < 2 {
			d.printf("Unknown command %q.\n", line)
			continue
		}
		var ids []string
		for _, p := range strings.Split(strings.Join(fields[1:], ""), ",") {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > len(rows) {
				ids = nil
				break
			}
			ids = append(ids, rows[n-1].ID)
		}
		if len(ids) == 0 {
			d.printf("Give row numbers between 1 and %d.\n", len(rows))
			continue
		}
		return steps.Reply{Choice: steps.ChoiceRowAction, Action: fields[0], Rows: ids}, nil
	}
}
