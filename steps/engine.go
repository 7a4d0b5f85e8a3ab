package steps

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Engine runs a flow's steps, each through its life cycle: ask the inputs
// it lacks, confirm, Do, Poll on a schedule that fits what is awaited,
// offer fixes, recover, done. Passing failures (throttling, a 5xx, a
// resource not visible yet) are retried here with backoff; failures that
// will not pass (bad input, access denied, an endpoint that refuses
// connections) end the step at once with what to do. The session is saved
// after every change. A front end shows the events and answers the
// questions; it keeps no life cycle of its own.
type Engine struct {
	Flow    *Flow
	Session *Session
	Env     *Env
	// WaitTimeout bounds each wait; 0 bounds it by ctx alone.
	WaitTimeout time.Duration
	// RetryBudget bounds how long a step retries passing failures; 0
	// gives WaitTimeout, or DefaultRetryBudget without one.
	RetryBudget time.Duration
	// Schedule, when set, replaces the schedule of every wait (tests poll
	// fast).
	Schedule func(st *Step) Schedule
	// Sleep pauses between looks and retries; nil pauses on the real clock
	// and wakes early when Env.Wake broadcasts.
	Sleep func(ctx context.Context, d time.Duration) error

	fe      Frontend
	saveErr error
	// ownWake wakes the waits when the Env has no Wake (listen.go).
	wakeOnce sync.Once
	ownWake  *Signal
}

// ErrStopped is what Run returns when the user stopped the run (left,
// declined, or input ended): the session is saved and resumes where it
// stopped.
var ErrStopped = errors.New("stopped; the session is saved")

// ErrWaitTimeout is wrapped by a RunError when a wait ran out of time.
var ErrWaitTimeout = errors.New("timed out waiting")

// Run drives every unfinished step in order. It returns nil when the flow
// is done, an error wrapping ErrStopped when the user stopped, or a
// *RunError when a step failed and the front end chose not to go on.
func (e *Engine) Run(ctx context.Context, fe Frontend) error {
	e.fe = fe
	for {
		if ctx.Err() != nil {
			return e.stop(ctx.Err())
		}
		st := e.Flow.Next(e.Session)
		if st == nil {
			e.show(Event{Kind: EventFinished})
			return nil
		}
		if err := e.runStep(ctx, st); err != nil {
			return err
		}
	}
}

// attempt is one step's run: what it has produced and tried so far.
type attempt struct {
	st    *Step
	index int
	rec   *StepRecord
	res   Result
	// fixed are the labels of the fixes run in this attempt, so a policy
	// that answers "fix" does not run the same fix forever.
	fixed []string
	// recovered is true once a way forward ran for this step.
	recovered bool
	declined  bool
	// wentAhead is true once the user said go: trying again after a
	// failure does not ask for the go-ahead again.
	wentAhead bool
}

// outcome is where a step goes after a stage of its life cycle.
type outcome int

const (
	outDone      outcome = iota // the step is done
	outRetry                    // run the step again from its inputs
	outRedo                     // run Do again (a fix ran), not the inputs
	outRecovered                // the session went back to an earlier step
)

func (e *Engine) runStep(ctx context.Context, st *Step) error {
	a := &attempt{st: st, index: e.Flow.index(st), rec: e.Session.Step(st.ID)}
	if st.Skip != nil && st.Skip(e.Session) {
		a.rec.State, a.rec.FinishedAt = StateSkipped, e.now()
		e.save()
		e.show(e.event(EventSkipped, a))
		return nil
	}
	e.show(e.event(EventStep, a))
	askInputs, force := true, false
	for {
		if askInputs {
			if err := e.inputs(ctx, a, force); err != nil {
				if errors.Is(err, errRetryInputs) {
					force = true
					continue
				}
				return err
			}
		}
		out, err := e.perform(ctx, a)
		if err != nil {
			return err
		}
		switch out {
		case outDone, outRecovered:
			return nil
		case outRetry:
			askInputs, force = e.fe.Interactive() && (st.Kind == KindForm || st.Kind == KindHandoff || len(InputsToAsk(st, e.Session)) > 0), false
		case outRedo:
			askInputs = false
		}
	}
}

