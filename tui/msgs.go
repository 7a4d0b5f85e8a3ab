package tui

import (
	"time"

	"github.com/plwiz/plwiz/steps"
)

// Every message a Model sends itself names its owner, so two Models in one
// program (the demo) never take each other's results, and the generation of
// the step attempt it belongs to, so results of an abandoned attempt are
// dropped.

// workMsg is the result of a command that held the session; when it
// arrives the session is Update's again.
type workMsg interface {
	work() (*Model, snapshot, error)
}

type workBase struct {
	owner   *Model
	gen     int
	snap    snapshot
	saveErr error
}

func (w workBase) work() (*Model, snapshot, error) { return w.owner, w.snap, w.saveErr }

// advanceMsg: the next step to show (nil when the flow is done), after the
// skipped ones were recorded.
type advanceMsg struct {
	workBase
	step  *steps.Step
	index int
}

// optionsMsg: the choices of a step's select inputs.
type optionsMsg struct {
	workBase
	options map[string][]steps.Option
	err     error
}

// doMsg: what a step's Do returned.
type doMsg struct {
	workBase
	result steps.Result
	err    error
	// pending is true when the step goes on polling (Poll or Table).
	pending bool
	// cancelled is true when the user left while Do ran.
	cancelled bool
}

// pollMsg: what one Poll saw.
type pollMsg struct {
	workBase
	status    steps.Status
	err       error
	retryable bool
	cancelled bool
}

// rowsMsg: the table's rows of the moment.
type rowsMsg struct {
	workBase
	rows      []steps.Row
	done      bool
	err       error
	cancelled bool
}

// rowActionMsg: what a row action did.
type rowActionMsg struct {
	workBase
	label  string
	detail string
	err    error
}

// fixMsg: what a check's fix, or a failed wait's way forward (recover),
// did.
type fixMsg struct {
	workBase
	label   string
	err     error
	recover bool
}

// finishMsg: the step was recorded done (table steps finish on the user's
// word).
type finishMsg struct{ workBase }

// savedMsg: the session was saved on leaving.
type savedMsg struct{ workBase }

// pollTickMsg asks for the next poll (or rows refresh) of generation gen.
type pollTickMsg struct {
	owner *Model
	gen   int
}

// clockMsg refreshes elapsed times once a second.
type clockMsg struct{ owner *Model }

// formMsg carries a huh form's internal message back to the form it came
// from.
type formMsg struct {
	owner *Model
	gen   int
	msg   any
}

// formSubmitMsg: the form of generation gen was submitted.
type formSubmitMsg struct {
	owner *Model
	gen   int
}

// snapshot is what View needs of the session, copied while the session was
// not in use by a command.
type snapshot struct {
	id, account, arn, region, endpoint string
	role                               steps.Role
	recs                               map[string]steps.StepRecord
	taken                              bool
}

func takeSnapshot(s *steps.Session) snapshot {
	sn := snapshot{
		id: steps.Sanitize(s.ID), account: steps.Sanitize(s.Account), arn: steps.Sanitize(s.ARN),
		region: steps.Sanitize(s.Region), endpoint: steps.Sanitize(s.Endpoint), role: s.Role,
		recs: make(map[string]steps.StepRecord, len(s.Steps)), taken: true,
	}
	for id, r := range s.Steps {
		if r != nil {
			rec := *r
			rec.Detail, rec.Error, rec.Hint = steps.Sanitize(rec.Detail), steps.Sanitize(rec.Error), steps.Sanitize(rec.Hint)
			sn.recs[id] = rec
		}
	}
	return sn
}

// elapsed is how long a step took, or has been going.
func (s snapshot) elapsed(id string, now time.Time) time.Duration {
	r, ok := s.recs[id]
	if !ok || r.StartedAt.IsZero() {
		return 0
	}
	end := now
	if (r.State.Finished() || r.State == steps.StateFailed) && !r.FinishedAt.IsZero() {
		end = r.FinishedAt
	}
	if end.Before(r.StartedAt) {
		return 0
	}
	return end.Sub(r.StartedAt)
}
