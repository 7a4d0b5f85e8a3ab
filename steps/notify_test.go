package steps_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// callProbe counts a party's calls by operation and the messages its
// long polls brought.
type callProbe struct {
	mu       sync.Mutex
	calls    map[string]int
	received int
}

func (p *callProbe) option(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test/CallProbe",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			p.mu.Lock()
			defer p.mu.Unlock()
			p.calls[middleware.GetOperationName(ctx)]++
			if r, ok := out.Result.(*sqs.ReceiveMessageOutput); ok && err == nil {
				p.received += len(r.Messages)
			}
			return out, md, err
		}), middleware.Before)
}

func (p *callProbe) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// total counts every call.
func (p *callProbe) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		n += c
	}
	return n
}

func (p *callProbe) messages() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.received
}

// probedParty is a party whose client counts its calls.
func probedParty(t testing.TB, sb *sbtest.Env, account string, role steps.Role, dir string) (*party, *callProbe) {
	t.Helper()
	p := newParty(t, sb, account, role, dir)
	probe := &callProbe{calls: map[string]int{}}
	client, err := awsops.New(sb.Config(t, account), awsops.Options{APIOptions: []func(*middleware.Stack) error{probe.option}})
	if err != nil {
		t.Fatal(err)
	}
	p.env.AWS = client
	return p, probe
}

// pollLog records the states a wait's polls saw.
type pollLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *pollLog) states() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen)
}

// logPolls returns flow with the Poll of step id recording what it saw.
func logPolls(flow *steps.Flow, id string, log *pollLog) *steps.Flow {
	return observePolls(flow, id, func(status steps.Status, err error) {
		if err == nil {
			log.mu.Lock()
			log.seen = append(log.seen, status.State)
			log.mu.Unlock()
		}
	})
}

