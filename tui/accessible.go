package tui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/huh/v2"

	"github.com/plwiz/plwiz/steps"
)

// RunAccessible walks flow with plain line prompts: no alternate screen,
// no redraws, one line per event. Text and yes/no questions use huh's
// accessible prompts; choices are numbered lists answered by number; a
// table is printed as numbered rows and driven by typed commands ("a 1,3",
// "refresh", "done"). It saves the session after every step as the full
// screen does, and when input ends or the user declines to go on it stops
// and reports the resume command.
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
	d := &lineDriver{flow: flow, s: s, env: env, opts: opts, r: newLineReader(readCtx, in), w: out}
	d.now = func() time.Time {
		if env.Now != nil {
			return env.Now()
		}
		return time.Now()
	}
	return d.run(ctx)
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
	s    *steps.Session
	env  *steps.Env
	opts Options
	r    *lineReader
	w    io.Writer
	now  func() time.Time
}

func (d *lineDriver) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

func (d *lineDriver) outcome(finished bool) Outcome {
	o := Outcome{Finished: finished, Left: !finished, SessionID: d.s.ID}
	if !finished {
		// The user reads line by line: the resume command keeps it so.
		o.ResumeCommand = fmt.Sprintf("plwiz %s --resume --session %s --accessible", d.s.Role, d.s.ID)
	}
	return o
}

func (d *lineDriver) run(ctx context.Context) (Outcome, error) {
	d.printf("plwiz %s, session %s\n", d.s.Role, d.s.ID)
	for {
		if ctx.Err() != nil {
			return d.leave(), nil
		}
		st := d.flow.Next(d.s)
		if st == nil {
			d.printf("\nAll steps done.\n")
			return d.outcome(true), nil
		}
		if st.Skip != nil && st.Skip(d.s) {
			rec := d.s.Step(st.ID)
			rec.State, rec.FinishedAt = steps.StateSkipped, d.now()
			if err := d.s.Save(d.now()); err != nil {
				d.printf("Could not save the session: %s\n", steps.Sanitize(err.Error()))
			}
			d.printf("– %s (skipped)\n", steps.Sanitize(st.Title))
			continue
		}
		n := 0
		for i, x := range d.flow.Steps {
			if x == st {
				n = i + 1
			}
		}
		if d.s.Account != "" {
			d.printf("\nStep %d of %d: %s (account %s)\n", n, len(d.flow.Steps), steps.Sanitize(st.Title), steps.Sanitize(d.s.Account))
		} else {
			d.printf("\nStep %d of %d: %s\n", n, len(d.flow.Steps), steps.Sanitize(st.Title))
		}
		if !d.step(ctx, st) {
			return d.leave(), nil
		}
	}
}

func (d *lineDriver) leave() Outcome {
	o := d.outcome(false)
	if err := d.s.Save(d.now()); err != nil {
		o.SaveError = steps.Sanitize(err.Error())
		d.printf("Could not save the session: %s\n", o.SaveError)
	}
	d.printf("\nStopped. Your progress is saved; resume with: %s\n", o.ResumeCommand)
	return o
}

// step runs one step to its end; false means stop (the user declined, or
// input ended).
func (d *lineDriver) step(ctx context.Context, st *steps.Step) bool {
	for {
		shown := d.details(st)
		d.printf("%s", shown)
		if !d.askInputs(ctx, st) {
			return false
		}
		// What the step will do may follow the answers just given
		// (acceptance required, who writes the TXT record): say it again
		// when it changed.
		if now := d.details(st); now != shown {
			d.printf("%s", now)
		}
		if st.Confirm != "" {
			yes, ok := d.yesNo(steps.Sanitize(st.Confirm))
			if !ok || !yes {
				return false
			}
		}
		d.printf("Working…\n")
		o := execDo(ctx, st, d.s, d.env, d.now)
		d.saveWarn(o.saveErr)
		if o.cancelled {
			return false
		}
		d.printChecks(o.result.Checks)
		if o.err != nil {
			d.printf("✗ %s\n", steps.Sanitize(o.err.Error()))
			if h := steps.HintOf(o.err); h != "" {
				d.printf("  hint: %s\n", steps.Sanitize(h))
			}
			if d.offerFixes(ctx, o.result.Checks) {
				continue
			}
			if again, ok := d.yesNo("Try again?"); ok && again {
				continue
			}
			return false
		}
		if o.pending {
			end := waitStopped
			if st.Table != nil {
				switch done, retry := d.table(ctx, st); {
				case retry:
					end = waitRetry
				case done:
					end = waitDone
				}
			} else {
				var detail string
				end, detail = d.wait(ctx, st)
				if detail != "" {
					o.result.Detail = detail
				}
			}
			switch end {
			case waitRetry:
				continue
			case waitStopped:
				return false
			case waitRecovered:
				// The session went back to an earlier step; the flow
				// goes on from there.
				return true
			}
		}
		if o.result.Detail != "" {
			d.printf("✓ %s\n", o.result.Detail)
		} else {
			d.printf("✓ Done.\n")
		}
		if e := o.result.Export; e != nil {
			d.printf("  file:  %s\n  token: %s\n", e.Path, e.Token)
		}
		if d.offerFixes(ctx, o.result.Checks) {
			continue
		}
		return true
	}
}

