package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/plwiz/plwiz/policydoc"
)

// VPC endpoint connection notifications (EC2): a service's owner asks for
// Connect, Accept, Reject and Delete events of the endpoints connecting to
// it, an endpoint's owner for those of its endpoint; each event is
// published to the notification's SNS topic as vpce.amazonaws.com, when
// the topic's policy lets that service publish for the notification's
// resource (aws:SourceArn, aws:SourceAccount), as AWS's PrivateLink guide
// asks of the topic policy.

// ec2NotificationHandlers serve the connection notification actions.
func ec2NotificationHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"CreateVpcEndpointConnectionNotification":    createConnectionNotification,
		"DescribeVpcEndpointConnectionNotifications": describeConnectionNotifications,
		"ModifyVpcEndpointConnectionNotification":    modifyConnectionNotification,
		"DeleteVpcEndpointConnectionNotifications":   deleteConnectionNotifications,
	}
}

// connectionEvents are the events a notification may ask for.
var connectionEvents = []string{EventAccept, EventConnect, EventDelete, EventReject}

type xmlConnectionNotification struct {
	ConnectionNotificationID    string   `xml:"connectionNotificationId"`
	ServiceID                   string   `xml:"serviceId,omitempty"`
	VpcEndpointID               string   `xml:"vpcEndpointId,omitempty"`
	ConnectionNotificationType  string   `xml:"connectionNotificationType"`
	ConnectionNotificationArn   string   `xml:"connectionNotificationArn"`
	ConnectionEvents            []string `xml:"connectionEvents>item"`
	ConnectionNotificationState string   `xml:"connectionNotificationState"`
	ServiceRegion               string   `xml:"serviceRegion,omitempty"`
}

func (w *World) connectionNotificationXML(n *ConnectionNotification) xmlConnectionNotification {
	out := xmlConnectionNotification{
		ConnectionNotificationID: n.ID, ServiceID: n.ServiceID, VpcEndpointID: n.EndpointID,
		ConnectionNotificationType: "Topic", ConnectionNotificationArn: n.TopicARN,
		ConnectionEvents: n.Events, ConnectionNotificationState: n.State,
	}
	if n.ServiceID != "" {
		out.ServiceRegion = w.notificationRegion(n)
	}
	return out
}

// sourceARN is the ARN vpce.amazonaws.com publishes on behalf of: the
// endpoint service's or the endpoint's.
func (w *World) sourceARN(n *ConnectionNotification) string {
	if n.ServiceID != "" {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint-service/%s", w.notificationRegion(n), n.Owner, n.ServiceID)
	}
	return fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint/%s", w.notificationRegion(n), n.Owner, n.EndpointID)
}

// vpcePublishAllowed reports whether a topic's policy lets
// vpce.amazonaws.com publish on behalf of the notification's resource.
func vpcePublishAllowed(w *World, t *Topic, n *ConnectionNotification) bool {
	doc, err := policydoc.Parse(t.Policy)
	return err == nil && doc.Evaluate(policydoc.Request{
		Caller: policydoc.Caller{Service: "vpce.amazonaws.com"}, Action: "SNS:Publish", Resource: t.ARN,
		Context: map[string]string{"aws:SourceArn": w.sourceARN(n), "aws:SourceAccount": n.Owner, "aws:SourceOwner": n.Owner},
	}).Allowed
}

func errNotificationNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidConnectionNotification", "The connection notification '%s' does not exist.", id)
}

// checkNotificationTopic checks a notification's topic: an SNS topic ARN
// of this region that exists and lets vpce.amazonaws.com publish for it.
func checkNotificationTopic(c *call, n *ConnectionNotification) *APIError {
	region, _, _, ok := arnParts(n.TopicARN, "sns")
	if !ok {
		return errInvalidParameterValue("Value (%s) for parameter connectionNotificationArn is invalid. It must be the ARN of an SNS topic.", n.TopicARN)
	}
	if region != c.Region {
		return errInvalidParameter("The SNS topic %s is in region %s; a connection notification's topic must be in %s.", n.TopicARN, region, c.Region)
	}
	t := c.w.notify().Topics[n.TopicARN]
	if t == nil {
		return errInvalidParameter("The SNS topic %s does not exist.", n.TopicARN)
	}
	if !vpcePublishAllowed(c.w, t, n) {
		return errInvalidParameter("The access policy of the SNS topic %s does not allow vpce.amazonaws.com to call SNS:Publish for %s. Add a statement that allows it (Principal {\"Service\": \"vpce.amazonaws.com\"}, Action SNS:Publish).",
			n.TopicARN, c.w.sourceARN(n))
	}
	return nil
}

