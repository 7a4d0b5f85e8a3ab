package sandbox

import (
	"encoding/json"
	"time"
)

// Event is one state change the sandbox made in its world, so the lag
// between AWS changing and a client noticing can be measured.
//
// Resource is the ID of what changed, or the ID and an aspect of it:
//
//	vpce-svc-…              service: "" → Pending → Available → "" (deleted)
//	vpce-svc-…/private-dns  its private DNS name: "" → pendingVerification → verified | failed
//	vpce-…                  endpoint: "" → pendingAcceptance → pending → available, rejected, ""
//	vpce-…/private-dns      its private DNS: "" → enabled → resolving (the private name answers
//	                        with the endpoint's addresses), back to enabled or "" when that ends
//	/change/C…              Route 53 change: "" → PENDING → INSYNC
//	vpc-…/enableDnsSupport, vpc-…/enableDnsHostnames: "false" ↔ "true"
//	arn:…:targetgroup/…/i-…  target: "" → registered → draining → "" (drained)
//	<command ID>/i-…         Run Command invocation: "" → Pending, InProgress → Success | Failed | TimedOut | Cancelled
//
// From is "" for a creation and To is "" for a deletion. Time is when the
// change took effect in the world: for a time-driven transition its due
// time, not when a later request happened to notice it.
type Event struct {
	Time     time.Time `json:"time"`
	Account  string    `json:"account"`
	Resource string    `json:"resource"`
	From     string    `json:"from"`
	To       string    `json:"to"`
}

// eventTime is RFC 3339 in UTC with all nine digits of nanoseconds, so
// lines sort and line up as text.
const eventTime = "2006-01-02T15:04:05.000000000Z07:00"

// MarshalJSON writes the event with its time as eventTime.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		Time string `json:"time"`
		plain
	}{e.Time.UTC().Format(eventTime), plain(e)})
}

// note records that resource went from one state to another at t; nothing
// when the state did not change. The sandbox hands the events on (and
// drops them when nobody listens) after every call and transition.
func (w *World) note(t time.Time, account, resource, from, to string) {
	if from == to {
		return
	}
	w.events = append(w.events, Event{Time: t.UTC(), Account: account, Resource: resource, From: from, To: to})
}

// takeEvents returns and forgets the events noted so far.
func (w *World) takeEvents() []Event {
	ev := w.events
	w.events = nil
	return ev
}
