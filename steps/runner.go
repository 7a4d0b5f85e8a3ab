package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsops"
)

// Exit codes of the headless runner.
const (
	ExitDone     = 0
	ExitFailed   = 1
	ExitBadInput = 2
	ExitTimedOut = 3
)

// RunError is why a headless run stopped, with its exit code.
type RunError struct {
	Code int
	Step string
	Err  error
	Hint string
}

func (e *RunError) Error() string {
	msg := e.Err.Error()
	if e.Step != "" {
		msg = e.Step + ": " + msg
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.Err }

// ErrWaitTimeout is wrapped by a RunError when a wait ran out of time.
var ErrWaitTimeout = errors.New("timed out waiting")

// Runner drives a flow without a UI: inputs come from the session (filled
// from flags), and every step prints one line (or one JSON object).
type Runner struct {
	Flow    *Flow
	Session *Session
	Env     *Env
	Out     io.Writer
	JSON    bool
	// WaitTimeout bounds each wait step (0: no bound but ctx).
	WaitTimeout time.Duration
	// AssumeYes answers the confirmation of destructive steps.
	AssumeYes bool
	// Backoff makes a poll interval; nil gives DefaultBackoff.
	Backoff func() *Backoff
	// Sleep waits between polls; nil sleeps on the real clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// line is one headless output record.
type line struct {
	Step    string        `json:"step"`
	Title   string        `json:"title"`
	State   StepState     `json:"state"`
	Detail  string        `json:"detail,omitempty"`
	Hint    string        `json:"hint,omitempty"`
	Error   string        `json:"error,omitempty"`
	Elapsed float64       `json:"elapsedSeconds"`
	Checks  []checkLine   `json:"checks,omitempty"`
	Export  *Export       `json:"export,omitempty"`
	Session string        `json:"session"`
	d       time.Duration // for the text form
}

type checkLine struct {
	Name     string `json:"name"`
	Result   string `json:"result"`
	Expected string `json:"expected,omitempty"`
	Seen     string `json:"seen,omitempty"`
	Hint     string `json:"hint,omitempty"`
}

// Run executes every unfinished step in order, saving the session after
// each, and returns nil when the flow is done or a *RunError.
func (r *Runner) Run(ctx context.Context) error {
	for {
		st := r.Flow.Next(r.Session)
		if st == nil {
			return nil
		}
		if err := r.runStep(ctx, st); err != nil {
			return err
		}
	}
}

func (r *Runner) now() time.Time {
	if r.Env != nil && r.Env.Now != nil {
		return r.Env.Now()
	}
	return time.Now()
}

func (r *Runner) save(st *Step) error {
	if err := r.Session.Save(r.now()); err != nil {
		return &RunError{Code: ExitFailed, Step: st.ID, Err: err}
	}
	return nil
}

func (r *Runner) runStep(ctx context.Context, st *Step) error {
	rec := r.Session.Step(st.ID)
	start := r.now()
	if st.Skip != nil && st.Skip(r.Session) {
		rec.State, rec.FinishedAt = StateSkipped, start
		r.emit(line{Step: st.ID, Title: st.Title, State: StateSkipped})
		return r.save(st)
	}
	// What a form would propose, decided now that earlier steps are done
	// (whether to write the TXT record depends on finding a zone).
	for _, in := range st.Inputs {
		if in.Default != nil && r.Session.Input(in.Key) == "" {
			if v := in.Default(r.Session); v != "" {
				r.Session.SetInput(in.Key, v)
			}
		}
	}
	if missing := MissingInputs(st, r.Session); len(missing) > 0 {
		var names []string
		for _, in := range missing {
			if in.Flag != "" {
				names = append(names, "--"+in.Flag)
			} else {
				names = append(names, in.Label)
			}
		}
		return r.fail(st, rec, ExitBadInput, fmt.Errorf("missing %s", strings.Join(names, ", ")), "pass them as flags, or run without --non-interactive")
	}
	if err := ValidateInputs(st, r.Session); err != nil {
		return r.fail(st, rec, ExitBadInput, err, "")
	}
	if st.Confirm != "" && !r.AssumeYes {
		return r.fail(st, rec, ExitBadInput, fmt.Errorf("needs confirmation: %s", st.Confirm), "pass --yes to confirm")
	}
	if rec.State == StatePending || rec.State == StateFailed {
		rec.StartedAt = start
	}
	rec.State, rec.Error, rec.Hint = StateRunning, "", ""
	if err := r.save(st); err != nil {
		return err
	}

	var res Result
	if st.Do != nil {
		var err error
		res, err = st.Do(ctx, r.Env, r.Session)
		if err != nil {
			return r.fail(st, rec, exitCodeFor(err), err, HintOf(err))
		}
	}
	if res.Failed(false) && r.AssumeYes {
		fixed, err := r.applyFixes(ctx, st, res)
		if err != nil {
			return r.fail(st, rec, exitCodeFor(err), err, HintOf(err))
		}
		if fixed {
			if res, err = st.Do(ctx, r.Env, r.Session); err != nil {
				return r.fail(st, rec, exitCodeFor(err), err, HintOf(err))
			}
		}
	}
	rec.Detail = res.Detail
	if res.Failed(false) {
		l := r.lineFor(st, StateFailed, res, start)
		l.Error = "a check that must pass failed"
		r.emit(l)
		rec.State, rec.Error = StateFailed, l.Error
		_ = r.save(st)
		return &RunError{Code: ExitFailed, Step: st.ID, Err: errors.New(l.Error)}
	}
	if st.Poll != nil {
		rec.State = StateWaiting
		if err := r.save(st); err != nil {
			return err
		}
		status, err := r.wait(ctx, st)
		if err != nil {
			code := exitCodeFor(err)
			if errors.Is(err, ErrWaitTimeout) {
				code = ExitFailed
				if status.OtherParty {
					code = ExitTimedOut
				}
			}
			hint := HintOf(err)
			if hint == "" {
				hint = status.Hint
			}
			return r.fail(st, rec, code, err, hint)
		}
		if status.Failed {
			return r.fail(st, rec, ExitFailed, errors.New(status.Detail), status.Hint)
		}
		if status.Detail != "" {
			res.Detail = status.Detail
			rec.Detail = status.Detail
		}
	}
	rec.State, rec.FinishedAt = StateDone, r.now()
	r.emit(r.lineFor(st, StateDone, res, start))
	return r.save(st)
}

// applyFixes runs the remedies failed checks offer (--yes agreed to them)
// and reports whether any ran, so the step's checks are run again.
func (r *Runner) applyFixes(ctx context.Context, st *Step, res Result) (bool, error) {
	ran := false
	for _, c := range res.Checks {
		if c.Passed || c.Skipped || c.Fix == nil {
			continue
		}
		if err := c.Fix.Do(ctx, r.Env, r.Session); err != nil {
			return ran, fmt.Errorf("%s: %w", c.Fix.Label, err)
		}
		r.emit(line{Step: st.ID, Title: st.Title + ": fixed", State: StateDone, Detail: c.Fix.Label})
		ran = true
	}
	return ran, nil
}

// wait polls st until it is done or failed, adaptively, within WaitTimeout.
func (r *Runner) wait(ctx context.Context, st *Step) (Status, error) {
	if r.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.WaitTimeout)
		defer cancel()
	}
	b := DefaultBackoff()
	if r.Backoff != nil {
		b = r.Backoff()
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var last Status
	for {
		status, err := st.Poll(ctx, r.Env, r.Session)
		if err != nil {
			if ctx.Err() != nil {
				return last, r.waitErr(ctx, last)
			}
			if Retryable(err) {
				// Throttling or a 5xx that outlasted the SDK's retries:
				// keep waiting rather than fail the step.
				status = last
			} else {
				return last, err
			}
		}
		last = status
		if status.Done || status.Failed {
			return status, nil
		}
		if err := sleep(ctx, b.Next(status.State+"|"+status.Detail)); err != nil {
			return last, r.waitErr(ctx, last)
		}
	}
}

func (r *Runner) waitErr(ctx context.Context, last Status) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.WaitTimeout > 0 {
		what := last.Detail
		if what == "" {
			what = "no status yet"
		}
		return fmt.Errorf("%w after %s; last seen: %s", ErrWaitTimeout, r.WaitTimeout, what)
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// exitCodeFor maps an error from Do or Poll to an exit code.
func exitCodeFor(err error) int {
	var re *RunError
	if errors.As(err, &re) {
		return re.Code
	}
	var bi *BadInputError
	if errors.As(err, &bi) {
		return ExitBadInput
	}
	return ExitFailed
}

// BadInputError marks an error as caused by the user's input.
type BadInputError struct{ Err error }

func (e *BadInputError) Error() string { return e.Err.Error() }
func (e *BadInputError) Unwrap() error { return e.Err }

// badInputf builds a BadInputError.
func badInputf(format string, args ...any) error {
	return &BadInputError{Err: fmt.Errorf(format, args...)}
}

// Retryable reports whether an error from Do or Poll is passing (a
// throttle, a 5xx or a timeout that outlasted the SDK's retries), so a wait
// goes on instead of failing.
func Retryable(err error) bool {
	var ae *awsops.Error
	return errors.As(err, &ae) && ae.Retryable
}

// HintOf returns the hint an error carries (awsops errors do).
func HintOf(err error) string {
	var ae *awsops.Error
	if errors.As(err, &ae) {
		return ae.Hint
	}
	var pe *awsops.PartialError
	if errors.As(err, &pe) {
		return pe.Hint
	}
	return ""
}

func (r *Runner) fail(st *Step, rec *StepRecord, code int, err error, hint string) error {
	rec.State, rec.Error, rec.Hint = StateFailed, err.Error(), hint
	rec.FinishedAt = r.now()
	r.emit(line{Step: st.ID, Title: st.Title, State: StateFailed, Error: err.Error(), Hint: hint, Session: r.Session.ID})
	_ = r.Session.Save(r.now())
	return &RunError{Code: code, Step: st.ID, Err: err, Hint: hint}
}

func (r *Runner) lineFor(st *Step, state StepState, res Result, start time.Time) line {
	l := line{Step: st.ID, Title: st.Title, State: state, Detail: res.Detail, Export: res.Export, Session: r.Session.ID}
	l.d = r.now().Sub(start)
	l.Elapsed = l.d.Seconds()
	for _, c := range res.Checks {
		result := "pass"
		switch {
		case c.Skipped:
			result = "skipped"
		case !c.Passed:
			result = "fail"
		}
		l.Checks = append(l.Checks, checkLine{Name: c.Name, Result: result, Expected: c.Expected, Seen: c.Seen, Hint: c.Hint})
	}
	return l
}

// emit prints one record, sanitised: values can come from AWS or files.
func (r *Runner) emit(l line) {
	if r.Out == nil {
		return
	}
	if l.Session == "" {
		l.Session = r.Session.ID
	}
	if r.JSON {
		l.Detail, l.Hint, l.Error = Sanitize(l.Detail), Sanitize(l.Hint), Sanitize(l.Error)
		for i := range l.Checks {
			c := &l.Checks[i]
			c.Expected, c.Seen, c.Hint = Sanitize(c.Expected), Sanitize(c.Seen), Sanitize(c.Hint)
		}
		b, _ := json.Marshal(l)
		fmt.Fprintf(r.Out, "%s\n", b)
		return
	}
	mark := map[StepState]string{StateDone: "✓", StateSkipped: "–", StateFailed: "✗"}[l.State]
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", mark, l.Title)
	if l.Detail != "" {
		fmt.Fprintf(&b, ": %s", Sanitize(l.Detail))
	}
	if l.State == StateSkipped {
		b.WriteString(" (skipped)")
	}
	if l.Error != "" {
		fmt.Fprintf(&b, ": %s", Sanitize(l.Error))
	}
	if l.d >= time.Second {
		fmt.Fprintf(&b, " [%s]", l.d.Round(time.Second))
	}
	for _, c := range l.Checks {
		cm := map[string]string{"pass": "✓", "fail": "✗", "skipped": "–"}[c.Result]
		fmt.Fprintf(&b, "\n    %s %s", cm, Sanitize(c.Name))
		if c.Result != "pass" && c.Seen != "" {
			fmt.Fprintf(&b, ": expected %s, saw %s", Sanitize(c.Expected), Sanitize(c.Seen))
		}
		if c.Result == "fail" && c.Hint != "" {
			fmt.Fprintf(&b, "\n      hint: %s", Sanitize(c.Hint))
		}
	}
	if l.Export != nil {
		fmt.Fprintf(&b, "\n    file:  %s\n    token: %s", Sanitize(l.Export.Path), Sanitize(l.Export.Token))
	}
	if l.Hint != "" {
		fmt.Fprintf(&b, "\n    hint: %s", Sanitize(l.Hint))
	}
	fmt.Fprintln(r.Out, b.String())
}

// Sanitize drops control characters (keeping none: output is one line per
// field) so text from AWS, files or the network cannot drive the terminal.
func Sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			if r == '\n' || r == '\t' {
				return ' '
			}
			return -1
		}
		return r
	}, s)
}
