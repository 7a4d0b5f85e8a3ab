package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// notifySetup is a provider whose service exists, running the real
// identity and notify steps against the sandbox.
type notifySetup struct {
	sb     *sbtest.Env
	client *awsops.Client
	flow   *steps.Flow
	svc    string
}

func newNotifySetup(t *testing.T) notifySetup {
	t.Helper()
	d := sandbox.DefaultDelays().Scaled(200)
	sb := sbtest.Start(t, sbtest.Options{RealClock: true, Delays: &d})
	client, err := awsops.New(sb.Config(t, "provider"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var nlb string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, arn := range sandbox.SortedKeys(w.LoadBalancers) {
			if nlb == "" {
				nlb = arn
			}
		}
	})
	svc, err := client.Provider().CreateService(sbtest.Context(t), awsops.CreateServiceInput{NLBARNs: []string{nlb}, AcceptanceRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	full := steps.ProviderFlow()
	flow := &steps.Flow{Role: steps.RoleProvider, Steps: []*steps.Step{full.Step(steps.StepIdentity), full.Step(steps.StepNotify)}}
	return notifySetup{sb: sb, client: client, flow: flow, svc: svc.ID}
}

func (n notifySetup) session(t *testing.T) *steps.Session {
	s := freshSession(t, n.flow)
	s.SetResource(steps.ResServiceID, n.svc)
	return s
}

func (n notifySetup) env(t *testing.T) *steps.Env {
	return &steps.Env{AWS: n.client, BundleDir: t.TempDir()}
}

// made counts the topics, queues, subscriptions and connection
// notifications AWS holds.
func (n notifySetup) made() (topics, queues, subscriptions, notifications int) {
	n.sb.SB.World(func(w *sandbox.World, _ time.Time) {
		if w.Notify != nil {
			topics, queues, subscriptions, notifications = len(w.Notify.Topics), len(w.Notify.Queues), len(w.Notify.Subscriptions), len(w.Notify.ConnectionNotifications)
		}
	})
	return
}

func (n notifySetup) lines(t *testing.T, input string) (Outcome, string) {
	t.Helper()
	var out bytes.Buffer
	o, err := Run(context.Background(), n.flow, n.session(t), n.env(t), Options{Accessible: true, Backoff: testOpts().Backoff},
		IO{In: strings.NewReader(input), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return o, out.String()
}

// TestAccessibleNotifyQuestions: the line prompts ask about live updates,
// then where the connection events go (none, a new topic, or one of the
// account's); no and none create nothing; refusing to change a topic's
// policy changes nothing and creates nothing; yes and a new topic create
// the topic, queue, subscription and notification.
func TestAccessibleNotifyQuestions(t *testing.T) {
	n := newNotifySetup(t)
	o, out := n.lines(t, "n\n1\n")
	if !o.Finished {
		t.Fatalf("no and none: %+v\n%s", o, out)
	}
	wantInOrder(t, out, "Step 2 of 2: Connection notifications",
		"Live updates while waiting for the consumer's endpoint [y/N]", "Send the connection events of the service to",
		"1. none", "2. a new topic, plwiz-provider-", "✓ none: plwiz looks every few seconds")
	if a, b, c, d := n.made(); a+b+c+d != 0 {
		t.Errorf("no and none made %d topics, %d queues, %d subscriptions, %d notifications", a, b, c, d)
	}

	topic, err := n.client.Provider().CreateTopic(sbtest.Context(t), "team-alerts", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Yes to live updates, the team's topic, then no to changing its
	// policy, and no to trying again.
	o, out = n.lines(t, "y\n3\nn\nn\n")
	if o.Finished {
		t.Fatalf("the refused fix finished the flow:\n%s", out)
	}
	wantInOrder(t, out, "3. "+topic.ARN, "✗ the topic's policy lets vpce.amazonaws.com publish",
		"hint: AWS refuses a notification", "add to the policy of "+topic.ARN)
	if got, err := n.client.Provider().DescribeTopic(sbtest.Context(t), topic.ARN); err != nil || got.Policy != topic.Policy {
		t.Errorf("the refused fix changed the topic's policy: %v\n%s", err, got.Policy)
	}
	if a, b, c, d := n.made(); a != 1 || b+c+d != 0 {
		t.Errorf("the refused fix left %d topics, %d queues, %d subscriptions, %d notifications; want the team's topic alone", a, b, c, d)
	}

	o, out = n.lines(t, "y\n2\n")
	if !o.Finished {
		t.Fatalf("yes and new: %+v\n%s", o, out)
	}
	wantInOrder(t, out, "Create the SNS topic plwiz-provider-", "Live updates: create the SQS queue", "✓ Connect, Accept, Reject and Delete events of service "+n.svc)
	if a, b, c, d := n.made(); a != 2 || b != 1 || c != 1 || d != 1 {
		t.Errorf("yes and new made %d topics (with the team's), %d queues, %d subscriptions, %d notifications; want 2, 1, 1, 1", a, b, c, d)
	}
}

// TestNotifyQuestionsOnScreen: the full screen asks the same, live
// updates first (No proposed), then the topic (none proposed, a new one
// offered); taking them goes ahead with nothing to create, and nothing is
// created.
func TestNotifyQuestionsOnScreen(t *testing.T) {
	n := newNotifySetup(t)
	s := n.session(t)
	m := New(n.flow, s, n.env(t), testOpts())
	h := newHarness(t, m, 120, 40)
	h.until("the identity step", func(m *Model) bool { return m.cur != nil && m.cur.phase == phaseReady })
	h.key("enter")
	h.until("the identity", inPhase(steps.StepIdentity, phaseResult))
	h.key("enter")
	h.until("the live updates question", inPhase(steps.StepNotify, phaseInput))
	h.untilScreen("Live updates while waiting for the consumer's endpoint")
	if got := m.cur.form.value(m.cur.st.Inputs[0]); got != "false" {
		t.Errorf("live updates proposed %q, want No", got)
	}
	h.key("enter")
	h.untilScreen("Send the connection events of the service to")
	h.untilScreen("a new topic, plwiz-provider-")
	if got := m.cur.form.value(m.cur.st.Inputs[1]); got != steps.NotifyNone {
		t.Errorf("topic proposed %q, want none", got)
	}
	h.key("enter")
	h.until("the go-ahead", inPhase(steps.StepNotify, phaseReady))
	h.untilScreen("No connection notifications")
	h.key("enter")
	h.until("the result", inPhase(steps.StepNotify, phaseResult))
	if s.Input(steps.InLiveUpdates) != "false" || s.Input(steps.InNotifyTopic) != steps.NotifyNone {
		t.Errorf("answers recorded %v", s.Inputs)
	}
	if a, b, c, d := n.made(); a+b+c+d != 0 {
		t.Errorf("No and none made %d topics, %d queues, %d subscriptions, %d notifications", a, b, c, d)
	}
}
