package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/plwiz/plwiz/awsid"
)

// notificationsAPI is what notifications.go needs from EC2.
type notificationsAPI interface {
	CreateVpcEndpointConnectionNotification(context.Context, *ec2.CreateVpcEndpointConnectionNotificationInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointConnectionNotificationOutput, error)
	ec2.DescribeVpcEndpointConnectionNotificationsAPIClient
	DeleteVpcEndpointConnectionNotifications(context.Context, *ec2.DeleteVpcEndpointConnectionNotificationsInput, ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointConnectionNotificationsOutput, error)
}

// ConnectionNotification is an EC2 connection notification: a service's
// or an endpoint's events sent to an SNS topic.
type ConnectionNotification struct {
	ID         string // vpce-nfn-...
	ServiceID  string // set for a notification on a service
	EndpointID string // set for a notification on an endpoint
	TopicARN   string
	Events     []ConnectionEventType
	State      string // Enabled | Disabled
}

// NotificationInput asks for a connection notification.
type NotificationInput struct {
	TopicARN string
	// Events: all four when empty.
	Events []ConnectionEventType
	// ClientToken makes the create idempotent; derive it from the session.
	ClientToken string
}

// NotifyOnService asks for the connection events of the provider's
// service on a topic whose policy lets vpce.amazonaws.com publish for it
// (CheckTopicForVPCE with ServiceSourceARN; AWS refuses the notification
// otherwise).
func (p *Provider) NotifyOnService(ctx context.Context, serviceID string, in NotificationInput) (ConnectionNotification, error) {
	if !awsid.ServiceID.Valid(serviceID) {
		return ConnectionNotification{}, fmt.Errorf("notify on service %s: not an endpoint service ID (%s)", quoteInput(serviceID), awsid.ServiceID.Shape())
	}
	return p.createNotification(ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: aws.String(serviceID)}, in, "service "+serviceID)
}

// NotifyOnEndpoint asks for the connection events of the consumer's
// endpoint on a topic whose policy lets vpce.amazonaws.com publish for it
// (CheckTopicForVPCE with EndpointSourceARN).
func (c *Consumer) NotifyOnEndpoint(ctx context.Context, endpointID string, in NotificationInput) (ConnectionNotification, error) {
	if !awsid.EndpointID.Valid(endpointID) {
		return ConnectionNotification{}, fmt.Errorf("notify on endpoint %s: not an endpoint ID (%s)", quoteInput(endpointID), awsid.EndpointID.Shape())
	}
	return c.createNotification(ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{VpcEndpointId: aws.String(endpointID)}, in, "endpoint "+endpointID)
}

func (b *base) createNotification(ctx context.Context, req *ec2.CreateVpcEndpointConnectionNotificationInput, in NotificationInput, what string) (ConnectionNotification, error) {
	if err := checkARN(in.TopicARN, "sns"); err != nil {
		return ConnectionNotification{}, fmt.Errorf("notify on %s: %w", what, err)
	}
	if len(in.ClientToken) > 64 {
		return ConnectionNotification{}, fmt.Errorf("notify on %s: client token is %d characters; AWS allows 64", what, len(in.ClientToken))
	}
	events := in.Events
	if len(events) == 0 {
		events = ConnectionEvents
	}
	for _, e := range events {
		if !slices.Contains(ConnectionEvents, e) {
			return ConnectionNotification{}, fmt.Errorf("notify on %s: unknown event %s (want Connect, Accept, Reject or Delete)", what, quoteInput(string(e)))
		}
		req.ConnectionEvents = append(req.ConnectionEvents, string(e))
	}
	req.ConnectionNotificationArn = aws.String(in.TopicARN)
	if in.ClientToken != "" {
		req.ClientToken = aws.String(in.ClientToken)
	}
	var api notificationsAPI = b.c.ec2
	out, err := api.CreateVpcEndpointConnectionNotification(b.with(ctx, opCreateVpcEndpointConnectionNotification), req)
	if err != nil {
		return ConnectionNotification{}, b.fail("notify on "+what, err)
	}
	if out.ConnectionNotification == nil {
		return ConnectionNotification{}, fmt.Errorf("notify on %s: AWS answered without the notification", what)
	}
	return notificationFrom(*out.ConnectionNotification), nil
}

func notificationFrom(n types.ConnectionNotification) ConnectionNotification {
	out := ConnectionNotification{ID: str(n.ConnectionNotificationId), ServiceID: str(n.ServiceId), EndpointID: str(n.VpcEndpointId),
		TopicARN: str(n.ConnectionNotificationArn), State: clean(string(n.ConnectionNotificationState))}
	for _, e := range n.ConnectionEvents {
		if ev, ok := fold(e, ConnectionEvents...); ok {
			out.Events = append(out.Events, ev)
		}
	}
	return out
}

// NotificationFilter narrows ListNotifications; empty fields match all.
type NotificationFilter struct {
	ServiceID  string
	EndpointID string
	TopicARN   string
}

// ListNotifications lists the account's connection notifications, all
// pages.
func (b *base) ListNotifications(ctx context.Context, f NotificationFilter) ([]ConnectionNotification, error) {
	var filters []types.Filter
	if f.ServiceID != "" {
		filters = append(filters, filter("service-id", f.ServiceID))
	}
	if f.EndpointID != "" {
		filters = append(filters, filter("vpc-endpoint-id", f.EndpointID))
	}
	if f.TopicARN != "" {
		filters = append(filters, filter("connection-notification-arn", f.TopicARN))
	}
	var api notificationsAPI = b.c.ec2
	pages := ec2.NewDescribeVpcEndpointConnectionNotificationsPaginator(api, &ec2.DescribeVpcEndpointConnectionNotificationsInput{
		Filters: filters, MaxResults: aws.Int32(ec2PageSize)})
	var out []ConnectionNotification
	for pages.HasMorePages() {
		page, err := pages.NextPage(b.with(ctx, opDescribeVpcEndpointConnectionNotifications))
		if err != nil {
			return nil, b.fail("list connection notifications", err)
		}
		for _, n := range page.ConnectionNotificationSet {
			out = append(out, notificationFrom(n))
		}
	}
	return out, nil
}

// codeNotificationNotFound is EC2's code for a notification ID it does
// not know.
const codeNotificationNotFound = "InvalidConnectionNotification"

// DeleteNotifications deletes connection notifications; one already gone
// is no error (teardown may run twice), other refusals come back as a
// *PartialError.
func (b *base) DeleteNotifications(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return errors.New("delete connection notifications: no IDs given")
	}
	var api notificationsAPI = b.c.ec2
	out, err := api.DeleteVpcEndpointConnectionNotifications(b.with(ctx, opDeleteVpcEndpointConnectionNotifications),
		&ec2.DeleteVpcEndpointConnectionNotificationsInput{ConnectionNotificationIds: ids})
	if err != nil {
		return b.fail("delete connection notifications", err)
	}
	items := slices.DeleteFunc(out.Unsuccessful, func(it types.UnsuccessfulItem) bool {
		return it.Error != nil && aws.ToString(it.Error.Code) == codeNotificationNotFound
	})
	if pe := partial(ec2.ServiceID, "DeleteVpcEndpointConnectionNotifications", items); pe != nil {
		pe.Hint = "List the notifications (they belong to this account and region) and retry."
		return fmt.Errorf("delete connection notifications: %w", pe)
	}
	return nil
}
