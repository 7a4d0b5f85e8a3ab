package steps

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plwiz/plwiz/awsops"
)

// Event-driven waits. A party that allowed live updates (the notify step)
// has an SQS queue subscribed to the SNS topic its connection notification
// publishes to. While a wait on the other party runs (the consumer waiting
// to be accepted, the provider's connections), the engine starts a
// listener that long-polls that queue and wakes the wait on every event;
// the wait then looks at once, and between events only every safetyPoll.

// safetyPoll is how often a wait on the other party still looks on its
// own while the listener is long-polling: only in case an event is lost
// (SNS retries its deliveries to SQS, so that is rare). Three long polls a
// minute plus one look every five minutes keeps an idle wait near three
// calls a minute, the aim; a look every minute would make it four.
const safetyPoll = 5 * time.Minute

// An Accept event announces a change AWS makes a moment later (the
// endpoint goes from pendingAcceptance to pending): when the look after
// one sees nothing new, the wait looks every eventHurry until it does, for
// at most eventGrace. Connect, Reject and Delete are sent once AWS shows
// them, so the look they wake sees them.
const (
	eventHurry = 500 * time.Millisecond
	eventGrace = 30 * time.Second
)

// listener long-polls one events queue for the length of one wait.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
	// live is true while the long polls succeed: the wait may rely on
	// them. A passing failure makes it false until a poll succeeds again.
	live atomic.Bool
	// events counts the events received; lastAccept is when the latest
	// Accept came (Unix nanoseconds).
	events     atomic.Int64
	lastAccept atomic.Int64

	// What the wait saw, kept by pause on the wait's goroutine.
	prev       string    // at the look before
	handled    int64     // the lastAccept already taken into account
	before     string    // at the look before the Accept being hurried on
	hurryUntil time.Time // zero when not hurrying

	mu sync.Mutex
	// failure is why the listener stopped for good; noted once it is shown.
	failure error
	noted   bool
}

// listen starts a listener when st waits on the other party and the
// session has an events queue, or returns nil. Each event broadcasts
// wake; stop it when the wait ends.
func (e *Engine) listen(ctx context.Context, st *Step) *listener {
	url := e.Session.Resource(ResEventsQueueURL)
	if st.Await.Kind != AwaitParty || url == "" || e.Env == nil || e.Env.AWS == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &listener{cancel: cancel, done: make(chan struct{})}
	l.live.Store(true)
	go l.run(ctx, e.Env.events(e.Session.Role), url, e.wakeSignal())
	return l
}

// run receives until ctx ends or the queue fails for good: each batch of
// events wakes the wait, then is deleted (an event that comes back after
// SQS's visibility timeout only wakes the wait once more).
func (l *listener) run(ctx context.Context, api eventsAPI, url string, wake *Signal) {
	defer close(l.done)
	fails := 0
	for ctx.Err() == nil {
		evs, err := api.Receive(ctx, url, awsops.MaxWait)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && Retryable(err):
			// Look on the wait's own schedule until the queue answers.
			if l.live.Swap(false) {
				wake.Broadcast()
			}
			if pauseFor(ctx, retryDelay(fails), nil) != nil {
				return
			}
			fails++
			continue
		case err != nil:
			l.mu.Lock()
			l.failure = err
			l.mu.Unlock()
			l.live.Store(false)
			wake.Broadcast()
			return
		}
		fails = 0
		l.live.Store(true)
		if len(evs) == 0 {
			continue
		}
		l.events.Add(int64(len(evs)))
		if slices.ContainsFunc(evs, func(ev awsops.ConnectionEvent) bool { return ev.Type == awsops.EventAccept }) {
			l.lastAccept.Store(time.Now().UnixNano())
		}
		wake.Broadcast()
		// A failed delete is no harm: the event shows again later and
		// wakes the wait once more.
		_ = api.DeleteEvents(ctx, url, evs)
	}
}

// stop ends the listener and waits for its long poll to return.
func (l *listener) stop() {
	if l == nil {
		return
	}
	l.cancel()
	<-l.done
}

// pause is the pause a wait takes, given the one its schedule chose, what
// the last look saw and whether the wait is on the other party: while the
// listener is live, events wake the wait, so it looks on its own only
// every safetyPoll; after an Accept whose effect the look did not show
// yet, every eventHurry until it does.
func (l *listener) pause(d time.Duration, seen string, onOtherParty bool) time.Duration {
	if l == nil {
		return d
	}
	prev := l.prev
	l.prev = seen
	if ev := l.lastAccept.Load(); ev != l.handled {
		l.handled = ev
		if seen == prev {
			l.before, l.hurryUntil = prev, time.Now().Add(eventGrace)
		}
	}
	if !l.hurryUntil.IsZero() {
		if seen == l.before && time.Now().Before(l.hurryUntil) {
			return min(d, eventHurry)
		}
		l.hurryUntil = time.Time{}
	}
	if !onOtherParty || !l.live.Load() {
		return d
	}
	return max(d, safetyPoll)
}

// rowsSeen sums up a table's rows for pause: their IDs and states.
func rowsSeen(rows []Row) string {
	h := fnv.New64a()
	for _, r := range rows {
		h.Write([]byte(r.ID))
		h.Write([]byte{0})
		h.Write([]byte(r.State))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36) + "/" + strconv.Itoa(len(rows))
}

// failed returns, once, why the listener stopped for good.
func (l *listener) failed() (error, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failure == nil || l.noted {
		return nil, false
	}
	l.noted = true
	return l.failure, true
}

// noteFailure shows, once, that live updates stopped and why.
func (e *Engine) noteFailure(a *attempt, l *listener) {
	if err, ok := l.failed(); ok {
		e.note(a, failNote("live updates", err)+"; plwiz looks every few seconds instead", true)
	}
}

// wakeSignal is what wakes this engine's waits: the Env's (shared with
// the other party in the demo), else one of its own for the listener.
func (e *Engine) wakeSignal() *Signal {
	if e.Env != nil && e.Env.Wake != nil {
		return e.Env.Wake
	}
	e.wakeOnce.Do(func() { e.ownWake = NewSignal() })
	return e.ownWake
}

// wakeC is closed at the next wake; take it before looking, so a wake
// during the look is not missed.
func (e *Engine) wakeC() <-chan struct{} { return e.wakeSignal().C() }

// wake is closed at the Env's next Wake broadcast (nil without one): what
// a step's own wait in Do, as the SSM run's, wakes on in the demo.
func (e *Env) wake() <-chan struct{} {
	if e == nil || e.Wake == nil {
		return nil
	}
	return e.Wake.C()
}
