package sandbox

import (
	"crypto/md5" //nolint:gosec // SQS's MD5OfMessageBody is MD5.
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/plwiz/plwiz/policydoc"
)

// SQS standard queues as the 2012-11-05 API model describes them: queues
// with their attributes and policy, tags, messages with visibility
// timeouts and receipt handles, and ReceiveMessage's long polling: with
// WaitTimeSeconds the request waits until a message arrives (and returns
// at once when one does) or the time is up. Queue URLs are on the
// sandbox's own address: http://HOST/ACCOUNT/NAME.

// sqsHandlers serve the SQS actions plwiz and the AWS CLI use.
func sqsHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"CreateQueue":        sqsCreateQueue,
		"GetQueueUrl":        sqsGetQueueURL,
		"ListQueues":         sqsListQueues,
		"GetQueueAttributes": sqsGetQueueAttributes,
		"SetQueueAttributes": sqsSetQueueAttributes,
		"DeleteQueue":        sqsDeleteQueue,
		"TagQueue":           sqsTagQueue,
		"UntagQueue":         sqsUntagQueue,
		"ListQueueTags":      sqsListQueueTags,
		"SendMessage":        sqsSendMessage,
		"ReceiveMessage":     sqsReceiveMessage,
		"DeleteMessage":      sqsDeleteMessage,
		"DeleteMessageBatch": sqsDeleteMessageBatch,
	}
}

// SQS errors, with SQS's codes (the Query protocol's; see sqs_wire.go for
// the JSON shapes) and texts.
func errSQSValue(format string, args ...any) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

func errNoQueue() *APIError {
	return Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func errSQSMissing(name string) *APIError {
	return Errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s.", name)
}

var queueName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })

// queueDefaults are the attributes of a new standard queue.
var queueDefaults = map[string]string{
	"VisibilityTimeout": "30", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
	"DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0", "SqsManagedSseEnabled": "true",
}

// queueIntRanges bound the numeric attributes.
var queueIntRanges = map[string][2]int{
	"VisibilityTimeout": {0, 43200}, "MaximumMessageSize": {1024, 1048576}, "MessageRetentionPeriod": {60, 1209600},
	"DelaySeconds": {0, 900}, "ReceiveMessageWaitTimeSeconds": {0, 20},
}

// queueReadOnly are the attributes GetQueueAttributes computes.
var queueReadOnly = []string{"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp"}

// checkQueueAttribute validates one attribute of CreateQueue or
// SetQueueAttributes.
func checkQueueAttribute(name, value string) *APIError {
	if r, ok := queueIntRanges[name]; ok {
		n, err := strconv.Atoi(value)
		if err != nil || n < r[0] || n > r[1] {
			return Errorf(http.StatusBadRequest, "InvalidAttributeValue", "Invalid value for the parameter %s.", name)
		}
		return nil
	}
	switch name {
	case "Policy":
		if value == "" {
			return nil
		}
		if _, err := policydoc.Parse(value); err != nil {
			return Errorf(http.StatusBadRequest, "InvalidAttributeValue", "Invalid value for the parameter Policy. Reason: %v", err)
		}
	case "SqsManagedSseEnabled":
		if _, ok := parseBoolText(value); !ok {
			return Errorf(http.StatusBadRequest, "InvalidAttributeValue", "Invalid value for the parameter SqsManagedSseEnabled.")
		}
	case "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit", "RedrivePolicy",
		"RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds":
		return Errorf(http.StatusBadRequest, "InvalidAttributeValue",
			"Invalid value for the parameter %s. The sandbox emulates standard queues with SQS-managed encryption only.", name)
	default:
		return Errorf(http.StatusBadRequest, "InvalidAttributeName", "Unknown Attribute %s.", name)
	}
	return nil
}

// queueURL is the URL of a queue on the sandbox, as the caller reached it.
func queueURL(c *call, q *Queue) string { return c.baseURL() + "/" + q.Owner + "/" + q.Name }

