package sandbox_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// nsEnv is a sandbox with SNS and SQS clients per party.
type nsEnv struct {
	*plEnv
	provSNS, consSNS *sns.Client
	provSQS, consSQS *sqs.Client
}

func newNSEnv(t *testing.T, o sbtest.Options) *nsEnv {
	t.Helper()
	e := newPLEnv(t, o)
	return &nsEnv{plEnv: e,
		provSNS: sns.NewFromConfig(e.Config(t, "provider")), consSNS: sns.NewFromConfig(e.Config(t, "consumer")),
		provSQS: sqs.NewFromConfig(e.Config(t, "provider")), consSQS: sqs.NewFromConfig(e.Config(t, "consumer")),
	}
}

// queuePolicy lets topicARN's SNS deliveries into queueARN, as SNS needs.
func queuePolicy(queueARN, topicARN string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TopicSends","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},`+
		`"Action":"sqs:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, queueARN, topicARN)
}

func (e *nsEnv) topic(t *testing.T, c *sns.Client, name string) string {
	t.Helper()
	out, err := c.CreateTopic(e.ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return *out.TopicArn
}

// queue creates a queue and returns its URL and ARN.
func (e *nsEnv) queue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (string, string) {
	t.Helper()
	out, err := c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	a, err := c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatalf("queue %s arn: %v", name, err)
	}
	return *out.QueueUrl, a.Attributes["QueueArn"]
}

func (e *nsEnv) receive(t *testing.T, c *sqs.Client, url string, wait int32) []sqstypes.Message {
	t.Helper()
	out, err := c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: wait,
		MaxNumberOfMessages: 10, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatalf("receive from %s: %v", url, err)
	}
	return out.Messages
}

