package tui

import (
	"time"

	"github.com/plwiz/plwiz/steps"
)

// Every message a Model sends itself names its owner, so two Models in one
// program (the demo) never take each other's messages; a form's messages
// also carry the generation of the form they belong to, so those of a form
// that is gone are dropped.

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

// snapshot is what View needs of the session: a sanitised copy of what
// the engine reported last.
type snapshot struct {
	id, account, arn, region, endpoint string
	role                               steps.Role
	recs                               map[string]steps.StepRecord
}

func takeSnapshot(s *steps.Session) snapshot {
	recs := make(map[string]steps.StepRecord, len(s.Steps))
	for id, r := range s.Steps {
		if r != nil {
			recs[id] = *r
		}
	}
	return cleanSnapshot(steps.Snapshot{ID: s.ID, Account: s.Account, ARN: s.ARN, Region: s.Region, Endpoint: s.Endpoint, Role: s.Role, Steps: recs})
}

func cleanSnapshot(s steps.Snapshot) snapshot {
	sn := snapshot{
		id: steps.Sanitize(s.ID), account: steps.Sanitize(s.Account), arn: steps.Sanitize(s.ARN),
		region: steps.Sanitize(s.Region), endpoint: steps.Sanitize(s.Endpoint), role: s.Role,
		recs: make(map[string]steps.StepRecord, len(s.Steps)),
	}
	for id, rec := range s.Steps {
		rec.Detail, rec.Error, rec.Hint = steps.Sanitize(rec.Detail), steps.Sanitize(rec.Error), steps.Sanitize(rec.Hint)
		sn.recs[id] = rec
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
