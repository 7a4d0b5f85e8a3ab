package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/plwiz/plwiz/policydoc"
)

// SNS over the AWS Query protocol, as the 2010-03-31 API model describes
// it: topics with their access policy, SQS subscriptions (confirmed at once
// when the queue's owner subscribes, else by a confirmation message sent to
// the queue), tags, and Publish delivering the notification envelope, or
// the raw message, to each queue whose policy lets the topic send.

const nsSNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// snsSenderID is the SenderId SQS shows on messages SNS delivered: the ID
// of SNS's own principal, the same in every account.
const snsSenderID = "AIDAIT2UOQQY3AUEKVGXU"

// snsHandlers serve the SNS actions plwiz and the AWS CLI use.
func snsHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"CreateTopic":              snsCreateTopic,
		"DeleteTopic":              snsDeleteTopic,
		"ListTopics":               snsListTopics,
		"GetTopicAttributes":       snsGetTopicAttributes,
		"SetTopicAttributes":       snsSetTopicAttributes,
		"Subscribe":                snsSubscribe,
		"ConfirmSubscription":      snsConfirmSubscription,
		"Unsubscribe":              snsUnsubscribe,
		"ListSubscriptionsByTopic": snsListSubscriptionsByTopic,
		"TagResource":              snsTagResource,
		"UntagResource":            snsUntagResource,
		"ListTagsForResource":      snsListTagsForResource,
		"Publish":                  snsPublish,
	}
}

// SNS errors, with SNS's codes and texts.
func errSNSInvalid(what string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: %s", what)
}

func errSNSNotFound(msg string) *APIError {
	return Errorf(http.StatusNotFound, "NotFound", "%s", msg)
}

func errSNSAuthorization(c *call, action, resource string) *APIError {
	return Errorf(http.StatusForbidden, "AuthorizationError",
		"User: %s is not authorized to perform: SNS:%s on resource: %s because no resource-based policy allows the SNS:%s action",
		c.callerARN(), action, resource, action)
}