// errRetryInputs asks runStep to ask every input of the step again.
var errRetryInputs = errors.New("ask the inputs again")

// inputs gets what the step needs before Do: from the user, stage by
// stage, when the front end is interactive; from the session (flags) and
// the inputs' defaults otherwise.
func (e *Engine) inputs(ctx context.Context, a *attempt, force bool) error {
	st, s := a.st, e.Session
	if !e.fe.Interactive() {
		// What a form would propose, decided now that earlier steps are
		// done (whether to write the TXT record depends on a zone).
		for _, in := range st.Inputs {
			if in.Default != nil && s.Input(in.Key) == "" {
				if v := in.Default(s); v != "" {
					s.SetInput(in.Key, v)
				}
			}
		}
		if missing := MissingInputs(st, s); len(missing) > 0 {
			var names []string
			for _, in := range missing {
				if in.Flag != "" {
					names = append(names, "--"+in.Flag)
				} else {
					names = append(names, in.Label)
				}
			}
			return e.fail(a, ExitBadInput, fmt.Errorf("missing %s", strings.Join(names, ", ")), "pass them as flags, or run without --non-interactive")
		}
		if err := ValidateInputs(st, s); err != nil {
			return e.fail(a, ExitBadInput, err, "")
		}
		return nil
	}
	toAsk := InputsToAsk(st, s)
	if force && len(st.Inputs) > 0 {
		toAsk = st.Inputs
	}
	stages := FormStages(toAsk)
	answered := make([][]string, len(stages))
	for i := 0; i < len(stages); {
		opts, err := e.loadOptions(ctx, a, stages[i])
		if err != nil {
			out, ferr := e.failed(ctx, a, failure{err: err, code: exitCodeFor(err)})
			if ferr != nil {
				return ferr
			}
			if out == outRecovered {
				return e.stop(errors.New("the session went back to an earlier step"))
			}
			continue // load the choices again
		}
		start := map[string]string{}
		for _, in := range stages[i] {
			v := s.Input(in.Key)
			if v == "" && in.Default != nil {
				v = in.Default(s)
			}
			start[in.Key] = v
		}
		q := e.question(AskInputs, a)
		q.Inputs, q.Options, q.Start, q.Stage, q.Stages, q.Answered = stages[i], opts, start, i, len(stages), answered[:i]
		if i > 0 {
			q.BackTo = stages[i-1][0].Label
		}
		reply, err := e.ask(ctx, a, q)
		if err != nil {
			return err
		}
		switch reply.Choice {
		case ChoiceBack:
			i = max(i-1, 0)
			continue
		case ChoiceStop:
			return e.stop(nil)
		}
		vals := map[string]string{}
		var bad []error
		for _, in := range stages[i] {
			// What every entry of a value goes through: trimmed,
			// normalised (a pasted token's wrapping), validated.
			v, err := in.Accept(reply.Values[in.Key])
			if err != nil {
				bad = append(bad, fmt.Errorf("%s: %w", in.Label, err))
				continue
			}
			vals[in.Key] = v
			s.SetInput(in.Key, v)
		}
		if len(bad) > 0 {
			out, ferr := e.failed(ctx, a, failure{err: errors.Join(bad...), code: ExitBadInput})
			if ferr != nil {
				return ferr
			}
			if out == outRecovered {
				return e.stop(errors.New("the session went back to an earlier step"))
			}
			continue // ask this stage again
		}
		answered[i] = answerLines(stages[i], vals, opts)
		i++
	}
	if err := ValidateInputs(st, s); err != nil {
		out, ferr := e.failed(ctx, a, failure{err: err, code: ExitBadInput})
		if ferr != nil {
			return ferr
		}
		if out == outRecovered {
			return e.stop(errors.New("the session went back to an earlier step"))
		}
		return errRetryInputs
	}
	return nil
}