// queueByURL resolves a QueueUrl (any host; the path is /ACCOUNT/NAME).
func queueByURL(c *call, raw string) (*Queue, *APIError) {
	u, err := url.Parse(raw)
	parts := []string{}
	if err == nil {
		parts = strings.Split(strings.Trim(u.Path, "/"), "/")
	}
	if err != nil || len(parts) != 2 || !isAccountID(parts[0]) || !queueName().MatchString(parts[1]) {
		return nil, Errorf(http.StatusNotFound, "InvalidAddress", "The address %s is not valid for this endpoint.", raw)
	}
	q := c.w.notify().Queues[fmt.Sprintf("arn:aws:sqs:%s:%s:%s", c.Region, parts[0], parts[1])]
	if q == nil {
		return nil, errNoQueue()
	}
	return q, nil
}

// queueFor resolves the request's QueueUrl and checks the caller may do
// action on the queue: its owner always, another account when the
// queue's policy allows it.
func queueFor(c *call, in sqsIn, action string) (*Queue, *APIError) {
	raw := in.str("QueueUrl")
	if raw == "" {
		return nil, errSQSMissing("QueueUrl")
	}
	q, aerr := queueByURL(c, raw)
	if aerr != nil {
		return nil, aerr
	}
	if !queueAllows(c, q, action) {
		return nil, Errorf(http.StatusForbidden, "AccessDenied", "Access to the resource %s is denied.", raw)
	}
	q.expire(c.Now)
	return q, nil
}

// queueCall reads a request on a queue: its input, and the queue of its
// QueueUrl the caller may do action on.
func queueCall(c *call, action string) (sqsIn, *Queue, *APIError) {
	in, aerr := sqsInput(c)
	if aerr != nil {
		return in, nil, aerr
	}
	q, aerr := queueFor(c, in, action)
	return in, q, aerr
}

func queueAllows(c *call, q *Queue, action string) bool {
	if c.Account.ID == q.Owner {
		return true
	}
	doc, err := policydoc.Parse(q.Attributes["Policy"])
	return err == nil && doc.Evaluate(policydoc.Request{
		Caller: c.caller(),
		Action: "sqs:" + action, Resource: q.ARN,
	}).Allowed
}

// expire drops the messages older than the queue's retention period.
func (q *Queue) expire(now time.Time) {
	keep, _ := strconv.Atoi(q.Attributes["MessageRetentionPeriod"])
	if keep <= 0 {
		return
	}
	limit := now.Add(-time.Duration(keep) * time.Second)
	q.Messages = slices.DeleteFunc(q.Messages, func(m *QueueMessage) bool { return m.SentAt.Before(limit) })
}

type sqsQueueURLResult struct {
	QueueURL string `json:"QueueUrl" xml:"QueueUrl"`
}

func (r sqsQueueURLResult) queryXML() any { return r }

func sqsCreateQueue(c *call) (any, error) {
	in, aerr := sqsInput(c)
	if aerr != nil {
		return nil, aerr
	}
	name := in.str("QueueName")
	switch {
	case name == "":
		return nil, errSQSMissing("QueueName")
	case strings.HasSuffix(name, ".fifo"):
		return nil, errSQSValue("The sandbox emulates standard queues only, not FIFO queue %s.", name)
	case !queueName().MatchString(name):
		return nil, errSQSValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	attrs := in.strMap("Attributes", "Attribute", "Name", "Value")
	for k, v := range attrs {
		if aerr := checkQueueAttribute(k, v); aerr != nil {
			return nil, aerr
		}
	}
	tags := in.strMap("tags", "Tag", "Key", "Value")
	if aerr := checkQueueTags(tags); aerr != nil {
		return nil, aerr
	}
	n := c.w.notify()
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", c.Region, c.Account.ID, name)
	if q := n.Queues[arn]; q != nil {
		// CreateQueue is idempotent while the attributes asked for match.
		for _, k := range SortedKeys(attrs) {
			have := q.Attributes[k]
			if have == "" {
				have = queueDefaults[k]
			}
			if k == "Policy" && samePolicy(attrs[k], have) || attrs[k] == have {
				continue
			}
			return nil, Errorf(http.StatusBadRequest, "QueueAlreadyExists",
				"A queue already exists with the same name and a different value for attribute %s", k)
		}
		return sqsQueueURLResult{QueueURL: queueURL(c, q)}, nil
	}
	if at, ok := n.QueueDeletedAt[arn]; ok && c.Now.Sub(at) < 60*time.Second {
		return nil, Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.QueueDeletedRecently",
			"You must wait 60 seconds after deleting a queue before you can create another with the same name.")
	}
	q := &Queue{ARN: arn, Name: name, Owner: c.Account.ID, Attributes: map[string]string{}, Tags: tags,
		CreatedAt: c.Now, ModifiedAt: c.Now}
	for k, v := range queueDefaults {
		q.Attributes[k] = v
	}
	for k, v := range attrs {
		q.Attributes[k] = v
	}
	if q.Attributes["Policy"] == "" {
		delete(q.Attributes, "Policy")
	}
	n.Queues[arn] = q
	return sqsQueueURLResult{QueueURL: queueURL(c, q)}, nil
}

