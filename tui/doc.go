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
// Before a step runs, its inputs are asked: all of a form's or a
// handoff's, what is known proposed; for the other kinds, each one the
// session has no answer for yet, optional ones included, its Default taken
// when the step starts. Answers given before (flags, the demo, a resumed
// session) are not asked again.
//
// Concurrency: every call into the flow (Do, Poll, Rows, Options, Fix, row
// actions, Skip and Session.Save) runs in a tea.Cmd with a context that is
// cancelled when the user leaves. At most one such command is in flight per
// Model, and Update reads or writes the session only while none is, so the
// flow's closures never race with the UI; View reads only a snapshot taken
// when a command finished.
//
// Accessible mode (Options.Accessible) does not use the Bubble Tea renderer
// or the alternate screen at all: a line driver walks the same flow, prints
// one plain line per event and asks with huh's accessible prompts (numbered
// choices, y/n questions, typed values), which screen readers and dumb
// terminals read well.
package tui