// loadOptions loads the choices of the select inputs among inputs,
// retrying passing failures.
func (e *Engine) loadOptions(ctx context.Context, a *attempt, inputs []Input) (map[string][]Option, error) {
	out := map[string][]Option{}
	if !slices.ContainsFunc(inputs, func(in Input) bool { return in.Options != nil }) {
		return out, nil
	}
	e.show(e.event(EventLoading, a))
	for _, in := range inputs {
		if in.Options == nil {
			continue
		}
		var opts []Option
		err := e.retrying(ctx, a, func(ctx context.Context) error {
			var err error
			opts, err = in.Options(ctx, e.Env, e.Session)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, e.stop(ctx.Err())
			}
			return nil, fmt.Errorf("load choices for %s: %w", in.Label, err)
		}
		out[in.Key] = opts
	}
	return out, nil
}

// answerLines says what was answered in a stage: a choice by its label.
func answerLines(inputs []Input, vals map[string]string, options map[string][]Option) []string {
	var out []string
	for _, in := range inputs {
		v := vals[in.Key]
		if v == "" {
			continue
		}
		// A choice shows its label; several, their values (IDs), so the
		// line stays short.
		shown := strings.ReplaceAll(v, ",", ", ")
		if in.Type == InputSelect {
			for _, o := range options[in.Key] {
				if o.Value == v && o.Label != "" {
					shown = o.Label
				}
			}
		}
		out = append(out, in.Label+": "+shown)
	}
	return out
}

// perform runs the step after its inputs: go-ahead and confirmation, Do,
// the wait or the table, and what the user does with the result.
func (e *Engine) perform(ctx context.Context, a *attempt) (outcome, error) {
	st, rec := a.st, a.rec
	interactive := e.fe.Interactive()
	if interactive && !a.wentAhead && (a.declined || st.Kind == KindAction && (st.Describe != nil || st.Fields != nil || st.Confirm != "")) {
		q := e.question(AskGo, a)
		q.Declined = a.declined
		reply, err := e.ask(ctx, a, q)
		if err != nil {
			return 0, err
		}
		if reply.Choice == ChoiceStop {
			return 0, e.stop(nil)
		}
		a.wentAhead = true
	}
	if st.Confirm != "" {
		q := e.question(AskConfirm, a)
		q.Text = st.Confirm
		reply, err := e.ask(ctx, a, q)
		if err != nil {
			return 0, err
		}
		if reply.Choice != ChoiceYes {
			a.declined, a.wentAhead = true, false
			if !interactive {
				return 0, e.fail(a, ExitBadInput, fmt.Errorf("needs confirmation: %s", st.Confirm), "pass --yes to confirm")
			}
			return outRedo, nil
		}
		a.declined = false
	}

	if rec.State == StatePending || rec.State == StateFailed || rec.StartedAt.IsZero() {
		rec.StartedAt = e.now()
	}
	rec.State, rec.Error, rec.Hint, rec.FinishedAt = StateRunning, "", "", time.Time{}
	e.save()
	e.show(e.event(EventRunning, a))
	var res Result
	if st.Do != nil {
		err := e.retrying(ctx, a, func(ctx context.Context) error {
			var err error
			res, err = st.Do(ctx, e.Env, e.Session)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				rec.State = StatePending
				return 0, e.stop(ctx.Err())
			}
			a.res = res
			return e.failed(ctx, a, failure{err: err, code: exitCodeFor(err)})
		}
	}
	a.res = res
	rec.Detail = res.Detail
	// What this party did may be what the other one waits for (the demo
	// runs both in one process): wake its waits.
	e.Env.Wake.Broadcast()
	if res.Failed(false) {
		return e.failed(ctx, a, failure{err: errors.New("a check that must pass failed"), code: ExitFailed, checks: true})
	}

	switch {
	case st.Table != nil && interactive:
		rec.State = StateWaiting
		e.save()
		if err := e.table(ctx, a); err != nil {
			return 0, err
		}
	case st.Poll != nil:
		rec.State = StateWaiting
		e.save()
		status, err := e.wait(ctx, a)
		switch {
		case err != nil && ctx.Err() != nil && !errors.Is(err, ErrWaitTimeout):
			return 0, e.stop(ctx.Err())
		case err != nil:
			f := failure{err: err, code: exitCodeFor(err), status: status}
			if errors.Is(err, ErrWaitTimeout) {
				f.code = ExitFailed
				if status.OtherParty {
					f.code = ExitTimedOut
				}
				if f.hint = HintOf(err); f.hint == "" {
					f.hint = status.Hint
				}
			}
			return e.failed(ctx, a, f)
		case status.Failed:
			return e.failed(ctx, a, failure{err: errors.New(status.Detail), code: ExitFailed, hint: status.Hint, status: status, recover: status.Recover})
		}
		if status.Detail != "" {
			a.res.Detail = status.Detail
		}
	}
	rec.State, rec.Detail, rec.FinishedAt = StateDone, a.res.Detail, e.now()
	e.save()
	done := e.event(EventDone, a)
	done.Result = a.res
	e.show(done)
	return e.afterResult(ctx, a)
}