var topicName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`) })

// snsMap decodes an SNS query map: Prefix.entry.N.key / .value.
func snsMap(p Params, prefix string) map[string]string {
	out := map[string]string{}
	for _, i := range p.Indexes(prefix + ".entry") {
		base := fmt.Sprintf("%s.entry.%d.", prefix, i)
		out[p.Get(base+"key")] = p.Get(base + "value")
	}
	return out
}

// snsTags decodes Tags.member.N.Key / .Value and checks SNS's limits.
func snsTags(p Params, prefix string) ([]Tag, *APIError) {
	var tags []Tag
	for _, i := range p.Indexes(prefix + ".member") {
		base := fmt.Sprintf("%s.member.%d.", prefix, i)
		tags = append(tags, Tag{Key: p.Get(base + "Key"), Value: p.Get(base + "Value")})
	}
	for _, t := range tags {
		switch {
		case t.Key == "" || len(t.Key) > 128:
			return nil, errSNSInvalid("Tags Reason: A tag key must be 1 to 128 characters long")
		case len(t.Value) > 256:
			return nil, errSNSInvalid("Tags Reason: A tag value must be at most 256 characters long")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return nil, errSNSInvalid("Tags Reason: Tag keys starting with aws: are reserved")
		}
	}
	if len(tags) > 50 {
		return nil, Errorf(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return tags, nil
}

// defaultTopicPolicy is the policy SNS gives a topic created without one:
// every SNS action for the owner's account, nothing for services.
func defaultTopicPolicy(arn, owner string) string {
	return policydoc.Document{
		Version: "2008-10-17", ID: "__default_policy_ID",
		Statement: []policydoc.Statement{{
			Sid: "__default_statement_ID", Effect: policydoc.Allow,
			Principal: &policydoc.Principal{AWS: policydoc.Strings{"*"}},
			Action: policydoc.Strings{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
				"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			Resource:  policydoc.Strings{arn},
			Condition: map[string]map[string]policydoc.Strings{"StringEquals": {"AWS:SourceOwner": {owner}}},
		}},
	}.JSON()
}

// checkTopicAttribute validates one settable topic attribute.
func checkTopicAttribute(name, value string) *APIError {
	switch name {
	case "Policy":
		if _, err := policydoc.Parse(value); err != nil {
			return errSNSInvalid("Policy Error: " + err.Error())
		}
	case "DisplayName":
		if len(value) > 100 {
			return errSNSInvalid("DisplayName")
		}
	case "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig", "FifoTopic", "ArchivePolicy",
		"ContentBasedDeduplication", "DataProtectionPolicy":
		return errSNSInvalid(fmt.Sprintf("Attributes Reason: the sandbox does not emulate the topic attribute %s (it emulates Policy and DisplayName)", name))
	default:
		return errSNSInvalid("AttributeName")
	}
	return nil
}

type snsTopicArn struct {
	TopicArn string `xml:"TopicArn"`
}

func snsCreateTopic(c *call) (any, error) {
	p := c.Params
	name := p.Get("Name")
	if !topicName().MatchString(name) {
		return nil, errSNSInvalid("Topic Name")
	}
	attrs := snsMap(p, "Attributes")
	for k, v := range attrs {
		if aerr := checkTopicAttribute(k, v); aerr != nil {
			return nil, aerr
		}
	}
	tags, aerr := snsTags(p, "Tags")
	if aerr != nil {
		return nil, aerr
	}
	n := c.w.notify()
	arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", c.Region, c.Account.ID, name)
	if t := n.Topics[arn]; t != nil {
		// CreateTopic is idempotent for the same name and attributes.
		for k, v := range attrs {
			if (k == "Policy" && !samePolicy(v, t.Policy)) || (k == "DisplayName" && v != t.DisplayName) {
				return nil, errSNSInvalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		if len(tags) > 0 && !sameTags(tags, t.Tags) {
			return nil, errSNSInvalid("Tags Reason: Topic already exists with different tags")
		}
		return snsTopicArn{TopicArn: arn}, nil
	}
	t := &Topic{ARN: arn, Name: name, Owner: c.Account.ID, DisplayName: attrs["DisplayName"], Tags: tags, CreatedAt: c.Now}
	t.Policy = attrs["Policy"]
	if t.Policy == "" {
		t.Policy = defaultTopicPolicy(arn, c.Account.ID)
	}
	n.Topics[arn] = t
	return snsTopicArn{TopicArn: arn}, nil
}

// samePolicy compares two policies as documents, not as text.
func samePolicy(a, b string) bool {
	da, erra := policydoc.Parse(a)
	db, errb := policydoc.Parse(b)
	if erra != nil || errb != nil {
		return a == b
	}
	return da.JSON() == db.JSON()
}

func sameTags(a, b []Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for _, t := range a {
		if !slices.Contains(b, t) {
			return false
		}
	}
	return true
}

// topicFor resolves a topic ARN parameter and checks the caller may do
// action on it: its owner always, another account when the topic's policy
// allows it.
func topicFor(c *call, param, action string) (*Topic, *APIError) {
	arn := c.Params.Get(param)
	if arn == "" {
		return nil, errSNSInvalid(param)
	}
	region, _, _, ok := arnParts(arn, "sns")
	if !ok || region != c.Region {
		return nil, errSNSInvalid(param)
	}
	t := c.w.notify().Topics[arn]
	if t == nil {
		return nil, errSNSNotFound("Topic does not exist")
	}
	if aerr := topicAccess(c, t, action); aerr != nil {
		return nil, aerr
	}
	return t, nil
}

func topicAccess(c *call, t *Topic, action string) *APIError {
	if c.Account.ID == t.Owner {
		return nil
	}
	doc, err := policydoc.Parse(t.Policy)
	if err == nil && doc.Evaluate(policydoc.Request{
		Caller: c.caller(),
		Action: "SNS:" + action, Resource: t.ARN,
	}).Allowed {
		return nil
	}
	return errSNSAuthorization(c, action, t.ARN)
}

func snsDeleteTopic(c *call) (any, error) {
	t, aerr := topicFor(c, "TopicArn", "DeleteTopic")
	if aerr != nil {
		return nil, aerr
	}
	n := c.w.notify()
	for _, s := range n.subscriptionsOf(t.ARN) {
		delete(n.Subscriptions, s.ARN)
	}
	delete(n.Topics, t.ARN)
	return nil, nil
}

// snsPage cuts a page of 100 out of sorted keys, as SNS's List actions do.
func snsPage(p Params, keys []string) (out []string, next string, err *APIError) {
	start, ok := pageStart(p.Get("NextToken"), keys)
	if !ok {
		return nil, "", errSNSInvalid("NextToken")
	}
	end := min(start+100, len(keys))
	if end < len(keys) {
		next = pageToken(keys[end-1])
	}
	return keys[start:end], next, nil
}

type snsListTopicsResult struct {
	Topics    []snsTopicArn `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

