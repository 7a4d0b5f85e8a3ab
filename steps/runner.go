package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
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

// Runner drives a flow without a UI: inputs come from the session (filled
// from flags), questions are answered by policy (--yes), and every step
// prints one line (or one JSON object). It is the headless front end of
// the Engine.
type Runner struct {
	Flow    *Flow
	Session *Session
	Env     *Env
	Out     io.Writer
	JSON    bool
	// WaitTimeout bounds each wait step (0: no bound but ctx).
	WaitTimeout time.Duration
	// AssumeYes answers the confirmation of destructive steps, runs the
	// fixes failed checks offer, and takes the ways forward that need no
	// person (making again what is gone).
	AssumeYes bool
	// Backoff, when set, makes every wait's schedule (tests poll fast).
	Backoff func() *Backoff
	// Sleep waits between polls; nil sleeps on the real clock.
	Sleep func(ctx context.Context, d time.Duration) error

	started map[string]time.Time
	// failed is a failure the engine is about to ask about: printed only
	// if the answer is to stop, not when a fix or a way forward follows.
	failed *line
}

// line is one headless output record.
type line struct {
	Time    time.Time     `json:"time"`
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
	e := &Engine{Flow: r.Flow, Session: r.Session, Env: r.Env, WaitTimeout: r.WaitTimeout, Sleep: r.Sleep}
	if e.Env == nil {
		e.Env = &Env{}
	}
	if r.Backoff != nil {
		e.Schedule = func(*Step) Schedule { return BackoffSchedule(r.Backoff()) }
	}
	r.started = map[string]time.Time{}
	err := e.Run(ctx, r)
	if r.failed != nil {
		r.emit(*r.failed)
		r.failed = nil
	}
	return err
}

// Interactive is false: every input comes from flags.
func (r *Runner) Interactive() bool { return false }

// Show prints one line when a step ends.
func (r *Runner) Show(ev Event) {
	if r.failed != nil && ev.Kind != EventNote {
		// What followed the failure was not a fix: it stands.
		r.emit(*r.failed)
		r.failed = nil
	}
	switch ev.Kind {
	case EventStep:
		r.started[ev.Step.ID] = r.now()
	case EventSkipped:
		r.emit(line{Step: ev.Step.ID, Title: ev.Step.Title, State: StateSkipped})
	case EventDone:
		r.emit(r.lineFor(ev.Step, StateDone, ev.Result))
	case EventNote:
		if !ev.Bad {
			// A fix ran: the failure before it is not the step's end.
			r.failed = nil
			r.emit(line{Step: ev.Step.ID, Title: ev.Step.Title + ": fixed", State: StateDone, Detail: ev.Note})
		}
	case EventFailed:
		l := r.lineFor(ev.Step, StateFailed, ev.Result)
		l.Error, l.Hint, l.Detail = ev.Err, ev.Hint, ""
		if len(ev.Result.Checks) > 0 && ev.Result.Failed(false) {
			l.Detail = ev.Result.Detail
		}
		r.failed = &l
	}
}

// Ask answers by policy: --yes confirms and runs offered fixes; anything
// else stops the run with the step's failure.
func (r *Runner) Ask(_ context.Context, q Question) (Reply, error) {
	switch q.Kind {
	case AskConfirm:
		if r.AssumeYes {
			return Reply{Choice: ChoiceYes}, nil
		}
		return Reply{Choice: ChoiceNo}, nil
	case AskFailed:
		if r.AssumeYes && len(q.Fixable) > 0 {
			return Reply{Choice: ChoiceFix, Check: q.Fixable[0]}, nil
		}
		if r.AssumeYes && q.Recover != nil && q.Recover.Unattended {
			return Reply{Choice: ChoiceRecover}, nil
		}
		return Reply{Choice: ChoiceStop}, nil
	}
	return Reply{Choice: ChoiceContinue}, nil
}

func (r *Runner) now() time.Time {
	if r.Env != nil && r.Env.Now != nil {
		return r.Env.Now()
	}
	return time.Now()
}

func sleepCtx(ctx context.Context, d time.Duration) error { return pauseFor(ctx, d, nil) }

// pauseFor waits d, or until ctx ends (its error) or wake is closed (a nil
// wake never is).
func pauseFor(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	case <-wake:
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

func (r *Runner) lineFor(st *Step, state StepState, res Result) line {
	l := line{Step: st.ID, Title: st.Title, State: state, Detail: res.Detail, Export: res.Export, Session: r.Session.ID}
	if start, ok := r.started[st.ID]; ok {
		l.d = r.now().Sub(start)
	}
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
	// When plwiz saw it, on the real clock: lag behind AWS is measured
	// from this.
	l.Time = time.Now().UTC()
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