// afterResult lets the user read a result and run the fixes its failed
// checks offer; forms and waits go straight on.
func (e *Engine) afterResult(ctx context.Context, a *attempt) (outcome, error) {
	if !e.fe.Interactive() || a.st.Kind == KindForm || a.st.Kind == KindWait || a.st.Kind == KindTable {
		return outDone, nil
	}
	for {
		q := e.question(AskResult, a)
		q.Result, q.Fixable = a.res, e.fixable(a)
		reply, err := e.ask(ctx, a, q)
		if err != nil {
			return 0, err
		}
		switch reply.Choice {
		case ChoiceFix:
			if e.runFix(ctx, a, reply.Check) {
				return outRedo, nil
			}
		case ChoiceStop:
			return 0, e.stop(nil)
		default:
			return outDone, nil
		}
	}
}

// failure is why a step failed.
type failure struct {
	err     error
	code    int
	hint    string
	status  Status
	recover *Fix
	// checks is true when the failure is a check that must pass.
	checks bool
}

// failed records a failed step, shows it, and asks what to do: try again,
// run a check's fix, take the failure's way forward, or stop (the run ends
// with a *RunError).
func (e *Engine) failed(ctx context.Context, a *attempt, f failure) (outcome, error) {
	hint := f.hint
	if hint == "" {
		hint = HintOf(f.err)
	}
	recover := f.recover
	if class, id, made := classify(f.err, e.Session, e.now()); recover == nil && (class == failGone || class == failNotYetVisible) {
		recover = e.recreate(id, made)
		if recover != nil {
			hint = fmt.Sprintf("%s, which this session created, is gone (deleted, or lost by the endpoint that made it). plwiz can make it again and go on: take the way forward offered, or resume headless with --yes.", id)
		}
	}
	rec := a.rec
	rec.State, rec.Error, rec.Hint, rec.FinishedAt = StateFailed, f.err.Error(), hint, e.now()
	if f.checks {
		rec.Detail = a.res.Detail
	}
	e.save()
	ev := e.event(EventFailed, a)
	ev.Err, ev.Hint, ev.Result, ev.Status, ev.Recover = f.err.Error(), hint, a.res, f.status, recover
	e.show(ev)
	runErr := &RunError{Code: f.code, Step: a.st.ID, Err: f.err, Hint: hint}
	for {
		q := e.question(AskFailed, a)
		q.Err, q.Hint, q.Result, q.Recover, q.Code = f.err.Error(), hint, a.res, recover, f.code
		q.BadInput, q.Fixable = f.code == ExitBadInput, e.fixable(a)
		if a.recovered {
			q.Recover = nil
		}
		reply, err := e.ask(ctx, a, q)
		if err != nil {
			return 0, err
		}
		switch reply.Choice {
		case ChoiceRetry:
			return outRetry, nil
		case ChoiceFix:
			if e.runFix(ctx, a, reply.Check) {
				return outRedo, nil
			}
		case ChoiceRecover:
			if recover == nil || a.recovered {
				continue
			}
			a.recovered = true
			label := recover.Label
			err := e.retrying(ctx, a, func(ctx context.Context) error { return recover.Do(ctx, e.Env, e.Session) })
			e.save()
			if err != nil {
				e.note(a, failNote(label, err), true)
				continue
			}
			e.note(a, label+": going on from there", false)
			return outRecovered, nil
		default:
			return 0, runErr
		}
	}
}

