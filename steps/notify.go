package steps

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/plwiz/plwiz/awsid"
	"github.com/plwiz/plwiz/awsops"
)

// Connection notifications and live updates, for both parties. The
// provider's notification is on its service, the consumer's on its
// endpoint; each sends the Connect, Accept, Reject and Delete events to an
// SNS topic of the party's own account: one it chose (plwiz checks its
// policy lets vpce.amazonaws.com publish, and asks before adding that), or
// one plwiz creates. With live updates, plwiz also subscribes an SQS queue
// of its own to the topic and long-polls it while it waits for the other
// party (listen.go). Everything made is tagged with the session and
// deleted by teardown; a topic the user chose is left alone.
//
// Two questions rather than one: a topic can serve people (an email
// subscription, an on-call pager) without plwiz adding a subscriber to it,
// and live updates need no lasting topic: "new" is the default with them.

// Session keys of the notify step.
const (
	InLiveUpdates = "liveUpdates"
	InNotifyTopic = "notifyTopic"

	ResNotifyTopic     = "notifyTopicArn"
	ResNotification    = "connectionNotificationId"
	ResEventsQueueURL  = "eventsQueueUrl"
	ResEventsQueueARN  = "eventsQueueArn"
	ResEventsSubscribe = "eventsSubscriptionArn"
)

// The notify-topic answers besides a topic ARN.
const (
	NotifyNone = "none"
	NotifyNew  = "new"
)

// eventsAPI is what the notify step, the listener and teardown need of a
// party's client; awsops.Provider and awsops.Consumer both have it.
type eventsAPI interface {
	CreateTopic(ctx context.Context, name string, tags awsops.Tags) (awsops.Topic, error)
	DescribeTopic(ctx context.Context, arn string) (awsops.Topic, error)
	ListTopics(ctx context.Context) ([]string, error)
	AllowVPCEPublish(ctx context.Context, topicARN, source, account string) (awsops.Topic, error)
	CreateQueue(ctx context.Context, name string, tags awsops.Tags) (awsops.Queue, error)
	DescribeQueue(ctx context.Context, url string) (awsops.Queue, error)
	AllowTopicToQueue(ctx context.Context, q awsops.Queue, topicARN string) (awsops.Queue, error)
	Subscribe(ctx context.Context, topicARN, queueARN string) (string, error)
	Receive(ctx context.Context, queueURL string, wait time.Duration) ([]awsops.ConnectionEvent, error)
	DeleteEvents(ctx context.Context, queueURL string, events []awsops.ConnectionEvent) error
	DeleteNotifications(ctx context.Context, ids ...string) error
	Unsubscribe(ctx context.Context, subscriptionARN string) error
	DeleteTopic(ctx context.Context, arn string) error
	DeleteQueue(ctx context.Context, url string) error
}

func (e *Env) events(role Role) eventsAPI {
	if role == RoleProvider {
		return e.provider()
	}
	return e.consumer()
}

// liveUpdates tells whether the user asked for them.
func liveUpdates(s *Session) bool { return s.Input(InLiveUpdates) == "true" }

// topicChoice is the notify-topic answer, with what an unanswered one
// means: a new topic for live updates, else none.
func topicChoice(s *Session) string {
	switch v := s.Input(InNotifyTopic); {
	case v != "" && v != NotifyNone:
		return v
	case liveUpdates(s):
		return NotifyNew
	}
	return NotifyNone
}

// eventsName is the name of the topic and the queue plwiz makes.
func eventsName(s *Session) string { return awsops.NamePrefix + s.ID }

// notifyTarget is what a party's notification is on.
type notifyTarget struct {
	what   string // "service vpce-svc-…" or "endpoint vpce-…"
	id     string
	source string // the ARN vpce.amazonaws.com publishes on behalf of
	create func(ctx context.Context, env *Env, in awsops.NotificationInput) (awsops.ConnectionNotification, error)
}

func targetOf(role Role, s *Session) notifyTarget {
	if role == RoleProvider {
		id := s.Resource(ResServiceID)
		return notifyTarget{what: "service " + id, id: id, source: awsops.ServiceSourceARN(s.Region, s.Account, id),
			create: func(ctx context.Context, env *Env, in awsops.NotificationInput) (awsops.ConnectionNotification, error) {
				return env.provider().NotifyOnService(ctx, id, in)
			}}
	}
	id := s.Resource(ResEndpointID)
	return notifyTarget{what: "endpoint " + id, id: id, source: awsops.EndpointSourceARN(s.Region, s.Account, id),
		create: func(ctx context.Context, env *Env, in awsops.NotificationInput) (awsops.ConnectionNotification, error) {
			return env.consumer().NotifyOnEndpoint(ctx, id, in)
		}}
}

