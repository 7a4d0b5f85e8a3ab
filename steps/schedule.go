package steps

import (
	"sync"
	"time"
)

// AwaitKind is what a wait waits for, which decides how often it looks.
type AwaitKind string

// What a wait can wait for.
const (
	// AwaitAWS is a change AWS makes on its own (service Available,
	// verification, a Route 53 change, provisioning): look often while
	// the change is due.
	AwaitAWS AwaitKind = "aws"
	// AwaitFile is a bundle file the other party writes: a stat costs no
	// API call, so look very often.
	AwaitFile AwaitKind = "file"
	// AwaitParty is the other party acting in AWS (accepting, creating an
	// endpoint): look every few seconds.
	AwaitParty AwaitKind = "party"
)

// Await describes a step's wait: what it waits for and how long AWS
// usually takes, so its schedule fits.
type Await struct {
	Kind AwaitKind
	// Typical is how long the change usually takes (AWS-side waits).
	Typical time.Duration
	// Every, when set, is the one pause of a wait on the other party,
	// whatever it sees (the connections table: one call a look, and a
	// budget of calls a minute).
	Every time.Duration
}

// Schedule decides when a wait looks again.
type Schedule interface {
	// Next is the pause before the next look, given what the last look
	// saw and how long the wait has lasted.
	Next(seen Status, waited time.Duration) time.Duration
}

// Poll intervals of the default schedules.
const (
	awsPollFast  = time.Second
	awsPollSlow  = 5 * time.Second
	filePoll     = 250 * time.Millisecond
	partyPoll    = 2 * time.Second
	partyPollMax = 5 * time.Second
)

// DefaultSchedule is the schedule that fits what st waits for: an AWS-side
// change is looked at every second while it is due (three times its
// typical duration), then ever less often up to every 5 seconds; a file
// every 250 ms; the other party every 2 seconds for two minutes, then every
// 5 seconds. A wait on the other party that turns into an AWS-side change
// (an accepted endpoint being provisioned) is looked at as one.
func DefaultSchedule(st *Step) Schedule {
	a := st.Await
	if a.Kind == "" {
		a.Kind = AwaitAWS
	}
	if a.Typical <= 0 {
		a.Typical = 30 * time.Second
	}
	return &awaitSchedule{await: a}
}

type awaitSchedule struct {
	await Await
	// since is when the wait turned AWS-side (a party wait's other party
	// acted); zero until then.
	since time.Duration
	aws   bool
}

func (s *awaitSchedule) Next(seen Status, waited time.Duration) time.Duration {
	switch s.await.Kind {
	case AwaitFile:
		return filePoll
	case AwaitParty:
		if s.await.Every > 0 {
			return s.await.Every
		}
		if seen.OtherParty || !s.aws && seen.State == "" {
			if waited < 2*time.Minute {
				return partyPoll
			}
			return partyPollMax
		}
		if !s.aws {
			s.aws, s.since = true, waited
		}
		waited -= s.since
	}
	due := 3*s.await.Typical + 30*time.Second
	if waited <= due {
		return awsPollFast
	}
	// Past its due time the change is late: slow down gently, a quarter
	// more every further due period, never past awsPollSlow.
	d := awsPollFast
	for over := waited - due; over > 0 && d < awsPollSlow; over -= due {
		d = d * 5 / 4
	}
	return min(d, awsPollSlow)
}

// backoffSchedule adapts a Backoff (tests' fast polls) to a Schedule.
type backoffSchedule struct{ b *Backoff }

func (s backoffSchedule) Next(seen Status, _ time.Duration) time.Duration {
	return s.b.Next(seen.State + "|" + seen.Detail)
}

// BackoffSchedule makes a schedule of b: fast after a change, backing off
// while nothing changes.
func BackoffSchedule(b *Backoff) Schedule { return backoffSchedule{b: b} }

// Signal wakes every wait that listens to it: when one party acts in the
// demo, or AWS reports a change, the other party's wait looks at once
// instead of at its next scheduled look.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// NewSignal makes a Signal.
func NewSignal() *Signal { return &Signal{ch: make(chan struct{})} }

// C is closed at the next Broadcast; take it before deciding to sleep.
func (s *Signal) C() <-chan struct{} {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

// Broadcast wakes every current listener.
func (s *Signal) Broadcast() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