func checkQueueTags(tags map[string]string) *APIError {
	for k, v := range tags {
		switch {
		case k == "" || len(k) > 128:
			return errSQSValue("Tag keys must be between 1 and 128 characters in length.")
		case len(v) > 256:
			return errSQSValue("Tag values may only be up to 256 characters in length.")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return errSQSValue("Tag keys must not begin with 'aws:'.")
		}
	}
	if len(tags) > 50 {
		return errSQSValue("Too many tags added for queue. Max 50 tags allowed.")
	}
	return nil
}

func sqsGetQueueURL(c *call) (any, error) {
	in, aerr := sqsInput(c)
	if aerr != nil {
		return nil, aerr
	}
	name := in.str("QueueName")
	if name == "" {
		return nil, errSQSMissing("QueueName")
	}
	owner := in.str("QueueOwnerAWSAccountId")
	if owner == "" {
		owner = c.Account.ID
	}
	q := c.w.notify().Queues[fmt.Sprintf("arn:aws:sqs:%s:%s:%s", c.Region, owner, name)]
	// A queue the caller may not use does not exist, as far as it is told.
	if q == nil || !queueAllows(c, q, "GetQueueUrl") {
		return nil, errNoQueue()
	}
	return sqsQueueURLResult{QueueURL: queueURL(c, q)}, nil
}

type sqsListQueuesResult struct {
	QueueURLs []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

type sqsListQueuesXML struct {
	QueueURLs []string `xml:"QueueUrl"`
	NextToken string   `xml:"NextToken,omitempty"`
}

func (r sqsListQueuesResult) queryXML() any { return sqsListQueuesXML(r) }

func sqsListQueues(c *call) (any, error) {
	in, aerr := sqsInput(c)
	if aerr != nil {
		return nil, aerr
	}
	prefix := in.str("QueueNamePrefix")
	var names []string
	for _, q := range c.w.notify().Queues {
		if c.ownsARN(q.Owner, q.ARN) && strings.HasPrefix(q.Name, prefix) {
			names = append(names, q.Name)
		}
	}
	sort.Strings(names)
	limit, paged, aerr := in.num("MaxResults")
	if aerr != nil {
		return nil, aerr
	}
	if paged && (limit < 1 || limit > 1000) {
		return nil, errSQSValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", limit)
	}
	if !paged {
		limit = 1000
	}
	start, ok := pageStart(in.str("NextToken"), names)
	if !ok {
		return nil, errSQSValue("Invalid NextToken value.")
	}
	var out sqsListQueuesResult
	end := min(start+limit, len(names))
	for _, name := range names[start:end] {
		out.QueueURLs = append(out.QueueURLs, c.baseURL()+"/"+c.Account.ID+"/"+name)
	}
	if paged && end < len(names) {
		out.NextToken = pageToken(names[end-1])
	}
	return out, nil
}

type sqsAttributesResult struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

type sqsAttributesXML struct {
	Attributes []xmlNV `xml:"Attribute"`
}

func (r sqsAttributesResult) queryXML() any { return sqsAttributesXML{xmlNVs(r.Attributes)} }

// counts returns the queue's visible, in-flight and delayed messages.
func (q *Queue) counts(now time.Time) (visible, inFlight, delayed int) {
	for _, m := range q.Messages {
		switch {
		case !m.VisibleAt.After(now):
			visible++
		case m.ReceiveCount > 0:
			inFlight++
		default:
			delayed++
		}
	}
	return
}

func sqsGetQueueAttributes(c *call) (any, error) {
	in, q, aerr := queueCall(c, "GetQueueAttributes")
	if aerr != nil {
		return nil, aerr
	}
	visible, inFlight, delayed := q.counts(c.Now)
	all := map[string]string{
		"QueueArn": q.ARN, "ApproximateNumberOfMessages": strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight), "ApproximateNumberOfMessagesDelayed": strconv.Itoa(delayed),
		"CreatedTimestamp": strconv.FormatInt(q.CreatedAt.Unix(), 10), "LastModifiedTimestamp": strconv.FormatInt(q.ModifiedAt.Unix(), 10),
	}
	for k, v := range q.Attributes {
		all[k] = v
	}
	out := sqsAttributesResult{Attributes: map[string]string{}}
	for _, name := range in.strs("AttributeNames", "AttributeName") {
		if name == "All" {
			out.Attributes = all
			break
		}
		v, ok := all[name]
		if !ok && name != "Policy" {
			return nil, Errorf(http.StatusBadRequest, "InvalidAttributeName", "Unknown Attribute %s.", name)
		}
		if ok {
			out.Attributes[name] = v
		}
	}
	return out, nil
}