// checkEvents validates ConnectionEvents.N and returns them deduplicated.
func checkEvents(values []string) ([]string, *APIError) {
	var out []string
	for _, v := range values {
		if !slices.Contains(connectionEvents, v) {
			return nil, errInvalidParameterValue("Value (%s) for parameter connectionEvents is invalid. Valid values: Accept, Connect, Delete, Reject.", v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

type createConnectionNotificationResponse struct {
	ConnectionNotification xmlConnectionNotification `xml:"connectionNotification"`
	ClientToken            string                    `xml:"clientToken,omitempty"`
}

func createConnectionNotification(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	p := c.Params
	token, hash := p.Get("ClientToken"), requestHash(p)
	n := c.w.notify()
	prev, aerr := earlierCreate(c, n.ConnectionNotifications, token, hash, func(x *ConnectionNotification) (string, string, string) {
		return x.Owner, x.ClientToken, x.RequestHash
	})
	if aerr != nil {
		return nil, aerr
	}
	if prev != nil {
		return createConnectionNotificationResponse{ConnectionNotification: c.w.connectionNotificationXML(prev), ClientToken: token}, nil
	}
	cn := &ConnectionNotification{Owner: c.Account.ID, TopicARN: p.Get("ConnectionNotificationArn"), State: "Enabled",
		ClientToken: token, RequestHash: hash, CreatedAt: c.Now}
	serviceID, endpointID := p.Get("ServiceId"), p.Get("VpcEndpointId")
	switch {
	case serviceID != "" && endpointID != "":
		return nil, Errorf(http.StatusBadRequest, "InvalidParameterCombination", "Specify either a ServiceId or a VpcEndpointId, not both.")
	case serviceID != "":
		s, aerr := ownService(c, serviceID)
		if aerr != nil {
			return nil, aerr
		}
		cn.ServiceID = s.ID
	case endpointID != "":
		e, aerr := ownEndpoint(c, endpointID)
		if aerr != nil {
			return nil, aerr
		}
		cn.EndpointID = e.ID
	default:
		return nil, errMissingParameter("ServiceId or VpcEndpointId")
	}
	if cn.TopicARN == "" {
		return nil, errMissingParameter("ConnectionNotificationArn")
	}
	events := p.List("ConnectionEvents", false)
	if len(events) == 0 {
		return nil, errMissingParameter("ConnectionEvents")
	}
	if cn.Events, aerr = checkEvents(events); aerr != nil {
		return nil, aerr
	}
	if aerr := checkNotificationTopic(c, cn); aerr != nil {
		return nil, aerr
	}
	cn.ID = c.w.NewID("vpce-nfn-")
	n.ConnectionNotifications[cn.ID] = cn
	return createConnectionNotificationResponse{ConnectionNotification: c.w.connectionNotificationXML(cn), ClientToken: token}, nil
}

type describeConnectionNotificationsResponse struct {
	Notifications []xmlConnectionNotification `xml:"connectionNotificationSet>item"`
	NextToken     string                      `xml:"nextToken,omitempty"`
}

func describeConnectionNotifications(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	p := c.Params
	fs := p.Filters()
	if aerr := checkFilters(fs, "connection-notification-arn", "connection-notification-id", "connection-notification-state",
		"connection-notification-type", "service-id", "vpc-endpoint-id"); aerr != nil {
		return nil, aerr
	}
	n := c.w.notify()
	var ids []string
	if id := p.Get("ConnectionNotificationId"); id != "" {
		if cn := n.ConnectionNotifications[id]; cn == nil || !c.owns(cn.Owner, c.w.notificationRegion(cn)) {
			return nil, errNotificationNotFound(id)
		}
		ids = []string{id}
	} else {
		for id, cn := range n.ConnectionNotifications {
			if c.owns(cn.Owner, c.w.notificationRegion(cn)) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
	}
	match := func(id string) bool {
		cn := n.ConnectionNotifications[id]
		return matchFilters(fs, nil, map[string][]string{
			"connection-notification-arn": {cn.TopicARN}, "connection-notification-id": {cn.ID},
			"connection-notification-state": {cn.State}, "connection-notification-type": {"Topic"},
			"service-id": {cn.ServiceID}, "vpc-endpoint-id": {cn.EndpointID},
		})
	}
	page, next, err := plPage(p, ids, 1, 1000, match)
	if err != nil {
		return nil, err
	}
	out := describeConnectionNotificationsResponse{NextToken: next}
	for _, id := range page {
		out.Notifications = append(out.Notifications, c.w.connectionNotificationXML(n.ConnectionNotifications[id]))
	}
	return out, nil
}

func ownNotification(c *call, id string) (*ConnectionNotification, *APIError) {
	if id == "" {
		return nil, errMissingParameter("ConnectionNotificationId")
	}
	cn := c.w.notify().ConnectionNotifications[id]
	if cn == nil || !c.owns(cn.Owner, c.w.notificationRegion(cn)) {
		return nil, errNotificationNotFound(id)
	}
	return cn, nil
}

func modifyConnectionNotification(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	p := c.Params
	cn, aerr := ownNotification(c, p.Get("ConnectionNotificationId"))
	if aerr != nil {
		return nil, aerr
	}
	changed := *cn
	if arn := p.Get("ConnectionNotificationArn"); arn != "" {
		changed.TopicARN = arn
	}
	if events := p.List("ConnectionEvents", false); len(events) > 0 {
		if changed.Events, aerr = checkEvents(events); aerr != nil {
			return nil, aerr
		}
	}
	if changed.TopicARN != cn.TopicARN {
		if aerr := checkNotificationTopic(c, &changed); aerr != nil {
			return nil, aerr
		}
	}
	*cn = changed
	return returnResponse{Return: true}, nil
}

func deleteConnectionNotifications(c *call) (any, error) {
	if err := dryRun(c); err != nil {
		return nil, err
	}
	ids := c.Params.List("ConnectionNotificationId", false)
	if len(ids) == 0 {
		return nil, errMissingParameter("ConnectionNotificationId")
	}
	var out unsuccessfulResponse
	for _, id := range ids {
		if _, aerr := ownNotification(c, id); aerr != nil {
			out.Unsuccessful.add(id, aerr)
			continue
		}
		delete(c.w.notify().ConnectionNotifications, id)
	}
	return out, nil
}

// ConnectionEvent is the message the sandbox publishes for an endpoint
// connection event. AWS's guides list the events (Connect, Accept, Reject,
// Delete) and the topic policy they need, but do not document the
// message's body; this one carries what EC2's own shapes call the
// connection (DescribeVpcEndpointConnections' ServiceId, VpcEndpointId,
// VpcEndpointOwner, VpcEndpointState) and the notification
// (ConnectionNotification's ID and ARN), with the event and its time.
type ConnectionEvent struct {
	EventType                 string `json:"EventType"`
	ServiceID                 string `json:"ServiceId"`
	VpcEndpointID             string `json:"VpcEndpointId"`
	VpcEndpointOwner          string `json:"VpcEndpointOwner"`
	VpcEndpointState          string `json:"VpcEndpointState"`
	ConnectionNotificationID  string `json:"ConnectionNotificationId"`
	ConnectionNotificationArn string `json:"ConnectionNotificationArn"`
	Region                    string `json:"Region"`
	Time                      string `json:"Time"`
}

// endpointSnapshot is what an event needs of an endpoint, taken before a
// call that may remove it.
type endpointSnapshot struct {
	ID, Owner, ServiceID, State string
	accepted                    bool
}

func snapshotEndpoint(e *Endpoint) endpointSnapshot {
	return endpointSnapshot{ID: e.ID, Owner: e.Owner, ServiceID: e.ServiceID, State: e.State, accepted: accepted(e)}
}

// withConnectionEvents wraps the EC2 actions that make connection events
// (CreateVpcEndpoint: Connect, and Accept when the service accepts by
// itself; AcceptVpcEndpointConnections: Accept; RejectVpcEndpointConnections:
// Reject; DeleteVpcEndpoints: Delete) so each event is published to the
// notifications that ask for it, and removes the notifications of deleted
// endpoints and services, as their owners cannot reach them any more.
func withConnectionEvents(h map[string]queryHandler) map[string]queryHandler {
	wrap := func(name string, around func(c *call, inner queryHandler) (any, error)) {
		inner := h[name]
		h[name] = func(c *call) (any, error) { return around(c, inner) }
	}
	wrap("CreateVpcEndpoint", func(c *call, inner queryHandler) (any, error) {
		before := len(c.w.Endpoints)
		resp, err := inner(c)
		r, ok := resp.(createEndpointResponse)
		if err != nil || !ok || len(c.w.Endpoints) == before {
			return resp, err // failed, or a ClientToken retry: no event
		}
		if e := c.w.Endpoints[r.VpcEndpoint.VpcEndpointID]; e != nil {
			c.connectionEvent(EventConnect, snapshotEndpoint(e))
			if accepted(e) {
				c.connectionEvent(EventAccept, snapshotEndpoint(e))
			}
		}
		return resp, err
	})
	decide := func(event string, done func(before endpointSnapshot, e *Endpoint) bool) func(c *call, inner queryHandler) (any, error) {
		return func(c *call, inner queryHandler) (any, error) {
			before := map[string]endpointSnapshot{}
			for _, id := range c.Params.List("VpcEndpointId", false) {
				if e := c.w.Endpoints[id]; e != nil {
					before[id] = snapshotEndpoint(e)
				}
			}
			resp, err := inner(c)
			if err != nil {
				return resp, err
			}
			for _, id := range SortedKeys(before) {
				if e := c.w.Endpoints[id]; e != nil && done(before[id], e) {
					c.connectionEvent(event, snapshotEndpoint(e))
				}
			}
			return resp, err
		}
	}
	wrap("AcceptVpcEndpointConnections", decide(EventAccept, func(b endpointSnapshot, e *Endpoint) bool { return !b.accepted && accepted(e) }))
	wrap("RejectVpcEndpointConnections", decide(EventReject, func(b endpointSnapshot, e *Endpoint) bool {
		return b.State != EndpointRejected && e.State == EndpointRejected
	}))
	wrap("DeleteVpcEndpoints", func(c *call, inner queryHandler) (any, error) {
		var before []endpointSnapshot
		for _, id := range c.Params.List("VpcEndpointId", false) {
			if e := c.w.Endpoints[id]; e != nil && c.owns(e.Owner, c.w.endpointRegion(e)) {
				before = append(before, snapshotEndpoint(e))
			}
		}
		resp, err := inner(c)
		if err != nil {
			return resp, err
		}
		for _, b := range before {
			if c.w.Endpoints[b.ID] == nil {
				b.State = EndpointDeleted
				c.connectionEvent(EventDelete, b)
				c.w.notify().dropNotifications(func(cn *ConnectionNotification) bool { return cn.EndpointID == b.ID })
			}
		}
		return resp, err
	})
	wrap("DeleteVpcEndpointServiceConfigurations", func(c *call, inner queryHandler) (any, error) {
		resp, err := inner(c)
		if err == nil {
			c.w.notify().dropNotifications(func(cn *ConnectionNotification) bool {
				return cn.ServiceID != "" && c.w.Services[cn.ServiceID] == nil
			})
		}
		return resp, err
	})
	return h
}

func (n *Notify) dropNotifications(gone func(*ConnectionNotification) bool) {
	for id, cn := range n.ConnectionNotifications {
		if gone(cn) {
			delete(n.ConnectionNotifications, id)
		}
	}
}

// connectionEvent publishes an event to every enabled notification on the
// endpoint's service or on the endpoint that asks for it, in ID order.
func (c *call) connectionEvent(event string, e endpointSnapshot) {
	n := c.w.notify()
	var ids []string
	for id, cn := range n.ConnectionNotifications {
		if cn.State == "Enabled" && slices.Contains(cn.Events, event) &&
			(cn.ServiceID != "" && cn.ServiceID == e.ServiceID || cn.EndpointID != "" && cn.EndpointID == e.ID) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		cn := n.ConnectionNotifications[id]
		t := n.Topics[cn.TopicARN]
		if t == nil || !vpcePublishAllowed(c.w, t, cn) {
			c.sb.notef("vpce: %s: %s event of %s not published: topic %s is gone or its policy no longer lets vpce.amazonaws.com publish",
				cn.ID, event, e.ID, cn.TopicARN)
			continue
		}
		body, err := json.Marshal(ConnectionEvent{
			EventType: event, ServiceID: e.ServiceID, VpcEndpointID: e.ID, VpcEndpointOwner: e.Owner, VpcEndpointState: e.State,
			ConnectionNotificationID: cn.ID, ConnectionNotificationArn: cn.TopicARN, Region: c.w.notificationRegion(cn),
			Time: c.Now.UTC().Format("2006-01-02T15:04:05.000Z"),
		})
		if err != nil {
			continue
		}
		c.publish(t, snsMessage{Message: string(body)})
	}
}
