package awsops

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// inbox is one party's events topic and queue.
type inbox struct {
	topic Topic
	queue Queue
	sub   string
}

// setUpInbox makes what a party's event-driven wait needs, as a step
// would: topic and queue (tagged), each policy checked and, when it lacks
// the grant, fixed, and the subscription.
func setUpInbox(t *testing.T, ctx context.Context, b *base, name, source, account string) inbox {
	t.Helper()
	tags := Tags{TagSession: name}
	topic, err := b.CreateTopic(ctx, name, tags)
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if check := CheckTopicForVPCE(topic, source, account); check.OK || check.Fixed == "" || !strings.Contains(check.Problem, VPCEPrincipal) {
		t.Fatalf("a new topic's default policy passed the vpce check: %+v", check)
	}
	if topic, err = b.AllowVPCEPublish(ctx, topic.ARN, source, account); err != nil {
		t.Fatalf("AllowVPCEPublish: %v", err)
	}
	if again, err := b.DescribeTopic(ctx, topic.ARN); err != nil || !CheckTopicForVPCE(again, source, account).OK {
		t.Fatalf("after the fix AWS's policy still fails the check: %v %+v", err, again)
	}
	q, err := b.CreateQueue(ctx, name, tags)
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	if CheckQueueForTopic(q, topic.ARN).OK {
		t.Fatal("a new queue lets any topic in")
	}
	if q, err = b.AllowTopicToQueue(ctx, q, topic.ARN); err != nil {
		t.Fatalf("AllowTopicToQueue: %v", err)
	}
	sub, err := b.Subscribe(ctx, topic.ARN, q.ARN)
	if err != nil || !strings.HasPrefix(sub, topic.ARN+":") {
		t.Fatalf("Subscribe: %q %v", sub, err)
	}
	return inbox{topic: topic, queue: q, sub: sub}
}

