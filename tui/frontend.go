package tui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/plwiz/plwiz/steps"
)

// The Model is a front end of steps.Engine: the engine runs the flow in a
// goroutine of its own and owns the session; the Model shows its events
// and answers its questions with keys. Events and questions reach Update
// as messages, in order, through one channel a command listens on.

// engineMsg is an event or a question of the Model's engine.
type engineMsg struct {
	owner *Model
	ev    *steps.Event
	ask   *asked
}

// asked is a question waiting for the user.
type asked struct {
	q   steps.Question
	seq int
}

// engineDoneMsg: the engine returned (the flow is done, or it stopped).
type engineDoneMsg struct {
	owner *Model
	err   error
}

// frontend is the engine's side of the Model.
type frontend struct {
	owner *Model
	// msgs carries events and questions to the listening command.
	msgs chan engineMsg
	done chan struct{} // closed when the engine returned

	mu sync.Mutex
	// seq numbers the questions; a reply names the one it answers.
	seq int
	// replies queues the Model's answers, in order, until the engine
	// takes them (it drops those of questions it no longer asks).
	replies chan reply
}

// reply is the Model's answer to question seq. An answer to a table
// question (a row action pressed while the rows were being refreshed) is
// taken by any later table question of the same step: the rows it names
// are the same rows.
type reply struct {
	seq   int
	table string // the step, when the question answered is a table's
	r     steps.Reply
}

func newFrontend(owner *Model) *frontend {
	return &frontend{owner: owner, msgs: make(chan engineMsg), done: make(chan struct{}), replies: make(chan reply, maxQueuedReplies)}
}

func (f *frontend) Interactive() bool { return true }

// Show hands the event to Update; it waits for the listener, which runs
// again after every message, unless the engine is being stopped.
func (f *frontend) Show(ev steps.Event) {
	select {
	case f.msgs <- engineMsg{owner: f.owner, ev: &ev}:
	case <-f.owner.ctx.Done():
	}
}

// Ask hands the question to Update and waits for its answer.
func (f *frontend) Ask(ctx context.Context, q steps.Question) (steps.Reply, error) {
	f.mu.Lock()
	f.seq++
	seq := f.seq
	f.mu.Unlock()
	accepts := func(r reply) bool {
		return r.seq == seq || q.Kind == steps.AskTable && r.table != "" && r.table == q.Step.ID
	}
	// An answer to the table question before this one may be waiting.
	select {
	case r := <-f.replies:
		if accepts(r) {
			return r.r, nil
		}
	default:
	}
	select {
	case f.msgs <- engineMsg{owner: f.owner, ask: &asked{q: q, seq: seq}}:
	case <-ctx.Done():
		return steps.Reply{}, ctx.Err()
	}
	for {
		select {
		case r := <-f.replies:
			if accepts(r) {
				return r.r, nil
			}
		case <-ctx.Done():
			// The answer may have come just now: take it rather than lose
			// a key press.
			select {
			case r := <-f.replies:
				if accepts(r) {
					return r.r, nil
				}
			default:
			}
			return steps.Reply{}, ctx.Err()
		}
	}
}

// maxQueuedReplies bounds the answers waiting for the engine; they are
// taken at once unless the engine is busy with a call.
const maxQueuedReplies = 16

// answer gives the engine the Model's reply to question a. It never blocks
// Update: when the queue is full, the oldest answer goes.
func (f *frontend) answer(a *asked, r steps.Reply) {
	rep := reply{seq: a.seq, r: r}
	if a.q.Kind == steps.AskTable {
		rep.table = a.q.Step.ID
	}
	for {
		select {
		case f.replies <- rep:
			return
		default:
		}
		select {
		case <-f.replies:
		default:
		}
	}
}

// listen is the command that brings the engine's next message to Update.
func (f *frontend) listen() tea.Cmd {
	return func() tea.Msg {
		select {
		case msg := <-f.msgs:
			return msg
		case <-f.done:
			return nil
		}
	}
}

// run is the command that runs the engine until the flow is done or the
// Model stops it.
func (f *frontend) run(e *steps.Engine) tea.Cmd {
	return func() tea.Msg {
		err := e.Run(f.owner.ctx, f)
		close(f.done)
		return engineDoneMsg{owner: f.owner, err: err}
	}
}