func snsListTopics(c *call) (any, error) {
	var arns []string
	for arn, t := range c.w.notify().Topics {
		if c.ownsARN(t.Owner, arn) {
			arns = append(arns, arn)
		}
	}
	sort.Strings(arns)
	page, next, aerr := snsPage(c.Params, arns)
	if aerr != nil {
		return nil, aerr
	}
	out := snsListTopicsResult{NextToken: next}
	for _, a := range page {
		out.Topics = append(out.Topics, snsTopicArn{TopicArn: a})
	}
	return out, nil
}

type snsEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type snsAttributesResult struct {
	Attributes []snsEntry `xml:"Attributes>entry"`
}

func snsAttributes(m map[string]string) snsAttributesResult {
	var out snsAttributesResult
	for _, k := range SortedKeys(m) {
		out.Attributes = append(out.Attributes, snsEntry{Key: k, Value: m[k]})
	}
	return out
}

// effectiveDeliveryPolicy is SNS's default HTTP delivery policy, which
// GetTopicAttributes reports for every topic.
const effectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func snsGetTopicAttributes(c *call) (any, error) {
	t, aerr := topicFor(c, "TopicArn", "GetTopicAttributes")
	if aerr != nil {
		return nil, aerr
	}
	confirmed, pending := 0, 0
	for _, s := range c.w.notify().subscriptionsOf(t.ARN) {
		if s.Pending() {
			pending++
		} else {
			confirmed++
		}
	}
	return snsAttributes(map[string]string{
		"Policy": t.Policy, "Owner": t.Owner, "TopicArn": t.ARN, "DisplayName": t.DisplayName,
		"SubscriptionsConfirmed": fmt.Sprint(confirmed), "SubscriptionsPending": fmt.Sprint(pending),
		"SubscriptionsDeleted": fmt.Sprint(t.Deleted), "EffectiveDeliveryPolicy": effectiveDeliveryPolicy,
	}), nil
}

func snsSetTopicAttributes(c *call) (any, error) {
	t, aerr := topicFor(c, "TopicArn", "SetTopicAttributes")
	if aerr != nil {
		return nil, aerr
	}
	name, value := c.Params.Get("AttributeName"), c.Params.Get("AttributeValue")
	if name == "" {
		return nil, errSNSInvalid("AttributeName")
	}
	if aerr := checkTopicAttribute(name, value); aerr != nil {
		return nil, aerr
	}
	switch name {
	case "Policy":
		t.Policy = value
	case "DisplayName":
		t.DisplayName = value
	}
	return nil, nil
}

type snsSubscriptionArn struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