// receiveWhile long-polls in the background, runs act once the poll is
// blocked in the sandbox, and returns what the poll got: the event must
// end the wait, for a poll that waited its time out returns nothing.
func receiveWhile(t *testing.T, ctx context.Context, w *world, b *base, q Queue, act func()) []ConnectionEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	type result struct {
		evs []ConnectionEvent
		err error
	}
	done := make(chan result, 1)
	before := w.env.SB.LongPolls()
	go func() {
		evs, err := b.Receive(ctx, q.URL, MaxWait)
		done <- result{evs, err}
	}()
	for w.env.SB.LongPolls() == before {
		select {
		case r := <-done:
			t.Fatalf("the long poll returned before anything happened: %v %v", r.evs, r.err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	act()
	r := <-done
	if r.err != nil {
		t.Fatalf("Receive: %v", r.err)
	}
	if err := b.DeleteEvents(ctx, q.URL, r.evs); err != nil {
		t.Fatalf("DeleteEvents: %v", err)
	}
	return r.evs
}

// drain receives (without waiting) and deletes what a queue holds.
func drain(t *testing.T, ctx context.Context, b *base, q Queue) []ConnectionEvent {
	t.Helper()
	evs, err := b.Receive(ctx, q.URL, 0)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(evs) > 0 {
		if err := b.DeleteEvents(ctx, q.URL, evs); err != nil {
			t.Fatalf("DeleteEvents: %v", err)
		}
	}
	return evs
}

func kinds(evs []ConnectionEvent) (out []string) {
	for _, e := range evs {
		out = append(out, string(e.Type)+" "+e.EndpointID+" "+string(e.EndpointState))
	}
	return out
}

// TestEventDrivenWaits is the whole chain over HTTP against the sandbox:
// each party's topic, queue, policies, subscription and notification (the
// provider's on its service, the consumer's on its endpoint), then a
// blocked long poll of each party returning as soon as the other acts:
// connect, accept, reject, delete; and teardown.
func TestEventDrivenWaits(t *testing.T) {
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	region := w.p.Region()
	provAcct, consAcct := w.account(t, "provider").ID, w.account(t, "consumer").ID
	svc := w.availableService(t, ctx, true)

	prov := setUpInbox(t, ctx, &w.p.base, "plwiz-prov", ServiceSourceARN(region, provAcct, svc.ID), provAcct)
	nfn, err := w.p.NotifyOnService(ctx, svc.ID, NotificationInput{TopicARN: prov.topic.ARN, ClientToken: "session-1-notify"})
	if err != nil {
		t.Fatalf("NotifyOnService: %v", err)
	}
	if !strings.HasPrefix(nfn.ID, "vpce-nfn-") || nfn.ServiceID != svc.ID || nfn.TopicARN != prov.topic.ARN || len(nfn.Events) != 4 || nfn.State != "Enabled" {
		t.Fatalf("notification %+v", nfn)
	}
	if again, err := w.p.NotifyOnService(ctx, svc.ID, NotificationInput{TopicARN: prov.topic.ARN, ClientToken: "session-1-notify"}); err != nil || again.ID != nfn.ID {
		t.Errorf("a retried create made another notification: %+v %v", again, err)
	}

	// Connect: the provider's blocked poll returns with the new endpoint.
	vpc, subnets := consumerNetwork(t, ctx, w)
	var ep Endpoint
	evs := receiveWhile(t, ctx, w, &w.p.base, prov.queue, func() {
		ep, err = w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc, SubnetIDs: subnets[:1], ClientToken: "ep-1"})
		if err != nil {
			t.Errorf("CreateEndpoint: %v", err)
		}
	})
	if len(evs) != 1 {
		t.Fatalf("Connect: %v", kinds(evs))
	}
	want := ConnectionEvent{Type: EventConnect, ServiceID: svc.ID, EndpointID: ep.ID, EndpointOwner: consAcct, EndpointState: EndpointPendingAcceptance,
		NotificationID: nfn.ID, TopicARN: prov.topic.ARN, Time: evs[0].Time, messageID: evs[0].messageID, receipt: evs[0].receipt}
	if evs[0] != want || evs[0].Time.IsZero() {
		t.Errorf("Connect event %+v, want %+v", evs[0], want)
	}

	// The consumer listens on its endpoint; the provider accepts.
	cons := setUpInbox(t, ctx, &w.c.base, "plwiz-cons", EndpointSourceARN(region, consAcct, ep.ID), consAcct)
	cn, err := w.c.NotifyOnEndpoint(ctx, ep.ID, NotificationInput{TopicARN: cons.topic.ARN, Events: []ConnectionEventType{EventAccept, EventReject, EventDelete}})
	if err != nil || cn.EndpointID != ep.ID || len(cn.Events) != 3 {
		t.Fatalf("NotifyOnEndpoint: %+v %v", cn, err)
	}
	evs = receiveWhile(t, ctx, w, &w.c.base, cons.queue, func() {
		if err := w.p.AcceptConnections(ctx, svc.ID, []string{ep.ID}); err != nil {
			t.Errorf("AcceptConnections: %v", err)
		}
	})
	if k := kinds(evs); len(k) != 1 || k[0] != "Accept "+ep.ID+" pendingAcceptance" {
		t.Errorf("the consumer after accept: %v", k)
	}
	if k := kinds(drain(t, ctx, &w.p.base, prov.queue)); len(k) != 1 || k[0] != "Accept "+ep.ID+" pendingAcceptance" {
		t.Errorf("the provider after accept: %v", k)
	}

	// A second endpoint, rejected: the provider hears both; the consumer's
	// notification is on the first endpoint only.
	ep2, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc, SubnetIDs: subnets[1:2], ClientToken: "ep-2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.RejectConnections(ctx, svc.ID, []string{ep2.ID}); err != nil {
		t.Fatal(err)
	}
	if k := kinds(drain(t, ctx, &w.p.base, prov.queue)); len(k) != 2 || k[0] != "Connect "+ep2.ID+" pendingAcceptance" || k[1] != "Reject "+ep2.ID+" rejected" {
		t.Errorf("the provider after a reject: %v", k)
	}
	if k := kinds(drain(t, ctx, &w.c.base, cons.queue)); len(k) != 0 {
		t.Errorf("the consumer heard of another endpoint: %v", k)
	}

	// Delete: the provider's blocked poll hears it; so does the consumer.
	evs = receiveWhile(t, ctx, w, &w.p.base, prov.queue, func() {
		if err := w.c.DeleteEndpoint(ctx, ep.ID); err != nil {
			t.Errorf("DeleteEndpoint: %v", err)
		}
	})
	if k := kinds(evs); len(k) != 1 || k[0] != "Delete "+ep.ID+" deleted" {
		t.Errorf("the provider after delete: %v", k)
	}
	if k := kinds(drain(t, ctx, &w.c.base, cons.queue)); len(k) != 1 || k[0] != "Delete "+ep.ID+" deleted" {
		t.Errorf("the consumer after delete: %v", k)
	}

	// Listing, and teardown twice (the second finds everything gone).
	listed, err := w.p.ListNotifications(ctx, NotificationFilter{ServiceID: svc.ID})
	if err != nil || len(listed) != 1 || listed[0].ID != nfn.ID {
		t.Errorf("ListNotifications: %+v %v", listed, err)
	}
	for range 2 {
		if err := w.p.DeleteNotifications(ctx, nfn.ID); err != nil {
			t.Errorf("DeleteNotifications: %v", err)
		}
		for _, in := range []struct {
			b  *base
			in inbox
		}{{&w.p.base, prov}, {&w.c.base, cons}} {
			if err := in.b.Unsubscribe(ctx, in.in.sub); err != nil {
				t.Errorf("Unsubscribe: %v", err)
			}
			if err := in.b.DeleteTopic(ctx, in.in.topic.ARN); err != nil {
				t.Errorf("DeleteTopic: %v", err)
			}
			if err := in.b.DeleteQueue(ctx, in.in.queue.URL); err != nil {
				t.Errorf("DeleteQueue: %v", err)
			}
		}
	}
	if _, found, err := w.p.FindQueue(ctx, "plwiz-prov"); found || err != nil {
		t.Errorf("FindQueue after teardown: found %v, %v", found, err)
	}
	if _, err := w.p.DescribeTopic(ctx, prov.topic.ARN); KindOf(err) != KindNotFound {
		t.Errorf("DescribeTopic after teardown: %v", err)
	}
	if left, err := w.p.ListNotifications(ctx, NotificationFilter{}); err != nil || len(left) != 0 {
		t.Errorf("notifications after teardown: %+v %v", left, err)
	}
}