// recreate is the way forward when a resource this session created is
// gone: go back to the step that made it, with a fresh idempotency token,
// so it is made again.
func (e *Engine) recreate(id string, made Made) *Fix {
	if made.Step == "" || e.Flow.Step(made.Step) == nil {
		return nil
	}
	what := e.Flow.Step(made.Step).Title
	return &Fix{Label: fmt.Sprintf("%s is gone: %s again", id, strings.ToLower(what[:1])+what[1:]), Unattended: true,
		Do: func(context.Context, *Env, *Session) error {
			e.Flow.ResetFrom(e.Session, made.Step)
			delete(e.Session.Created, id)
			if made.Key != "" && e.Session.Resource(made.Key) == id {
				delete(e.Session.Resources, made.Key)
			}
			e.Session.NextAttempt(made.Step)
			return nil
		}}
}

// fixable lists the failed checks of the result whose fix was not run yet.
func (e *Engine) fixable(a *attempt) []int {
	var out []int
	for i, c := range a.res.Checks {
		if !c.Passed && !c.Skipped && c.Fix != nil && !slices.Contains(a.fixed, c.Fix.Label) {
			out = append(out, i)
		}
	}
	return out
}

// runFix runs the fix of check i and reports whether it ran, so the step
// checks again.
func (e *Engine) runFix(ctx context.Context, a *attempt, i int) bool {
	if i < 0 || i >= len(a.res.Checks) || a.res.Checks[i].Fix == nil {
		return false
	}
	fix := a.res.Checks[i].Fix
	a.fixed = append(a.fixed, fix.Label)
	err := e.retrying(ctx, a, func(ctx context.Context) error { return fix.Do(ctx, e.Env, e.Session) })
	e.save()
	if err != nil {
		e.note(a, failNote(fix.Label, err), true)
		return false
	}
	e.note(a, fix.Label+": done; checking again", false)
	return true
}

// failNote is the note of a row action or fix that failed, with its hint.
func failNote(label string, err error) string {
	text := fmt.Sprintf("%s failed: %s", label, err.Error())
	if h := HintOf(err); h != "" {
		text += " — " + h
	}
	return text
}

func (e *Engine) note(a *attempt, text string, bad bool) {
	ev := e.event(EventNote, a)
	ev.Note, ev.Bad = text, bad
	e.show(ev)
}

// wait polls the step until it is done or failed, on its schedule, within
// WaitTimeout. Passing failures keep it waiting; any other failure ends it
// at once.
func (e *Engine) wait(ctx context.Context, a *attempt) (Status, error) {
	if e.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.WaitTimeout)
		defer cancel()
	}
	sched := e.schedule(a.st)
	l := e.listen(ctx, a.st)
	defer l.stop()
	start := time.Now()
	var waited time.Duration // as the schedule sees it: real time, or the pauses taken
	var last Status
	errs := 0
	for {
		wake := e.wakeC()
		e.show(e.event(EventPolling, a))
		var status Status
		err := guard(func() error {
			var err error
			status, err = a.st.Poll(ctx, e.Env, e.Session)
			return err
		})
		pollErr := ""
		if err != nil {
			if ctx.Err() != nil {
				return last, e.waitErr(ctx, last)
			}
			switch class, _, _ := classify(err, e.Session, e.now()); class {
			case failPassing, failNotYetVisible:
				pollErr = err.Error()
				errs++
			default:
				return last, err
			}
		} else {
			last, errs = status, 0
		}
		if last.Done || last.Failed {
			return last, nil
		}
		d := l.pause(sched.Next(last, max(waited, time.Since(start))), last.State, last.OtherParty)
		if errs > 0 {
			d = max(d, retryDelay(errs-1))
		}
		e.noteFailure(a, l)
		ev := e.event(EventStatus, a)
		ev.Status, ev.NextPoll, ev.PollErr = last, e.now().Add(d), pollErr
		e.show(ev)
		paused := time.Now()
		if err := e.pauseOn(ctx, d, wake); err != nil {
			return last, e.waitErr(ctx, last)
		}
		if e.Sleep != nil {
			waited += d
		} else {
			waited += time.Since(paused) // a wake may end the pause early
		}
	}
}

func (e *Engine) waitErr(ctx context.Context, last Status) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && e.WaitTimeout > 0 {
		what := last.Detail
		if what == "" {
			what = "no status yet"
		}
		return fmt.Errorf("%w after %s; last seen: %s", ErrWaitTimeout, e.WaitTimeout, what)
	}
	return ctx.Err()
}