func sqsSetQueueAttributes(c *call) (any, error) {
	in, q, aerr := queueCall(c, "SetQueueAttributes")
	if aerr != nil {
		return nil, aerr
	}
	attrs := in.strMap("Attributes", "Attribute", "Name", "Value")
	if len(attrs) == 0 {
		return nil, errSQSMissing("Attribute.Name")
	}
	for k, v := range attrs {
		if slices.Contains(queueReadOnly, k) {
			return nil, Errorf(http.StatusBadRequest, "InvalidAttributeName", "Unknown Attribute %s.", k)
		}
		if aerr := checkQueueAttribute(k, v); aerr != nil {
			return nil, aerr
		}
	}
	for k, v := range attrs {
		if k == "Policy" && v == "" {
			delete(q.Attributes, k)
			continue
		}
		q.Attributes[k] = v
	}
	q.ModifiedAt = c.Now
	return nil, nil
}

func sqsDeleteQueue(c *call) (any, error) {
	_, q, aerr := queueCall(c, "DeleteQueue")
	if aerr != nil {
		return nil, aerr
	}
	n := c.w.notify()
	delete(n.Queues, q.ARN)
	n.QueueDeletedAt[q.ARN] = c.Now
	return nil, nil
}

func sqsTagQueue(c *call) (any, error) {
	in, q, aerr := queueCall(c, "TagQueue")
	if aerr != nil {
		return nil, aerr
	}
	tags := in.strMap("Tags", "Tag", "Key", "Value")
	if len(tags) == 0 {
		return nil, errSQSMissing("Tags")
	}
	merged := map[string]string{}
	for k, v := range q.Tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	if aerr := checkQueueTags(merged); aerr != nil {
		return nil, aerr
	}
	q.Tags = merged
	return nil, nil
}

func sqsUntagQueue(c *call) (any, error) {
	in, q, aerr := queueCall(c, "UntagQueue")
	if aerr != nil {
		return nil, aerr
	}
	for _, k := range in.strs("TagKeys", "TagKey") {
		delete(q.Tags, k)
	}
	return nil, nil
}

type sqsTagsResult struct {
	Tags map[string]string `json:"Tags,omitempty"`
}

type sqsTagsXML struct {
	Tags []xmlKV `xml:"Tag"`
}

func (r sqsTagsResult) queryXML() any {
	var out sqsTagsXML
	for _, k := range SortedKeys(r.Tags) {
		out.Tags = append(out.Tags, xmlKV{Key: k, Value: r.Tags[k]})
	}
	return out
}

func sqsListQueueTags(c *call) (any, error) {
	_, q, aerr := queueCall(c, "ListQueueTags")
	if aerr != nil {
		return nil, aerr
	}
	return sqsTagsResult{Tags: q.Tags}, nil
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b) //nolint:gosec // the checksum SQS defines
	return hex.EncodeToString(sum[:])
}