func notifyStep(role Role) *Step {
	other, on := "the consumer's endpoint", "the service"
	if role == RoleConsumer {
		other, on = "the provider to accept", "the endpoint"
	}
	return &Step{
		ID: StepNotify, Title: "Connection notifications", Kind: KindAction,
		// Answered none before the step (the demo, a flag, a resumed
		// session): nothing to show or do.
		Skip: func(s *Session) bool { return s.Input(InNotifyTopic) == NotifyNone && !liveUpdates(s) },
		Inputs: []Input{
			{Key: InLiveUpdates, Label: "Live updates while waiting for " + other, Flag: "live-updates", Type: InputConfirm, Validate: validateBool,
				Help: "Have plwiz create an SQS queue subscribed to the connection notifications' topic and long-poll it while it waits for the other party: a change shows within a second, for three calls a minute, instead of a look every few seconds. Teardown deletes the queue."},
			{Key: InNotifyTopic, Label: "Send the connection events of " + on + " to", Flag: "notify-topic", Type: InputSelect, Validate: validateNotifyTopic,
				Help: fmt.Sprintf("An SNS topic for the Connect, Accept, Reject and Delete events of %s: the ARN of a topic of this account and region (plwiz checks that its policy lets %s publish, and asks before adding that), %s for one plwiz creates (teardown deletes it), or %s.",
					on, awsops.VPCEPrincipal, NotifyNew, NotifyNone),
				Default:     topicChoice,
				DefaultText: NotifyNone + ", or " + NotifyNew + " with --live-updates",
				Options:     topicOptions},
		},
		Describe: func(s *Session) string { return describeNotify(role, s) },
		Do: func(ctx context.Context, env *Env, s *Session) (Result, error) {
			return doNotify(ctx, env, s, role)
		},
	}
}

// topicOptions are the answers to choose from: none, a new topic, or one
// of the account's.
func topicOptions(ctx context.Context, env *Env, s *Session) ([]Option, error) {
	arns, err := env.events(s.Role).ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	opts := []Option{
		{Value: NotifyNone, Label: "none"},
		{Value: NotifyNew, Label: "a new topic, " + eventsName(s) + " (teardown deletes it)"},
	}
	for _, arn := range arns {
		o := Option{Value: arn, Label: arn}
		if err := validateNotifyTopic(arn); err != nil {
			o.Disabled, o.Note = true, err.Error()
		}
		opts = append(opts, o)
	}
	return opts, nil
}

func describeNotify(role Role, s *Session) string {
	on, other := "the endpoint service", "the consumer"
	if role == RoleConsumer {
		on, other = "the endpoint", "the provider"
	}
	var b strings.Builder
	switch choice := topicChoice(s); choice {
	case NotifyNone:
		fmt.Fprintf(&b, "No connection notifications: while it waits for %s, plwiz looks every few seconds.", other)
		return b.String()
	case NotifyNew:
		fmt.Fprintf(&b, "Create the SNS topic %s (tagged %s=%s; teardown deletes it), let %s publish to it, and send it the Connect, Accept, Reject and Delete events of %s.",
			eventsName(s), awsops.TagSession, s.ID, awsops.VPCEPrincipal, on)
	default:
		fmt.Fprintf(&b, "Send the Connect, Accept, Reject and Delete events of %s to %s (yours: teardown leaves it). plwiz checks that its policy lets %s publish, and asks before adding that.",
			on, choice, awsops.VPCEPrincipal)
	}
	if liveUpdates(s) {
		fmt.Fprintf(&b, " Live updates: create the SQS queue %s, subscribed to the topic, which plwiz long-polls while it waits for %s; teardown deletes it.", eventsName(s), other)
	}
	return b.String()
}

// vpcePolicyCheck names the topic policy check.
const vpcePolicyCheck = "the topic's policy lets " + awsops.VPCEPrincipal + " publish"

