package sandbox

// Wire shapes of the PrivateLink actions, element for element what the EC2
// deserializers of aws-sdk-go-v2 read (lowerCamel names, lists of <item>).

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func xmlTags(tags []Tag) []xmlTag {
	out := make([]xmlTag, len(tags))
	for i, t := range tags {
		out[i] = xmlTag(t)
	}
	return out
}

type xmlServiceType struct {
	ServiceType string `xml:"serviceType"`
}

type xmlPrivateDNSNameConfiguration struct {
	State string `xml:"state,omitempty"`
	Type  string `xml:"type,omitempty"`
	Value string `xml:"value,omitempty"`
	Name  string `xml:"name,omitempty"`
}

type xmlSupportedRegion struct {
	Region       string `xml:"region"`
	ServiceState string `xml:"serviceState"`
}

type xmlServiceConfiguration struct {
	ServiceType                 []xmlServiceType               `xml:"serviceType>item"`
	ServiceID                   string                         `xml:"serviceId"`
	ServiceName                 string                         `xml:"serviceName"`
	ServiceState                string                         `xml:"serviceState"`
	AvailabilityZones           []string                       `xml:"availabilityZoneSet>item"`
	AvailabilityZoneIDs         []string                       `xml:"availabilityZoneIdSet>item"`
	AcceptanceRequired          bool                           `xml:"acceptanceRequired"`
	ManagesVpcEndpoints         bool                           `xml:"managesVpcEndpoints"`
	NetworkLoadBalancerArns     []string                       `xml:"networkLoadBalancerArnSet>item"`
	SupportedIPAddressTypes     []string                       `xml:"supportedIpAddressTypeSet>item"`
	BaseEndpointDNSNames        []string                       `xml:"baseEndpointDnsNameSet>item"`
	PrivateDNSName              string                         `xml:"privateDnsName,omitempty"`
	PrivateDNSNameConfiguration xmlPrivateDNSNameConfiguration `xml:"privateDnsNameConfiguration"`
	PayerResponsibility         string                         `xml:"payerResponsibility"`
	SupportedRegions            []xmlSupportedRegion           `xml:"supportedRegionSet>item"`
	RemoteAccessEnabled         bool                           `xml:"remoteAccessEnabled"`
	Tags                        []xmlTag                       `xml:"tagSet>item"`
}

type xmlPrivateDNSDetails struct {
	PrivateDNSName string `xml:"privateDnsName"`
}

type xmlServiceDetail struct {
	ServiceName                     string                 `xml:"serviceName"`
	ServiceID                       string                 `xml:"serviceId"`
	ServiceType                     []xmlServiceType       `xml:"serviceType>item"`
	ServiceRegion                   string                 `xml:"serviceRegion"`
	AvailabilityZones               []string               `xml:"availabilityZoneSet>item"`
	AvailabilityZoneIDs             []string               `xml:"availabilityZoneIdSet>item"`
	Owner                           string                 `xml:"owner"`
	BaseEndpointDNSNames            []string               `xml:"baseEndpointDnsNameSet>item"`
	PrivateDNSName                  string                 `xml:"privateDnsName,omitempty"`
	PrivateDNSNames                 []xmlPrivateDNSDetails `xml:"privateDnsNameSet>item"`
	VpcEndpointPolicySupported      bool                   `xml:"vpcEndpointPolicySupported"`
	AcceptanceRequired              bool                   `xml:"acceptanceRequired"`
	ManagesVpcEndpoints             bool                   `xml:"managesVpcEndpoints"`
	PayerResponsibility             string                 `xml:"payerResponsibility"`
	Tags                            []xmlTag               `xml:"tagSet>item"`
	PrivateDNSNameVerificationState string                 `xml:"privateDnsNameVerificationState,omitempty"`
	SupportedIPAddressTypes         []string               `xml:"supportedIpAddressTypeSet>item"`
}

