// Package tui shows any steps.Flow as a Bubble Tea wizard: a header with the
// caller's identity, a sidebar of the steps with their state and elapsed
// time, the current step's screen and a footer of key help. There is one
// screen per step kind (form, action, wait, table, handoff, check), never one
// per step; the package holds no flow logic of its own.
//
// Model is the embeddable part (SetSize, Focus, Blur, Init, Update, View
// string), so two of them can sit side by side in the demo. App wraps one
// Model as a tea.Model for a program of its own, and Run starts that program
// (or, with Options.Accessible, the line driver).
//
// The step life cycle is not here: a steps.Engine runs the flow (inputs,
// confirmation, Do, waits on their schedules, retries, fixes, recovery,
// saving the session) in a goroutine of its own and owns the session. The
// Model is one of its front ends: the engine's events and questions reach
// Update as messages through one channel, in order; the Model draws them
// and answers each question with the user's keys (a form's values, go
// ahead, yes or no, continue, retry, a fix, a row action). View reads only
// what those messages brought, sanitised when they arrived. A key is taken
// only when the question it answers is on screen, except a table's row
// action, which the next refresh of the same table takes.
//
// Accessible mode (Options.Accessible) does not use the Bubble Tea renderer
// or the alternate screen at all: a line driver, the engine's third front
// end beside the Model and the headless Runner, prints one plain line per
// event and asks with huh's accessible prompts (numbered
// choices, y/n questions, typed values), which screen readers and dumb
// terminals read well.
package tui
