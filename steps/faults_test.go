package steps_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/handoff"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// Real accounts, real faults: each class of failure the sandbox can make,
// end to end through the headless runner.

// faultyWorld is fastWorld with faults injected.
func faultyWorld(t *testing.T, f sandbox.Faults, visibility time.Duration) *sbtest.Env {
	t.Helper()
	d := sandbox.DefaultDelays().Scaled(200)
	if visibility > 0 {
		d.Visibility = visibility
	}
	return sbtest.Start(t, sbtest.Options{RealClock: true, Delays: &d, DataPlane: true, Faults: f})
}

// logged makes a party's client log every attempt (never a credential),
// so a test can see which failures AWS returned on the way.
type logged struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logged) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logged) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func loggedParty(t *testing.T, sb *sbtest.Env, account string, role steps.Role, dir string, log *logged) *party {
	t.Helper()
	p := newParty(t, sb, account, role, dir)
	client, err := awsops.New(sb.Config(t, account), awsops.Options{LogWriter: log, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p.env.AWS = client
	return p
}

func upTo(flow *steps.Flow, id string) *steps.Flow {
	i := slices.IndexFunc(flow.Steps, func(s *steps.Step) bool { return s.ID == id })
	return &steps.Flow{Role: flow.Role, Steps: flow.Steps[:i]}
}

// endpointUpForAcceptance runs the provider to its offer (allowing
// principals) and the consumer to its request, and returns the endpoint.
func endpointUpForAcceptance(t *testing.T, sb *sbtest.Env, dir, principals string) (provider, consumer *party, endpoint string) {
	t.Helper()
	provider = newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer = newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	f := facts(t, sb)
	offer := filepath.Join(dir, "offer.json")
	for k, v := range map[string]string{steps.InNLB: f.nlbARN, steps.InPrincipals: principals, steps.InOfferOut: offer} {
		provider.session.SetInput(k, v)
	}
	ctx := context.Background()
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(ctx); err != nil {
		t.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	for k, v := range map[string]string{steps.InOffer: offer, steps.InVPC: f.consumerVPC, steps.InSubnets: f.consumerSubnets[0],
		steps.InRequestOut: filepath.Join(dir, "request.json")} {
		consumer.session.SetInput(k, v)
	}
	if err := consumer.runner(upTo(steps.ConsumerFlow(), steps.StepWaitAcceptance)).Run(ctx); err != nil {
		t.Fatalf("consumer: %v\n%s", err, consumer.out.String())
	}
	return provider, consumer, consumer.session.Resource(steps.ResEndpointID)
}

func endpointState(sb *sbtest.Env, id string) string {
	var st string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		if e := w.Endpoints[id]; e != nil {
			st = e.State
		}
	})
	return st
}

// TestForgedRequestIsRefused: a request whose claims AWS contradicts is
// refused, explaining, and nothing is accepted on its word.
func TestForgedRequestIsRefused(t *testing.T) {
	forge := func(t *testing.T, dir string, provider *party, account, endpoint string) {
		t.Helper()
		path := filepath.Join(dir, "forged.json")
		req := handoff.Request{
			ServiceID: provider.session.Resource(steps.ResServiceID), ConsumerAccountID: account,
			PrincipalARN: "arn:aws:iam::" + account + ":root", EndpointIDs: []string{endpoint},
			ConsumerRegion: "us-east-1", AZIDs: []string{"use1-az1"}, CreatedAt: time.Now().UTC(),
		}
		if err := handoff.WriteFile(path, req); err != nil {
			t.Fatal(err)
		}
		provider.session.SetInput(steps.InRequest, path)
	}
	t.Run("the claimed account is not an allowed principal", func(t *testing.T) {
		sb := fastWorld(t)
		dir := t.TempDir()
		provider, _, endpoint := endpointUpForAcceptance(t, sb, dir, sandbox.ConsumerAccountID)
		forge(t, dir, provider, "333333333333", endpoint)
		err := provider.runner(steps.ProviderFlow()).Run(context.Background())
		var re *steps.RunError
		if !errors.As(err, &re) || re.Code != steps.ExitBadInput || re.Step != steps.StepImportRequest {
			t.Fatalf("provider ended with %v, want bad input at the import", err)
		}
		if !strings.Contains(err.Error(), "account 333333333333, which is not an allowed principal") || !strings.Contains(err.Error(), "may be forged") {
			t.Errorf("error does not explain: %v", err)
		}
		if st := endpointState(sb, endpoint); st != sandbox.EndpointPendingAcceptance {
			t.Errorf("endpoint %s is %s: a forged request got it accepted", endpoint, st)
		}
	})
	t.Run("the endpoint belongs to another account than claimed", func(t *testing.T) {
		sb := fastWorld(t)
		dir := t.TempDir()
		provider, _, endpoint := endpointUpForAcceptance(t, sb, dir, sandbox.ConsumerAccountID+",333333333333")
		forge(t, dir, provider, "333333333333", endpoint)
		err := provider.runner(steps.ProviderFlow()).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "comes from account 333333333333, but AWS says account "+sandbox.ConsumerAccountID+" owns it") {
			t.Fatalf("provider ended with %v, want the owner mismatch explained", err)
		}
		if st := endpointState(sb, endpoint); st != sandbox.EndpointPendingAcceptance {
			t.Errorf("endpoint %s is %s: a forged request got it accepted", endpoint, st)
		}
	})
	t.Run("an owner that is no longer allowed is never accepted", func(t *testing.T) {
		sb := fastWorld(t)
		dir := t.TempDir()
		provider, _, endpoint := endpointUpForAcceptance(t, sb, dir, sandbox.ConsumerAccountID)
		ctx := context.Background()
		svc := provider.session.Resource(steps.ResServiceID)
		if err := provider.env.AWS.Provider().RevokePrincipals(ctx, svc, []string{"arn:aws:iam::" + sandbox.ConsumerAccountID + ":root"}); err != nil {
			t.Fatal(err)
		}
		accept := stepOf(t, steps.ProviderFlow(), steps.StepConnections).Table.Actions[0]
		_, err := accept.Do(ctx, provider.env, provider.session, []string{endpoint})
		if err == nil || !strings.Contains(err.Error(), "belongs to account "+sandbox.ConsumerAccountID+", which is not an allowed principal") {
			t.Fatalf("accept: %v, want a refusal naming the owner", err)
		}
		if st := endpointState(sb, endpoint); st != sandbox.EndpointPendingAcceptance {
			t.Errorf("endpoint %s is %s", endpoint, st)
		}
	})
}

