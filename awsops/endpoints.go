package awsops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// endpointsAPI is what endpoints.go needs from EC2.
type endpointsAPI interface {
	CreateVpcEndpoint(context.Context, *ec2.CreateVpcEndpointInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error)
	ec2.DescribeVpcEndpointsAPIClient
	ModifyVpcEndpoint(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	DeleteVpcEndpoints(context.Context, *ec2.DeleteVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error)
	ec2.DescribeNetworkInterfacesAPIClient
}

// Endpoint is an interface VPC endpoint as its owner sees it.
type Endpoint struct {
	ID                string
	ServiceName       string
	VPCID             string
	Owner             string
	State             EndpointState
	SubnetIDs         []string
	SecurityGroupIDs  []string
	DNSEntries        []DNSEntry
	PrivateDNSEnabled bool
	ENIIDs            []string
	IPAddressType     string
	DNSRecordIPType   string // which records its names get: ipv4 (A), ipv6 (AAAA), dualstack (both)
	// ServiceRegion is the region of the service the endpoint connects to:
	// another than the endpoint's own for a cross-region endpoint.
	ServiceRegion string
	CreatedAt     time.Time
	// LastError is AWS's last error for the endpoint, if any (for example
	// why it failed).
	LastError     *EndpointError
	FailureReason string
	Tags          Tags
}

// DNSEntry is one DNS name of an endpoint: the regional name, one zonal
// name per subnet, and the private DNS name once enabled.
type DNSEntry struct {
	Name         string
	HostedZoneID string
}

// EndpointError is AWS's last error for an endpoint.
type EndpointError struct {
	Code    string
	Message string
}

// ENI is a network interface of an endpoint with its addresses.
type ENI struct {
	ID            string
	SubnetID      string
	Zone          AZ
	PrivateIP     string
	IPv6Addresses []string
	Status        string
}

// CreateEndpointInput describes the consumer's interface endpoint.
type CreateEndpointInput struct {
	ServiceName      string
	VPCID            string
	SubnetIDs        []string // one per AZ
	SecurityGroupIDs []string
	IPAddressType    string // optional: ipv4 | dualstack | ipv6
	// DNSRecordIPType is optional: ipv4 | dualstack | ipv6; AWS's default
	// matches the IP address type.
	DNSRecordIPType string
	// ServiceRegion is the region hosting the service when it is not the
	// client's: a cross-region endpoint (AWS requires vpce:AllowMultiRegion).
	ServiceRegion string
	// ClientToken makes the create idempotent; derive it from the session.
	ClientToken string
	Tags        Tags
}

// CreateEndpoint creates an interface endpoint with private DNS off: AWS
// lets private DNS be turned on only after the provider accepts.
func (c *Consumer) CreateEndpoint(ctx context.Context, in CreateEndpointInput) (Endpoint, error) {
	if in.ServiceName == "" || in.VPCID == "" || len(in.SubnetIDs) == 0 {
		return Endpoint{}, errors.New("create endpoint: need a service name, a VPC and at least one subnet")
	}
	if len(in.ClientToken) > 64 {
		return Endpoint{}, fmt.Errorf("create endpoint: client token is %d characters; AWS allows 64", len(in.ClientToken))
	}
	if err := in.Tags.validate(); err != nil {
		return Endpoint{}, fmt.Errorf("create endpoint: %w", err)
	}
	req := &ec2.CreateVpcEndpointInput{
		VpcEndpointType:   types.VpcEndpointTypeInterface,
		ServiceName:       aws.String(in.ServiceName),
		VpcId:             aws.String(in.VPCID),
		SubnetIds:         in.SubnetIDs,
		SecurityGroupIds:  in.SecurityGroupIDs,
		PrivateDnsEnabled: aws.Bool(false),
		IpAddressType:     types.IpAddressType(in.IPAddressType),
		TagSpecifications: in.Tags.spec(types.ResourceTypeVpcEndpoint),
	}
	if in.ClientToken != "" {
		req.ClientToken = aws.String(in.ClientToken)
	}
	if in.DNSRecordIPType != "" {
		req.DnsOptions = &types.DnsOptionsSpecification{DnsRecordIpType: types.DnsRecordIpType(in.DNSRecordIPType)}
	}
	if in.ServiceRegion != "" && in.ServiceRegion != c.c.region {
		req.ServiceRegion = aws.String(in.ServiceRegion)
	}
	var api endpointsAPI = c.c.ec2
	out, err := api.CreateVpcEndpoint(c.with(ctx, opCreateVpcEndpoint), req)
	if err != nil {
		return Endpoint{}, c.fail("create endpoint to "+in.ServiceName, err)
	}
	if out.VpcEndpoint == nil || aws.ToString(out.VpcEndpoint.VpcEndpointId) == "" {
		return Endpoint{}, errors.New("create endpoint: AWS answered without an endpoint")
	}
	return endpointFrom(*out.VpcEndpoint), nil
}

// DescribeEndpoint reads one endpoint (one call; see EndpointENIs for the
// addresses).
func (c *Consumer) DescribeEndpoint(ctx context.Context, endpointID string) (Endpoint, error) {
	eps, err := c.endpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{endpointID}})
	if err != nil {
		return Endpoint{}, fmt.Errorf("describe endpoint %s: %w", endpointID, err)
	}
	if len(eps) == 0 {
		return Endpoint{}, fmt.Errorf("describe endpoint %s: %w", endpointID, &Error{
			Service: ec2.ServiceID, Op: "DescribeVpcEndpoints", Kind: KindNotFound, Code: "InvalidVpcEndpointId.NotFound",
			Message: "AWS returned no such endpoint", Cause: "The VPC endpoint does not exist (any more).",
			Hint: "Create a new endpoint."})
	}
	return eps[0], nil
}

