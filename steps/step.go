package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plwiz/plwiz/handoff"
)

// Kind is the shape of a step; the TUI has one screen per kind, never one
// per step.
type Kind string

// The step kinds.
const (
	KindForm    Kind = "form"    // fields to fill, validated as typed
	KindAction  Kind = "action"  // what will be done, confirm, result
	KindWait    Kind = "wait"    // live polled status
	KindTable   Kind = "table"   // live list with row actions
	KindHandoff Kind = "handoff" // a bundle to export or import
	KindCheck   Kind = "check"   // a list of pass/fail checks with hints
)

// InputType is how an input is asked for.
type InputType string

// Input types.
const (
	InputText        InputType = "text"
	InputSelect      InputType = "select"
	InputMultiSelect InputType = "multiselect" // values joined with ","
	InputConfirm     InputType = "confirm"     // "true" / "false"
)

// Option is one choice of a select input.
type Option struct {
	Value string
	Label string
	// Note says why an option is not a good choice (e.g. a subnet in an AZ
	// the service does not serve); the UI shows it and may disable it.
	Note     string
	Disabled bool
}

// Input is one value a step needs from the user (or from a flag when
// headless). Its Key is where the session records it.
type Input struct {
	Key      string
	Label    string
	Help     string
	Type     InputType
	Required bool
	// Flag is the headless runner's flag for this input.
	Flag string
	// Validate checks a value as it is typed; nil accepts anything.
	Validate func(value string) error
	// Normalize, when set, undoes what pasting does to a value (a token's
	// line breaks and code fence) before it is checked and stored; an input
	// without one refuses control characters. See Accept.
	Normalize func(value string) (string, error)
	// Options loads the choices of a select from AWS.
	Options func(ctx context.Context, env *Env, s *Session) ([]Option, error)
	// Default proposes a value from what the session knows.
	Default func(s *Session) string
	// DefaultText names Default's proposal in flag help and man pages:
	// "true" for a confirm input that is on unless turned off, else the
	// value or, when it depends on the session, a phrase
	// ("offer-SERVICE_ID.json in the current directory"). Set it with
	// Default.
	DefaultText string
}

// Accept prepares a value given for the input, typed, pasted or from a
// flag, for the session: trimmed, normalised (or, without Normalize,
// refused if it holds a control character, which is named), and validated.
// Every front end stores what it returns.
func (in Input) Accept(v string) (string, error) {
	v = strings.TrimSpace(v)
	if in.Normalize != nil {
		n, err := in.Normalize(v)
		if err != nil {
			return "", err
		}
		v = n
	} else if c := handoff.DescribeControl(v); c != "" {
		return "", fmt.Errorf("found a control character, %s; give plain text", c)
	}
	if in.Validate != nil && v != "" {
		if err := in.Validate(v); err != nil {
			return "", err
		}
	}
	return v, nil
}

// Status is what one Poll saw.
type Status struct {
	Done   bool
	Failed bool
	// State is the AWS state seen, folded to one spelling.
	State string
	// Detail says what AWS is doing, in plain words.
	Detail string
	// Hint says what the user can do, when there is something to do.
	Hint string
	// OtherParty is true when the wait is on the other party (the headless
	// runner's exit code 3 on timeout).
	OtherParty bool
	// Recover, on a failed status, is the way forward the UI offers (a new
	// endpoint after a rejection); it resets the session so the flow goes on.
	Recover *Fix
}

// CheckResult is one line of a check step.
type CheckResult struct {
	Name     string
	Passed   bool
	Skipped  bool
	Expected string
	Seen     string
	Hint     string
	// Fix, when set, is an action that can put it right (e.g. turn on the
	// VPC's DNS hostnames); Fix is offered, never run unasked.
	Fix *Fix
	// Fatal stops the flow when the check fails (the offer's owner is not
	// the service's owner).
	Fatal bool
}

// Fix is a remedy a check can offer, or a failure's way forward.
type Fix struct {
	Label string
	Do    func(ctx context.Context, env *Env, s *Session) error
	// Unattended is true when --yes may take this way forward without a
	// person (making again what is gone), false when it needs one (a new
	// endpoint after a rejection: the provider said no to the last one).
	Unattended bool
}

// Step is one thing to do in a flow.
type Step struct {
	ID    string
	Title string
	Kind  Kind
	// Inputs this step needs before Do.
	Inputs []Input
	// Describe says what Do will do, in the user's words (action steps).
	Describe func(s *Session) string
	// Skip tells whether the step does not apply (no private DNS name).
	Skip func(s *Session) bool
	// Do performs the step; it must be idempotent (a re-run after a crash
	// finds what it made before). It may record inputs and resources.
	Do func(ctx context.Context, env *Env, s *Session) (Result, error)
	// Poll, when set, is called after Do until it reports Done or Failed.
	Poll func(ctx context.Context, env *Env, s *Session) (Status, error)
	// Await says what Poll waits for, so the wait looks as often as fits.
	Await Await
	// Confirm, when set, is the question to ask before Do (destructive
	// actions); headless, --yes answers it.
	Confirm string
	// Fields are facts to show on the step's screen, each copyable (the TXT
	// record's name, type, value and TTL).
	Fields func(s *Session) []Field
	// Table is the live list of a table step.
	Table *Table
	// Handoff says which way a handoff step goes.
	Handoff HandoffDirection
}

// Field is one labelled fact on a screen.
type Field struct {
	Label    string
	Value    string
	Copyable bool
}

// HandoffDirection is export or import.
type HandoffDirection string