// enqueue puts a message into a queue and wakes the long polls.
func (c *call) enqueue(q *Queue, body string, attrs map[string]MessageAttribute, sender string) *QueueMessage {
	delay, _ := strconv.Atoi(q.Attributes["DelaySeconds"])
	return c.enqueueDelayed(q, body, attrs, sender, delay)
}

func (c *call) enqueueDelayed(q *Queue, body string, attrs map[string]MessageAttribute, sender string, delay int) *QueueMessage {
	m := &QueueMessage{ID: c.w.newUUID(), Body: body, Attributes: attrs, SenderID: sender, SentAt: c.Now,
		VisibleAt: c.Now.Add(time.Duration(delay) * time.Second)}
	q.Messages = append(q.Messages, m)
	c.sb.notify.enqueued()
	return m
}

// validBody reports the first character SQS refuses in a message body.
func validBody(s string) (bad rune, ok bool) {
	for _, r := range s {
		switch {
		case r == 0x9, r == 0xA, r == 0xD, r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return r, false
		}
	}
	return 0, true
}

type sqsSendResult struct {
	MD5OfMessageBody       string `json:"MD5OfMessageBody" xml:"MD5OfMessageBody"`
	MD5OfMessageAttributes string `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MessageID              string `json:"MessageId" xml:"MessageId"`
}

func (r sqsSendResult) queryXML() any { return r }

func sqsSendMessage(c *call) (any, error) {
	in, q, aerr := queueCall(c, "SendMessage")
	if aerr != nil {
		return nil, aerr
	}
	body := in.str("MessageBody")
	maxSize, _ := strconv.Atoi(q.Attributes["MaximumMessageSize"])
	switch {
	case body == "":
		return nil, errSQSMissing("MessageBody")
	case !utf8.ValidString(body):
		return nil, Errorf(http.StatusBadRequest, "InvalidMessageContents", "The message body is not valid UTF-8.")
	case len(body) > maxSize:
		return nil, errSQSValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxSize)
	}
	if r, ok := validBody(body); !ok {
		return nil, Errorf(http.StatusBadRequest, "InvalidMessageContents",
			"Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r)
	}
	attrs, aerr := in.messageAttributes()
	if aerr != nil {
		return nil, aerr
	}
	delay, set, aerr := in.num("DelaySeconds")
	if aerr != nil {
		return nil, aerr
	}
	if !set {
		delay, _ = strconv.Atoi(q.Attributes["DelaySeconds"])
	}
	if delay < 0 || delay > 900 {
		return nil, errSQSValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", delay)
	}
	m := c.enqueueDelayed(q, body, attrs, c.senderID(), delay)
	return sqsSendResult{MD5OfMessageBody: md5Hex([]byte(body)), MD5OfMessageAttributes: md5OfAttributes(attrs), MessageID: m.ID}, nil
}

type sqsMessageJSON struct {
	MessageID              string                          `json:"MessageId"`
	ReceiptHandle          string                          `json:"ReceiptHandle"`
	MD5OfBody              string                          `json:"MD5OfBody"`
	Body                   string                          `json:"Body"`
	Attributes             map[string]string               `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                          `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]jsonMessageAttribute `json:"MessageAttributes,omitempty"`
}

type sqsMessageXML struct {
	MessageID              string                `xml:"MessageId"`
	ReceiptHandle          string                `xml:"ReceiptHandle"`
	MD5OfBody              string                `xml:"MD5OfBody"`
	Body                   string                `xml:"Body"`
	Attributes             []xmlNV               `xml:"Attribute"`
	MD5OfMessageAttributes string                `xml:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      []xmlMessageAttribute `xml:"MessageAttribute"`
}

type sqsReceiveResult struct {
	Messages []sqsMessageJSON `json:"Messages,omitempty"`
}

type sqsReceiveXML struct {
	Messages []sqsMessageXML `xml:"Message"`
}

func (r sqsReceiveResult) queryXML() any {
	var out sqsReceiveXML
	for _, m := range r.Messages {
		out.Messages = append(out.Messages, sqsMessageXML{
			MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody, Body: m.Body,
			Attributes: xmlNVs(m.Attributes), MD5OfMessageAttributes: m.MD5OfMessageAttributes,
			MessageAttributes: xmlMessageAttributes(m.MessageAttributes),
		})
	}
	return out
}

