// Package steps holds the provider's and the consumer's flows as data and a
// state machine: each Step has a kind (form, action, wait, table, handoff,
// check), its inputs, an idempotent Do and an optional Poll, and records
// what it learnt and made in a Session that is saved after every step.
//
// Engine runs a flow's steps through their life cycle (inputs, confirm, Do,
// Poll on a schedule that fits what is awaited, retries of passing
// failures, fixes, recovery) once, for three front ends: the headless
// Runner here, and the line prompts and the Bubble Tea model in package
// tui. A front end implements Frontend: it shows Events and answers
// Questions; none keeps a life cycle of its own. This package never
// imports a Bubble Tea package.
package steps
