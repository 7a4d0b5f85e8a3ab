package awsops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/policydoc"
)

// Event-driven waits: a party that allows it gets the endpoint connection
// events of its service (provider) or endpoint (consumer) on an SNS topic
// with an SQS queue subscribed, and long-polls the queue instead of
// describing the connection every few seconds. topics.go is the topic,
// queues.go the queue and its events, notifications.go the EC2
// connection notification.

// topicsAPI is what topics.go needs from SNS.
type topicsAPI interface {
	CreateTopic(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	SetTopicAttributes(context.Context, *sns.SetTopicAttributesInput, ...func(*sns.Options)) (*sns.SetTopicAttributesOutput, error)
	DeleteTopic(context.Context, *sns.DeleteTopicInput, ...func(*sns.Options)) (*sns.DeleteTopicOutput, error)
	sns.ListTopicsAPIClient
	Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	Unsubscribe(context.Context, *sns.UnsubscribeInput, ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
}

// Topic is an SNS topic.
type Topic struct {
	ARN    string
	Owner  string // account ID
	Policy string // the access policy document
	// SubscriptionsConfirmed and SubscriptionsPending are SNS's counts.
	SubscriptionsConfirmed int
	SubscriptionsPending   int
}

// VPCEPrincipal is the service principal that publishes connection
// notifications.
const VPCEPrincipal = "vpce.amazonaws.com"

// snsPrincipal is the service principal that delivers to SQS queues.
const snsPrincipal = "sns.amazonaws.com"

// Sids of the statements plwiz adds to a topic's or queue's policy: a fix
// run twice replaces its own statement instead of adding another.
const (
	sidVPCEPublish = "PlwizVpcePublish"
	sidTopicSends  = "PlwizTopicSends"
)

var topicNameShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// CreateTopic creates (or, SNS being idempotent by name, finds) the topic
// name in this account and region, tagged. A topic of that name with
// other tags is an error (KindInvalidInput).
func (b *base) CreateTopic(ctx context.Context, name string, tags Tags) (Topic, error) {
	if !topicNameShape.MatchString(name) {
		return Topic{}, fmt.Errorf("create topic %s: a topic name is 1 to 256 letters, digits, hyphens and underscores", quoteInput(name))
	}
	if err := tags.validate(); err != nil {
		return Topic{}, fmt.Errorf("create topic %s: %w", name, err)
	}
	in := &sns.CreateTopicInput{Name: aws.String(name)}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		in.Tags = append(in.Tags, snstypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	var api topicsAPI = b.c.sns
	out, err := api.CreateTopic(b.with(ctx, opCreateTopic), in)
	if err != nil {
		return Topic{}, b.fail("create topic "+name, err)
	}
	return b.DescribeTopic(ctx, aws.ToString(out.TopicArn))
}

// DescribeTopic reads a topic's attributes. A topic that does not exist
// (or that another account's policy hides) is KindNotFound
// (KindAccessDenied).
func (b *base) DescribeTopic(ctx context.Context, arn string) (Topic, error) {
	if err := checkARN(arn, "sns"); err != nil {
		return Topic{}, fmt.Errorf("describe topic: %w", err)
	}
	var api topicsAPI = b.c.sns
	out, err := api.GetTopicAttributes(b.with(ctx, opGetTopicAttributes), &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		return Topic{}, b.fail("describe topic "+arn, err)
	}
	a := out.Attributes
	t := Topic{ARN: clean(a["TopicArn"]), Owner: clean(a["Owner"]), Policy: a["Policy"]}
	if t.ARN == "" {
		t.ARN = arn
	}
	t.SubscriptionsConfirmed, _ = strconv.Atoi(a["SubscriptionsConfirmed"])
	t.SubscriptionsPending, _ = strconv.Atoi(a["SubscriptionsPending"])
	return t, nil
}

// ListTopics lists the ARNs of the account's topics in the region, for
// choosing one.
func (b *base) ListTopics(ctx context.Context) ([]string, error) {
	var api topicsAPI = b.c.sns
	pages := sns.NewListTopicsPaginator(api, &sns.ListTopicsInput{})
	var out []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(b.with(ctx, opListTopics))
		if err != nil {
			return nil, b.fail("list topics", err)
		}
		for _, t := range page.Topics {
			out = append(out, str(t.TopicArn))
		}
	}
	return out, nil
}

// DeleteTopic deletes a topic and, with it, its subscriptions. A topic
// already gone is no error: teardown may run twice.
func (b *base) DeleteTopic(ctx context.Context, arn string) error {
	var api topicsAPI = b.c.sns
	_, err := api.DeleteTopic(b.with(ctx, opDeleteTopic), &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	return b.unlessGone("delete topic "+arn, err)
}

// unlessGone classifies err, except that a resource already gone is no
// error: deleting twice is what teardown does after a crash.
func (b *base) unlessGone(what string, err error) error {
	if err == nil {
		return nil
	}
	if err = b.fail(what, err); KindOf(err) == KindNotFound {
		return nil
	}
	return err
}

// PolicyCheck is what a check of a topic's or queue's policy found.
type PolicyCheck struct {
	OK bool
	// Problem says what the policy lacks, in words.
	Problem string
	// Fixed is the policy with plwiz's statement added; what Allow* would
	// set (shown to the user before asking).
	Fixed string
}

// ServiceSourceARN is the ARN vpce.amazonaws.com publishes a service's
// connection events on behalf of (the topic policy's aws:SourceArn).
func ServiceSourceARN(region, account, serviceID string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-endpoint-service/%s", awsid.PartitionOf(region), region, account, serviceID)
}

// EndpointSourceARN is the ARN vpce.amazonaws.com publishes an endpoint's
// connection events on behalf of.
func EndpointSourceARN(region, account, endpointID string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-endpoint/%s", awsid.PartitionOf(region), region, account, endpointID)
}

// CheckTopicForVPCE reports whether the topic's policy lets
// vpce.amazonaws.com publish connection events of source (a
// ServiceSourceARN or EndpointSourceARN) of account, as AWS's PrivateLink
// guide asks, and the policy that would.
func CheckTopicForVPCE(t Topic, source, account string) PolicyCheck {
	return checkPolicy(t.Policy, policydoc.Request{
		Caller: policydoc.Caller{Service: VPCEPrincipal}, Action: "SNS:Publish", Resource: t.ARN,
		Context: map[string]string{"aws:SourceArn": source, "aws:SourceAccount": account},
	}, policydoc.Statement{
		Sid: vpceSid(source), Effect: policydoc.Allow, Principal: &policydoc.Principal{Service: policydoc.Strings{VPCEPrincipal}},
		Action: policydoc.Strings{"SNS:Publish"}, Resource: policydoc.Strings{t.ARN},
		// The guide's confused-deputy guard: only this account's sources.
		Condition: map[string]map[string]policydoc.Strings{
			"ArnLike":      {"aws:SourceArn": {source}},
			"StringEquals": {"aws:SourceAccount": {account}},
		},
	}, fmt.Sprintf("the topic's policy does not let %s publish (SNS:Publish) connection events of %s", VPCEPrincipal, source))
}

// vpceSid is the Sid of the statement for one source: a topic that several
// services or endpoints notify (a team's alerts topic) gets a statement
// for each, and fixing it for one leaves the others' in place. IAM Sids
// are letters and digits only.
func vpceSid(source string) string {
	id := source[strings.LastIndex(source, "/")+1:]
	return sidVPCEPublish + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, id)
}

// checkPolicy evaluates req against a policy and, when it is not allowed,
// adds st to make it so.
func checkPolicy(policy string, req policydoc.Request, st policydoc.Statement, problem string) PolicyCheck {
	doc := policydoc.Document{Version: "2012-10-17"}
	if policy != "" {
		parsed, err := policydoc.Parse(policy)
		if err != nil {
			// A policy AWS stored but plwiz cannot read: replace nothing,
			// say so.
			return PolicyCheck{Problem: "plwiz cannot read the policy (" + err.Error() + "); fix it by hand"}
		}
		doc = parsed
	}
	d := doc.Evaluate(req)
	if d.Allowed {
		return PolicyCheck{OK: true}
	}
	if d.Denied {
		problem += fmt.Sprintf(" (statement %s denies it; plwiz will not override a Deny)", d.Statement)
		return PolicyCheck{Problem: problem}
	}
	doc.Upsert(st)
	return PolicyCheck{Problem: problem, Fixed: doc.JSON()}
}

// AllowVPCEPublish adds to the topic's policy the statement of
// CheckTopicForVPCE, after the user agreed; a policy that already allows
// it is left alone. It returns the topic as it is now.
func (b *base) AllowVPCEPublish(ctx context.Context, topicARN, source, account string) (Topic, error) {
	t, err := b.DescribeTopic(ctx, topicARN)
	if err != nil {
		return Topic{}, err
	}
	check := CheckTopicForVPCE(t, source, account)
	if check.OK {
		return t, nil
	}
	if check.Fixed == "" {
		return Topic{}, fmt.Errorf("allow %s to publish to %s: %s", VPCEPrincipal, topicARN, check.Problem)
	}
	var api topicsAPI = b.c.sns
	if _, err := api.SetTopicAttributes(b.with(ctx, opSetTopicAttributes), &sns.SetTopicAttributesInput{
		TopicArn: aws.String(topicARN), AttributeName: aws.String("Policy"), AttributeValue: aws.String(check.Fixed)}); err != nil {
		return Topic{}, b.fail("set the policy of topic "+topicARN, err)
	}
	t.Policy = check.Fixed
	return t, nil
}

// Subscribe subscribes an SQS queue to a topic and returns the
// subscription's ARN. In one account (plwiz's case) it is confirmed at
// once; a queue of another account subscribed by the topic's owner waits
// for the queue's owner to confirm (ErrPendingConfirmation).
func (b *base) Subscribe(ctx context.Context, topicARN, queueARN string) (string, error) {
	if err := checkARN(queueARN, "sqs"); err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	var api topicsAPI = b.c.sns
	out, err := api.Subscribe(b.with(ctx, opSubscribe), &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)})
	if err != nil {
		return "", b.fail("subscribe "+queueARN+" to "+topicARN, err)
	}
	arn := str(out.SubscriptionArn)
	if arn == "pending confirmation" {
		return "", fmt.Errorf("subscribe %s to %s: %w", queueARN, topicARN, ErrPendingConfirmation)
	}
	return arn, nil
}

// ErrPendingConfirmation: SNS waits for the queue's owner to confirm the
// subscription (the queue is in another account than the topic).
var ErrPendingConfirmation = errors.New("the subscription waits for the queue's owner to confirm it: subscribe from the queue's account instead")

// Unsubscribe removes a subscription; one already gone is no error.
func (b *base) Unsubscribe(ctx context.Context, subscriptionARN string) error {
	var api topicsAPI = b.c.sns
	_, err := api.Unsubscribe(b.with(ctx, opUnsubscribe), &sns.UnsubscribeInput{SubscriptionArn: aws.String(subscriptionARN)})
	return b.unlessGone("unsubscribe "+subscriptionARN, err)
}

// checkARN checks an ARN's shape and service before it reaches AWS.
func checkARN(s, service string) error {
	a, err := arn.Parse(s)
	if err != nil || a.Service != service || !awsid.IsAccount(a.AccountID) {
		return fmt.Errorf("%s is not an %s ARN (arn:PARTITION:%s:REGION:ACCOUNT:NAME)", quoteInput(s), service, service)
	}
	return nil
}
