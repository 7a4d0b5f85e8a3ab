package sandbox

import "time"

// ec2PrivateLinkHandlers serve the endpoint service and endpoint actions.
func ec2PrivateLinkHandlers() map[string]queryHandler {
	return map[string]queryHandler{}
}

// advancePrivateLink applies the time-driven transitions of services,
// verification and endpoints that are due by now.
func advancePrivateLink(w *World, now time.Time, d Delays) {}