// receiveInts reads and bounds ReceiveMessage's numbers, with SQS's texts.
func receiveInts(in sqsIn, q *Queue) (maxN, visibility, wait int, aerr *APIError) {
	get := func(name string, def, lo, hi int, reason string) int {
		if aerr != nil {
			return 0
		}
		v, set, err := in.num(name)
		if err != nil {
			aerr = err
			return 0
		}
		if !set {
			return def
		}
		if v < lo || v > hi {
			aerr = errSQSValue("Value %d for parameter %s is invalid. Reason: %s", v, name, reason)
		}
		return v
	}
	defVis, _ := strconv.Atoi(q.Attributes["VisibilityTimeout"])
	defWait, _ := strconv.Atoi(q.Attributes["ReceiveMessageWaitTimeSeconds"])
	maxN = get("MaxNumberOfMessages", 1, 1, 10, "Must be between 1 and 10, if provided.")
	visibility = get("VisibilityTimeout", defVis, 0, 43200, "Must be >= 0 and <= 43200, if provided.")
	wait = get("WaitTimeSeconds", defWait, 0, 20, "Must be >= 0 and <= 20, if provided.")
	return maxN, visibility, wait, aerr
}

func sqsReceiveMessage(c *call) (any, error) {
	in, q, aerr := queueCall(c, "ReceiveMessage")
	if aerr != nil {
		return nil, aerr
	}
	maxN, visibility, wait, aerr := receiveInts(in, q)
	if aerr != nil {
		return nil, aerr
	}
	system := append(in.strs("AttributeNames", "AttributeName"), in.strs("MessageSystemAttributeNames", "MessageSystemAttributeName")...)
	userNames := in.strs("MessageAttributeNames", "MessageAttributeName")

	var out sqsReceiveResult
	var next time.Duration
	for _, m := range q.Messages {
		if m.VisibleAt.After(c.Now) {
			if d := m.VisibleAt.Sub(c.Now); next == 0 || d < next {
				next = d
			}
			continue
		}
		if len(out.Messages) == maxN {
			break
		}
		m.ReceiveCount++
		if m.FirstReceiveAt.IsZero() {
			m.FirstReceiveAt = c.Now
		}
		m.VisibleAt = c.Now.Add(time.Duration(visibility) * time.Second)
		m.Receipt = receiptHandle(q, m, c.w.hex(32))
		out.Messages = append(out.Messages, messageJSON(m, system, userNames))
	}
	if len(out.Messages) == 0 && wait > 0 {
		if c.pollUntil.IsZero() {
			c.pollUntil = time.Now().Add(time.Duration(wait) * time.Second)
		}
		if time.Now().Before(c.pollUntil) {
			return longPoll{until: c.pollUntil, next: next, empty: out}, nil
		}
	}
	return out, nil
}

// messageJSON renders a received message with the system attributes and
// message attributes asked for.
func messageJSON(m *QueueMessage, system, userNames []string) sqsMessageJSON {
	out := sqsMessageJSON{MessageID: m.ID, ReceiptHandle: m.Receipt, MD5OfBody: md5Hex([]byte(m.Body)), Body: m.Body}
	sys := map[string]string{
		"SenderId": m.SenderID, "SentTimestamp": strconv.FormatInt(m.SentAt.UnixMilli(), 10),
		"ApproximateReceiveCount": strconv.Itoa(m.ReceiveCount), "ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceiveAt.UnixMilli(), 10),
	}
	for _, name := range system {
		if name == "All" {
			out.Attributes = sys
			break
		}
		if v, ok := sys[name]; ok {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[name] = v
		}
	}
	picked := map[string]MessageAttribute{}
	for name, a := range m.Attributes {
		for _, want := range userNames {
			if want == "All" || want == ".*" || want == name || (strings.HasSuffix(want, ".*") && strings.HasPrefix(name, strings.TrimSuffix(want, "*"))) {
				picked[name] = a
				break
			}
		}
	}
	if len(picked) > 0 {
		out.MessageAttributes = map[string]jsonMessageAttribute{}
		for k, a := range picked {
			out.MessageAttributes[k] = jsonMessageAttribute(a)
		}
		out.MD5OfMessageAttributes = md5OfAttributes(picked)
	}
	return out
}