func TestSNSTopics(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	arn := e.topic(t, e.provSNS, "plwiz-events")
	if want := "arn:aws:sns:us-east-1:" + e.provAcct.ID + ":plwiz-events"; arn != want {
		t.Fatalf("topic ARN %s, want %s", arn, want)
	}
	// Idempotent by name.
	if again := e.topic(t, e.provSNS, "plwiz-events"); again != arn {
		t.Errorf("second CreateTopic gave %s", again)
	}
	attrs, err := e.provSNS.GetTopicAttributes(e.ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	a := attrs.Attributes
	if a["TopicArn"] != arn || a["Owner"] != e.provAcct.ID || a["SubscriptionsConfirmed"] != "0" || a["SubscriptionsPending"] != "0" ||
		!strings.Contains(a["Policy"], `"AWS:SourceOwner":"`+e.provAcct.ID+`"`) || a["EffectiveDeliveryPolicy"] == "" {
		t.Errorf("attributes: %v", a)
	}

	// A policy that differs from the topic's makes CreateTopic refuse.
	_, err = e.provSNS.CreateTopic(e.ctx, &sns.CreateTopicInput{Name: aws.String("plwiz-events"),
		Attributes: map[string]string{"Policy": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"SNS:Publish","Resource":"*"}]}`}})
	plAPIError(t, err, "InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
	_, err = e.provSNS.CreateTopic(e.ctx, &sns.CreateTopicInput{Name: aws.String("bad.name")})
	plAPIError(t, err, "InvalidParameter", "Invalid parameter: Topic Name")
	_, err = e.provSNS.GetTopicAttributes(e.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn + "-gone")})
	plAPIError(t, err, "NotFound", "Topic does not exist")
	var nf *snstypes.NotFoundException
	if !errorsAs(err, &nf) {
		t.Errorf("NotFound is not the SDK's NotFoundException: %T", err)
	}
	_, err = e.provSNS.SetTopicAttributes(e.ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("Policy"), AttributeValue: aws.String("{")})
	if msg := plAPIError(t, err, "InvalidParameter", ""); !strings.HasPrefix(msg, "Invalid parameter: Policy Error: ") {
		t.Errorf("bad policy message %q", msg)
	}

	// Another account may not use the topic until its policy says so.
	_, err = e.consSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &arn, Message: aws.String("hi")})
	msg := plAPIError(t, err, "AuthorizationError", "")
	if !strings.Contains(msg, "User: arn:aws:iam::"+e.consAcct.ID+":user/plwiz-consumer is not authorized to perform: SNS:Publish on resource: "+arn) {
		t.Errorf("authorization message %q", msg)
	}
	open := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},"Action":"SNS:Publish","Resource":%q}]}`, e.consAcct.ID, arn)
	if _, err := e.provSNS.SetTopicAttributes(e.ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("Policy"), AttributeValue: &open}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.consSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &arn, Message: aws.String("hi")}); err != nil {
		t.Errorf("publish allowed by the policy: %v", err)
	}
	_, err = e.consSNS.GetTopicAttributes(e.ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	plAPIError(t, err, "AuthorizationError", "")

	// Tags, and the listing of the account's topics.
	if _, err := e.provSNS.TagResource(e.ctx, &sns.TagResourceInput{ResourceArn: &arn, Tags: []snstypes.Tag{{Key: aws.String("plwiz:session"), Value: aws.String("s1")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.provSNS.ListTagsForResource(e.ctx, &sns.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "plwiz:session" || *tags.Tags[0].Value != "s1" {
		t.Errorf("tags %v, %v", tags, err)
	}
	_, err = e.provSNS.ListTagsForResource(e.ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn + "x")})
	plAPIError(t, err, "ResourceNotFound", "Resource does not exist")
	for i := range 102 {
		e.topic(t, e.provSNS, fmt.Sprintf("t%03d", i))
	}
	var listed []string
	pages := sns.NewListTopicsPaginator(e.provSNS, &sns.ListTopicsInput{})
	for pages.HasMorePages() {
		p, err := pages.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range p.Topics {
			listed = append(listed, *tp.TopicArn)
		}
	}
	if len(listed) != 103 {
		t.Errorf("listed %d topics, want 103", len(listed))
	}
	if out, err := e.consSNS.ListTopics(e.ctx, &sns.ListTopicsInput{}); err != nil || len(out.Topics) != 0 {
		t.Errorf("the consumer lists the provider's topics: %v %v", out, err)
	}

	if _, err := e.provSNS.DeleteTopic(e.ctx, &sns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatal(err)
	}
	_, err = e.provSNS.DeleteTopic(e.ctx, &sns.DeleteTopicInput{TopicArn: &arn})
	plAPIError(t, err, "NotFound", "Topic does not exist")
}

func TestSQSQueues(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	url, arn := e.queue(t, e.provSQS, "plwiz-events", map[string]string{"VisibilityTimeout": "60"})
	if want := e.URL + "/" + e.provAcct.ID + "/plwiz-events"; url != want {
		t.Errorf("queue URL %s, want %s", url, want)
	}
	if arn != "arn:aws:sqs:us-east-1:"+e.provAcct.ID+":plwiz-events" {
		t.Errorf("queue ARN %s", arn)
	}
	// Same name and attributes: the same queue; another value: refused.
	if again, _ := e.queue(t, e.provSQS, "plwiz-events", map[string]string{"VisibilityTimeout": "60"}); again != url {
		t.Errorf("second CreateQueue gave %s", again)
	}
	_, err := e.provSQS.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("plwiz-events"), Attributes: map[string]string{"VisibilityTimeout": "5"}})
	plAPIError(t, err, "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute VisibilityTimeout")
	var exists *sqstypes.QueueNameExists
	if !errorsAs(err, &exists) {
		t.Errorf("QueueAlreadyExists is not the SDK's QueueNameExists: %T", err)
	}
	_, err = e.provSQS.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"Policy": "{"}})
	plAPIError(t, err, "InvalidAttributeValue", "")
	_, err = e.provSQS.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"Bogus": "1"}})
	plAPIError(t, err, "InvalidAttributeName", "Unknown Attribute Bogus.")

	got, err := e.provSQS.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("plwiz-events")})
	if err != nil || *got.QueueUrl != url {
		t.Errorf("GetQueueUrl: %v %v", got, err)
	}
	_, err = e.consSQS.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("plwiz-events"), QueueOwnerAWSAccountId: aws.String(e.provAcct.ID)})
	plAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
	var dne *sqstypes.QueueDoesNotExist
	if !errorsAs(err, &dne) {
		t.Errorf("NonExistentQueue is not the SDK's QueueDoesNotExist: %T", err)
	}
	_, err = e.consSQS.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	plAPIError(t, err, "AccessDenied", "Access to the resource "+url+" is denied.")

	// Attributes: computed ones, set ones, the policy.
	policy := queuePolicy(arn, "arn:aws:sns:us-east-1:"+e.provAcct.ID+":t")
	if _, err := e.provSQS.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Policy": policy}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.provSQS.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"QueueArn": "x"}})
	plAPIError(t, err, "InvalidAttributeName", "Unknown Attribute QueueArn.")
	_, err = e.provSQS.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"ReceiveMessageWaitTimeSeconds": "21"}})
	plAPIError(t, err, "InvalidAttributeValue", "Invalid value for the parameter ReceiveMessageWaitTimeSeconds.")
	all, err := e.provSQS.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if a := all.Attributes; a["Policy"] != policy || a["QueueArn"] != arn || a["VisibilityTimeout"] != "60" || a["ApproximateNumberOfMessages"] != "0" ||
		a["MessageRetentionPeriod"] != "345600" || a["CreatedTimestamp"] == "" {
		t.Errorf("attributes %v", a)
	}

	// Send, receive, hide, delete.
	sent, err := e.provSQS.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("hello"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("test")}}})
	if err != nil {
		t.Fatal(err)
	}
	// MD5OfMessageAttributes as SQS computes it (a value other SQS
	// emulators and SDK test suites agree on).
	num, err := e.provSQS.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 900,
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"timestamp": {DataType: aws.String("Number"), StringValue: aws.String("1493147359900")}}})
	if err != nil || *num.MD5OfMessageAttributes != "235c5c510d26fb653d073faed50ae77c" {
		t.Errorf("MD5OfMessageAttributes %v %v", num, err)
	}
	msgs := e.receive(t, e.provSQS, url, 0)
	if len(msgs) != 1 || *msgs[0].Body != "hello" || *msgs[0].MessageId != *sent.MessageId || msgs[0].Attributes["ApproximateReceiveCount"] != "1" ||
		*msgs[0].MessageAttributes["kind"].StringValue != "test" || *msgs[0].MD5OfMessageAttributes != *sent.MD5OfMessageAttributes {
		t.Fatalf("received %+v", msgs)
	}
	if again := e.receive(t, e.provSQS, url, 0); len(again) != 0 {
		t.Errorf("a message in flight was received again: %+v", again)
	}
	counts, _ := e.provSQS.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if counts.Attributes["ApproximateNumberOfMessages"] != "0" || counts.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("counts %v", counts.Attributes)
	}
	e.Advance(t, 61*time.Second)
	again := e.receive(t, e.provSQS, url, 0)
	if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" || *again[0].ReceiptHandle == *msgs[0].ReceiptHandle {
		t.Fatalf("after the visibility timeout: %+v", again)
	}
	// The first receive's handle is stale: accepted, deletes nothing.
	if _, err := e.provSQS.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = e.provSQS.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	plAPIError(t, err, "ReceiptHandleIsInvalid", `The input receipt handle "garbage" is not a valid receipt handle.`)
	batch, err := e.provSQS.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: again[0].ReceiptHandle}, {Id: aws.String("b"), ReceiptHandle: aws.String("garbage")}}})
	if err != nil || len(batch.Successful) != 1 || *batch.Successful[0].Id != "a" || len(batch.Failed) != 1 ||
		*batch.Failed[0].Id != "b" || *batch.Failed[0].Code != "ReceiptHandleIsInvalid" || !batch.Failed[0].SenderFault {
		t.Fatalf("delete batch: %+v %v", batch, err)
	}
	_, err = e.provSQS.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: aws.String("x")}, {Id: aws.String("a"), ReceiptHandle: aws.String("y")}}})
	plAPIError(t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.")
	e.Advance(t, 61*time.Second)
	if left := e.receive(t, e.provSQS, url, 0); len(left) != 0 {
		t.Errorf("deleted message came back: %+v", left)
	}
	_, err = e.provSQS.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
	plAPIError(t, err, "InvalidParameterValue", "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")

	// Tags.
	if _, err := e.provSQS.TagQueue(e.ctx, &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"plwiz:session": "s1"}}); err != nil {
		t.Fatal(err)
	}
	if tags, err := e.provSQS.ListQueueTags(e.ctx, &sqs.ListQueueTagsInput{QueueUrl: &url}); err != nil || tags.Tags["plwiz:session"] != "s1" {
		t.Errorf("tags %v %v", tags, err)
	}

	// Deleted: gone, and its name refused for 60 seconds.
	if _, err := e.provSQS.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = e.provSQS.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url})
	plAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
	_, err = e.provSQS.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("plwiz-events")})
	plAPIError(t, err, "AWS.SimpleQueueService.QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	e.Advance(t, time.Minute)
	e.queue(t, e.provSQS, "plwiz-events", nil)
}

