package handoff

import "time"

// Kind names a bundle kind; it is the "kind" field of the JSON and the middle
// part of a token.
type Kind string

// The two bundle kinds.
const (
	KindOffer   Kind = "offer"
	KindRequest Kind = "request"
)

// Version is the only format version this package reads and writes.
const Version = 1

// MaxSize is the largest input, file or token, that Decode and ReadFile
// accept. Real bundles are a few hundred bytes; the cap keeps a wrong or
// hostile file from being read into memory.
const MaxSize = 64 << 10

// TokenPrefix starts every token; the kind and a dot follow it.
const TokenPrefix = "plwiz1."

// Bundle is an Offer or a Request. It is sealed: only this package's types
// implement it.
type Bundle interface {
	// Kind says which bundle this is.
	Kind() Kind
	// Validate checks the bundle; see Offer.Validate.
	Validate(now time.Time) error
	sealed()
}

// DNSState is the verification state of an endpoint service's private DNS
// name, spelt as EC2 spells it on the wire.
type DNSState string

// The private DNS verification states.
const (
	DNSPendingVerification DNSState = "pendingVerification"
	DNSVerified            DNSState = "verified"
	DNSFailed              DNSState = "failed"
)

// IPAddressType is an IP address type an endpoint service supports.
type IPAddressType string

// The IP address types.
const (
	IPv4      IPAddressType = "ipv4"
	IPv6      IPAddressType = "ipv6"
	Dualstack IPAddressType = "dualstack"
)

// AZ is one Availability Zone a service is served in. ID is the key that
// means the same zone in every account; Name is the provider's own name for
// it, which may name a different zone in the consumer's account and is
// carried only for people reading the offer.
type AZ struct {
	ID   string `json:"azId"`
	Name string `json:"azName,omitempty"`
}

// Offer is what the provider hands the consumer: everything needed to create
// an interface endpoint to the service, and to check it is the right one.
//
// The json tags give the field names of the format; the kind and version are
// added by the encoders.
type Offer struct {
	// ServiceName is com.amazonaws.vpce.<region>.<ServiceID> (in China,
	// cn.com.amazonaws.vpce.<region>.<ServiceID>).
	ServiceName string `json:"serviceName"`
	// ServiceID is vpce-svc- and 8 or 17 hex digits (AWS issued 8 until
	// 2018), the ID part of ServiceName.
	ServiceID string `json:"serviceId"`
	// Region is the service's region, such as us-east-1.
	Region string `json:"region"`
	// SupportedRegions are the regions consumers may connect from; it
	// includes Region.
	SupportedRegions []string `json:"supportedRegions"`
	// ProviderAccountID is the 12-digit account that owns the service.
	ProviderAccountID string `json:"providerAccountId"`
	// AvailabilityZones are the zones the service is served in.
	AvailabilityZones []AZ `json:"availabilityZones"`
	// Ports are the TCP ports the service listens on.
	Ports []int `json:"ports"`
	// PrivateDNSName is the service's private DNS name, or "" for none.
	PrivateDNSName string `json:"privateDnsName,omitempty"`
	// PrivateDNSState is the verification state of PrivateDNSName; it is ""
	// exactly when PrivateDNSName is.
	PrivateDNSState DNSState `json:"privateDnsState,omitempty"`
	// IPAddressTypes are the IP address types the service supports.
	IPAddressTypes []IPAddressType `json:"ipAddressTypes"`
	// AcceptanceRequired says whether the provider must accept each
	// endpoint connection.
	AcceptanceRequired bool `json:"acceptanceRequired"`
	// CreatedAt is when the offer was made.
	CreatedAt time.Time `json:"createdAt"`
}

// Request is what the consumer hands back: which endpoint, from which
// principal, wants to connect, so the provider accepts the right one.
type Request struct {
	// ServiceID is the service the endpoint connects to.
	ServiceID string `json:"serviceId"`
	// ConsumerAccountID is the 12-digit account that owns the endpoint.
	ConsumerAccountID string `json:"consumerAccountId"`
	// PrincipalARN is the IAM or STS principal that created the endpoint
	// (a root, user, role, assumed role or federated user, in any
	// partition); its account is ConsumerAccountID and its partition the
	// ConsumerRegion's.
	PrincipalARN string `json:"principalArn"`
	// EndpointIDs are the interface endpoints, vpce- and 8 or 17 hex digits.
	EndpointIDs []string `json:"endpointIds"`
	// ConsumerRegion is the region the endpoints are in.
	ConsumerRegion string `json:"consumerRegion"`
	// AZIDs are the zones the endpoints have network interfaces in.
	AZIDs []string `json:"azIds"`
	// ConsumerVPCCIDRs are the CIDR blocks of the endpoints' VPC, where
	// the consumer's clients are: a Network Load Balancer whose security
	// groups are enforced on PrivateLink traffic sees those clients'
	// addresses, so the provider must allow them. Optional: requests made
	// before plwiz wrote it still import.
	ConsumerVPCCIDRs []string `json:"consumerVpcCidrs,omitempty"`
	// CreatedAt is when the request was made.
	CreatedAt time.Time `json:"createdAt"`
}

// Kind returns KindOffer.
func (Offer) Kind() Kind { return KindOffer }

// Kind returns KindRequest.
func (Request) Kind() Kind { return KindRequest }

func (Offer) sealed()   {}
func (Request) sealed() {}

// AZIDs returns the IDs of the zones the service is served in.
func (o Offer) AZIDs() []string {
	ids := make([]string, len(o.AvailabilityZones))
	for i, az := range o.AvailabilityZones {
		ids[i] = az.ID
	}
	return ids
}