// Handoff directions.
const (
	HandoffNone   HandoffDirection = ""
	HandoffExport HandoffDirection = "export"
	HandoffImport HandoffDirection = "import"
)

// Table is a live list with row actions (the provider's connections).
type Table struct {
	Columns []string
	// Rows loads every row: when the table is shown, on the user's
	// refresh, and every FullEvery.
	Rows func(ctx context.Context, env *Env, s *Session) ([]Row, error)
	// Changes, when set, brings known (the rows of the last load) up to
	// date cheaply, between full loads: what may have changed, not
	// everything (10,000 connections are 11 pages). It returns known
	// itself when nothing changed, so nothing is redrawn.
	Changes func(ctx context.Context, env *Env, s *Session, known []Row) ([]Row, error)
	// FullEvery is how often a table with Changes loads every row again,
	// to catch what Changes does not look at; 0 means DefaultFullEvery.
	FullEvery time.Duration
	// Actions apply to the selected rows.
	Actions []RowAction
	// Done tells whether the table step is complete given the rows.
	Done func(rows []Row, s *Session) bool
}

// DefaultFullEvery is how often a table loads every row again.
const DefaultFullEvery = 10 * time.Minute

// Row is one line of a table.
type Row struct {
	ID    string
	Cells []string
	// Expected marks the row the other party's bundle named.
	Expected bool
	// State is the row's folded AWS state, for styling and sorting.
	State string
	// Note explains the row (why it is unexpected, why rejected).
	Note string
}

// RowAction is an action on selected rows.
type RowAction struct {
	Key   string // the key that triggers it in the TUI ("a", "r")
	Label string
	// Confirm, when set, is asked before Do (reject cannot be undone).
	Confirm string
	Do      func(ctx context.Context, env *Env, s *Session, rowIDs []string) (string, error)
}

// Result is what Do produced for the screen.
type Result struct {
	Detail string
	Checks []CheckResult
	// Export is the bundle a handoff step wrote.
	Export *Export
}

// Export is a written handoff bundle.
type Export struct {
	Path  string `json:"path"`
	Token string `json:"token"`
}

// Failed reports whether a fatal check failed (or any, when strict).
func (r Result) Failed(strict bool) bool {
	for _, c := range r.Checks {
		if !c.Passed && !c.Skipped && (strict || c.Fatal) {
			return true
		}
	}
	return false
}

// Flow is the ordered steps of one role.
type Flow struct {
	Role  Role
	Steps []*Step
}

// Step returns the step with the given ID, or nil.
func (f *Flow) Step(id string) *Step {
	for _, st := range f.Steps {
		if st.ID == id {
			return st
		}
	}
	return nil
}

func (f *Flow) index(st *Step) int { return slices.Index(f.Steps, st) }

// ResetFrom makes the step id and every step after it pending again: the
// session goes back to that step (a resource it made is gone, or a
// rejected endpoint is replaced).
func (f *Flow) ResetFrom(s *Session, id string) {
	from := slices.IndexFunc(f.Steps, func(st *Step) bool { return st.ID == id })
	if from < 0 {
		return
	}
	for _, st := range f.Steps[from:] {
		s.Steps[st.ID] = &StepRecord{State: StatePending}
	}
}

// Next returns the first step the session has not finished, or nil when the
// flow is done.
func (f *Flow) Next(s *Session) *Step {
	for _, st := range f.Steps {
		if !s.Step(st.ID).State.Finished() {
			return st
		}
	}
	return nil
}

// MissingInputs lists the required inputs of st not yet in the session.
func MissingInputs(st *Step, s *Session) []Input {
	var out []Input
	for _, in := range st.Inputs {
		if in.Required && s.Input(in.Key) == "" {
			out = append(out, in)
		}
	}
	return out
}

// UnansweredInputs lists the inputs of st the session has no answer for:
// those never recorded, required or optional, and required ones recorded
// empty. An optional input answered empty (no existing service) counts as
// answered, so a resumed session does not ask it again.
func UnansweredInputs(st *Step, s *Session) []Input {
	var out []Input
	for _, in := range st.Inputs {
		v, ok := s.Inputs[in.Key]
		if !ok || (in.Required && v == "") {
			out = append(out, in)
		}
	}
	return out
}

// ValidateInputs checks every recorded input of st with its validator.
func ValidateInputs(st *Step, s *Session) error {
	var errs []error
	for _, in := range st.Inputs {
		v := s.Input(in.Key)
		if v == "" {
			if in.Required {
				errs = append(errs, fmt.Errorf("%s: required", in.Label))
			}
			continue
		}
		if in.Validate != nil {
			if err := in.Validate(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", in.Label, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Backoff is an adaptive poll interval: fast right after an action, backing
// off to a ceiling while nothing changes, fast again on change.
type Backoff struct {
	Min, Max time.Duration
	Factor   float64
	cur      time.Duration
	last     string
}

// DefaultBackoff polls at 1s, growing by half to 15s.
func DefaultBackoff() *Backoff { return &Backoff{Min: time.Second, Max: 15 * time.Second, Factor: 1.5} }

// Reset makes the next interval the fastest, as after an action.
func (b *Backoff) Reset() { b.cur = 0; b.last = "" }

// Next returns how long to wait before the next poll, given what the last
// poll saw (observed: a string that changes when anything changed).
func (b *Backoff) Next(observed string) time.Duration {
	switch {
	case b.cur == 0 || observed != b.last:
		b.cur = b.Min
	default:
		b.cur = time.Duration(float64(b.cur) * b.Factor)
		if b.cur > b.Max {
			b.cur = b.Max
		}
	}
	b.last = observed
	return b.cur
}
