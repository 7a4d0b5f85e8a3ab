package awsops

import (
	"errors"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// retryBase is the first pause before a call is tried again; each further
// attempt doubles it, up to the client's MaxBackoff.
const retryBase = 100 * time.Millisecond

// newRetryer is the SDK retryer of a Client: the standard mode with
// jittered exponential backoff from 100 ms, no client-side rate limiter
// and no retry quota. The SDK's defaults (a pause of up to 1 s before the
// first retry, doubling to 20 s; the adaptive mode's token bucket slowing
// every later call after a throttle) made a flow with one call in five
// throttled take 8 to 15 times as long; the wizard makes a few calls a
// second at most, so short pauses do not add to the pressure on AWS. A
// refused connection or an unknown host is not retried: the endpoint is
// wrong, and saying so at once is the help.
func newRetryer(o Options) aws.Retryer {
	maxBackoff := o.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = DefaultMaxBackoff
	}
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = o.MaxAttempts
		so.MaxBackoff = maxBackoff
		so.Backoff = jitterBackoff{base: min(retryBase, maxBackoff), max: maxBackoff}
		so.RateLimiter = ratelimit.None
		so.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(notRetryableConnection)}, so.Retryables...)
	})
}

// jitterBackoff waits base·2^(attempt-1), capped at max, times a random
// factor in [0.5, 1) so clients that failed together do not retry together.
type jitterBackoff struct{ base, max time.Duration }

func (b jitterBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	d := b.base
	for i := 1; i < attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return time.Duration(float64(d) * (0.5 + rand.Float64()/2)), nil
}

// notRetryableConnection says a refused connection or a host that does not
// exist will not get better by retrying.
func notRetryableConnection(err error) aws.Ternary {
	if permanentConnError(err) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

func permanentConnError(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}
