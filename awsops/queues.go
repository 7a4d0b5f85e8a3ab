package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/policydoc"
)

// queuesAPI is what queues.go needs from SQS.
type queuesAPI interface {
	CreateQueue(context.Context, *sqs.CreateQueueInput, ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(context.Context, *sqs.SetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
	DeleteQueue(context.Context, *sqs.DeleteQueueInput, ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Queue is an SQS queue.
type Queue struct {
	URL    string
	ARN    string
	Policy string
	// Messages is SQS's approximate count of messages waiting.
	Messages int
}

// MaxWait is the longest ReceiveMessage long poll SQS allows.
const MaxWait = 20 * time.Second

// pollMargin is what a long poll leaves of the client's per-call timeout
// for the answer to come back.
const pollMargin = 5 * time.Second

var queueNameShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// CreateQueue creates (or finds: SQS is idempotent while the attributes
// match) a standard queue, tagged.
func (b *base) CreateQueue(ctx context.Context, name string, tags Tags) (Queue, error) {
	if !queueNameShape.MatchString(name) {
		return Queue{}, fmt.Errorf("create queue %s: a queue name is 1 to 80 letters, digits, hyphens and underscores", quoteInput(name))
	}
	if err := tags.validate(); err != nil {
		return Queue{}, fmt.Errorf("create queue %s: %w", name, err)
	}
	var api queuesAPI = b.c.sqs
	out, err := api.CreateQueue(b.with(ctx, opCreateQueue), &sqs.CreateQueueInput{QueueName: aws.String(name), Tags: maps.Clone(tags)})
	if err != nil {
		return Queue{}, b.fail("create queue "+name, err)
	}
	return b.DescribeQueue(ctx, str(out.QueueUrl))
}

// FindQueue finds the account's queue by name; found is false when there
// is none.
func (b *base) FindQueue(ctx context.Context, name string) (q Queue, found bool, err error) {
	var api queuesAPI = b.c.sqs
	out, err := api.GetQueueUrl(b.with(ctx, opGetQueueURL), &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		if err = b.fail("find queue "+name, err); KindOf(err) == KindNotFound {
			return Queue{}, false, nil
		}
		return Queue{}, false, err
	}
	q, err = b.DescribeQueue(ctx, str(out.QueueUrl))
	return q, err == nil, err
}

// DescribeQueue reads a queue's ARN, policy and message count.
func (b *base) DescribeQueue(ctx context.Context, url string) (Queue, error) {
	var api queuesAPI = b.c.sqs
	out, err := api.GetQueueAttributes(b.with(ctx, opGetQueueAttributes), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNamePolicy,
			sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return Queue{}, b.fail("describe queue "+url, err)
	}
	a := out.Attributes
	q := Queue{URL: clean(url), ARN: clean(a["QueueArn"]), Policy: a["Policy"]}
	q.Messages, _ = strconv.Atoi(a["ApproximateNumberOfMessages"])
	if err := checkARN(q.ARN, "sqs"); err != nil {
		return Queue{}, fmt.Errorf("describe queue %s: AWS answered a queue ARN that is not one: %w", url, err)
	}
	return q, nil
}

// DeleteQueue deletes a queue; one already gone is no error.
func (b *base) DeleteQueue(ctx context.Context, url string) error {
	var api queuesAPI = b.c.sqs
	_, err := api.DeleteQueue(b.with(ctx, opDeleteQueue), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	return b.unlessGone("delete queue "+url, err)
}

// CheckQueueForTopic reports whether the queue's policy lets the topic's
// deliveries in: SNS sends as sns.amazonaws.com on behalf of the topic
// (aws:SourceArn), and needs that grant even in the queue's own account.
func CheckQueueForTopic(q Queue, topicARN string) PolicyCheck {
	return checkPolicy(q.Policy, policydoc.Request{
		Caller: policydoc.Caller{Service: snsPrincipal}, Action: "sqs:SendMessage", Resource: q.ARN,
		Context: map[string]string{"aws:SourceArn": topicARN, "aws:SecureTransport": "true"},
	}, policydoc.Statement{
		Sid: sidTopicSends, Effect: policydoc.Allow, Principal: &policydoc.Principal{Service: policydoc.Strings{snsPrincipal}},
		Action: policydoc.Strings{"sqs:SendMessage"}, Resource: policydoc.Strings{q.ARN},
		Condition: map[string]map[string]policydoc.Strings{"ArnEquals": {"aws:SourceArn": {topicARN}}},
	}, fmt.Sprintf("the queue's policy does not let %s deliver messages of %s (sqs:SendMessage)", snsPrincipal, topicARN))
}

// AllowTopicToQueue adds to the queue's policy the statement of
// CheckQueueForTopic, after the user agreed; a policy that already allows
// it is left alone. It returns the queue as it is now.
func (b *base) AllowTopicToQueue(ctx context.Context, q Queue, topicARN string) (Queue, error) {
	check := CheckQueueForTopic(q, topicARN)
	if check.OK {
		return q, nil
	}
	if check.Fixed == "" {
		return Queue{}, fmt.Errorf("let %s deliver to %s: %s", topicARN, q.ARN, check.Problem)
	}
	var api queuesAPI = b.c.sqs
	if _, err := api.SetQueueAttributes(b.with(ctx, opSetQueueAttributes), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): check.Fixed}}); err != nil {
		return Queue{}, b.fail("set the policy of queue "+q.URL, err)
	}
	q.Policy = check.Fixed
	return q, nil
}

// ConnectionEventType is the kind of a connection notification event.
type ConnectionEventType string

// The events a connection notification can ask for.
const (
	EventConnect ConnectionEventType = "Connect" // the consumer created an endpoint
	EventAccept  ConnectionEventType = "Accept"  // the provider accepted it
	EventReject  ConnectionEventType = "Reject"  // the provider rejected it
	EventDelete  ConnectionEventType = "Delete"  // the consumer deleted it
)

// ConnectionEvents are all of them.
var ConnectionEvents = []ConnectionEventType{EventConnect, EventAccept, EventReject, EventDelete}

// ConnectionEvent is one message received from an events queue. A message
// plwiz could not read as a connection event (Type "") still means that
// something happened: a wait treats every event as "look now", and reads
// the truth from the endpoint or connection itself.
type ConnectionEvent struct {
	Type          ConnectionEventType
	ServiceID     string
	EndpointID    string
	EndpointOwner string
	EndpointState EndpointState
	// NotificationID is the connection notification that sent it.
	NotificationID string
	TopicARN       string
	Time           time.Time
	// Raw is the message's text (control characters stripped, bounded)
	// when it was not a readable connection event.
	Raw string

	messageID, receipt string
}

// Receive long-polls the queue for up to wait (at most MaxWait; 0 is one
// look) and returns the connection events that arrived, at most ten. The
// call returns as soon as a message is there, so a waiting party learns of
// the other's action within a second, for three calls a minute when
// nothing happens. Delete the events once handled (DeleteEvents), or SQS
// shows them again after its visibility timeout.
func (b *base) Receive(ctx context.Context, queueURL string, wait time.Duration) ([]ConnectionEvent, error) {
	// A long poll must end before the client's own deadline does.
	wait = min(max(wait, 0), MaxWait, b.c.timeout-pollMargin)
	var api queuesAPI = b.c.sqs
	out, err := api.ReceiveMessage(b.with(ctx, opReceiveMessage), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
		MaxNumberOfMessages: 10, WaitTimeSeconds: int32(wait / time.Second)})
	if err != nil {
		return nil, b.fail("receive events from "+queueURL, err)
	}
	events := make([]ConnectionEvent, 0, len(out.Messages))
	for _, m := range out.Messages {
		ev := ParseConnectionEvent(aws.ToString(m.Body))
		ev.messageID, ev.receipt = aws.ToString(m.MessageId), aws.ToString(m.ReceiptHandle)
		events = append(events, ev)
	}
	return events, nil
}

// DeleteEvents deletes received events from the queue, ten at a time.
// Handles that SQS refuses come back as a *PartialError.
func (b *base) DeleteEvents(ctx context.Context, queueURL string, events []ConnectionEvent) error {
	var api queuesAPI = b.c.sqs
	all := &PartialError{Service: sqs.ServiceID, Op: "DeleteMessageBatch"}
	for batch := range slices.Chunk(events, 10) {
		in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL)}
		for i, ev := range batch {
			if ev.receipt == "" {
				return fmt.Errorf("delete events: event %d was not received from a queue", i)
			}
			in.Entries = append(in.Entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(ev.receipt)})
		}
		out, err := api.DeleteMessageBatch(b.with(ctx, opDeleteMessageBatch), in)
		if err != nil {
			return b.fail("delete events from "+queueURL, err)
		}
		for _, f := range out.Failed {
			i, _ := strconv.Atoi(aws.ToString(f.Id))
			all.Items = append(all.Items, ItemError{ID: batch[i].messageID, Code: str(f.Code), Message: str(f.Message)})
		}
	}
	if len(all.Items) > 0 {
		all.Hint = "An event received too long ago (its visibility timeout passed) may be received again; it does no harm."
		return fmt.Errorf("delete events: %w", all)
	}
	return nil
}

