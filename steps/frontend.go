package steps

import (
	"context"
	"time"
)

// A step's life cycle — ask the inputs it lacks, confirm, Do, Poll on a
// schedule, offer fixes, recover, done — is written once, in Engine. The
// three front ends (headless Runner, the line prompts, the Bubble Tea
// model) only show what the engine reports and answer what it asks.

// Frontend is what the engine needs of a front end.
type Frontend interface {
	// Interactive reports whether the user can be asked. A non-interactive
	// front end (headless) gets every input from the session, filled from
	// flags, and answers questions by policy (--yes).
	Interactive() bool
	// Show reports what happens. It runs on the engine's goroutine and must
	// not block for long.
	Show(Event)
	// Ask blocks until the question is answered or ctx ends.
	Ask(ctx context.Context, q Question) (Reply, error)
}

// EventKind says what happened.
type EventKind string

// The events of a run, in the order a step sees them.
const (
	EventStep     EventKind = "step"     // a step starts: its screen
	EventSkipped  EventKind = "skipped"  // the step does not apply
	EventLoading  EventKind = "loading"  // the choices of the inputs load
	EventRunning  EventKind = "running"  // Do runs
	EventPolling  EventKind = "polling"  // a Poll or a rows refresh runs
	EventStatus   EventKind = "status"   // what a Poll saw, and when the next look is
	EventRows     EventKind = "rows"     // a table's rows of the moment
	EventRetrying EventKind = "retrying" // a call failed in passing; it runs again after Delay
	EventNote     EventKind = "note"     // a row action or a fix ran (Bad when it failed)
	EventDone     EventKind = "done"     // the step is done, with its result
	EventFailed   EventKind = "failed"   // the step failed, with why and what to do
	EventFinished EventKind = "finished" // every step is done
)

// Event is one thing that happened, with what a front end needs to show
// it. Text in it comes from AWS, files and the user: front ends sanitise
// it before it reaches a terminal.
type Event struct {
	Kind  EventKind
	Step  *Step // nil for EventFinished
	Index int   // the step's position in the flow
	// View is the step's description and fields as of now.
	View StepView
	// Snap is the session as of now (header, each step's record).
	Snap Snapshot

	Result Result // EventDone, EventFailed (checks)
	Status Status // EventStatus, EventFailed of a wait
	// NextPoll is when the next look is due (EventStatus, EventRows).
	NextPoll time.Time
	// PollErr is why the last look failed in passing (EventStatus).
	PollErr string
	Rows    []Row // EventRows
	// RowsSame is true when Rows are the rows shown before, unchanged.
	RowsSame bool
	// Complete tells whether the table step may be finished (EventRows).
	Complete bool
	// RowsErr is why the rows could not be loaded (EventRows).
	RowsErr string
	// Err and Hint say why a step failed (EventFailed) or why a call is
	// retried (EventRetrying).
	Err, Hint string
	// Delay is when a failed call runs again (EventRetrying).
	Delay time.Duration
	// Recover is the way forward of a failure, when it has one.
	Recover *Fix
	// Note is what a row action or fix did (EventNote); Bad when it failed.
	Note string
	Bad  bool
	// SaveErr is why the last save of the session failed, or "".
	SaveErr string
}

// StepView is what a step's screen says about it besides its state.
type StepView struct {
	Describe string
	Fields   []Field
}

// Snapshot is a copy of what a front end shows of the session, taken on the
// engine's goroutine so front ends never read the live session.
type Snapshot struct {
	ID, Account, ARN, Region, Endpoint string
	Role                               Role
	Steps                              map[string]StepRecord
}

// AskKind is the kind of a question.
type AskKind string

// The questions of a step's life cycle.
const (
	// AskInputs: answer Inputs (one stage of them); Reply.Values, or
	// ChoiceBack to the stage before.
	AskInputs AskKind = "inputs"
	// AskGo: an action is ready to run (its description is shown):
	// ChoiceYes to go ahead, ChoiceStop to leave.
	AskGo AskKind = "go"
	// AskConfirm: a yes/no question (Text); ChoiceYes or ChoiceNo.
	AskConfirm AskKind = "confirm"
	// AskResult: the step is done and its result shown: ChoiceContinue,
	// or ChoiceFix with the index of a failed check that offers one.
	AskResult AskKind = "result"
	// AskFailed: the step failed: ChoiceRetry, ChoiceFix (a check's),
	// ChoiceRecover (the failure's way forward) or ChoiceStop.
	AskFailed AskKind = "failed"
	// AskTable: a table's rows are shown: ChoiceRowAction, ChoiceFinish
	// (when Complete), ChoiceRefresh. The engine refreshes the rows when
	// the question's context ends and asks again.
	AskTable AskKind = "table"
)

// Question is what the engine asks a front end.
type Question struct {
	Kind  AskKind
	Step  *Step
	Index int
	View  StepView
	Snap  Snapshot

	// AskInputs.
	Inputs  []Input
	Options map[string][]Option
	// Start is each input's proposed value: the session's answer, else the
	// input's Default as of now.
	Start map[string]string
	// Stage and Stages place this form among the step's forms; Answered
	// are the answers of the stages before, one line each.
	Stage, Stages int
	Answered      [][]string
	// BackTo is the first question of the stage before, where ChoiceBack
	// goes ("" on the first stage).
	BackTo string

	// AskGo: Declined is true when the user said no to the step's
	// confirmation last time.
	Declined bool

	// AskConfirm: the question.
	Text string

	// AskResult and AskFailed.
	Result Result
	Err    string
	Hint   string
	// Recover is the failure's way forward (AskFailed), when it has one.
	Recover *Fix
	// Fixable lists the indexes of failed checks that offer a fix and
	// were not tried yet in this attempt.
	Fixable []int
	// BadInput is true when the failure is the user's input (exit code 2
	// headless).
	BadInput bool
	// Code is the headless exit code the failure maps to.
	Code int

	// AskTable.
	Rows     []Row
	Complete bool
	RowsErr  string
	NextPoll time.Time
}

// Choice is a front end's answer to a question.
type Choice string

// The answers.
const (
	ChoiceContinue  Choice = "continue"
	ChoiceYes       Choice = "yes"
	ChoiceNo        Choice = "no"
	ChoiceBack      Choice = "back"
	ChoiceRetry     Choice = "retry"
	ChoiceFix       Choice = "fix"
	ChoiceRecover   Choice = "recover"
	ChoiceStop      Choice = "stop"
	ChoiceRowAction Choice = "row-action"
	ChoiceFinish    Choice = "finish"
	ChoiceRefresh   Choice = "refresh"
)

// Reply is a front end's answer.
type Reply struct {
	Choice Choice
	// Values are the answers of AskInputs, by input key.
	Values map[string]string
	// Check is the index of the check whose fix to run (ChoiceFix).
	Check int
	// Action is the key of the row action (ChoiceRowAction), Rows the IDs
	// of the rows it applies to.
	Action string
	Rows   []string
}