// xmlAddedPrincipal is an item of addedPrincipalSet (AddedPrincipal):
// unlike AllowedPrincipal, the model gives it no tagSet.
type xmlAddedPrincipal struct {
	PrincipalType       string `xml:"principalType"`
	Principal           string `xml:"principal"`
	ServicePermissionID string `xml:"servicePermissionId"`
	ServiceID           string `xml:"serviceId"`
}

// xmlAllowedPrincipal is an item of allowedPrincipals (AllowedPrincipal).
type xmlAllowedPrincipal struct {
	xmlAddedPrincipal
	Tags []xmlTag `xml:"tagSet>item"`
}

type xmlDNSEntry struct {
	DNSName      string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId"`
}

type xmlGroup struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xmlDNSOptions struct {
	DNSRecordIPType string `xml:"dnsRecordIpType"`
}

type xmlLastError struct {
	Message string `xml:"message"`
	Code    string `xml:"code"`
}

type xmlEndpoint struct {
	VpcEndpointID       string        `xml:"vpcEndpointId"`
	VpcEndpointType     string        `xml:"vpcEndpointType"`
	VpcID               string        `xml:"vpcId"`
	ServiceName         string        `xml:"serviceName"`
	State               string        `xml:"state"`
	RouteTableIDs       []string      `xml:"routeTableIdSet>item"`
	SubnetIDs           []string      `xml:"subnetIdSet>item"`
	Groups              []xmlGroup    `xml:"groupSet>item"`
	IPAddressType       string        `xml:"ipAddressType"`
	DNSOptions          xmlDNSOptions `xml:"dnsOptions"`
	PrivateDNSEnabled   bool          `xml:"privateDnsEnabled"`
	RequesterManaged    bool          `xml:"requesterManaged"`
	NetworkInterfaceIDs []string      `xml:"networkInterfaceIdSet>item"`
	DNSEntries          []xmlDNSEntry `xml:"dnsEntrySet>item"`
	CreationTimestamp   string        `xml:"creationTimestamp"`
	Tags                []xmlTag      `xml:"tagSet>item"`
	OwnerID             string        `xml:"ownerId"`
	LastError           *xmlLastError `xml:"lastError,omitempty"`
	ServiceRegion       string        `xml:"serviceRegion"`
}

type xmlConnection struct {
	ServiceID               string        `xml:"serviceId"`
	VpcEndpointID           string        `xml:"vpcEndpointId"`
	VpcEndpointOwner        string        `xml:"vpcEndpointOwner"`
	VpcEndpointState        string        `xml:"vpcEndpointState"`
	CreationTimestamp       string        `xml:"creationTimestamp"`
	DNSEntries              []xmlDNSEntry `xml:"dnsEntrySet>item"`
	NetworkLoadBalancerArns []string      `xml:"networkLoadBalancerArnSet>item"`
	IPAddressType           string        `xml:"ipAddressType"`
	VpcEndpointConnectionID string        `xml:"vpcEndpointConnectionId"`
	VpcEndpointRegion       string        `xml:"vpcEndpointRegion"`
}

type xmlUnsuccessfulError struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xmlUnsuccessful struct {
	Error      xmlUnsuccessfulError `xml:"error"`
	ResourceID string               `xml:"resourceId"`
}

// xmlUnsuccessfulSet is always written, empty or not, as AWS does.
type xmlUnsuccessfulSet struct {
	Items []xmlUnsuccessful `xml:"item"`
}

func (u *xmlUnsuccessfulSet) add(id string, e *APIError) {
	u.Items = append(u.Items, xmlUnsuccessful{ResourceID: id, Error: xmlUnsuccessfulError{Code: e.Code, Message: e.Message}})
}

type unsuccessfulResponse struct {
	Unsuccessful xmlUnsuccessfulSet `xml:"unsuccessful"`
}

type returnResponse struct {
	Return bool `xml:"return"`
}
