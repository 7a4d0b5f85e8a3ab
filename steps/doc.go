// Package steps holds the provider's and the consumer's flows as data and a
// state machine: each Step has a kind (form, action, wait, table, handoff,
// check), its inputs, an idempotent Do and an optional Poll, and records
// what it learnt and made in a Session that is saved after every step. The
// TUI and the headless runner both drive these flows; neither holds flow
// logic of its own. This package never imports a Bubble Tea package.
package steps