// table shows the live rows of a table step and runs the row actions the
// user asks for, until the step is complete and the user finishes it.
func (e *Engine) table(ctx context.Context, a *attempt) error {
	st := a.st
	sched := e.schedule(st)
	start := time.Now()
	fullEvery := st.Table.FullEvery
	if fullEvery <= 0 {
		fullEvery = DefaultFullEvery
	}
	l := e.listen(ctx, st)
	defer l.stop()
	var rows []Row
	var lastFull time.Time // zero: load every row
	for {
		wake := e.wakeC()
		e.show(e.event(EventPolling, a))
		full := st.Table.Changes == nil || lastFull.IsZero() || time.Since(lastFull) >= fullEvery
		same := false
		err := e.retrying(ctx, a, func(ctx context.Context) error {
			var got []Row
			var err error
			if full {
				got, err = st.Table.Rows(ctx, e.Env, e.Session)
			} else {
				got, err = st.Table.Changes(ctx, e.Env, e.Session, rows)
				same = err == nil && len(got) == len(rows) && (len(got) == 0 || &got[0] == &rows[0])
			}
			if err == nil {
				rows = got
			}
			return err
		})
		if err == nil && full {
			lastFull = time.Now()
		}
		if ctx.Err() != nil {
			return e.stop(ctx.Err())
		}
		complete, rowsErr := false, ""
		if err != nil {
			rowsErr = err.Error()
			if h := HintOf(err); h != "" {
				rowsErr += " (" + h + ")"
			}
		} else {
			complete = st.Table.Done == nil || st.Table.Done(rows, e.Session)
		}
		// A table waits on the other party (a new endpoint, a consumer's
		// request) and on the user.
		d := sched.Next(Status{State: strconv.Itoa(len(rows)), OtherParty: true}, time.Since(start))
		// Until it is complete it waits on the other party, whose changes
		// the listener's events announce; then on the user, while AWS
		// provisions what was accepted, which no event announces.
		if l != nil {
			d = l.pause(d, rowsSeen(rows), !complete)
		}
		e.noteFailure(a, l)
		ev := e.event(EventRows, a)
		ev.Rows, ev.Complete, ev.RowsErr, ev.NextPoll, ev.RowsSame = rows, complete, rowsErr, e.now().Add(d), same
		e.show(ev)

		q := e.question(AskTable, a)
		q.Rows, q.Complete, q.RowsErr, q.NextPoll = rows, complete, rowsErr, ev.NextPoll
		reply, err := e.askUntil(ctx, a, q, d, wake)
		if err != nil {
			if ctx.Err() != nil {
				return e.stop(ctx.Err())
			}
			var re *RunError
			if errors.As(err, &re) {
				return err
			}
			continue // time to refresh the rows
		}
		switch reply.Choice {
		case ChoiceFinish:
			if complete {
				return nil
			}
		case ChoiceStop:
			return e.stop(nil)
		case ChoiceRefresh:
			lastFull = time.Time{} // the user asked for every row
		case ChoiceRowAction:
			if e.rowAction(ctx, a, reply) {
				sched = e.schedule(st) // look often again after an action
				start = time.Now()
			}
		}
	}
}

// rowAction runs the row action a reply asks for, after its confirmation;
// true when it ran.
func (e *Engine) rowAction(ctx context.Context, a *attempt, reply Reply) bool {
	i := slices.IndexFunc(a.st.Table.Actions, func(act RowAction) bool { return act.Key == reply.Action })
	if i < 0 || len(reply.Rows) == 0 || a.st.Table.Actions[i].Do == nil {
		return false
	}
	act := a.st.Table.Actions[i]
	if act.Confirm != "" {
		what := fmt.Sprintf("%s %d row(s)", act.Label, len(reply.Rows))
		if len(reply.Rows) == 1 {
			what = act.Label + " " + reply.Rows[0]
		}
		q := e.question(AskConfirm, a)
		q.Text = what + "? " + act.Confirm
		r, err := e.ask(ctx, a, q)
		if err != nil || r.Choice != ChoiceYes {
			return false
		}
	}
	var detail string
	err := e.retrying(ctx, a, func(ctx context.Context) error {
		var err error
		detail, err = act.Do(ctx, e.Env, e.Session, reply.Rows)
		return err
	})
	e.save()
	e.Env.Wake.Broadcast()
	switch {
	case err != nil:
		e.note(a, failNote(act.Label, err), true)
	case detail != "":
		e.note(a, act.Label+": "+detail, false)
	default:
		e.note(a, act.Label+": done", false)
	}
	return true
}