// observePolls returns flow with every Poll of step id told to see.
func observePolls(flow *steps.Flow, id string, see func(steps.Status, error)) *steps.Flow {
	out := &steps.Flow{Role: flow.Role}
	for _, st := range flow.Steps {
		if st.ID == id {
			c, poll := *st, st.Poll
			c.Poll = func(ctx context.Context, env *steps.Env, s *steps.Session) (steps.Status, error) {
				status, err := poll(ctx, env, s)
				see(status, err)
				return status, err
			}
			st = &c
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// notifyState is what the sandbox holds of topics, queues, subscriptions
// and connection notifications.
type notifyState struct {
	topics, queues, subscriptions, notifications []string
	policies                                     map[string]string // topic ARN → policy
	pending                                      int               // subscriptions awaiting confirmation
	tagged                                       map[string]string // topic or queue → its plwiz:session tag
	notifyOn                                     map[string]string // notification ID → its service or endpoint
}

func notifyWorld(sb *sbtest.Env) notifyState {
	st := notifyState{policies: map[string]string{}, tagged: map[string]string{}, notifyOn: map[string]string{}}
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		n := w.Notify
		if n == nil {
			return
		}
		for arn, topic := range n.Topics {
			st.topics = append(st.topics, arn)
			st.policies[arn] = topic.Policy
			for _, tag := range topic.Tags {
				if tag.Key == awsops.TagSession {
					st.tagged[arn] = tag.Value
				}
			}
		}
		for arn, q := range n.Queues {
			st.queues = append(st.queues, arn)
			if v, ok := q.Tags[awsops.TagSession]; ok {
				st.tagged[arn] = v
			}
		}
		for arn, s := range n.Subscriptions {
			st.subscriptions = append(st.subscriptions, arn)
			if s.Pending() {
				st.pending++
			}
		}
		for id, cn := range n.ConnectionNotifications {
			st.notifications = append(st.notifications, id)
			st.notifyOn[id] = cn.ServiceID + cn.EndpointID
		}
	})
	for _, l := range [][]string{st.topics, st.queues, st.subscriptions, st.notifications} {
		slices.Sort(l)
	}
	return st
}

// liveInputs turns live updates on for a party; topic "" leaves the
// notify-topic question unanswered (a new topic, with live updates).
func liveInputs(p *party, topic string) {
	p.session.SetInput(steps.InLiveUpdates, "true")
	if topic != "" {
		p.session.SetInput(steps.InNotifyTopic, topic)
	}
}

// waitForLongPolls waits until n long polls are blocked in the sandbox, or
// fails when done says a run ended first.
func waitForLongPolls(t *testing.T, sb *sbtest.Env, n int, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for sb.SB.LongPolls() < n {
		select {
		case err := <-done:
			t.Fatalf("the run ended before %d long polls were waiting: %v", n, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d long polls waiting after 20 s, want %d", sb.SB.LongPolls(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// idle is how long a party waits with nothing happening: with the tests'
// schedule (a look every 50 ms at most) a wait without live updates looks
// some twenty times in it.
const idle = time.Second

// TestLiveUpdatesWakeTheConsumersWait: both parties headless with live
// updates. The consumer waits for acceptance while the provider does
// nothing: its listener long-polls, and the wait does not look again
// however fast its schedule; the provider accepts, the Accept event
// reaches the consumer's queue and wakes the wait (whose own next look is
// minutes away), and the flow ends. Teardown then deletes exactly what the
// sessions made.
func TestLiveUpdatesWakeTheConsumersWait(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider, pprobe := probedParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer, cprobe := probedParty(t, sb, "consumer", steps.RoleConsumer, dir)
	setInputs(t, sb, dir, provider, consumer)
	liveInputs(provider, steps.NotifyNew)
	liveInputs(consumer, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(ctx); err != nil {
		t.Fatalf("provider to its offer: %v\n%s", err, provider.out.String())
	}
	polls := &pollLog{}
	done := make(chan error, 1)
	go func() {
		done <- consumer.runner(logPolls(steps.ConsumerFlow(), steps.StepWaitAcceptance, polls)).Run(ctx)
	}()
	waitForLongPolls(t, sb, 1, done)
	describes := cprobe.count("DescribeVpcEndpoints")
	time.Sleep(idle)
	if got := cprobe.count("DescribeVpcEndpoints") - describes; got > 1 {
		t.Errorf("the consumer's wait looked %d times while the provider did nothing for %s; live updates should leave it to the events", got, idle)
	}
	if err := provider.runner(steps.ProviderFlow()).Run(ctx); err != nil {
		t.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	if err := <-done; err != nil {
		t.Fatalf("consumer: %v\n%s", err, consumer.out.String())
	}

	seen := polls.states()
	waiting := 0
	for _, s := range seen {
		if s == string(awsops.EndpointPendingAcceptance) {
			waiting++
		}
	}
	if waiting > 2 || !slices.Contains(seen, string(awsops.EndpointAvailable)) {
		t.Errorf("the wait saw %v: want pendingAcceptance at most twice (the first look, and one just after the event), then the endpoint available", seen)
	}
	if cprobe.messages() < 1 {
		t.Errorf("the consumer's long polls brought no event (calls %v)", cprobe.calls)
	}
	// Both sessions' topics, queues, subscriptions and notifications, as
	// AWS holds them.
	ws := notifyWorld(sb)
	if len(ws.topics) != 2 || len(ws.queues) != 2 || len(ws.subscriptions) != 2 || ws.pending != 0 || len(ws.notifications) != 2 {
		t.Fatalf("after both flows: %+v", ws)
	}
	for _, p := range []*party{provider, consumer} {
		s := p.session
		topic, queue := s.Resource(steps.ResNotifyTopic), s.Resource(steps.ResEventsQueueARN)
		if ws.tagged[topic] != s.ID || ws.tagged[queue] != s.ID || !strings.HasSuffix(topic, ":plwiz-"+s.ID) {
			t.Errorf("%s: topic %s and queue %s tagged %q and %q, want both named and tagged %s", s.Role, topic, queue, ws.tagged[topic], ws.tagged[queue], s.ID)
		}
		want := s.Resource(steps.ResServiceID)
		if s.Role == steps.RoleConsumer {
			want = s.Resource(steps.ResEndpointID)
		}
		if on := ws.notifyOn[s.Resource(steps.ResNotification)]; on != want {
			t.Errorf("%s's notification is on %q, want %s", s.Role, on, want)
		}
	}
	for p, want := range map[*party][]string{
		provider: {"✓ Connection notifications: Connect, Accept, Reject and Delete events of service vpce-svc-", "live updates through the queue", "with live updates"},
		consumer: {"✓ Connection notifications: Connect, Accept, Reject and Delete events of endpoint vpce-", "; connection notifications to arn:aws:sns:"},
	} {
		for _, w := range want {
			if !strings.Contains(p.out.String(), w) {
				t.Errorf("%s output lacks %q:\n%s", p.session.Role, w, p.out.String())
			}
		}
	}
	if pprobe.count("CreateVpcEndpointConnectionNotification") != 1 || cprobe.count("CreateVpcEndpointConnectionNotification") != 1 {
		t.Errorf("notifications created: provider %d, consumer %d; want one each", pprobe.count("CreateVpcEndpointConnectionNotification"), cprobe.count("CreateVpcEndpointConnectionNotification"))
	}

	for _, p := range []*party{consumer, provider} {
		if err := steps.RunTeardown(ctx, p.env, p.session, steps.TeardownPlan(p.session), nil); err != nil {
			t.Fatalf("%s teardown: %v", p.session.Role, err)
		}
	}
	if ws := notifyWorld(sb); len(ws.topics)+len(ws.queues)+len(ws.subscriptions)+len(ws.notifications) != 0 {
		t.Errorf("left after teardown: %+v", ws)
	}
}

// tableWatcher is an interactive front end that watches the connections
// table until a row it waits for shows, counting the refreshes.
type tableWatcher struct {
	mu     sync.Mutex
	want   string
	loads  int
	shown  bool
	lastOf []string
}

func (w *tableWatcher) Interactive() bool { return true }

func (w *tableWatcher) Show(ev steps.Event) {
	if ev.Kind != steps.EventRows {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.loads++
	w.shown = true
	w.lastOf = w.lastOf[:0]
	for _, r := range ev.Rows {
		w.lastOf = append(w.lastOf, r.ID)
	}
}

func (w *tableWatcher) Ask(ctx context.Context, q steps.Question) (steps.Reply, error) {
	if q.Kind != steps.AskTable {
		return steps.Reply{Choice: steps.ChoiceStop}, nil
	}
	w.mu.Lock()
	found := w.want != "" && slices.ContainsFunc(q.Rows, func(r steps.Row) bool { return r.ID == w.want })
	w.mu.Unlock()
	if found {
		return steps.Reply{Choice: steps.ChoiceStop}, nil
	}
	<-ctx.Done() // the engine refreshes when the wait's time is up or an event wakes it
	return steps.Reply{}, ctx.Err()
}

func (w *tableWatcher) refreshes() (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.loads, w.shown
}

// TestLiveUpdatesWakeTheProvidersTable: the provider watches its
// connections table, waiting for the consumer, with live updates. While
// nothing happens it does not refresh however fast its schedule; a new
// endpoint's Connect event refreshes it at once, and the row shows.
func TestLiveUpdatesWakeTheProvidersTable(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider, pprobe := probedParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	setInputs(t, sb, dir, provider, consumer)
	provider.session.SetInput(steps.InPrivateDNS, "")
	liveInputs(provider, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(ctx); err != nil {
		t.Fatalf("provider to its offer: %v\n%s", err, provider.out.String())
	}
	if err := consumer.runner(upTo(steps.ConsumerFlow(), steps.StepWaitAcceptance)).Run(ctx); err != nil {
		t.Fatalf("consumer to its request: %v\n%s", err, consumer.out.String())
	}
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepConnections)).Run(ctx); err != nil {
		t.Fatalf("provider's import: %v\n%s", err, provider.out.String())
	}

	watcher := &tableWatcher{}
	engine := &steps.Engine{
		Flow:    &steps.Flow{Role: steps.RoleProvider, Steps: []*steps.Step{stepOf(t, steps.ProviderFlow(), steps.StepConnections)}},
		Session: provider.session, Env: provider.env,
		Schedule: func(*steps.Step) steps.Schedule {
			return steps.BackoffSchedule(&steps.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2})
		},
	}
	done := make(chan error, 1)
	go func() { done <- engine.Run(ctx, watcher) }()
	waitForLongPolls(t, sb, 1, done)
	for _, shown := watcher.refreshes(); !shown; _, shown = watcher.refreshes() {
		time.Sleep(5 * time.Millisecond)
	}
	before, _ := watcher.refreshes()
	time.Sleep(idle)
	if got, _ := watcher.refreshes(); got-before > 1 {
		t.Errorf("the table refreshed %d times while the consumer did nothing for %s", got-before, idle)
	}

	// The consumer makes a second endpoint: its Connect event wakes the
	// table.
	client, err := awsops.New(sb.Config(t, "consumer"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := facts(t, sb)
	ep, err := client.Consumer().CreateEndpoint(ctx, awsops.CreateEndpointInput{ServiceName: provider.session.Resource(steps.ResServiceName),
		VPCID: f.consumerVPC, SubnetIDs: f.consumerSubnets[:1]})
	if err != nil {
		t.Fatal(err)
	}
	watcher.mu.Lock()
	watcher.want = ep.ID
	watcher.mu.Unlock()
	if err := <-done; !errors.Is(err, steps.ErrStopped) {
		t.Fatalf("the table ended with %v, want the watcher's stop once %s showed", err, ep.ID)
	}
	if !slices.Contains(watcher.lastOf, ep.ID) {
		t.Errorf("the last rows %v lack %s", watcher.lastOf, ep.ID)
	}
	if pprobe.messages() < 1 {
		t.Errorf("the provider's long polls brought no event")
	}
}

// TestNotificationsToAChosenTopic: a topic of the provider's own whose
// policy lacks the grant. Headless without --yes, the step stops with the
// check and its hint, and changes nothing; with --yes, plwiz adds the
// statement, subscribes its queue and creates the notification. Teardown
// deletes the notification, the subscription and the queue, and leaves
// the topic.
func TestNotificationsToAChosenTopic(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	setInputs(t, sb, dir, provider, consumer)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic, err := provider.env.AWS.Provider().CreateTopic(ctx, "team-alerts", nil)
	if err != nil {
		t.Fatal(err)
	}
	liveInputs(provider, topic.ARN)
	flow := upTo(steps.ProviderFlow(), steps.StepPrivateDNS)
	r := provider.runner(flow)
	r.AssumeYes = false
	err = r.Run(ctx)
	var re *steps.RunError
	if !errors.As(err, &re) || re.Step != steps.StepNotify || re.Code != steps.ExitFailed {
		t.Fatalf("without --yes: %v, want the notify step's failed check\n%s", err, provider.out.String())
	}
	out := provider.out.String()
	for _, want := range []string{"✗ the topic's policy lets vpce.amazonaws.com publish", "hint: AWS refuses a notification", `"Service":"vpce.amazonaws.com"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	ws := notifyWorld(sb)
	if ws.policies[topic.ARN] != topic.Policy || len(ws.queues)+len(ws.subscriptions)+len(ws.notifications) != 0 {
		t.Fatalf("a refused fix changed AWS: %+v", ws)
	}

	provider.out.Reset()
	if err := provider.runner(flow).Run(ctx); err != nil {
		t.Fatalf("with --yes: %v\n%s", err, provider.out.String())
	}
	if !strings.Contains(provider.out.String(), "fixed: add to the policy of "+topic.ARN) {
		t.Errorf("output does not show the fix:\n%s", provider.out.String())
	}
	got, err := provider.env.AWS.Provider().DescribeTopic(ctx, topic.ARN)
	if err != nil {
		t.Fatal(err)
	}
	svc := provider.session.Resource(steps.ResServiceID)
	if !awsops.CheckTopicForVPCE(got, awsops.ServiceSourceARN(provider.session.Region, provider.session.Account, svc), provider.session.Account).OK {
		t.Errorf("after the fix the policy still does not let vpce publish: %s", got.Policy)
	}
	ws = notifyWorld(sb)
	if len(ws.topics) != 1 || len(ws.queues) != 1 || len(ws.subscriptions) != 1 || len(ws.notifications) != 1 || ws.notifyOn[ws.notifications[0]] != svc {
		t.Fatalf("after the fix: %+v", ws)
	}
	plan := steps.TeardownPlan(provider.session)
	var labels []string
	for _, a := range plan {
		labels = append(labels, a.Label)
	}
	if slices.ContainsFunc(labels, func(l string) bool { return strings.Contains(l, "delete SNS topic") }) {
		t.Errorf("teardown would delete the user's topic: %v", labels)
	}
	if err := steps.RunTeardown(ctx, provider.env, provider.session, plan, nil); err != nil {
		t.Fatal(err)
	}
	ws = notifyWorld(sb)
	if !slices.Equal(ws.topics, []string{topic.ARN}) || len(ws.queues)+len(ws.subscriptions)+len(ws.notifications) != 0 {
		t.Errorf("after teardown: %+v; want the user's topic alone", ws)
	}
}

// TestNotifyTopicInputs: what --notify-topic accepts, and a topic of
// another account refused before any call, saying why.
func TestNotifyTopicInputs(t *testing.T) {
	in := stepOf(t, steps.ProviderFlow(), steps.StepNotify).Inputs[1]
	if in.Key != steps.InNotifyTopic || in.Flag != "notify-topic" {
		t.Fatalf("second input %+v", in)
	}
	for _, ok := range []string{"none", "new", "arn:aws:sns:us-east-1:111111111111:alerts", "arn:aws-cn:sns:cn-north-1:111111111111:a_b-c"} {
		if _, err := in.Accept(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"alerts": "an SNS topic ARN",
		"arn:aws:sqs:us-east-1:111111111111:alerts":      "an SNS topic ARN",
		"arn:aws:sns:us-east-1:1111:alerts":              "an SNS topic ARN",
		"arn:aws:sns:us-east-1:111111111111:alerts.fifo": "FIFO topic",
		"arn:aws:sns:us-east-1:111111111111:a/b":         "not 1 to 256 letters",
	} {
		if _, err := in.Accept(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", bad, err, want)
		}
	}

	sb := fastWorld(t)
	dir := t.TempDir()
	provider, probe := probedParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	setInputs(t, sb, dir, provider, consumer)
	var region string
	sb.SB.World(func(w *sandbox.World, _ time.Time) { region = w.Region })
	liveInputs(provider, "arn:aws:sns:"+region+":"+sandbox.ConsumerAccountID+":theirs")
	err := provider.runner(upTo(steps.ProviderFlow(), steps.StepPrivateDNS)).Run(context.Background())
	var re *steps.RunError
	if !errors.As(err, &re) || re.Code != steps.ExitBadInput || re.Step != steps.StepNotify || !strings.Contains(err.Error(), "Choose a topic of this account and region") {
		t.Fatalf("another account's topic: %v\n%s", err, provider.out.String())
	}
	if n := probe.count("GetTopicAttributes") + probe.count("CreateQueue"); n != 0 {
		t.Errorf("a refused topic made %d calls", n)
	}
}

// TestResumeAfterACrashAtNotifyMakesNoDuplicates: each party's notify
// step does its work and crashes before the session is saved; the resumed
// run finds the topic, queue, subscription and notification it made.
func TestResumeAfterACrashAtNotifyMakesNoDuplicates(t *testing.T) {
	for _, role := range []steps.Role{steps.RoleProvider, steps.RoleConsumer} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			sb := fastWorld(t)
			dir := t.TempDir()
			provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
			consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
			liveInputs(provider, "")
			liveInputs(consumer, steps.NotifyNew)
			pflow, cflow := steps.ProviderFlow(), steps.ConsumerFlow()
			crashing := provider
			if role == steps.RoleProvider {
				pflow = crashAt(pflow, steps.StepNotify)
			} else {
				cflow, crashing = crashAt(cflow, steps.StepNotify), consumer
			}
			if err := runBothFlows(t, sb, dir, provider, consumer, pflow, cflow)[role]; !errors.Is(err, errCrash) {
				t.Fatalf("first run: %v, want the crash", err)
			}
			resumed, err := steps.LoadSession(crashing.session.Path())
			if err != nil {
				t.Fatal(err)
			}
			crashing.session = resumed
			errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
			if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
				t.Fatalf("after resume: %v\nprovider:\n%s\nconsumer:\n%s", errs, provider.out.String(), consumer.out.String())
			}
			ws := notifyWorld(sb)
			if len(ws.topics) != 2 || len(ws.queues) != 2 || len(ws.subscriptions) != 2 || len(ws.notifications) != 2 {
				t.Errorf("after resume: %d topics, %d queues, %d subscriptions, %d notifications; want 2 of each (one per party)",
					len(ws.topics), len(ws.queues), len(ws.subscriptions), len(ws.notifications))
			}
		})
	}
}
