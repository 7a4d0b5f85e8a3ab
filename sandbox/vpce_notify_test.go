package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// vpcePolicy is the topic policy of AWS's PrivateLink guide: vpce may
// publish for the owner's endpoint services (kind "vpc-endpoint-service")
// or endpoints ("vpc-endpoint").
func vpcePolicy(topic, account, kind string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpce.amazonaws.com"},"Action":"SNS:Publish","Resource":%q,`+
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ec2:us-east-1:%s:%s/*"},"StringEquals":{"aws:SourceAccount":%q}}}]}`, topic, account, kind, account)
}

// inbox is one party's topic, subscribed queue and the policies between.
type inbox struct{ topic, queueURL string }

func (e *nsEnv) inbox(t *testing.T, snsC *sns.Client, sqsC *sqs.Client, account, kind string) inbox {
	t.Helper()
	topic := e.topic(t, snsC, "vpce-events")
	qARN := "arn:aws:sqs:us-east-1:" + account + ":vpce-events"
	url, _ := e.queue(t, sqsC, "vpce-events", map[string]string{"Policy": queuePolicy(qARN, topic)})
	if _, err := snsC.SetTopicAttributes(e.ctx, &sns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(vpcePolicy(topic, account, kind))}); err != nil {
		t.Fatal(err)
	}
	if _, err := snsC.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &qARN}); err != nil {
		t.Fatal(err)
	}
	return inbox{topic: topic, queueURL: url}
}

// events receives and deletes what the inbox holds, as connection events.
func (e *nsEnv) events(t *testing.T, c *sqs.Client, in inbox, wait int32) []sandbox.ConnectionEvent {
	t.Helper()
	return e.parseEvents(t, c, in, e.receive(t, c, in.queueURL, wait))
}

func (e *nsEnv) parseEvents(t *testing.T, c *sqs.Client, in inbox, msgs []sqstypes.Message) []sandbox.ConnectionEvent {
	t.Helper()
	var out []sandbox.ConnectionEvent
	for _, m := range msgs {
		var env struct{ Type, TopicArn, Message string }
		if err := json.Unmarshal([]byte(*m.Body), &env); err != nil || env.Type != "Notification" || env.TopicArn != in.topic {
			t.Fatalf("not an SNS notification of %s: %v %s", in.topic, err, *m.Body)
		}
		var ev sandbox.ConnectionEvent
		if err := json.Unmarshal([]byte(env.Message), &ev); err != nil {
			t.Fatalf("event: %v %s", err, env.Message)
		}
		out = append(out, ev)
		if _, err := c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: &in.queueURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// notifiedService is an available service with the provider's inbox and
// a notification on the service for events.
func (e *nsEnv) notifiedService(t *testing.T, acceptance bool, events ...string) (*ec2types.ServiceConfiguration, inbox) {
	t.Helper()
	svc := e.availableService(t, acceptance, "")
	prov := e.inbox(t, e.provSNS, e.provSQS, e.provAcct.ID, "vpc-endpoint-service")
	if _, err := e.prov.CreateVpcEndpointConnectionNotification(e.ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{
		ServiceId: svc.ServiceId, ConnectionNotificationArn: &prov.topic, ConnectionEvents: events}); err != nil {
		t.Fatal(err)
	}
	return svc, prov
}

func (e *nsEnv) consumerSubnet(t *testing.T) string {
	t.Helper()
	_, subnets := e.vpc(t, e.consAcct.ID)
	return plValues(subnets)[0]
}

func eventKinds(evs []sandbox.ConnectionEvent) (out []string) {
	for _, ev := range evs {
		out = append(out, ev.EventType+" "+ev.VpcEndpointID+" "+ev.VpcEndpointState)
	}
	return out
}

func TestConnectionNotificationsCRUD(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	svc := e.availableService(t, true, "")
	plain := e.topic(t, e.provSNS, "plain")
	in := e.inbox(t, e.provSNS, e.provSQS, e.provAcct.ID, "vpc-endpoint-service")
	create := func(c *ec2.Client, in *ec2.CreateVpcEndpointConnectionNotificationInput) (*ec2.CreateVpcEndpointConnectionNotificationOutput, error) {
		return c.CreateVpcEndpointConnectionNotification(e.ctx, in)
	}
	events := []string{"Connect", "Accept", "Reject", "Delete"}

	_, err := create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &plain, ConnectionEvents: events})
	plAPIError(t, err, "InvalidParameter", "The access policy of the SNS topic "+plain+" does not allow vpce.amazonaws.com to call SNS:Publish for arn:aws:ec2:us-east-1:"+
		e.provAcct.ID+":vpc-endpoint-service/"+*svc.ServiceId+`. Add a statement that allows it (Principal {"Service": "vpce.amazonaws.com"}, Action SNS:Publish).`)
	_, err = create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: aws.String(plain + "-gone"), ConnectionEvents: events})
	plAPIError(t, err, "InvalidParameter", "The SNS topic "+plain+"-gone does not exist.")
	_, err = create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &in.topic, ConnectionEvents: []string{"Connected"}})
	plAPIError(t, err, "InvalidParameterValue", "Value (Connected) for parameter connectionEvents is invalid. Valid values: Accept, Connect, Delete, Reject.")
	_, err = create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ConnectionNotificationArn: &in.topic, ConnectionEvents: events})
	plAPIError(t, err, "MissingParameter", "")
	_, err = create(e.cons, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &in.topic, ConnectionEvents: events})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
	// The guide's policy names the provider's services: a consumer's
	// endpoint notification may not use this topic.
	_, err = create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, VpcEndpointId: aws.String("vpce-0123456789abcdef0"),
		ConnectionNotificationArn: &in.topic, ConnectionEvents: events})
	plAPIError(t, err, "InvalidParameterCombination", "")

	made, err := create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &in.topic,
		ConnectionEvents: append(events, "Accept"), ClientToken: aws.String("tok-1")})
	if err != nil {
		t.Fatal(err)
	}
	cn := made.ConnectionNotification
	if len(*cn.ConnectionNotificationId) != len("vpce-nfn-")+17 || *cn.ServiceId != *svc.ServiceId || *cn.ConnectionNotificationArn != in.topic ||
		cn.ConnectionNotificationState != ec2types.ConnectionNotificationStateEnabled || cn.ConnectionNotificationType != ec2types.ConnectionNotificationTypeTopic ||
		len(cn.ConnectionEvents) != 4 || *made.ClientToken != "tok-1" {
		t.Fatalf("created %+v", cn)
	}
	retry, err := create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &in.topic,
		ConnectionEvents: append(events, "Accept"), ClientToken: aws.String("tok-1")})
	if err != nil || *retry.ConnectionNotification.ConnectionNotificationId != *cn.ConnectionNotificationId {
		t.Errorf("ClientToken retry: %v %v", retry, err)
	}
	_, err = create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &in.topic,
		ConnectionEvents: []string{"Accept"}, ClientToken: aws.String("tok-1")})
	plAPIError(t, err, "IdempotentParameterMismatch", "")
	second, err := create(e.prov, &ec2.CreateVpcEndpointConnectionNotificationInput{ServiceId: svc.ServiceId, ConnectionNotificationArn: &in.topic, ConnectionEvents: []string{"Connect"}})
	if err != nil {
		t.Fatal(err)
	}

	// Describe: all, by ID, by filter, a page at a time; only the owner's.
	ids, pages := drainIDs(t, e.ctx, ec2.NewDescribeVpcEndpointConnectionNotificationsPaginator(e.prov,
		&ec2.DescribeVpcEndpointConnectionNotificationsInput{MaxResults: aws.Int32(1)}), notificationIDs)
	if len(ids) != 2 || pages != 2 {
		t.Errorf("paged describe: %v in %d pages", ids, pages)
	}
	byFilter, err := e.prov.DescribeVpcEndpointConnectionNotifications(e.ctx, &ec2.DescribeVpcEndpointConnectionNotificationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("connection-notification-id"), Values: []string{*second.ConnectionNotification.ConnectionNotificationId}}}})
	if err != nil || len(byFilter.ConnectionNotificationSet) != 1 || byFilter.ConnectionNotificationSet[0].ConnectionEvents[0] != "Connect" {
		t.Errorf("by filter: %+v %v", byFilter, err)
	}
	_, err = e.prov.DescribeVpcEndpointConnectionNotifications(e.ctx, &ec2.DescribeVpcEndpointConnectionNotificationsInput{ConnectionNotificationId: aws.String("vpce-nfn-0123456789abcdef0")})
	plAPIError(t, err, "InvalidConnectionNotification", "The connection notification 'vpce-nfn-0123456789abcdef0' does not exist.")
	if theirs, err := e.cons.DescribeVpcEndpointConnectionNotifications(e.ctx, &ec2.DescribeVpcEndpointConnectionNotificationsInput{}); err != nil || len(theirs.ConnectionNotificationSet) != 0 {
		t.Errorf("the consumer sees the provider's notifications: %+v %v", theirs, err)
	}

	// Modify: events, and a topic that must allow vpce too.
	if _, err := e.prov.ModifyVpcEndpointConnectionNotification(e.ctx, &ec2.ModifyVpcEndpointConnectionNotificationInput{
		ConnectionNotificationId: second.ConnectionNotification.ConnectionNotificationId, ConnectionEvents: []string{"Accept"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.prov.ModifyVpcEndpointConnectionNotification(e.ctx, &ec2.ModifyVpcEndpointConnectionNotificationInput{
		ConnectionNotificationId: second.ConnectionNotification.ConnectionNotificationId, ConnectionNotificationArn: &plain})
	plAPIError(t, err, "InvalidParameter", "")

	// Delete: an unknown ID is an Unsuccessful item, not an error.
	del, err := e.prov.DeleteVpcEndpointConnectionNotifications(e.ctx, &ec2.DeleteVpcEndpointConnectionNotificationsInput{
		ConnectionNotificationIds: []string{*second.ConnectionNotification.ConnectionNotificationId, "vpce-nfn-0123456789abcdef0"}})
	if err != nil || len(del.Unsuccessful) != 1 || *del.Unsuccessful[0].ResourceId != "vpce-nfn-0123456789abcdef0" ||
		*del.Unsuccessful[0].Error.Code != "InvalidConnectionNotification" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	left, _ := e.prov.DescribeVpcEndpointConnectionNotifications(e.ctx, &ec2.DescribeVpcEndpointConnectionNotificationsInput{})
	if len(left.ConnectionNotificationSet) != 1 || *left.ConnectionNotificationSet[0].ConnectionNotificationId != *cn.ConnectionNotificationId {
		t.Errorf("after delete: %+v", left.ConnectionNotificationSet)
	}
}

func notificationIDs(out *ec2.DescribeVpcEndpointConnectionNotificationsOutput) (ids []string) {
	for _, n := range out.ConnectionNotificationSet {
		ids = append(ids, *n.ConnectionNotificationId)
	}
	return ids
}

// TestConnectionEventsReachBothParties: the provider's notification on
// its service and the consumer's on its endpoint each get the events they
// ask for, through SNS into their SQS queues, as the endpoint connects, is
// accepted, rejected and deleted.
func TestConnectionEventsReachBothParties(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	svc := e.availableService(t, true, "")
	prov := e.inbox(t, e.provSNS, e.provSQS, e.provAcct.ID, "vpc-endpoint-service")
	cons := e.inbox(t, e.consSNS, e.consSQS, e.consAcct.ID, "vpc-endpoint")
	if _, err := e.prov.CreateVpcEndpointConnectionNotification(e.ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{
		ServiceId: svc.ServiceId, ConnectionNotificationArn: &prov.topic, ConnectionEvents: []string{"Connect", "Accept", "Reject", "Delete"}}); err != nil {
		t.Fatal(err)
	}
	_, subnets := e.vpc(t, e.consAcct.ID)
	sn := plValues(subnets)

	// Connect: the provider hears of the new endpoint while its receive waits.
	got := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		out, err := e.provSQS.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: &prov.queueURL, WaitTimeSeconds: 20})
		if err != nil {
			out = &sqs.ReceiveMessageOutput{}
		}
		got <- out
	}()
	waitForLongPolls(t, e.SB, 1)
	ep := e.createEndpoint(t, *svc.ServiceName, sn[0])
	evs := e.parseEvents(t, e.provSQS, prov, (<-got).Messages)
	if len(evs) != 1 {
		t.Fatalf("Connect: %v", eventKinds(evs))
	}
	want := sandbox.ConnectionEvent{EventType: "Connect", ServiceID: *svc.ServiceId, VpcEndpointID: *ep.VpcEndpointId,
		VpcEndpointOwner: e.consAcct.ID, VpcEndpointState: "pendingAcceptance", ConnectionNotificationID: evs[0].ConnectionNotificationID,
		ConnectionNotificationArn: prov.topic, Region: "us-east-1", Time: evs[0].Time}
	if evs[0] != want {
		t.Errorf("Connect event %+v, want %+v", evs[0], want)
	}

	// The consumer asks for its endpoint's events.
	if _, err := e.cons.CreateVpcEndpointConnectionNotification(e.ctx, &ec2.CreateVpcEndpointConnectionNotificationInput{
		VpcEndpointId: ep.VpcEndpointId, ConnectionNotificationArn: &cons.topic, ConnectionEvents: []string{"Accept", "Reject", "Delete"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{*ep.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if k := eventKinds(e.events(t, e.provSQS, prov, 0)); len(k) != 1 || k[0] != "Accept "+*ep.VpcEndpointId+" pendingAcceptance" {
		t.Errorf("provider after accept: %v", k)
	}
	if k := eventKinds(e.events(t, e.consSQS, cons, 0)); len(k) != 1 || k[0] != "Accept "+*ep.VpcEndpointId+" pendingAcceptance" {
		t.Errorf("consumer after accept: %v", k)
	}
	// Accepting again changes nothing and says nothing.
	e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{*ep.VpcEndpointId}})
	if k := eventKinds(e.events(t, e.provSQS, prov, 0)); len(k) != 0 {
		t.Errorf("second accept: %v", k)
	}

	// A second endpoint, rejected.
	ep2 := e.createEndpoint(t, *svc.ServiceName, sn[1])
	if _, err := e.prov.RejectVpcEndpointConnections(e.ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: svc.ServiceId, VpcEndpointIds: []string{*ep2.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if k := eventKinds(e.events(t, e.provSQS, prov, 0)); len(k) != 2 || k[0] != "Connect "+*ep2.VpcEndpointId+" pendingAcceptance" || k[1] != "Reject "+*ep2.VpcEndpointId+" rejected" {
		t.Errorf("provider after a second endpoint and reject: %v", k)
	}
	if k := eventKinds(e.events(t, e.consSQS, cons, 0)); len(k) != 0 {
		t.Errorf("the consumer heard of an endpoint it asked nothing about: %v", k)
	}

	// Delete: both hear of it; the endpoint's notification goes with it.
	e.Advance(t, time.Minute)
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{*ep.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if k := eventKinds(e.events(t, e.provSQS, prov, 0)); len(k) != 1 || k[0] != "Delete "+*ep.VpcEndpointId+" deleted" {
		t.Errorf("provider after delete: %v", k)
	}
	if k := eventKinds(e.events(t, e.consSQS, cons, 0)); len(k) != 1 || k[0] != "Delete "+*ep.VpcEndpointId+" deleted" {
		t.Errorf("consumer after delete: %v", k)
	}
	if left, _ := e.cons.DescribeVpcEndpointConnectionNotifications(e.ctx, &ec2.DescribeVpcEndpointConnectionNotificationsInput{}); len(left.ConnectionNotificationSet) != 0 {
		t.Errorf("the deleted endpoint's notification is still listed: %+v", left.ConnectionNotificationSet)
	}

	// A topic whose policy stops allowing vpce gets no more events.
	if _, err := e.provSNS.SetTopicAttributes(e.ctx, &sns.SetTopicAttributesInput{TopicArn: &prov.topic, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(vpcePolicy(prov.topic, e.consAcct.ID, "vpc-endpoint-service"))}); err != nil {
		t.Fatal(err)
	}
	e.createEndpoint(t, *svc.ServiceName, sn[2])
	if k := eventKinds(e.events(t, e.provSQS, prov, 0)); len(k) != 0 {
		t.Errorf("published although the policy no longer allows it: %v", k)
	}
}

// TestAutoAcceptedEndpointConnectsAndAccepts: with acceptance off, the
// connection is accepted as it is made, and both events are sent.
func TestAutoAcceptedEndpointConnectsAndAccepts(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	svc, prov := e.notifiedService(t, false, "Connect", "Accept")
	ep := e.createEndpoint(t, *svc.ServiceName, e.consumerSubnet(t))
	if k := eventKinds(e.events(t, e.provSQS, prov, 0)); len(k) != 2 || k[0] != "Connect "+*ep.VpcEndpointId+" pending" || k[1] != "Accept "+*ep.VpcEndpointId+" pending" {
		t.Errorf("auto-accepted: %v", k)
	}
}

// TestNotifyStateIsSaved: topics, queues with their messages, and
// notifications survive a save and load of the world.
func TestNotifyStateIsSaved(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	svc, prov := e.notifiedService(t, true, "Connect")
	e.createEndpoint(t, *svc.ServiceName, e.consumerSubnet(t))
	path := filepath.Join(t.TempDir(), "world.json")
	var saveErr error
	e.SB.World(func(w *sandbox.World, _ time.Time) { saveErr = w.Save(path) })
	if saveErr != nil {
		t.Fatal(saveErr)
	}
	w, err := sandbox.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	restarted := newNSEnv(t, sbtest.Options{World: w})
	restarted.Advance(t, time.Minute) // its manual clock starts where the first one did
	if k := eventKinds(restarted.events(t, restarted.provSQS, prov, 0)); len(k) != 1 || k[0][:8] != "Connect " {
		t.Errorf("after a restart the queue holds %v", k)
	}
	if out, err := restarted.prov.DescribeVpcEndpointConnectionNotifications(restarted.ctx, &ec2.DescribeVpcEndpointConnectionNotificationsInput{}); err != nil ||
		len(out.ConnectionNotificationSet) != 1 {
		t.Errorf("notifications after a restart: %+v %v", out, err)
	}
}

// TestNotifyChangesAreDurable: with a world file, what a reply said is on
// disk: the event a connection published, a receive (also one a long poll
// made), and an unsubscription through the UnsubscribeURL.
func TestNotifyChangesAreDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.json")
	e := newNSEnv(t, sbtest.Options{WorldFile: path})
	svc, prov := e.notifiedService(t, true, "Connect")
	queueOnDisk := func() *sandbox.Queue {
		t.Helper()
		w := onDisk(t, path)
		for _, q := range w.Notify.Queues {
			if strings.HasSuffix(prov.queueURL, "/"+q.Name) && q.Owner == e.provAcct.ID {
				return q
			}
		}
		t.Fatalf("queue of %s not on disk", prov.queueURL)
		return nil
	}
	e.createEndpoint(t, *svc.ServiceName, e.consumerSubnet(t))
	if q := queueOnDisk(); len(q.Messages) != 1 || !strings.Contains(q.Messages[0].Body, `\"EventType\":\"Connect\"`) {
		t.Fatalf("the Connect event is not on disk: %+v", q.Messages)
	}
	msgs := e.receive(t, e.provSQS, prov.queueURL, 0)
	if q := queueOnDisk(); len(msgs) != 1 || q.Messages[0].ReceiveCount != 1 || q.Messages[0].Receipt != *msgs[0].ReceiptHandle {
		t.Fatalf("the receive is not on disk: %+v", q.Messages)
	}

	// A long poll's receive, woken by a send, is on disk before its reply.
	got := make(chan []sqstypes.Message, 1)
	go func() {
		out, err := e.provSQS.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: &prov.queueURL, WaitTimeSeconds: 20})
		if err != nil {
			out = &sqs.ReceiveMessageOutput{}
		}
		got <- out.Messages
	}()
	waitForLongPolls(t, e.SB, 1)
	if _, err := e.provSQS.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: &prov.queueURL, MessageBody: aws.String("later")}); err != nil {
		t.Fatal(err)
	}
	polled := <-got
	if len(polled) != 1 || *polled[0].Body != "later" {
		t.Fatalf("long poll: %+v", polled)
	}
	for _, m := range queueOnDisk().Messages {
		if m.Body == "later" && m.Receipt != *polled[0].ReceiptHandle {
			t.Errorf("the long poll's receive is not on disk: %+v", m)
		}
	}

	// The UnsubscribeURL of a delivered envelope, followed without
	// credentials, is on disk too.
	var env struct{ UnsubscribeURL string }
	if err := json.Unmarshal([]byte(*msgs[0].Body), &env); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(env.UnsubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if subs := onDisk(t, path).Notify.Subscriptions; resp.StatusCode != 200 || len(subs) != 0 {
		t.Errorf("after GET UnsubscribeURL (%d) the file holds %d subscriptions", resp.StatusCode, len(subs))
	}
}