// snsProtocols are the protocols SNS knows; the sandbox delivers to sqs.
var snsProtocols = []string{"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}

func snsSubscribe(c *call) (any, error) {
	p := c.Params
	t, aerr := topicFor(c, "TopicArn", "Subscribe")
	if aerr != nil {
		return nil, aerr
	}
	protocol := p.Get("Protocol")
	switch {
	case !slices.Contains(snsProtocols, protocol):
		return nil, errSNSInvalid("Amazon SNS does not support this protocol string: " + protocol)
	case protocol != "sqs":
		return nil, errSNSInvalid(fmt.Sprintf("the sandbox delivers to SQS queues only, not to protocol %s", protocol))
	}
	endpoint := p.Get("Endpoint")
	qRegion, qAccount, qName, ok := arnParts(endpoint, "sqs")
	if !ok || qRegion != c.Region || !queueName().MatchString(qName) {
		return nil, errSNSInvalid("SQS endpoint ARN")
	}
	raw := false
	for k, v := range snsMap(p, "Attributes") {
		switch k {
		case "RawMessageDelivery":
			b, ok := parseBoolText(v)
			if !ok {
				return nil, errSNSInvalid("Attributes Reason: RawMessageDelivery: Invalid value [" + v + "]. Must be true or false.")
			}
			raw = b
		default:
			return nil, errSNSInvalid(fmt.Sprintf("Attributes Reason: the sandbox does not emulate the subscription attribute %s (it emulates RawMessageDelivery)", k))
		}
	}
	n := c.w.notify()
	for _, s := range n.subscriptionsOf(t.ARN) {
		if s.Protocol == protocol && s.Endpoint == endpoint {
			// Subscribe is idempotent for the same endpoint.
			if s.RawMessageDelivery != raw {
				return nil, errSNSInvalid("Attributes Reason: Subscription already exists with different attributes")
			}
			return subscribeResult(s, p), nil
		}
	}
	s := &Subscription{ARN: t.ARN + ":" + c.w.newUUID(), TopicARN: t.ARN, Owner: c.Account.ID,
		Protocol: protocol, Endpoint: endpoint, RawMessageDelivery: raw}
	n.Subscriptions[s.ARN] = s
	if qAccount != c.Account.ID {
		// The queue belongs to another account and its owner did not ask:
		// SNS asks the queue to confirm.
		s.Token = c.w.hex(64) + c.w.hex(64)
		if q := n.Queues[endpoint]; q != nil {
			c.sendConfirmation(t, s, q)
		}
	}
	return subscribeResult(s, p), nil
}

func subscribeResult(s *Subscription, p Params) snsSubscriptionArn {
	if s.Pending() {
		if b, _ := parseBoolText(p.Get("ReturnSubscriptionArn")); !b {
			return snsSubscriptionArn{SubscriptionArn: "pending confirmation"}
		}
	}
	return snsSubscriptionArn{SubscriptionArn: s.ARN}
}

func parseBoolText(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// confirm confirms a pending subscription by its token.
func (n *Notify) confirm(topicARN, token string) (*Subscription, *APIError) {
	if n.Topics[topicARN] == nil {
		return nil, errSNSNotFound("Topic does not exist")
	}
	for _, s := range n.subscriptionsOf(topicARN) {
		if token != "" && s.Token == token {
			s.Token = ""
			return s, nil
		}
	}
	return nil, errSNSInvalid("Token")
}

func snsConfirmSubscription(c *call) (any, error) {
	s, aerr := c.w.notify().confirm(c.Params.Get("TopicArn"), c.Params.Get("Token"))
	if aerr != nil {
		return nil, aerr
	}
	return snsSubscriptionArn{SubscriptionArn: s.ARN}, nil
}

func (n *Notify) removeSubscription(s *Subscription) {
	delete(n.Subscriptions, s.ARN)
	if t := n.Topics[s.TopicARN]; t != nil {
		t.Deleted++
	}
}

func snsUnsubscribe(c *call) (any, error) {
	arn := c.Params.Get("SubscriptionArn")
	n := c.w.notify()
	s := n.Subscriptions[arn]
	if s == nil {
		if _, _, _, ok := arnParts(arn, "sns"); !ok {
			return nil, errSNSInvalid("SubscriptionArn")
		}
		return nil, errSNSNotFound("Subscription does not exist")
	}
	if t := n.Topics[s.TopicARN]; s.Owner != c.Account.ID && (t == nil || t.Owner != c.Account.ID) {
		return nil, errSNSAuthorization(c, "Unsubscribe", arn)
	}
	n.removeSubscription(s)
	return nil, nil
}

type snsSubscriptionXML struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type snsListSubscriptionsResult struct {
	Subscriptions []snsSubscriptionXML `xml:"Subscriptions>member"`
	NextToken     string               `xml:"NextToken,omitempty"`
}

func snsListSubscriptionsByTopic(c *call) (any, error) {
	t, aerr := topicFor(c, "TopicArn", "ListSubscriptionsByTopic")
	if aerr != nil {
		return nil, aerr
	}
	n := c.w.notify()
	var arns []string
	for _, s := range n.subscriptionsOf(t.ARN) {
		arns = append(arns, s.ARN)
	}
	page, next, aerr := snsPage(c.Params, arns)
	if aerr != nil {
		return nil, aerr
	}
	out := snsListSubscriptionsResult{NextToken: next}
	for _, arn := range page {
		s := n.Subscriptions[arn]
		x := snsSubscriptionXML{SubscriptionArn: s.ARN, Owner: s.Owner, Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: s.TopicARN}
		if s.Pending() {
			x.SubscriptionArn = "PendingConfirmation"
		}
		out.Subscriptions = append(out.Subscriptions, x)
	}
	return out, nil
}

// taggedTopic resolves ResourceArn for the tagging actions, which say
// ResourceNotFound rather than NotFound.
func taggedTopic(c *call, action string) (*Topic, *APIError) {
	arn := c.Params.Get("ResourceArn")
	if _, _, _, ok := arnParts(arn, "sns"); !ok {
		return nil, errSNSInvalid("ResourceArn")
	}
	t := c.w.notify().Topics[arn]
	if t == nil {
		return nil, Errorf(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
	}
	if t.Owner != c.Account.ID {
		return nil, errSNSAuthorization(c, action, arn)
	}
	return t, nil
}

func snsTagResource(c *call) (any, error) {
	t, aerr := taggedTopic(c, "TagResource")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := snsTags(c.Params, "Tags")
	if aerr != nil {
		return nil, aerr
	}
	merged := slices.Clone(t.Tags)
	for _, tag := range tags {
		if i := slices.IndexFunc(merged, func(x Tag) bool { return x.Key == tag.Key }); i >= 0 {
			merged[i].Value = tag.Value
		} else {
			merged = append(merged, tag)
		}
	}
	if len(merged) > 50 {
		return nil, Errorf(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	t.Tags = merged
	return nil, nil
}

func snsUntagResource(c *call) (any, error) {
	t, aerr := taggedTopic(c, "UntagResource")
	if aerr != nil {
		return nil, aerr
	}
	keys := c.Params.List("TagKeys", true)
	t.Tags = slices.DeleteFunc(t.Tags, func(x Tag) bool { return slices.Contains(keys, x.Key) })
	return nil, nil
}

type snsListTagsResult struct {
	Tags []xmlKV `xml:"Tags>member"`
}

func snsListTagsForResource(c *call) (any, error) {
	t, aerr := taggedTopic(c, "ListTagsForResource")
	if aerr != nil {
		return nil, aerr
	}
	out := snsListTagsResult{Tags: []xmlKV{}}
	for _, tag := range t.Tags {
		out.Tags = append(out.Tags, xmlKV(tag))
	}
	return out, nil
}

// snsMessage is one published message before it is fanned out.
type snsMessage struct {
	Message    string
	Subject    string
	Attributes map[string]MessageAttribute
	// PerProtocol holds a MessageStructure=json message's per-protocol
	// texts ("default", "sqs"...).
	PerProtocol map[string]string
}

func (m snsMessage) forProtocol(protocol string) string {
	if m.PerProtocol != nil {
		if v, ok := m.PerProtocol[protocol]; ok {
			return v
		}
		return m.PerProtocol["default"]
	}
	return m.Message
}

type snsPublishResult struct {
	MessageID string `xml:"MessageId"`
}

// maxSNSMessage is SNS's limit on a message with its attributes.
const maxSNSMessage = 256 * 1024

func snsPublish(c *call) (any, error) {
	p := c.Params
	param := "TopicArn"
	switch {
	case p.Get("PhoneNumber") != "":
		return nil, errSNSInvalid("PhoneNumber Reason: the sandbox does not send SMS")
	case p.Get("TopicArn") == "" && p.Get("TargetArn") != "":
		param = "TargetArn"
	}
	t, aerr := topicFor(c, param, "Publish")
	if aerr != nil {
		return nil, aerr
	}
	m := snsMessage{Message: p.Get("Message"), Subject: p.Get("Subject")}
	switch {
	case m.Message == "":
		return nil, errSNSInvalid("Empty message")
	case len(m.Message) > maxSNSMessage:
		return nil, errSNSInvalid("Message too long")
	case !utf8.ValidString(m.Message):
		return nil, errSNSInvalid("Message Reason: not valid UTF-8")
	case len(m.Subject) > 100 || strings.ContainsFunc(m.Subject, func(r rune) bool { return r < 0x20 || r > 0x7e }):
		return nil, errSNSInvalid("Subject")
	}
	switch p.Get("MessageStructure") {
	case "":
	case "json":
		if err := json.Unmarshal([]byte(m.Message), &m.PerProtocol); err != nil {
			return nil, errSNSInvalid("Message Structure - JSON message body failed to parse")
		}
		if _, ok := m.PerProtocol["default"]; !ok {
			return nil, errSNSInvalid("Message Structure - No default entry in JSON message body")
		}
	default:
		return nil, errSNSInvalid("MessageStructure")
	}
	attrs, aerr := snsMessageAttributes(p)
	if aerr != nil {
		return nil, aerr
	}
	m.Attributes = attrs
	return snsPublishResult{MessageID: c.publish(t, m)}, nil
}

// snsMessageAttributes decodes MessageAttributes.entry.N.Name and
// .Value.DataType / .StringValue / .BinaryValue.
func snsMessageAttributes(p Params) (map[string]MessageAttribute, *APIError) {
	out := map[string]MessageAttribute{}
	for _, i := range p.Indexes("MessageAttributes.entry") {
		base := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		name := p.Get(base + "Name")
		a := MessageAttribute{DataType: p.Get(base + "Value.DataType"), StringValue: p.Get(base + "Value.StringValue")}
		if b := p.Get(base + "Value.BinaryValue"); b != "" {
			raw, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, Errorf(http.StatusBadRequest, "ParameterValueInvalid", "The message attribute '%s' has an invalid binary value.", name)
			}
			a.BinaryValue = raw
		}
		if aerr := checkMessageAttribute(name, a, "ParameterValueInvalid"); aerr != nil {
			return nil, aerr
		}
		out[name] = a
	}
	if len(out) > 10 {
		return nil, Errorf(http.StatusBadRequest, "ParameterValueInvalid", "Number of message attributes [%d] exceeds the allowed maximum [10].", len(out))
	}
	return out, nil
}

// publish fans a message out to the topic's confirmed SQS subscriptions,
// each queue getting it only if its policy lets the topic send, and
// returns the message ID.
func (c *call) publish(t *Topic, m snsMessage) string {
	id := c.w.newUUID()
	for _, s := range c.w.notify().subscriptionsOf(t.ARN) {
		if s.Pending() || s.Protocol != "sqs" {
			continue
		}
		q := c.w.notify().Queues[s.Endpoint]
		if q == nil {
			c.sb.notef("sns: %s: subscription %s: queue %s does not exist; message %s dropped", t.ARN, s.ARN, s.Endpoint, id)
			continue
		}
		text := m.forProtocol("sqs")
		if s.RawMessageDelivery {
			c.sendFromTopic(t, q, text, m.Attributes)
			continue
		}
		fields := [][2]string{{"Type", "Notification"}, {"MessageId", id}, {"TopicArn", t.ARN}}
		if m.Subject != "" {
			fields = append(fields, [2]string{"Subject", m.Subject})
		}
		fields = append(fields, [2]string{"Message", text}, [2]string{"Timestamp", snsTime(c)})
		body, err := c.snsEnvelope(fields, []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"},
			[2]string{"UnsubscribeURL", c.baseURL() + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(s.ARN)}, m.Attributes)
		if err != nil {
			c.sb.notef("sns: %s: %v; message %s dropped", t.ARN, err, id)
			continue
		}
		c.sendFromTopic(t, q, body, nil)
	}
	return id
}

// sendConfirmation sends the SubscriptionConfirmation message of a pending
// subscription to its queue.
func (c *call) sendConfirmation(t *Topic, s *Subscription, q *Queue) {
	subscribeURL := c.baseURL() + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(t.ARN) + "&Token=" + s.Token
	fields := [][2]string{
		{"Type", "SubscriptionConfirmation"}, {"MessageId", c.w.newUUID()}, {"Token", s.Token}, {"TopicArn", t.ARN},
		{"Message", fmt.Sprintf("You have chosen to subscribe to the topic %s.\nTo confirm the subscription, visit the SubscribeURL included in this message.", t.ARN)},
		{"SubscribeURL", subscribeURL}, {"Timestamp", snsTime(c)},
	}
	body, err := c.snsEnvelope(fields, []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}, [2]string{}, nil)
	if err != nil {
		c.sb.notef("sns: %s: confirmation of %s: %v", t.ARN, s.ARN, err)
		return
	}
	c.sendFromTopic(t, q, body, nil)
}

func snsTime(c *call) string { return c.Now.UTC().Format("2006-01-02T15:04:05.000Z") }

// baseURL is the sandbox's address as the caller reached it.
func (c *call) baseURL() string { return "http://" + c.Req.Host }

// snsEnvelope renders the JSON document SNS delivers: fields in order,
// then the signature fields, then (for notifications) the unsubscribe URL
// and the message attributes, with SNS's layout. signed names the fields
// the signature covers.
func (c *call) snsEnvelope(fields [][2]string, signed []string, unsubscribe [2]string, attrs map[string]MessageAttribute) (string, error) {
	signer, err := c.sb.notify.signerFor(c.Now)
	if err != nil {
		return "", err
	}
	var canonical [][2]string
	for _, name := range signed {
		for _, f := range fields {
			if f[0] == name {
				canonical = append(canonical, f)
			}
		}
	}
	sig, err := signer.sign(canonical)
	if err != nil {
		return "", err
	}
	fields = append(fields, [2]string{"SignatureVersion", "1"}, [2]string{"Signature", sig},
		[2]string{"SigningCertURL", c.baseURL() + signer.certPath})
	if unsubscribe[0] != "" {
		fields = append(fields, unsubscribe)
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  %s : %s", jsonText(f[0]), jsonText(f[1]))
	}
	if len(attrs) > 0 {
		b.WriteString(",\n  \"MessageAttributes\" : {")
		for i, name := range SortedKeys(attrs) {
			a := attrs[name]
			if i > 0 {
				b.WriteString(",")
			}
			value := a.StringValue
			typ := a.DataType
			if len(a.BinaryValue) > 0 {
				value = base64.StdEncoding.EncodeToString(a.BinaryValue)
			}
			fmt.Fprintf(&b, "\n    %s : {\"Type\":%s,\"Value\":%s}", jsonText(name), jsonText(typ), jsonText(value))
		}
		b.WriteString("\n  }")
	}
	b.WriteString("\n}")
	return b.String(), nil
}

// jsonText is s as a JSON string, without Go's HTML escaping.
func jsonText(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// sendFromTopic puts a message SNS delivers into a queue, if the queue's
// policy lets sns.amazonaws.com send on behalf of the topic (aws:SourceArn,
// aws:SourceAccount): SNS needs that grant even in the queue's own account.
func (c *call) sendFromTopic(t *Topic, q *Queue, body string, attrs map[string]MessageAttribute) {
	req := policydoc.Request{
		Caller: policydoc.Caller{Service: "sns.amazonaws.com"}, Action: "sqs:SendMessage", Resource: q.ARN,
		Context: map[string]string{"aws:SourceArn": t.ARN, "aws:SourceAccount": t.Owner, "aws:SecureTransport": "true"},
	}
	doc, err := policydoc.Parse(q.Attributes["Policy"])
	if err != nil || !doc.Evaluate(req).Allowed {
		c.sb.notef("sns: %s: queue %s's policy does not let the topic send (sns.amazonaws.com sqs:SendMessage, aws:SourceArn %s); message dropped", t.ARN, q.ARN, t.ARN)
		return
	}
	c.enqueue(q, body, attrs, snsSenderID)
}

// caller is the request's principal as a resource policy sees it: the IAM
// user, or the role behind a role session.
func (c *call) caller() policydoc.Caller {
	if c.Session != nil {
		return policydoc.Caller{Account: c.Session.Account, ARN: c.Session.RoleARN()}
	}
	return policydoc.Caller{Account: c.Account.ID, ARN: c.Account.ARN()}
}

// callerARN is the caller's ARN as AWS's error messages name it.
func (c *call) callerARN() string {
	if c.Session != nil {
		return c.Session.ARN()
	}
	return c.Account.ARN()
}

// senderID is the caller's unique ID, as SQS's SenderId shows it.
func (c *call) senderID() string {
	if s := c.Session; s != nil {
		return roleID(s.Account, s.RoleName) + ":" + s.SessionName
	}
	return "AIDA" + strings.TrimPrefix(c.Account.AccessKeyID, "AKIA")
}

// notef logs a line when the sandbox has a logger.
func (s *Sandbox) notef(format string, args ...any) {
	if s.logf != nil {
		s.logf(format, args...)
	}
}
