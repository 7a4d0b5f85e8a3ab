package sandbox

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Notify is the world's SNS topics and subscriptions, SQS queues and their
// messages, and VPC endpoint connection notifications (sns.go, sqs.go,
// vpce_notify.go). It is saved and loaded with the rest of the world, so a
// message delivered before a restart is still in its queue after it.
type Notify struct {
	Topics        map[string]*Topic        `json:"topics"`        // by ARN
	Subscriptions map[string]*Subscription `json:"subscriptions"` // by ARN
	Queues        map[string]*Queue        `json:"queues"`        // by ARN
	// ConnectionNotifications are the EC2 connection notifications, by ID.
	ConnectionNotifications map[string]*ConnectionNotification `json:"connectionNotifications"`
	// QueueDeletedAt remembers, by queue ARN, when a queue was deleted: SQS
	// refuses its name for 60 seconds.
	QueueDeletedAt map[string]time.Time `json:"queueDeletedAt,omitempty"`
}

// Topic is an SNS topic.
type Topic struct {
	ARN         string    `json:"arn"`
	Name        string    `json:"name"`
	Owner       string    `json:"owner"`
	Policy      string    `json:"policy"`
	DisplayName string    `json:"displayName,omitempty"`
	Tags        []Tag     `json:"tags,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	// Deleted counts the subscriptions removed, for SubscriptionsDeleted.
	Deleted int `json:"deleted,omitempty"`
}

// Subscription is an SNS subscription; the sandbox delivers to SQS only.
type Subscription struct {
	ARN                string `json:"arn"`
	TopicARN           string `json:"topicArn"`
	Owner              string `json:"owner"` // the account that subscribed
	Protocol           string `json:"protocol"`
	Endpoint           string `json:"endpoint"` // the queue's ARN
	RawMessageDelivery bool   `json:"rawMessageDelivery,omitempty"`
	// Token is set while the subscription waits for confirmation (a queue
	// of another account subscribed by the topic's owner).
	Token string `json:"token,omitempty"`
}

// Pending reports whether the subscription still awaits confirmation.
func (s *Subscription) Pending() bool { return s.Token != "" }

// Queue is an SQS standard queue.
type Queue struct {
	ARN   string `json:"arn"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
	// Attributes are the settable attributes as SQS reports them (numbers
	// as decimal strings), defaults included.
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
	ModifiedAt time.Time         `json:"modifiedAt"`
	Messages   []*QueueMessage   `json:"messages,omitempty"`
}

// QueueMessage is one message in a queue.
type QueueMessage struct {
	ID         string                      `json:"id"`
	Body       string                      `json:"body"`
	Attributes map[string]MessageAttribute `json:"attributes,omitempty"`
	SenderID   string                      `json:"senderId"`
	SentAt     time.Time                   `json:"sentAt"`
	// VisibleAt is when the message can be received (again).
	VisibleAt      time.Time `json:"visibleAt"`
	ReceiveCount   int       `json:"receiveCount,omitempty"`
	FirstReceiveAt time.Time `json:"firstReceiveAt,omitzero"`
	// Receipt is the handle of the latest receive: only it deletes.
	Receipt string `json:"receipt,omitempty"`
}

// MessageAttribute is a message attribute of SQS (and SNS).
type MessageAttribute struct {
	DataType    string `json:"dataType"`
	StringValue string `json:"stringValue,omitempty"`
	BinaryValue []byte `json:"binaryValue,omitempty"`
}

// Connection notification events, as EC2 spells them.
const (
	EventConnect = "Connect"
	EventAccept  = "Accept"
	EventReject  = "Reject"
	EventDelete  = "Delete"
)