// TestSNSDeliversToSQS: Publish reaches a subscribed queue as SNS's signed
// envelope (or raw), only when the queue's policy lets the topic send.
func TestSNSDeliversToSQS(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	topic := e.topic(t, e.provSNS, "events")
	url, arn := e.queue(t, e.provSQS, "events", nil)
	rawURL, rawARN := e.queue(t, e.provSQS, "events-raw", map[string]string{"Policy": queuePolicy("arn:aws:sqs:us-east-1:"+e.provAcct.ID+":events-raw", topic)})
	sub, err := e.provSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &arn})
	if err != nil || !strings.HasPrefix(*sub.SubscriptionArn, topic+":") {
		t.Fatalf("subscribe: %v %v", sub, err)
	}
	again, err := e.provSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &arn})
	if err != nil || *again.SubscriptionArn != *sub.SubscriptionArn {
		t.Errorf("Subscribe is not idempotent: %v %v", again, err)
	}
	if _, err := e.provSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &rawARN,
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.provSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("carrier-pigeon"), Endpoint: &arn})
	plAPIError(t, err, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon")
	_, err = e.provSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: aws.String("my-queue")})
	plAPIError(t, err, "InvalidParameter", "Invalid parameter: SQS endpoint ARN")

	// The first queue has no policy: SNS may not send to it.
	_, err = e.provSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("one"), Subject: aws.String("s"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.receive(t, e.provSQS, url, 0); len(got) != 0 {
		t.Errorf("delivered to a queue whose policy does not allow the topic: %+v", got)
	}
	raw := e.receive(t, e.provSQS, rawURL, 0)
	if len(raw) != 1 || *raw[0].Body != "one" || raw[0].Attributes["SenderId"] != "AIDAIT2UOQQY3AUEKVGXU" || *raw[0].MessageAttributes["k"].StringValue != "v" {
		t.Fatalf("raw delivery: %+v", raw)
	}
	// A policy for another topic does not let this one in either.
	if _, err := e.provSQS.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"Policy": queuePolicy(arn, topic+"-other")}}); err != nil {
		t.Fatal(err)
	}
	e.provSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("two")})
	if got := e.receive(t, e.provSQS, url, 0); len(got) != 0 {
		t.Errorf("delivered with another topic's grant: %+v", got)
	}
	if _, err := e.provSQS.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"Policy": queuePolicy(arn, topic)}}); err != nil {
		t.Fatal(err)
	}
	pub, err := e.provSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String(`{"x":"<&>"}`), Subject: aws.String("three")})
	if err != nil {
		t.Fatal(err)
	}
	got := e.receive(t, e.provSQS, url, 0)
	if len(got) != 1 {
		t.Fatalf("envelope delivery: %d messages", len(got))
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(*got[0].Body), &env); err != nil {
		t.Fatalf("envelope is not JSON: %v\n%s", err, *got[0].Body)
	}
	if env["Type"] != "Notification" || env["MessageId"] != *pub.MessageId || env["TopicArn"] != topic || env["Message"] != `{"x":"<&>"}` ||
		env["Subject"] != "three" || env["SignatureVersion"] != "1" || !strings.HasPrefix(env["UnsubscribeURL"], e.URL+"/?Action=Unsubscribe&SubscriptionArn=") {
		t.Fatalf("envelope %v", env)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", env["Timestamp"]); err != nil {
		t.Errorf("Timestamp %q: %v", env["Timestamp"], err)
	}
	// The signature checks out against the certificate at SigningCertURL,
	// as SNS's own verification procedure reads it.
	verifySNSSignature(t, env, "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")

	// The UnsubscribeURL works without credentials, as AWS's does.
	resp, err := http.Get(env["UnsubscribeURL"])
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET UnsubscribeURL: %v %v", resp, err)
	}
	resp.Body.Close()
	subs, err := e.provSNS.ListSubscriptionsByTopic(e.ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if err != nil || len(subs.Subscriptions) != 1 || *subs.Subscriptions[0].Endpoint != rawARN {
		t.Errorf("after unsubscribing: %+v %v", subs, err)
	}
	attrs, _ := e.provSNS.GetTopicAttributes(e.ctx, &sns.GetTopicAttributesInput{TopicArn: &topic})
	if attrs.Attributes["SubscriptionsConfirmed"] != "1" || attrs.Attributes["SubscriptionsDeleted"] != "1" {
		t.Errorf("subscription counts %v", attrs.Attributes)
	}
}

