package steps

import "time"

// Env is what steps need from the outside world, passed in so tests can
// point it at the sandbox and a fixed clock.
type Env struct {
	Now func() time.Time
}