// retrying runs fn until it succeeds, fails for good, or the step's retry
// budget runs out. Passing failures (throttling, 5xx, timeouts) and a
// NotFound for what this session just created are retried with backoff;
// anything else is returned at once.
func (e *Engine) retrying(ctx context.Context, a *attempt, fn func(ctx context.Context) error) error {
	budget := e.RetryBudget
	if budget <= 0 {
		budget = e.WaitTimeout
	}
	if budget <= 0 {
		budget = DefaultRetryBudget
	}
	start := time.Now()
	var paused, notFoundPaused time.Duration
	for n := 0; ; n++ {
		err := guard(func() error { return fn(ctx) })
		if err == nil || ctx.Err() != nil {
			return err
		}
		class, id, made := classify(err, e.Session, e.now())
		d := retryDelay(n)
		spent := max(paused, time.Since(start))
		switch class {
		case failPassing:
			if spent+d > budget {
				return err
			}
		case failNotYetVisible:
			left := NotFoundGrace - e.now().Sub(made.At)
			if notFoundPaused+d > min(left, NotFoundGrace) || spent+d > budget {
				return err
			}
			notFoundPaused += d
		default:
			return err
		}
		ev := e.event(EventRetrying, a)
		ev.Err, ev.Delay = err.Error(), d
		if class == failNotYetVisible {
			ev.Hint = id + " was created moments ago; AWS may take a little while to show it everywhere"
		} else {
			ev.Hint = HintOf(err)
		}
		e.show(ev)
		if err := e.pause(ctx, d); err != nil {
			return err
		}
		paused += d
	}
}

// guard runs fn, turning a panic in a step (a bug in plwiz) into its
// failure: the session is saved and the run says what happened, instead of
// the process dying with the terminal in raw mode.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := debug.Stack()
			if len(stack) > 2000 {
				stack = stack[:2000]
			}
			err = fmt.Errorf("internal error (a bug in plwiz; please report it with this message): %v\n%s", r, stack)
		}
	}()
	return fn()
}

// askUntil asks q, giving up (to refresh) after d or when wake is closed.
func (e *Engine) askUntil(ctx context.Context, a *attempt, q Question, d time.Duration, wake <-chan struct{}) (Reply, error) {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.AfterFunc(d, cancel)
	defer timer.Stop()
	if wake != nil {
		go func() {
			select {
			case <-wake:
				cancel()
			case <-qctx.Done():
			}
		}()
	}
	return e.askCtx(qctx, a, q)
}

// ask asks q; an error means stop: ctx ended, input ended, or the front end
// refused by policy (a *RunError, recorded as the step's failure).
func (e *Engine) ask(ctx context.Context, a *attempt, q Question) (Reply, error) {
	r, err := e.askCtx(ctx, a, q)
	if err != nil {
		var re *RunError
		if errors.As(err, &re) {
			return r, err
		}
		if ctx.Err() != nil {
			return r, e.stop(ctx.Err())
		}
		return r, e.stop(err)
	}
	return r, nil
}

func (e *Engine) askCtx(ctx context.Context, a *attempt, q Question) (Reply, error) {
	r, err := e.fe.Ask(ctx, q)
	if err != nil {
		var re *RunError
		if errors.As(err, &re) {
			if re.Step == "" {
				re.Step = a.st.ID
			}
			return r, e.fail(a, re.Code, re.Err, re.Hint)
		}
	}
	return r, err
}

// fail records a failure the front end will not be asked about (headless
// policy), shows it and returns the *RunError that ends the run.
func (e *Engine) fail(a *attempt, code int, err error, hint string) error {
	rec := a.rec
	rec.State, rec.Error, rec.Hint, rec.FinishedAt = StateFailed, err.Error(), hint, e.now()
	e.save()
	ev := e.event(EventFailed, a)
	ev.Err, ev.Hint, ev.Result = err.Error(), hint, a.res
	e.show(ev)
	return &RunError{Code: code, Step: a.st.ID, Err: err, Hint: hint}
}

