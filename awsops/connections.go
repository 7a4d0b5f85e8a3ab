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

// connectionsAPI is what connections.go needs from EC2.
type connectionsAPI interface {
	ec2.DescribeVpcEndpointConnectionsAPIClient
	AcceptVpcEndpointConnections(context.Context, *ec2.AcceptVpcEndpointConnectionsInput, ...func(*ec2.Options)) (*ec2.AcceptVpcEndpointConnectionsOutput, error)
	RejectVpcEndpointConnections(context.Context, *ec2.RejectVpcEndpointConnectionsInput, ...func(*ec2.Options)) (*ec2.RejectVpcEndpointConnectionsOutput, error)
}

// Connection is a consumer's endpoint as the service owner sees it.
type Connection struct {
	EndpointID    string
	ServiceID     string
	Owner         string // the consumer's account ID
	State         EndpointState
	CreatedAt     time.Time
	DNSNames      []string
	NLBARNs       []string
	IPAddressType string
	Region        string // the endpoint's region, for cross-region connections
}

// ConnectionFilter narrows ListConnections, so that polling asks AWS only
// for what it waits on instead of every connection on every tick.
type ConnectionFilter struct {
	States      []EndpointState // any of these
	EndpointIDs []string        // any of these
}

// ListConnections lists the endpoint connections of a service (of every
// service when serviceID is ""), all pages of the largest size.
func (p *Provider) ListConnections(ctx context.Context, serviceID string, f ConnectionFilter) ([]Connection, error) {
	var filters []types.Filter
	if serviceID != "" {
		filters = append(filters, filter("service-id", serviceID))
	}
	if len(f.States) > 0 {
		var values []string
		for _, s := range f.States {
			// AWS's wire spelling and the SDK's: both, so either matches.
			values = append(values, s.spellings()...)
		}
		filters = append(filters, filter("vpc-endpoint-state", values...))
	}
	if len(f.EndpointIDs) > 0 {
		filters = append(filters, filter("vpc-endpoint-id", f.EndpointIDs...))
	}
	var api connectionsAPI = p.c.ec2
	pages := ec2.NewDescribeVpcEndpointConnectionsPaginator(api, &ec2.DescribeVpcEndpointConnectionsInput{
		Filters: filters, MaxResults: aws.Int32(ec2PageSize)})
	var out []Connection
	for pages.HasMorePages() {
		page, err := pages.NextPage(p.with(ctx, opDescribeVpcEndpointConnections))
		if err != nil {
			return nil, p.fail("list endpoint connections", err)
		}
		for _, c := range page.VpcEndpointConnections {
			conn := Connection{
				EndpointID: str(c.VpcEndpointId), ServiceID: str(c.ServiceId), Owner: str(c.VpcEndpointOwner),
				CreatedAt: aws.ToTime(c.CreationTimestamp), NLBARNs: strs(c.NetworkLoadBalancerArns),
				IPAddressType: clean(string(c.IpAddressType)), Region: str(c.VpcEndpointRegion),
			}
			conn.State, _ = ParseEndpointState(string(c.VpcEndpointState))
			for _, d := range c.DnsEntries {
				conn.DNSNames = append(conn.DNSNames, str(d.DnsName))
			}
			out = append(out, conn)
		}
	}
	return out, nil
}

// maxConnectionBatch keeps Accept/Reject requests to a sane size.
const maxConnectionBatch = 100

// AcceptConnections accepts endpoint connections. AWS answers 200 even when
// some fail; those come back as a *PartialError naming each endpoint.
func (p *Provider) AcceptConnections(ctx context.Context, serviceID string, endpointIDs []string) error {
	return p.decide(ctx, serviceID, endpointIDs, true)
}

// RejectConnections rejects endpoint connections; a rejected endpoint cannot
// be accepted later (the consumer must create a new one).
func (p *Provider) RejectConnections(ctx context.Context, serviceID string, endpointIDs []string) error {
	return p.decide(ctx, serviceID, endpointIDs, false)
}

func (p *Provider) decide(ctx context.Context, serviceID string, ids []string, accept bool) error {
	verb, op := "reject", "RejectVpcEndpointConnections"
	if accept {
		verb, op = "accept", "AcceptVpcEndpointConnections"
	}
	if len(ids) == 0 {
		return fmt.Errorf("%s endpoint connections: no endpoint IDs given", verb)
	}
	var api connectionsAPI = p.c.ec2
	all := &PartialError{Service: ec2.ServiceID, Op: op}
	for start := 0; start < len(ids); start += maxConnectionBatch {
		batch := ids[start:min(start+maxConnectionBatch, len(ids))]
		var unsuccessful []types.UnsuccessfulItem
		if accept {
			out, err := api.AcceptVpcEndpointConnections(p.with(ctx, opAcceptVpcEndpointConnections),
				&ec2.AcceptVpcEndpointConnectionsInput{ServiceId: aws.String(serviceID), VpcEndpointIds: batch})
			if err != nil {
				return p.fail("accept endpoint connections", err)
			}
			unsuccessful = out.Unsuccessful
		} else {
			out, err := api.RejectVpcEndpointConnections(p.with(ctx, opRejectVpcEndpointConnections),
				&ec2.RejectVpcEndpointConnectionsInput{ServiceId: aws.String(serviceID), VpcEndpointIds: batch})
			if err != nil {
				return p.fail("reject endpoint connections", err)
			}
			unsuccessful = out.Unsuccessful
		}
		if pe := partial(ec2.ServiceID, op, unsuccessful); pe != nil {
			all.Items = append(all.Items, pe.Items...)
		}
	}
	if len(all.Items) > 0 {
		all.Hint = "An endpoint that is not pendingAcceptance (already accepted, rejected or deleted), or that belongs to another service, cannot be " + verb + "ed; list the connections again to see their states."
		return fmt.Errorf("%s endpoint connections: %w", verb, all)
	}
	return nil
}

// ErrItems returns the per-item failures of a batch call's error, if any.
func ErrItems(err error) []ItemError {
	var pe *PartialError
	if errors.As(err, &pe) {
		return pe.Items
	}
	return nil
}