// ConnectionNotification is an EC2 VPC endpoint connection notification:
// on a service (its owner's) or on an endpoint (its owner's).
type ConnectionNotification struct {
	ID          string    `json:"id"` // vpce-nfn-<17 hex>
	Owner       string    `json:"owner"`
	ServiceID   string    `json:"serviceId,omitempty"`
	EndpointID  string    `json:"endpointId,omitempty"`
	TopicARN    string    `json:"topicArn"`
	Events      []string  `json:"events"`
	State       string    `json:"state"` // Enabled | Disabled
	ClientToken string    `json:"clientToken,omitempty"`
	RequestHash string    `json:"requestHash,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// notify returns the world's Notify, creating what a world saved before it
// existed lacks.
func (w *World) notify() *Notify {
	if w.Notify == nil {
		w.Notify = &Notify{}
	}
	n := w.Notify
	if n.Topics == nil {
		n.Topics = map[string]*Topic{}
	}
	if n.Subscriptions == nil {
		n.Subscriptions = map[string]*Subscription{}
	}
	if n.Queues == nil {
		n.Queues = map[string]*Queue{}
	}
	if n.ConnectionNotifications == nil {
		n.ConnectionNotifications = map[string]*ConnectionNotification{}
	}
	if n.QueueDeletedAt == nil {
		n.QueueDeletedAt = map[string]time.Time{}
	}
	return n
}

// newUUID draws a version 4 UUID from the world's sequence (message and
// subscription IDs look like AWS's).
func (w *World) newUUID() string {
	h := []byte(w.hex(32))
	h[12] = '4'
	h[16] = "89ab"[w.next()%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// subscriptionsOf lists a topic's subscriptions in ARN order.
func (n *Notify) subscriptionsOf(topicARN string) []*Subscription {
	var out []*Subscription
	for _, s := range n.Subscriptions {
		if s.TopicARN == topicARN {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// notifyRuntime is what the SNS and SQS emulation keeps beside the world
// and never saves: the signal long polls wait on, and the key that signs
// SNS messages.
type notifyRuntime struct {
	mu     sync.Mutex
	queued chan struct{} // closed when a message is enqueued
	closed chan struct{} // closed when the sandbox closes
	signer *snsSigner
	// waiting counts the long polls blocked right now.
	waiting atomic.Int32
}

// LongPolls reports how many ReceiveMessage calls are waiting for a
// message right now; tests use it to act while one waits.
func (s *Sandbox) LongPolls() int { return int(s.notify.waiting.Load()) }

// done is closed when the sandbox closes, which ends every long poll.
func (r *notifyRuntime) done() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closedLocked()
}

// close ends the long polls, so closing the sandbox does not wait for them.
func (r *notifyRuntime) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.closedLocked():
	default:
		close(r.closed)
	}
}

func (r *notifyRuntime) closedLocked() chan struct{} {
	if r.closed == nil {
		r.closed = make(chan struct{})
	}
	return r.closed
}

// waiter returns the channel the next enqueue closes; take it with the
// world locked, before deciding to wait, so no enqueue is missed.
func (r *notifyRuntime) waiter() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.queued == nil {
		r.queued = make(chan struct{})
	}
	return r.queued
}

// enqueued wakes every long poll.
func (r *notifyRuntime) enqueued() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.queued != nil {
		close(r.queued)
	}
	r.queued = make(chan struct{})
}

// longPoll is what ReceiveMessage returns when it found nothing and may
// wait: ServeHTTP releases the world, waits for an enqueue, for the next
// message to become visible or for the end of the wait, and calls the
// handler again.
type longPoll struct {
	until time.Time     // wall clock: the end of WaitTimeSeconds
	next  time.Duration // until a hidden message becomes visible; 0: none
	empty any           // the response when the wait ends empty
}

// wait blocks until an enqueue (true: look again), a message becomes
// visible (true), or the wait, the request or the sandbox ends (false).
func (lp longPoll) wait(ctx context.Context, r *notifyRuntime, queued <-chan struct{}) bool {
	closed := r.done()
	d := time.Until(lp.until)
	if d <= 0 {
		return false
	}
	look := d
	if lp.next > 0 && lp.next < look {
		look = lp.next
	}
	t := time.NewTimer(look)
	defer t.Stop()
	r.waiting.Add(1)
	defer r.waiting.Add(-1)
	select {
	case <-queued:
		return true
	case <-t.C:
		return look < d
	case <-ctx.Done():
		return false
	case <-closed:
		return false
	}
}

// arnParts splits arn:aws:SERVICE:REGION:ACCOUNT:NAME; ok is false for
// anything else.
func arnParts(arn, service string) (region, account, name string, ok bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || !strings.HasPrefix(f[1], "aws") || f[2] != service || f[3] == "" || !isAccountID(f[4]) || f[5] == "" {
		return "", "", "", false
	}
	return f[3], f[4], f[5], true
}

// isAccountID reports whether s is a 12-digit account ID.
func isAccountID(s string) bool { return accountIDShape().MatchString(s) }

var accountIDShape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{12}$`) })