// TestEventualConsistencyIsRetried: with new resources hidden from
// Describe calls for a while, as EC2 does, both flows still finish: a
// NotFound for what the session just made is retried.
func TestEventualConsistencyIsRetried(t *testing.T) {
	sb := faultyWorld(t, sandbox.Faults{Consistency: true}, 400*time.Millisecond)
	// What the world starts with existed before plwiz ran: wait until
	// the sandbox shows it, as a real account would.
	waitVisible(t, sb)
	dir := t.TempDir()
	var plog, clog logged
	provider := loggedParty(t, sb, "provider", steps.RoleProvider, dir, &plog)
	consumer := loggedParty(t, sb, "consumer", steps.RoleConsumer, dir, &clog)
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
	if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", errs[steps.RoleProvider], provider.out.String(), errs[steps.RoleConsumer], consumer.out.String())
	}
	if !strings.Contains(plog.String()+clog.String(), "NotFound") {
		t.Errorf("no NotFound was ever returned: the fault did not happen, so this proves nothing\n%s", plog.String())
	}
}

func waitVisible(t *testing.T, sb *sbtest.Env) {
	t.Helper()
	client, err := awsops.New(sb.Config(t, "provider"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if lbs, err := client.Provider().ListNetworkLoadBalancers(context.Background()); err == nil && len(lbs) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the world's load balancer never became visible")
		}
	}
}

// TestThrottlingAndServerErrorsDoNotFailTheFlow: one call in five
// throttled and one in five failing with a 5xx (the seed that failed
// before) still lets both flows finish.
func TestThrottlingAndServerErrorsDoNotFailTheFlow(t *testing.T) {
	sb := faultyWorld(t, sandbox.Faults{Throttle: 0.2, ServerError: 0.2, Seed: 3}, 0)
	dir := t.TempDir()
	var plog, clog logged
	provider := loggedParty(t, sb, "provider", steps.RoleProvider, dir, &plog)
	consumer := loggedParty(t, sb, "consumer", steps.RoleConsumer, dir, &clog)
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
	if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", errs[steps.RoleProvider], provider.out.String(), errs[steps.RoleConsumer], consumer.out.String())
	}
	all := plog.String() + clog.String()
	if !strings.Contains(all, "RequestLimitExceeded") || !strings.Contains(all, "InternalError") {
		t.Errorf("the faults did not happen:\n%s", all)
	}
}