func doNotify(ctx context.Context, env *Env, s *Session, role Role) (Result, error) {
	choice, live := topicChoice(s), liveUpdates(s)
	if choice == NotifyNone {
		other := "consumer"
		if role == RoleConsumer {
			other = "provider"
		}
		return Result{Detail: "none: plwiz looks every few seconds while it waits for the " + other}, nil
	}
	tgt := targetOf(role, s)
	if tgt.id == "" {
		return Result{}, fmt.Errorf("no %s to notify on yet", strings.TrimSpace(tgt.what))
	}
	api := env.events(role)
	tags := awsops.Tags{awsops.TagSession: s.ID}
	var topic awsops.Topic
	if choice == NotifyNew {
		made, err := api.CreateTopic(ctx, eventsName(s), tags)
		if err != nil {
			return Result{}, err
		}
		s.SetResource(ResNotifyTopic, made.ARN)
		s.MarkCreated(ResNotifyTopic, made.ARN, StepNotify, env.now())
		if !awsops.CheckTopicForVPCE(made, tgt.source, s.Account).OK {
			// The topic is plwiz's own, made for this: no need to ask.
			if made, err = api.AllowVPCEPublish(ctx, made.ARN, tgt.source, s.Account); err != nil {
				return Result{}, err
			}
		}
		topic = made
	} else {
		if err := topicOfSession(choice, s); err != nil {
			return Result{}, &BadInputError{Err: err}
		}
		found, err := api.DescribeTopic(ctx, choice)
		if err != nil {
			return Result{}, err
		}
		topic = found
		s.SetResource(ResNotifyTopic, topic.ARN)
		if c := awsops.CheckTopicForVPCE(topic, tgt.source, s.Account); !c.OK {
			check := CheckResult{Name: vpcePolicyCheck, Expected: "an Allow of SNS:Publish for " + awsops.VPCEPrincipal + " on behalf of " + tgt.what,
				Seen: c.Problem, Fatal: true}
			if c.Fixed == "" {
				check.Hint = "Change the topic's policy yourself, choose another topic, or let plwiz create one (" + NotifyNew + ")."
				return Result{Checks: []CheckResult{check}}, nil
			}
			arn, source := topic.ARN, tgt.source
			check.Hint = "AWS refuses a notification to a topic that " + awsops.VPCEPrincipal + " may not publish to. plwiz can add the statement AWS's PrivateLink guide gives, limited to " +
				tgt.what + " of account " + s.Account + "; the policy would then read: " + c.Fixed
			check.Fix = &Fix{Label: "add to the policy of " + arn + " a statement letting " + awsops.VPCEPrincipal + " publish",
				Do: func(ctx context.Context, env *Env, s *Session) error {
					_, err := env.events(role).AllowVPCEPublish(ctx, arn, source, s.Account)
					return err
				}}
			return Result{Checks: []CheckResult{check}}, nil
		}
	}
	detail := fmt.Sprintf("Connect, Accept, Reject and Delete events of %s go to %s", tgt.what, topic.ARN)
	if live {
		q, err := eventsQueue(ctx, env, s, api, tags)
		if err != nil {
			return Result{}, err
		}
		if !awsops.CheckQueueForTopic(q, topic.ARN).OK {
			// The queue is plwiz's own: letting the topic in is what it is for.
			if q, err = api.AllowTopicToQueue(ctx, q, topic.ARN); err != nil {
				return Result{}, err
			}
		}
		sub, err := api.Subscribe(ctx, topic.ARN, q.ARN)
		if err != nil {
			return Result{}, err
		}
		s.SetResource(ResEventsSubscribe, sub)
		s.MarkCreated(ResEventsSubscribe, sub, StepNotify, env.now())
		detail += fmt.Sprintf("; live updates through the queue %s", q.ARN)
	}
	// The token changes with the target and the topic, so a new endpoint
	// (after a rejection) or another topic gets a notification of its own.
	h := fnv.New32a()
	h.Write([]byte(tgt.id + " " + topic.ARN))
	n, err := tgt.create(ctx, env, awsops.NotificationInput{TopicARN: topic.ARN, ClientToken: s.ClientToken(fmt.Sprintf("nfn-%08x", h.Sum32()))})
	if err != nil {
		return Result{}, err
	}
	s.SetResource(ResNotification, n.ID)
	s.MarkCreated(ResNotification, n.ID, StepNotify, env.now())
	return Result{Detail: detail + " (" + n.ID + ")"}, nil
}