// stop ends the run at the user's word, saving the session: a step that
// was running goes back to pending, so a resume runs it again.
func (e *Engine) stop(cause error) error {
	for _, st := range e.Flow.Steps {
		if rec := e.Session.Steps[st.ID]; rec != nil && rec.State == StateRunning {
			rec.State = StatePending
		}
	}
	e.save()
	if cause == nil {
		return ErrStopped
	}
	return fmt.Errorf("%w: %w", ErrStopped, cause)
}

// pause waits d, or until ctx ends or Env.Wake fires.
func (e *Engine) pause(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return pauseFor(ctx, d, e.wakeC())
}

// pauseOn is pause with the wake channel taken before the look that
// decided it.
func (e *Engine) pauseOn(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return pauseFor(ctx, d, wake)
}

func (e *Engine) schedule(st *Step) Schedule {
	if e.Schedule != nil {
		return e.Schedule(st)
	}
	return DefaultSchedule(st)
}

func (e *Engine) now() time.Time { return e.Env.now() }

func (e *Engine) save() {
	e.saveErr = e.Session.Save(e.now())
}

func (e *Engine) show(ev Event) {
	if ev.Kind == EventFinished {
		ev.Snap = e.snapshot()
		if e.saveErr != nil {
			ev.SaveErr = e.saveErr.Error()
		}
	}
	e.fe.Show(ev)
}

// event is an event of the step a is attempting, with the step's view and
// the session as of now.
func (e *Engine) event(kind EventKind, a *attempt) Event {
	ev := Event{Kind: kind, Step: a.st, Index: a.index, View: e.view(a.st), Snap: e.snapshot()}
	if e.saveErr != nil {
		ev.SaveErr = e.saveErr.Error()
	}
	return ev
}

func (e *Engine) question(kind AskKind, a *attempt) Question {
	return Question{Kind: kind, Step: a.st, Index: a.index, View: e.view(a.st), Snap: e.snapshot()}
}

func (e *Engine) view(st *Step) StepView {
	var v StepView
	if st.Describe != nil {
		v.Describe = st.Describe(e.Session)
	}
	if st.Fields != nil {
		v.Fields = st.Fields(e.Session)
	}
	return v
}

func (e *Engine) snapshot() Snapshot {
	s := e.Session
	sn := Snapshot{ID: s.ID, Account: s.Account, ARN: s.ARN, Region: s.Region, Endpoint: s.Endpoint, Role: s.Role,
		Steps: make(map[string]StepRecord, len(s.Steps))}
	for id, r := range s.Steps {
		if r != nil {
			sn.Steps[id] = *r
		}
	}
	return sn
}

// InputsToAsk is what an interactive front end asks before st's Do: every
// input of a form step, the bundle of an import and the path of an export
// (its default proposed), since asking them is what those steps are for;
// and, for the other kinds, every input the session has no answer for yet,
// optional ones included (acceptance on create-service, writing the TXT
// record, the connectivity test's HTTP path), so a choice the design
// leaves to the user is never taken silently. Answers given before (flags,
// the demo, a resumed session) are not asked again.
func InputsToAsk(st *Step, s *Session) []Input {
	switch {
	case st.Kind == KindHandoff && st.Handoff == HandoffImport:
		if len(st.Inputs) == 0 {
			return []Input{{Key: st.ID, Label: "Bundle file or token", Type: InputText, Required: true}}
		}
		return st.Inputs
	case st.Kind == KindForm, st.Kind == KindHandoff:
		return st.Inputs
	}
	return UnansweredInputs(st, s)
}

// FormStages splits inputs into the forms asked one after another: the
// choices of a select loaded from AWS may depend on the answers before it
// (the subnets of the VPC just chosen), so each input with Options starts a
// stage of its own, loaded once the answers before it are in the session.
func FormStages(inputs []Input) [][]Input {
	var out [][]Input
	for i, in := range inputs {
		if i == 0 || in.Options != nil {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], in)
	}
	return out
}
