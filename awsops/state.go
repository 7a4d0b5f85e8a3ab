package awsops

import "strings"

// EndpointState is an interface endpoint's (or endpoint connection's) state
// in one spelling. AWS sends camelCase on the wire ("pendingAcceptance")
// while the SDK's enum constants are capitalised ("PendingAcceptance"), so
// every state read from AWS goes through ParseEndpointState.
type EndpointState string

// Endpoint states, spelled as AWS sends them on the wire.
const (
	EndpointPendingAcceptance EndpointState = "pendingAcceptance"
	EndpointPending           EndpointState = "pending"
	EndpointAvailable         EndpointState = "available"
	EndpointRejected          EndpointState = "rejected"
	EndpointFailed            EndpointState = "failed"
	EndpointDeleting          EndpointState = "deleting"
	EndpointDeleted           EndpointState = "deleted"
	EndpointExpired           EndpointState = "expired"
	EndpointPartial           EndpointState = "partial"
)

var endpointStates = []EndpointState{
	EndpointPendingAcceptance, EndpointPending, EndpointAvailable, EndpointRejected,
	EndpointFailed, EndpointDeleting, EndpointDeleted, EndpointExpired, EndpointPartial,
}

// ParseEndpointState folds any spelling of a known state to its constant.
// An unknown state comes back cleaned of control characters, with ok false.
func ParseEndpointState(s string) (state EndpointState, ok bool) {
	return fold(s, endpointStates...)
}

// fold returns the known value that s spells in any case, or s cleaned of
// control characters with ok false: AWS and the SDK disagree on case, and
// an unknown value is still shown to the user.
func fold[T ~string](s string, known ...T) (T, bool) {
	for _, k := range known {
		if strings.EqualFold(s, string(k)) {
			return k, true
		}
	}
	return T(clean(s)), false
}

// Final reports whether the endpoint will not move on by itself.
func (s EndpointState) Final() bool {
	switch s {
	case EndpointAvailable, EndpointRejected, EndpointFailed, EndpointDeleted, EndpointExpired:
		return true
	}
	return false
}

// spellings returns the state as AWS sends it and as the SDK spells it, for
// vpc-endpoint-state filters: AWS has been seen to match either, so both go.
func (s EndpointState) spellings() []string {
	w := string(s)
	if w == "" {
		return nil
	}
	c := strings.ToUpper(w[:1]) + w[1:]
	if c == w {
		return []string{w}
	}
	return []string{w, c}
}

// ServiceState is an endpoint service's state.
type ServiceState string

// Service states, spelled as AWS sends them.
const (
	ServicePending   ServiceState = "Pending"
	ServiceAvailable ServiceState = "Available"
	ServiceDeleting  ServiceState = "Deleting"
	ServiceDeleted   ServiceState = "Deleted"
	ServiceFailed    ServiceState = "Failed"
)

// ParseServiceState folds any spelling of a known service state.
func ParseServiceState(s string) (state ServiceState, ok bool) {
	return fold(s, ServicePending, ServiceAvailable, ServiceDeleting, ServiceDeleted, ServiceFailed)
}

// DNSState is the verification state of a service's private DNS name.
type DNSState string

// Private DNS name verification states, spelled as AWS sends them.
const (
	DNSPendingVerification DNSState = "pendingVerification"
	DNSVerified            DNSState = "verified"
	DNSFailed              DNSState = "failed"
)

// ParseDNSState folds any spelling of a known verification state.
func ParseDNSState(s string) (state DNSState, ok bool) {
	return fold(s, DNSPendingVerification, DNSVerified, DNSFailed)
}

// ChangeStatus is a Route 53 change's status.
type ChangeStatus string

// Route 53 change statuses.
const (
	ChangePending ChangeStatus = "PENDING"
	ChangeInsync  ChangeStatus = "INSYNC"
)

func parseChangeStatus(s string) ChangeStatus {
	st, _ := fold(s, ChangeInsync, ChangePending)
	return st
}