func verifySNSSignature(t *testing.T, env map[string]string, fields ...string) {
	t.Helper()
	resp, err := http.Get(env["SigningCertURL"])
	if err != nil {
		t.Fatalf("GET SigningCertURL: %v", err)
	}
	defer resp.Body.Close()
	pemBytes, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("SigningCertURL served no PEM: %q", pemBytes)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range fields {
		if v, ok := env[f]; ok {
			b.WriteString(f + "\n" + v + "\n")
		}
	}
	sig, err := base64.StdEncoding.DecodeString(env["Signature"])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(b.String())) //nolint:gosec
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA1, sum[:], sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

// TestSNSCrossAccountSubscription: a topic owner subscribing another
// account's queue needs the queue to confirm; the queue's owner
// subscribing to another account's topic does not.
func TestSNSCrossAccountSubscription(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	topic := e.topic(t, e.provSNS, "events")
	qARN := "arn:aws:sqs:us-east-1:" + e.consAcct.ID + ":inbox"
	url, _ := e.queue(t, e.consSQS, "inbox", map[string]string{"Policy": queuePolicy(qARN, topic)})
	sub, err := e.provSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &qARN})
	if err != nil || *sub.SubscriptionArn != "pending confirmation" {
		t.Fatalf("subscribe another account's queue: %v %v", sub, err)
	}
	got := e.receive(t, e.consSQS, url, 0)
	if len(got) != 1 {
		t.Fatalf("no confirmation message: %+v", got)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(*got[0].Body), &env); err != nil || env["Type"] != "SubscriptionConfirmation" || env["Token"] == "" {
		t.Fatalf("confirmation %v %v", env, err)
	}
	verifySNSSignature(t, env, "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
	e.provSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("before")})
	e.Advance(t, time.Minute) // let the confirmation message be seen again
	if got := e.receive(t, e.consSQS, url, 0); len(got) != 1 || !strings.Contains(*got[0].Body, "SubscriptionConfirmation") {
		t.Fatalf("a pending subscription delivered: %+v", got)
	}
	conf, err := e.consSNS.ConfirmSubscription(e.ctx, &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(env["Token"])})
	if err != nil || !strings.HasPrefix(*conf.SubscriptionArn, topic+":") {
		t.Fatalf("confirm: %v %v", conf, err)
	}
	e.provSNS.Publish(e.ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("after")})
	e.Advance(t, time.Minute)
	var bodies []string
	for _, m := range e.receive(t, e.consSQS, url, 0) {
		bodies = append(bodies, *m.Body)
	}
	if len(bodies) != 2 || !strings.Contains(strings.Join(bodies, " "), `"Message" : "after"`) {
		t.Errorf("after confirming: %q", bodies)
	}

	// The queue's owner subscribes it to the provider's topic itself:
	// confirmed at once (the topic's policy lets it subscribe).
	policy := fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["SNS:Subscribe"],"Resource":%q}]}`, e.consAcct.ID, topic)
	if _, err := e.provSNS.SetTopicAttributes(e.ctx, &sns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("Policy"), AttributeValue: &policy}); err != nil {
		t.Fatal(err)
	}
	q2 := "arn:aws:sqs:us-east-1:" + e.consAcct.ID + ":inbox2"
	own, err := e.consSNS.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: &q2})
	if err != nil || !strings.HasPrefix(*own.SubscriptionArn, topic+":") {
		t.Errorf("the queue owner's subscription: %v %v", own, err)
	}
}

// TestLongPoll: a ReceiveMessage waiting with WaitTimeSeconds returns as
// soon as a message is sent, and an empty one returns when its time is up.
func TestLongPoll(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	url, _ := e.queue(t, e.provSQS, "waits", nil)

	start := time.Now()
	if got := e.receive(t, e.provSQS, url, 1); len(got) != 0 {
		t.Fatalf("empty queue gave %+v", got)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("a 1 s long poll returned after %v", waited)
	}

	type result struct {
		msgs []sqstypes.Message
		err  error
	}
	done := make(chan result, 1)
	// The wait must end with the message, long before its 20 seconds.
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	go func() {
		out, err := e.provSQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{msgs: out.Messages}
	}()
	waitForLongPolls(t, e.SB, 1)
	if _, err := e.provSQS.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || len(r.msgs) != 1 || *r.msgs[0].Body != "wake" {
		t.Fatalf("long poll: %+v %v", r.msgs, r.err)
	}
}

// waitForLongPolls waits until n ReceiveMessage calls are blocked in the
// sandbox, so what a test does next happens while they wait.
func waitForLongPolls(t *testing.T, sb *sandbox.Sandbox, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for sb.LongPolls() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d long polls waiting, want %d", sb.LongPolls(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSQSQueryProtocol: the AWS Query protocol older clients (the AWS CLI
// Debian ships) speak to SQS: flattened lists and maps in, XML out, and
// SQS's query error codes.
func TestSQSQueryProtocol(t *testing.T) {
	e := newNSEnv(t, sbtest.Options{})
	call := func(body string) (int, string) {
		status, text, _ := rawCall(t, e.Env, "provider", "sqs", "POST", "/", body+"&Version=2012-11-05")
		return status, text
	}
	status, body := call("Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.1.Key=k&Tag.1.Value=v")
	url := e.URL + "/" + e.provAcct.ID + "/q"
	if status != 200 || !strings.Contains(body, `<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>`+url+`</QueueUrl>`) {
		t.Fatalf("CreateQueue: %d %s", status, body)
	}
	q := "&QueueUrl=" + url
	if _, body = call("Action=GetQueueAttributes&AttributeName.1=VisibilityTimeout" + q); !strings.Contains(body, "<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>") {
		t.Errorf("GetQueueAttributes: %s", body)
	}
	if _, body = call("Action=ListQueueTags" + q); !strings.Contains(body, "<Tag><Key>k</Key><Value>v</Value></Tag>") {
		t.Errorf("ListQueueTags: %s", body)
	}
	if _, body = call("Action=SendMessage&MessageBody=hi&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=b" + q); !strings.Contains(body, "<MD5OfMessageBody>49f68a5c8493ec2c0bf489821c21fc3b</MD5OfMessageBody>") {
		t.Errorf("SendMessage: %s", body)
	}
	_, body = call("Action=ReceiveMessage&AttributeName.1=All&MessageAttributeName.1=All" + q)
	for _, want := range []string{"<ReceiveMessageResult><Message><MessageId>", "<Body>hi</Body>", "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>",
		"<MessageAttribute><Name>a</Name><Value><StringValue>b</StringValue><DataType>String</DataType></Value></MessageAttribute>"} {
		if !strings.Contains(body, want) {
			t.Errorf("ReceiveMessage lacks %s: %s", want, body)
		}
	}
	status, body = call("Action=GetQueueUrl&QueueName=nope")
	if status != 400 || !strings.Contains(body, "<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message>") {
		t.Errorf("GetQueueUrl of no queue: %d %s", status, body)
	}
}
