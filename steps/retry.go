package steps

import (
	"errors"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsops"
)

// How the engine treats a failed call.
type failureClass int

const (
	// failHard ends the step at once: bad input, access denied, missing
	// credentials, an endpoint that refuses connections, a refusal by AWS.
	failHard failureClass = iota
	// failPassing is throttling, a 5xx or a timeout that outlasted the
	// SDK's own retries: the step tries again with backoff.
	failPassing
	// failNotYetVisible is a NotFound for a resource this session created
	// moments ago: EC2 is eventually consistent, so the step tries again.
	failNotYetVisible
	// failGone is a NotFound for a resource this session created long
	// enough ago that it really is gone: the step that made it can make
	// it again.
	failGone
)

// NotFoundGrace is how long after creating a resource a NotFound for it is
// taken for EC2's eventual consistency and retried. AWS documents that a
// new resource may not be visible to every call at once; a few seconds is
// usual, two minutes is generous.
const NotFoundGrace = 2 * time.Minute

// DefaultRetryBudget bounds how long a step retries passing failures when
// no wait timeout is set.
const DefaultRetryBudget = 10 * time.Minute

// notFoundPrefix maps AWS's NotFound codes to the ID prefix of what was not
// found, for messages that do not name the ID.
var notFoundPrefix = map[string]string{
	"InvalidVpcEndpointServiceId.NotFound": "vpce-svc-",
	"InvalidVpcEndpointService.NotFound":   "vpce-svc-",
	"InvalidVpcEndpointId.NotFound":        "vpce-",
	"InvalidVpcEndpoint.NotFound":          "vpce-",
	"InvalidGroup.NotFound":                "sg-",
	"NoSuchChange":                         "C",
}

// classify says how to treat err from a call of this session's steps.
// made is the resource it concerns when err is a NotFound for one the
// session created.
func classify(err error, s *Session, now time.Time) (failureClass, string, Made) {
	if err == nil {
		return failHard, "", Made{}
	}
	var bi *BadInputError
	if errors.As(err, &bi) {
		return failHard, "", Made{}
	}
	if Retryable(err) {
		return failPassing, "", Made{}
	}
	if awsops.KindOf(err) != awsops.KindNotFound {
		return failHard, "", Made{}
	}
	id, made, ok := s.createdIn(err)
	if !ok {
		return failHard, "", Made{}
	}
	if !made.At.IsZero() && now.Sub(made.At) < NotFoundGrace {
		return failNotYetVisible, id, made
	}
	return failGone, id, made
}

// createdIn finds the resource this session created that a NotFound error
// is about: the one its text names, else the only one of the kind its code
// names.
func (s *Session) createdIn(err error) (string, Made, bool) {
	text := err.Error()
	var best string
	for id := range s.Created {
		// vpce-svc-… contains no vpce-… ID, but a longer ID may contain a
		// shorter one's prefix; the longest match is the one meant.
		if strings.Contains(text, id) && len(id) > len(best) {
			best = id
		}
	}
	if best != "" {
		return best, s.Created[best], true
	}
	prefix, ok := notFoundPrefix[awsops.CodeOf(err)]
	if !ok {
		return "", Made{}, false
	}
	var found []string
	for id := range s.Created {
		if strings.HasPrefix(id, prefix) && !(prefix == "vpce-" && strings.HasPrefix(id, "vpce-svc-")) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		return "", Made{}, false
	}
	return found[0], s.Created[found[0]], true
}

// retryDelay is the pause before the n-th retry of a failed call (n from
// 0): half a second, doubling, at most 15 seconds.
func retryDelay(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 0; i < n && d < 15*time.Second; i++ {
		d *= 2
	}
	return min(d, 15*time.Second)
}

// Retryable reports whether an error from Do or Poll is passing (a
// throttle, a 5xx or a timeout that outlasted the SDK's retries), so the
// step tries again instead of failing.
func Retryable(err error) bool {
	var ae *awsops.Error
	return errors.As(err, &ae) && ae.Retryable
}

// HintOf returns the hint an error carries (awsops errors do).
func HintOf(err error) string {
	var ae *awsops.Error
	if errors.As(err, &ae) {
		return ae.Hint
	}
	var pe *awsops.PartialError
	if errors.As(err, &pe) {
		return pe.Hint
	}
	return ""
}