// consumerNetwork is the consumer's VPC and its subnets, one per AZ.
func consumerNetwork(t *testing.T, ctx context.Context, w *world) (string, []string) {
	t.Helper()
	acct := w.account(t, "consumer").ID
	var vpc string
	var subnets []string
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		if v := wd.AccountVPC(acct, ""); v != nil {
			vpc = v.ID
		}
		for _, id := range sandbox.SortedKeys(wd.Subnets) {
			if wd.Subnets[id].VPCID == vpc {
				subnets = append(subnets, id)
			}
		}
	})
	if len(subnets) < 2 {
		t.Fatalf("consumer VPC %s has %d subnets", vpc, len(subnets))
	}
	return vpc, subnets
}

// TestNotificationErrors: what AWS refuses, classified with a cause and a
// hint a user can act on.
func TestNotificationErrors(t *testing.T) {
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	region := w.p.Region()
	provAcct := w.account(t, "provider").ID
	svc := w.availableService(t, ctx, true)
	topic, err := w.p.CreateTopic(ctx, "plain", nil)
	if err != nil {
		t.Fatal(err)
	}

	// A topic whose policy does not let vpce publish: refused by AWS.
	_, err = w.p.NotifyOnService(ctx, svc.ID, NotificationInput{TopicARN: topic.ARN})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTopicPolicy || !strings.Contains(e.Hint, "vpce.amazonaws.com") {
		t.Errorf("a topic without the grant: %#v", err)
	}
	// A topic that does not exist.
	_, err = w.p.NotifyOnService(ctx, svc.ID, NotificationInput{TopicARN: topic.ARN + "-gone"})
	if KindOf(err) != KindNotFound {
		t.Errorf("a topic that does not exist: %v", err)
	}
	// Bad input never reaches AWS.
	calls := w.rec.count(RoleProvider, "ec2:CreateVpcEndpointConnectionNotification")
	for _, in := range []NotificationInput{{TopicARN: "my-topic"}, {TopicARN: topic.ARN, Events: []ConnectionEventType{"Connected"}}} {
		if _, err := w.p.NotifyOnService(ctx, svc.ID, in); err == nil {
			t.Errorf("accepted %+v", in)
		}
	}
	if _, err := w.p.NotifyOnService(ctx, "svc-1", NotificationInput{TopicARN: topic.ARN}); err == nil || !strings.Contains(err.Error(), "vpce-svc-") {
		t.Errorf("a bad service ID: %v", err)
	}
	if got := w.rec.count(RoleProvider, "ec2:CreateVpcEndpointConnectionNotification"); got != calls {
		t.Errorf("bad input made %d AWS calls", got-calls)
	}

	// The consumer may not read the provider's topic: the resource policy,
	// not its own IAM policy, is what says no.
	_, err = w.c.DescribeTopic(ctx, topic.ARN)
	if !errors.As(err, &e) || e.Kind != KindAccessDenied || e.Action != "sns:GetTopicAttributes" || !strings.Contains(e.Cause, "another account") {
		t.Errorf("another account's topic: %#v", err)
	}
	// SQS: a queue deleted a moment ago keeps its name for a minute.
	q, err := w.p.CreateQueue(ctx, "events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.DeleteQueue(ctx, q.URL); err != nil {
		t.Fatal(err)
	}
	_, err = w.p.CreateQueue(ctx, "events", nil)
	if !errors.As(err, &e) || e.Kind != KindConflict || !e.Retryable || !strings.Contains(e.Hint, "Wait a minute") {
		t.Errorf("a name deleted a moment ago: %#v", err)
	}
	if _, err := w.p.Receive(ctx, q.URL, 0); KindOf(err) != KindNotFound {
		t.Errorf("receive from a deleted queue: %v", err)
	}
	// A policy plwiz will not override: an explicit Deny.
	deny := `{"Statement":[{"Sid":"NoVpce","Effect":"Deny","Principal":{"Service":"vpce.amazonaws.com"},"Action":"SNS:Publish","Resource":"*"}]}`
	check := CheckTopicForVPCE(Topic{ARN: topic.ARN, Policy: deny}, ServiceSourceARN(region, provAcct, svc.ID), provAcct)
	if check.OK || check.Fixed != "" || !strings.Contains(check.Problem, "NoVpce denies it") {
		t.Errorf("a Deny: %+v", check)
	}
	if ServiceSourceARN("cn-north-1", provAcct, svc.ID) != "arn:aws-cn:ec2:cn-north-1:"+provAcct+":vpc-endpoint-service/"+svc.ID {
		t.Errorf("source ARN partition: %s", ServiceSourceARN("cn-north-1", provAcct, svc.ID))
	}
}