func (d *lineDriver) saveWarn(err error) {
	if err != nil {
		d.printf("Could not save the session: %s\n", steps.Sanitize(err.Error()))
	}
}

// details is the step's description and fields, one line each.
func (d *lineDriver) details(st *steps.Step) string {
	var b strings.Builder
	if st.Describe != nil {
		fmt.Fprintf(&b, "%s\n", cleanText(st.Describe(d.s)))
	}
	if st.Fields != nil {
		for _, f := range cleanFields(st.Fields(d.s)) {
			fmt.Fprintf(&b, "  %s: %s\n", f.Label, f.Value)
		}
	}
	return b.String()
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

// offerFixes offers the fix of each failed check; true when one ran, so the
// step checks again.
func (d *lineDriver) offerFixes(ctx context.Context, cs []steps.CheckResult) bool {
	for _, c := range cs {
		if c.Passed || c.Skipped || c.Fix == nil {
			continue
		}
		yes, ok := d.yesNo(fmt.Sprintf("%s? (for %q)", steps.Sanitize(c.Fix.Label), c.Name))
		if !ok || !yes {
			continue
		}
		if err := c.Fix.Do(ctx, d.env, d.s); err != nil {
			d.printf("✗ %s\n", steps.Sanitize(err.Error()))
			if h := steps.HintOf(err); h != "" {
				d.printf("  hint: %s\n", steps.Sanitize(h))
			}
			continue
		}
		d.printf("✓ %s: done; checking again.\n", steps.Sanitize(c.Fix.Label))
		return true
	}
	return false
}

// askInputs asks what the step needs, as the full screen would.
func (d *lineDriver) askInputs(ctx context.Context, st *steps.Step) bool {
	for _, in := range inputsToAsk(st, d.s) {
		fv := &formView{options: map[string][]steps.Option{}}
		if in.Options != nil {
			d.printf("Loading the choices…\n")
			opts, err := in.Options(ctx, d.env, d.s)
			if err != nil {
				d.printf("✗ load choices for %s: %s\n", steps.Sanitize(in.Label), steps.Sanitize(err.Error()))
				if h := steps.HintOf(err); h != "" {
					d.printf("  hint: %s\n", steps.Sanitize(h))
				}
				return false
			}
			fv.options[in.Key] = opts
		}
		v, ok := d.askOne(in, fv)
		if !ok {
			return false
		}
		d.s.SetInput(in.Key, v)
	}
	return true
}

func (d *lineDriver) askOne(in steps.Input, fv *formView) (string, bool) {
	start := d.s.Input(in.Key)
	if start == "" && in.Default != nil {
		start = in.Default(d.s)
	}
	label := steps.Sanitize(in.Label)
	if in.Help != "" {
		d.printf("%s\n", steps.Sanitize(in.Help))
	}
	switch in.Type {
	case steps.InputSelect, steps.InputMultiSelect:
		opts := fv.options[in.Key]
		d.printf("%s\n", label)
		for i, o := range opts {
			d.printf("  %d. %s\n", i+1, optionLabel(steps.Option{Label: steps.Sanitize(o.Label), Value: o.Value, Note: steps.Sanitize(o.Note), Disabled: o.Disabled}))
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
			title = fmt.Sprintf("%s [%s]:", label, steps.Sanitize(start))
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

func (d *lineDriver) backoff() *steps.Backoff {
	if d.opts.Backoff != nil {
		return d.opts.Backoff()
	}
	return steps.DefaultBackoff()
}

func sleepCtx(ctx context.Context, dur time.Duration) bool {
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitEnd is how a wait ended in the line driver.
type waitEnd int

const (
	waitStopped   waitEnd = iota // input ended, the user declined, or ctx ended
	waitDone                     // the poll reported done
	waitRetry                    // failed; the user asked to try the step again
	waitRecovered                // failed; its way forward ran and reset the session
)

// wait polls until done. A failure offers its way forward first, when it
// has one (a new endpoint after a rejection), then to try again.
func (d *lineDriver) wait(ctx context.Context, st *steps.Step) (waitEnd, string) {
	b := d.backoff()
	last := ""
	for {
		o := execPoll(ctx, st, d.s, d.env, d.now)
		d.saveWarn(o.saveErr)
		switch {
		case o.cancelled:
			return waitStopped, ""
		case o.err != nil && o.retryable:
			d.printf("  (a look failed, trying again: %s)\n", steps.Sanitize(o.err.Error()))
		case o.err != nil || o.status.Failed:
			text, hint := o.status.Detail, o.status.Hint
			if o.err != nil {
				text = steps.Sanitize(o.err.Error())
				if h := steps.HintOf(o.err); h != "" {
					hint = steps.Sanitize(h)
				}
			}
			d.printf("✗ %s\n", text)
			if hint != "" {
				d.printf("  hint: %s\n", hint)
			}
			if rec := o.status.Recover; o.err == nil && rec != nil {
				switch end, ok := d.recover(ctx, rec); {
				case !ok:
					return waitStopped, ""
				case end:
					return waitRecovered, ""
				}
			}
			if again, ok := d.yesNo("Try again?"); ok && again {
				return waitRetry, ""
			}
			return waitStopped, ""
		case o.status.Done:
			return waitDone, o.status.Detail
		default:
			if seen := o.status.State + " — " + o.status.Detail; seen != last {
				d.printf("  … %s\n", seen)
				last = seen
			}
		}
		if !sleepCtx(ctx, b.Next(o.status.State+"|"+o.status.Detail)) {
			return waitStopped, ""
		}
	}
}

// recover asks whether to take a failed wait's way forward and runs it;
// ran is true when it reset the session, ok false when input ended.
func (d *lineDriver) recover(ctx context.Context, fix *steps.Fix) (ran, ok bool) {
	label := steps.Sanitize(fix.Label)
	yes, ok := d.yesNo(label + "?")
	if !ok || !yes {
		return false, ok
	}
	if err := fix.Do(ctx, d.env, d.s); err != nil {
		d.printf("✗ %s: %s\n", label, steps.Sanitize(err.Error()))
		if h := steps.HintOf(err); h != "" {
			d.printf("  hint: %s\n", steps.Sanitize(h))
		}
		return false, true
	}
	d.saveWarn(d.s.Save(d.now()))
	d.printf("✓ %s: going on from there.\n", label)
	return true, true
}

// table prints the rows and takes commands until the step is complete and
// the user says done.
func (d *lineDriver) table(ctx context.Context, st *steps.Step) (done, retry bool) {
	const maxPrinted = 50
	for {
		rows, err := st.Table.Rows(ctx, d.env, d.s)
		if err != nil {
			if ctx.Err() != nil {
				return false, false
			}
			d.printf("✗ %s\n", steps.Sanitize(err.Error()))
			again, ok := d.yesNo("Try again?")
			if !ok || !again {
				return false, false
			}
			continue
		}
		complete := st.Table.Done == nil || st.Table.Done(rows, d.s)
		clean := cleanRows(rows)
		d.printf("%s\n", strings.Join(cleanRows([]steps.Row{{Cells: st.Table.Columns}})[0].Cells, " | "))
		for i, r := range clean {
			if i == maxPrinted {
				d.printf("  … and %d more rows\n", len(clean)-maxPrinted)
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
		for _, a := range st.Table.Actions {
			acts = append(acts, fmt.Sprintf("%s N = %s", a.Key, steps.Sanitize(a.Label)))
		}
		help := "Type " + strings.Join(append(acts, "refresh"), ", ")
		if complete {
			help += ", or done to continue"
		}
		d.printf("%s: ", help)
		line, ok := d.r.readLine()
		if !ok {
			return false, false
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || fields[0] == "refresh":
			continue
		case fields[0] == "done":
			if complete {
				rec := d.s.Step(st.ID)
				rec.State, rec.FinishedAt = steps.StateDone, d.now()
				d.saveWarn(d.s.Save(d.now()))
				return true, false
			}
			d.printf("Not complete yet.\n")
			continue
		}
		var act *steps.RowAction
		for i := range st.Table.Actions {
			if st.Table.Actions[i].Key == fields[0] {
				act = &st.Table.Actions[i]
			}
		}
		if act == nil || len(fields) < 2 {
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
		if act.Confirm != "" {
			yes, ok := d.yesNo(fmt.Sprintf("%s %d row(s)? %s", steps.Sanitize(act.Label), len(ids), steps.Sanitize(act.Confirm)))
			if !ok {
				return false, false
			}
			if !yes {
				continue
			}
		}
		detail, err := act.Do(ctx, d.env, d.s, ids)
		d.saveWarn(d.s.Save(d.now()))
		if err != nil {
			d.printf("✗ %s: %s\n", steps.Sanitize(act.Label), steps.Sanitize(err.Error()))
			if h := steps.HintOf(err); h != "" {
				d.printf("  hint: %s\n", steps.Sanitize(h))
			}
			continue
		}
		d.printf("✓ %s: %s\n", steps.Sanitize(act.Label), orDash(steps.Sanitize(detail)))
	}
}