// eventsQueue is the session's queue: the one made before, else a new one.
func eventsQueue(ctx context.Context, env *Env, s *Session, api eventsAPI, tags awsops.Tags) (awsops.Queue, error) {
	if url := s.Resource(ResEventsQueueURL); url != "" {
		q, err := api.DescribeQueue(ctx, url)
		if awsops.KindOf(err) != awsops.KindNotFound {
			return q, err
		}
	}
	// SQS's CreateQueue finds the queue of that name when no attribute
	// asked for differs: a re-run after a crash makes no second one.
	q, err := api.CreateQueue(ctx, eventsName(s), tags)
	if err != nil {
		return awsops.Queue{}, err
	}
	s.SetResource(ResEventsQueueURL, q.URL)
	s.SetResource(ResEventsQueueARN, q.ARN)
	s.MarkCreated(ResEventsQueueURL, q.URL, StepNotify, env.now())
	return q, nil
}

var reTopicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// validateNotifyTopic accepts none, new, or the ARN of a standard SNS
// topic.
func validateNotifyTopic(v string) error {
	if v == NotifyNone || v == NotifyNew {
		return nil
	}
	f := strings.Split(v, ":")
	if len(f) != 6 || f[0] != "arn" || !awsid.IsPartition(f[1]) || f[2] != "sns" || !awsid.IsRegion(f[3]) || !awsid.IsAccount(f[4]) {
		return fmt.Errorf("expected %s, %s, or an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), found %s", NotifyNone, NotifyNew, quoteInput(v))
	}
	if strings.HasSuffix(f[5], ".fifo") {
		return fmt.Errorf("%s is a FIFO topic: publishing to one needs a message group ID, which connection notifications do not send; choose a standard topic", quoteInput(v))
	}
	if !reTopicName.MatchString(f[5]) {
		return fmt.Errorf("the topic name in %s is not 1 to 256 letters, digits, hyphens and underscores", quoteInput(v))
	}
	return nil
}

// topicOfSession refuses a topic of another account or region: plwiz
// checks and fixes its policy and subscribes the party's queue to it, all
// from this account, and the policy's guard names this account's sources.
func topicOfSession(arn string, s *Session) error {
	f := strings.Split(arn, ":")
	if len(f) != 6 {
		return fmt.Errorf("not a topic ARN: %s", quoteInput(arn))
	}
	if f[4] != s.Account || f[3] != s.Region {
		return fmt.Errorf("the topic %s is in account %s, region %s; this session runs in account %s, region %s. Choose a topic of this account and region, or %s for one plwiz creates",
			arn, f[4], f[3], s.Account, s.Region, NotifyNew)
	}
	return nil
}

// madeBy lists what the session created under key, sorted.
func madeBy(s *Session, key string) []string {
	var out []string
	for id, m := range s.Created {
		if m.Key == key {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// notificationTeardown deletes the connection notifications the session
// made (one per endpoint it made for the consumer), before what they are
// on.
func notificationTeardown(s *Session) []TeardownAction {
	ids := madeBy(s, ResNotification)
	if len(ids) == 0 {
		return nil
	}
	role := s.Role
	return []TeardownAction{{Label: "delete connection notification " + strings.Join(ids, ", "), Do: func(ctx context.Context, env *Env) error {
		return env.events(role).DeleteNotifications(ctx, ids...)
	}}}
}

// eventsTeardown deletes the subscription, the topic and the queue the
// session made; a topic the user chose stays, without plwiz's
// subscription.
func eventsTeardown(s *Session) []TeardownAction {
	role := s.Role
	var plan []TeardownAction
	for _, sub := range madeBy(s, ResEventsSubscribe) {
		plan = append(plan, TeardownAction{Label: "unsubscribe " + sub, Do: func(ctx context.Context, env *Env) error {
			return env.events(role).Unsubscribe(ctx, sub)
		}})
	}
	for _, arn := range madeBy(s, ResNotifyTopic) {
		plan = append(plan, TeardownAction{Label: "delete SNS topic " + arn, Do: func(ctx context.Context, env *Env) error {
			return env.events(role).DeleteTopic(ctx, arn)
		}})
	}
	for _, url := range madeBy(s, ResEventsQueueURL) {
		plan = append(plan, TeardownAction{Label: "delete SQS queue " + url, Do: func(ctx context.Context, env *Env) error {
			return env.events(role).DeleteQueue(ctx, url)
		}})
	}
	return plan
}

// notifySummary is what the summary says of notifications, or "".
func notifySummary(s *Session) string {
	topic := s.Resource(ResNotifyTopic)
	if topic == "" || s.Resource(ResNotification) == "" {
		return ""
	}
	out := "; connection notifications to " + topic
	if s.Resource(ResEventsSubscribe) != "" {
		out += ", with live updates"
	}
	return out
}