// FindEndpointBySession returns the endpoint a plwiz session created, found
// by its plwiz:session tag, ignoring deleted ones.
func (c *Consumer) FindEndpointBySession(ctx context.Context, sessionID string) (Endpoint, bool, error) {
	eps, err := c.endpoints(ctx, &ec2.DescribeVpcEndpointsInput{
		Filters: []types.Filter{tagFilter(TagSession, sessionID)}, MaxResults: aws.Int32(ec2PageSize)})
	if err != nil {
		return Endpoint{}, false, fmt.Errorf("find endpoint of session %s: %w", sessionID, err)
	}
	for _, e := range eps {
		if e.State != EndpointDeleted && e.State != EndpointDeleting {
			return e, true, nil
		}
	}
	return Endpoint{}, false, nil
}

func (c *Consumer) endpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput) ([]Endpoint, error) {
	var api endpointsAPI = c.c.ec2
	pages := ec2.NewDescribeVpcEndpointsPaginator(api, in)
	var out []Endpoint
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeVpcEndpoints))
		if err != nil {
			return nil, c.fail("describe endpoints", err)
		}
		for _, e := range page.VpcEndpoints {
			out = append(out, endpointFrom(e))
		}
	}
	return out, nil
}

func endpointFrom(e types.VpcEndpoint) Endpoint {
	ep := Endpoint{
		ID: str(e.VpcEndpointId), ServiceName: str(e.ServiceName), VPCID: str(e.VpcId), Owner: str(e.OwnerId),
		SubnetIDs: strs(e.SubnetIds), PrivateDNSEnabled: aws.ToBool(e.PrivateDnsEnabled), ENIIDs: strs(e.NetworkInterfaceIds),
		IPAddressType: clean(string(e.IpAddressType)), CreatedAt: aws.ToTime(e.CreationTimestamp),
		FailureReason: str(e.FailureReason), Tags: fromEC2Tags(e.Tags), ServiceRegion: str(e.ServiceRegion),
	}
	ep.State, _ = ParseEndpointState(string(e.State))
	if e.DnsOptions != nil {
		ep.DNSRecordIPType = clean(string(e.DnsOptions.DnsRecordIpType))
	}
	for _, g := range e.Groups {
		ep.SecurityGroupIDs = append(ep.SecurityGroupIDs, str(g.GroupId))
	}
	for _, d := range e.DnsEntries {
		ep.DNSEntries = append(ep.DNSEntries, DNSEntry{Name: str(d.DnsName), HostedZoneID: str(d.HostedZoneId)})
	}
	if e.LastError != nil && (aws.ToString(e.LastError.Code) != "" || aws.ToString(e.LastError.Message) != "") {
		ep.LastError = &EndpointError{Code: str(e.LastError.Code), Message: str(e.LastError.Message)}
	}
	return ep
}

// EndpointENIs reads the endpoint's network interfaces and their addresses.
func (c *Consumer) EndpointENIs(ctx context.Context, ep Endpoint) ([]ENI, error) {
	if len(ep.ENIIDs) == 0 {
		return nil, nil
	}
	var api endpointsAPI = c.c.ec2
	pages := ec2.NewDescribeNetworkInterfacesPaginator(api, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.ENIIDs})
	var out []ENI
	for pages.HasMorePages() {
		page, err := pages.NextPage(c.with(ctx, opDescribeNetworkInterfaces))
		if err != nil {
			return nil, c.fail("read network interfaces of "+ep.ID, err)
		}
		for _, n := range page.NetworkInterfaces {
			eni := ENI{ID: str(n.NetworkInterfaceId), SubnetID: str(n.SubnetId), PrivateIP: str(n.PrivateIpAddress),
				Zone: AZ{Name: str(n.AvailabilityZone), ID: str(n.AvailabilityZoneId)}, Status: clean(string(n.Status))}
			for _, a := range n.Ipv6Addresses {
				eni.IPv6Addresses = append(eni.IPv6Addresses, str(a.Ipv6Address))
			}
			out = append(out, eni)
		}
	}
	return out, nil
}

// EnablePrivateDNS turns private DNS on for the endpoint; AWS refuses before
// the provider accepts (KindPrivateDNSBeforeAcceptance) and when the VPC's
// DNS attributes are off (KindVPCDNSAttributes).
func (c *Consumer) EnablePrivateDNS(ctx context.Context, endpointID string) error {
	var api endpointsAPI = c.c.ec2
	out, err := api.ModifyVpcEndpoint(c.with(ctx, opModifyVpcEndpoint),
		&ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(endpointID), PrivateDnsEnabled: aws.Bool(true)})
	if err != nil {
		return c.fail("enable private DNS on "+endpointID, err)
	}
	if !aws.ToBool(out.Return) {
		return fmt.Errorf("enable private DNS on %s: AWS answered false", endpointID)
	}
	return nil
}

// DeleteEndpoint deletes an endpoint; a refusal comes back as a *PartialError.
func (c *Consumer) DeleteEndpoint(ctx context.Context, endpointID string) error {
	var api endpointsAPI = c.c.ec2
	out, err := api.DeleteVpcEndpoints(c.with(ctx, opDeleteVpcEndpoints), &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{endpointID}})
	if err != nil {
		return c.fail("delete endpoint "+endpointID, err)
	}
	if pe := partial(ec2.ServiceID, "DeleteVpcEndpoints", out.Unsuccessful); pe != nil {
		pe.Hint = "Check that the endpoint still exists in this account and region (it may be deleted already)."
		return fmt.Errorf("delete endpoint %s: %w", endpointID, pe)
	}
	return nil
}