// receiptHandle encodes the queue, the message and a nonce: every receive
// gets a new handle, and only the latest deletes.
func receiptHandle(q *Queue, m *QueueMessage, nonce string) string {
	return "AQEB" + base64.StdEncoding.EncodeToString([]byte(q.ARN+"\x00"+m.ID+"\x00"+nonce))
}

// deleteByReceipt deletes the message a receipt handle names; a handle of
// a message already gone, or an older handle of one received again, is a
// success that deletes nothing, as in SQS.
func deleteByReceipt(q *Queue, handle string) *APIError {
	invalid := Errorf(http.StatusNotFound, "ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle.", handle)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(handle, "AQEB"))
	f := strings.Split(string(raw), "\x00")
	if !strings.HasPrefix(handle, "AQEB") || err != nil || len(f) != 3 {
		return invalid
	}
	if f[0] != q.ARN {
		return invalid
	}
	q.Messages = slices.DeleteFunc(q.Messages, func(m *QueueMessage) bool { return m.ID == f[1] && m.Receipt == handle })
	return nil
}

func sqsDeleteMessage(c *call) (any, error) {
	in, q, aerr := queueCall(c, "DeleteMessage")
	if aerr != nil {
		return nil, aerr
	}
	h := in.str("ReceiptHandle")
	if h == "" {
		return nil, errSQSMissing("ReceiptHandle")
	}
	if aerr := deleteByReceipt(q, h); aerr != nil {
		return nil, aerr
	}
	return nil, nil
}

type sqsBatchResultEntry struct {
	ID string `json:"Id" xml:"Id"`
}

type sqsBatchErrorEntry struct {
	ID          string `json:"Id" xml:"Id"`
	SenderFault bool   `json:"SenderFault" xml:"SenderFault"`
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message,omitempty" xml:"Message,omitempty"`
}

type sqsDeleteBatchResult struct {
	Successful []sqsBatchResultEntry `json:"Successful"`
	Failed     []sqsBatchErrorEntry  `json:"Failed"`
}

type sqsDeleteBatchXML struct {
	Successful []sqsBatchResultEntry `xml:"DeleteMessageBatchResultEntry"`
	Failed     []sqsBatchErrorEntry  `xml:"BatchResultErrorEntry"`
}

func (r sqsDeleteBatchResult) queryXML() any { return sqsDeleteBatchXML(r) }

var batchEntryID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })

func sqsDeleteMessageBatch(c *call) (any, error) {
	in, q, aerr := queueCall(c, "DeleteMessage")
	if aerr != nil {
		return nil, aerr
	}
	entries := in.entries("Entries", "DeleteMessageBatchRequestEntry", "Id", "ReceiptHandle")
	switch {
	case len(entries) == 0:
		return nil, Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one DeleteMessageBatchRequestEntry in the request.")
	case len(entries) > 10:
		return nil, Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
			"Maximum number of entries per request are 10. You have sent %d.", len(entries))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		id := e["Id"]
		if !batchEntryID().MatchString(id) {
			return nil, Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.InvalidBatchEntryId",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return nil, Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	out := sqsDeleteBatchResult{Successful: []sqsBatchResultEntry{}, Failed: []sqsBatchErrorEntry{}}
	for _, e := range entries {
		if e["ReceiptHandle"] == "" {
			out.Failed = append(out.Failed, sqsBatchErrorEntry{ID: e["Id"], SenderFault: true, Code: "MissingParameter",
				Message: "The request must contain the parameter ReceiptHandle."})
			continue
		}
		if aerr := deleteByReceipt(q, e["ReceiptHandle"]); aerr != nil {
			out.Failed = append(out.Failed, sqsBatchErrorEntry{ID: e["Id"], SenderFault: true, Code: aerr.Code, Message: aerr.Message})
			continue
		}
		out.Successful = append(out.Successful, sqsBatchResultEntry{ID: e["Id"]})
	}
	return out, nil
}
