package awsid

import (
	"regexp"
	"strings"
)

// Kind is a kind of EC2 resource ID: its prefix, a hyphen, and 8 or 17
// lower-case hex digits. AWS issued 8 digits until 2018 and 17 since; IDs
// of both lengths are live, so both are valid everywhere. AWS prints the
// digits in lower case only: an upper-case ID was changed on the way.
type Kind string

// The resource IDs plwiz handles.
const (
	ServiceID       Kind = "vpce-svc"
	EndpointID      Kind = "vpce"
	VPCID           Kind = "vpc"
	SubnetID        Kind = "subnet"
	SecurityGroupID Kind = "sg"
	ENIID           Kind = "eni"
	InstanceID      Kind = "i"
)

// Valid reports whether s is an ID of this kind.
func (k Kind) Valid(s string) bool {
	digits, ok := strings.CutPrefix(s, string(k)+"-")
	return ok && (len(digits) == 8 || len(digits) == 17) && isLowerHex(digits)
}

// Shape says what an ID of this kind looks like, for messages:
// "vpce-svc- and 8 or 17 hex digits".
func (k Kind) Shape() string { return string(k) + "- and 8 or 17 hex digits" }

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// IsAccount reports whether s is an AWS account ID: 12 digits.
func IsAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// reRegion is the shape every region name has had: a lower-case area
// ("us", "eusc"), one to three lower-case words and a number, as in
// us-east-1, us-gov-west-1, us-isob-east-1 and eusc-de-east-1.
var reRegion = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}$`)

// IsRegion reports whether s is shaped like a region name.
func IsRegion(s string) bool { return reRegion.MatchString(s) }

// RegionShape says what a region name looks like, for messages.
const RegionShape = "a region like us-east-1"

// reServiceName is an endpoint service's name. China's regions name
// services cn.com.amazonaws.vpce.<region>.vpce-svc-...; other partitions
// have no prefix.
var reServiceName = regexp.MustCompile(`^(cn\.)?com\.amazonaws\.vpce\.([^.]+)\.([^.]+)$`)

// ServiceNameShape says what an endpoint service name looks like.
const ServiceNameShape = "com.amazonaws.vpce.<region>.vpce-svc-<8 or 17 hex digits>"

// ParseServiceName returns the region and the service ID an endpoint
// service name is made of, or ok false when name is not one.
func ParseServiceName(name string) (region, serviceID string, ok bool) {
	m := reServiceName.FindStringSubmatch(name)
	if m == nil || !IsRegion(m[2]) || !ServiceID.Valid(m[3]) {
		return "", "", false
	}
	if m[1] != "" && PartitionOf(m[2]) != "aws-cn" {
		return "", "", false
	}
	return m[2], m[3], true
}

// IsEndpointDNSName reports whether name is one of the endpoint's own DNS
// names (regional or zonal: vpce-<id>-<random>[-<zone>].vpce-svc-...), as
// opposed to the service's private DNS name. It holds in every partition,
// whatever its DNS suffix.
func IsEndpointDNSName(name, endpointID string) bool {
	return EndpointID.Valid(endpointID) && strings.HasPrefix(strings.ToLower(name), endpointID+"-")
}