func TestParseConnectionEvent(t *testing.T) {
	const event = `{"EventType":"Accept","ServiceId":"vpce-svc-0123456789abcdef0","VpcEndpointId":"vpce-0123456789abcdef0",` +
		`"VpcEndpointOwner":"222222222222","VpcEndpointState":"pendingAcceptance","ConnectionNotificationId":"vpce-nfn-0123456789abcdef0",` +
		`"ConnectionNotificationArn":"arn:aws:sns:us-east-1:111111111111:t","Time":"2026-01-02T03:04:05.000Z"}`
	want := ConnectionEvent{Type: EventAccept, ServiceID: "vpce-svc-0123456789abcdef0", EndpointID: "vpce-0123456789abcdef0",
		EndpointOwner: "222222222222", EndpointState: EndpointPendingAcceptance, NotificationID: "vpce-nfn-0123456789abcdef0",
		TopicARN: "arn:aws:sns:us-east-1:111111111111:t", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	envelope := `{"Type" : "Notification", "MessageId" : "m", "TopicArn" : "arn:aws:sns:us-east-1:111111111111:t", "Message" : ` +
		jsonQuote(event) + `, "Timestamp" : "2026-01-02T03:04:06.000Z"}`
	for name, body := range map[string]string{"envelope": envelope, "raw delivery": event} {
		if got := ParseConnectionEvent(body); got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	// Other spellings of the fields, and of the state.
	lower := `{"eventType":"reject","endpointServiceId":"vpce-svc-1234abcd","endpointId":"vpce-1234abcd","endpointState":"Rejected"}`
	if got := ParseConnectionEvent(lower); got.Type != EventReject || got.ServiceID != "vpce-svc-1234abcd" || got.EndpointID != "vpce-1234abcd" || got.EndpointState != EndpointRejected {
		t.Errorf("other spellings: %+v", got)
	}
	// What is not a connection event is kept as text, cleaned.
	for _, body := range []string{
		`{"Type":"SubscriptionConfirmation","Token":"x","Message":"You have chosen to subscribe"}`,
		"not json \x1b[31m",
		`{"EventType":"Exploded"}`,
	} {
		got := ParseConnectionEvent(body)
		if got.Type != "" || got.Raw == "" || strings.ContainsAny(got.Raw, "\x1b") {
			t.Errorf("%q: %+v", body, got)
		}
	}
	// Values of the wrong shape are dropped, not shown.
	bad := `{"EventType":"Connect","VpcEndpointId":"vpce-\u001b[2J","ServiceId":"svc","VpcEndpointOwner":"me","ConnectionNotificationArn":"x"}`
	if got := ParseConnectionEvent(bad); got.Type != EventConnect || got.EndpointID != "" || got.ServiceID != "" || got.EndpointOwner != "" || got.TopicARN != "" {
		t.Errorf("bad values kept: %+v", got)
	}
}

func jsonQuote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// TestNotificationPolicies: both roles may do everything an event-driven
// wait needs, and no more; SQS's batch delete is granted by its
// single-message action, and tagging on create by one statement.
func TestNotificationPolicies(t *testing.T) {
	for _, role := range []Role{RoleProvider, RoleConsumer} {
		p, err := IAMPolicy(role)
		if err != nil {
			t.Fatal(err)
		}
		actions := p.Actions()
		for _, a := range []string{"sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes", "sns:Subscribe", "sqs:CreateQueue", "sqs:TagQueue",
			"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SetQueueAttributes", "ec2:CreateVpcEndpointConnectionNotification",
			"ec2:DescribeVpcEndpointConnectionNotifications", "ec2:DeleteVpcEndpointConnectionNotifications"} {
			if !slices.Contains(actions, a) {
				t.Errorf("%s policy lacks %s", role, a)
			}
		}
		for _, a := range []string{"sqs:DeleteMessageBatch", "sqs:SendMessage", "sns:Publish", "ec2:ModifyVpcEndpointConnectionNotification"} {
			if slices.Contains(actions, a) {
				t.Errorf("%s policy grants %s, which plwiz never calls", role, a)
			}
		}
		sids := map[string]bool{}
		for _, st := range p.Statement {
			if sids[st.Sid] {
				t.Errorf("%s policy repeats Sid %s (IAM refuses that)", role, st.Sid)
			}
			sids[st.Sid] = true
		}
	}
}