// TestUnreachableEndpointEndsTheWaitAtOnce: a resumed wait against an
// endpoint URL nothing listens on fails with what to do, not after the
// wait's timeout with "no status yet".
func TestUnreachableEndpointEndsTheWaitAtOnce(t *testing.T) {
	client, err := awsops.New(sbtest.Start(t, sbtest.Options{}).Config(t, "provider"), awsops.Options{EndpointURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	flow := steps.ProviderFlow()
	s, err := steps.NewSession(t.TempDir(), steps.RoleProvider, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range flow.Steps[:slices.IndexFunc(flow.Steps, func(st *steps.Step) bool { return st.ID == steps.StepServiceReady })] {
		s.Step(st.ID).State = steps.StateDone
	}
	s.Account, s.Region = sandbox.ProviderAccountID, "us-east-1"
	s.SetResource(steps.ResServiceID, "vpce-svc-0123456789abcdef0")
	var out bytes.Buffer
	r := &steps.Runner{Flow: flow, Session: s, Env: &steps.Env{AWS: client}, Out: &out, WaitTimeout: time.Hour}
	err = r.Run(context.Background())
	var re *steps.RunError
	if !errors.As(err, &re) || re.Code != steps.ExitFailed || re.Step != steps.StepServiceReady {
		t.Fatalf("ended with %v, want a failure of the wait", err)
	}
	if errors.Is(err, steps.ErrWaitTimeout) || strings.Contains(out.String(), "no status yet") {
		t.Errorf("the wait ran out its time instead of ending: %v\n%s", err, out.String())
	}
	if !strings.Contains(re.Hint, "Is something listening at http://127.0.0.1:1") {
		t.Errorf("hint %q does not say what to do", re.Hint)
	}
}

// TestResumeMakesAgainWhatIsGone: a service the session made that AWS no
// longer has (the sandbox lost it, someone deleted it) stops the resumed
// flow with what happened; with --yes the flow makes it again and goes on.
func TestResumeMakesAgainWhatIsGone(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	f := facts(t, sb)
	for k, v := range map[string]string{steps.InNLB: f.nlbARN, steps.InPrincipals: sandbox.ConsumerAccountID, steps.InOfferOut: filepath.Join(dir, "offer.json")} {
		provider.session.SetInput(k, v)
	}
	ctx := context.Background()
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepAllow)).Run(ctx); err != nil {
		t.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	old := provider.session.Resource(steps.ResServiceID)
	sb.SB.World(func(w *sandbox.World, _ time.Time) { delete(w.Services, old) })
	// Made long enough ago that a NotFound means gone, not "not visible yet".
	made := provider.session.Created[old]
	made.At = made.At.Add(-time.Hour)
	provider.session.Created[old] = made

	flow := upTo(steps.ProviderFlow(), steps.StepImportRequest)
	r := provider.runner(flow)
	r.AssumeYes = false
	err := r.Run(ctx)
	var re *steps.RunError
	if !errors.As(err, &re) || re.Step != steps.StepAllow || !strings.Contains(re.Hint, old+", which this session created, is gone") {
		t.Fatalf("without --yes: %v, want the allow step to say the service is gone", err)
	}
	provider.out.Reset()
	if err := provider.runner(flow).Run(ctx); err != nil {
		t.Fatalf("with --yes: %v\n%s", err, provider.out.String())
	}
	now := provider.session.Resource(steps.ResServiceID)
	if now == "" || now == old {
		t.Fatalf("service %q after the resume, was %q: want a new one", now, old)
	}
	var services []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) { services = sandbox.SortedKeys(w.Services) })
	if !slices.Equal(services, []string{now}) {
		t.Errorf("services %v, want only the new %s", services, now)
	}
	if !strings.Contains(provider.out.String(), "is gone: create the endpoint service again") {
		t.Errorf("output does not say what was made again:\n%s", provider.out.String())
	}
}

// TestOfferThatDiffersFromAWSFailsTheServiceCheck: an offer naming another
// private DNS name than the service's (an IDN look-alike) stops the
// consumer at "Check the service".
func TestOfferThatDiffersFromAWSFailsTheServiceCheck(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	setInputs(t, sb, dir, provider, consumer)
	ctx := context.Background()
	if err := provider.runner(upTo(steps.ProviderFlow(), steps.StepImportRequest)).Run(ctx); err != nil {
		t.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	b, err := handoff.ReadFile(provider.session.Resource(steps.ResOfferPath), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	offer := b.(handoff.Offer)
	offer.PrivateDNSName = "api.xn--exmple-cua.com"
	forged := filepath.Join(dir, "forged-offer.json")
	if err := handoff.WriteFile(forged, offer); err != nil {
		t.Fatal(err)
	}
	consumer.session.SetInput(steps.InOffer, forged)
	err = consumer.runner(steps.ConsumerFlow()).Run(ctx)
	var re *steps.RunError
	if !errors.As(err, &re) || re.Step != steps.StepServiceCheck {
		t.Fatalf("consumer ended with %v, want a failure at the service check\n%s", err, consumer.out.String())
	}
	if want := "private DNS name: the offer says api.xn--exmple-cua.com, AWS says api.example.com"; !strings.Contains(consumer.out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, consumer.out.String())
	}
}