// ParseConnectionEvent reads a message of an events queue: SNS's
// notification envelope (or a raw delivery) around the JSON document the
// connection notification published. AWS documents the events but not the
// document's field names, so the names are matched without regard to case
// and in the two spellings EC2 uses for the connection (VpcEndpointId and
// EndpointId...); every value is checked for its shape before it is kept.
func ParseConnectionEvent(body string) ConnectionEvent {
	raw := func() ConnectionEvent { return ConnectionEvent{Raw: clean(body)} }
	doc := body
	var ev ConnectionEvent
	var env map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &env) == nil {
		if typ := jsonField(env, "Type"); typ != "" {
			if typ != "Notification" {
				return raw() // e.g. a SubscriptionConfirmation
			}
			doc = jsonField(env, "Message")
			ev.TopicARN = jsonField(env, "TopicArn")
			ev.Time, _ = time.Parse(time.RFC3339, jsonField(env, "Timestamp"))
		}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &m) != nil {
		return raw()
	}
	typ, ok := fold(jsonField(m, "EventType", "Event", "ConnectionEvent"), ConnectionEvents...)
	if !ok {
		return raw()
	}
	ev.Type = typ
	if id := jsonField(m, "VpcEndpointId", "EndpointId"); awsid.EndpointID.Valid(id) {
		ev.EndpointID = id
	}
	if id := jsonField(m, "ServiceId", "EndpointServiceId", "VpcEndpointServiceId"); awsid.ServiceID.Valid(id) {
		ev.ServiceID = id
	}
	if acct := jsonField(m, "VpcEndpointOwner", "EndpointOwner"); awsid.IsAccount(acct) {
		ev.EndpointOwner = acct
	}
	if st, ok := ParseEndpointState(jsonField(m, "VpcEndpointState", "EndpointState", "State")); ok {
		ev.EndpointState = st
	}
	if id := jsonField(m, "ConnectionNotificationId"); strings.HasPrefix(id, "vpce-nfn-") {
		ev.NotificationID = clean(id)
	}
	if arn := jsonField(m, "ConnectionNotificationArn"); checkARN(arn, "sns") == nil {
		ev.TopicARN = clean(arn)
	}
	if t, err := time.Parse(time.RFC3339, jsonField(m, "Time", "Timestamp")); err == nil {
		ev.Time = t
	}
	if ev.TopicARN != "" && checkARN(ev.TopicARN, "sns") != nil {
		ev.TopicARN = ""
	}
	return ev
}

// jsonField returns the first of names that the object holds as a string,
// names matched without regard to case.
func jsonField(m map[string]json.RawMessage, names ...string) string {
	for _, name := range names {
		for k, v := range m {
			if strings.EqualFold(k, name) {
				var s string
				if json.Unmarshal(v, &s) == nil {
					return s
				}
			}
		}
	}
	return ""
}
