package steps_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// party is one side of a headless run against the sandbox.
type party struct {
	env     *steps.Env
	session *steps.Session
	out     bytes.Buffer
	// noYes runs it without --yes: confirmations refused, fixes not run.
	noYes bool
	// extra are inputs runBothFlows gives besides setInputs'.
	extra map[string]string
}

// fastWorld starts a sandbox on the real clock with delays short enough for
// tests, and its data plane on loopback.
func fastWorld(t testing.TB) *sbtest.Env {
	t.Helper()
	d := sandbox.DefaultDelays().Scaled(200)
	return sbtest.Start(t, sbtest.Options{RealClock: true, Delays: &d, DataPlane: true})
}

func newParty(t testing.TB, sb *sbtest.Env, account string, role steps.Role, dir string) *party {
	t.Helper()
	client, err := awsops.New(sb.Config(t, account), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := steps.NewSession(filepath.Join(dir, "state-"+account), role, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &party{
		env: &steps.Env{AWS: client, BundleDir: dir, Probe: steps.ProbeSettings{
			ResolverAddr: sb.SB.DNSAddr(), RootCAs: sb.SB.CAPool(), CAFile: sb.SB.CAFile(), HTTPPath: "/health", Timeout: 2 * time.Second,
		}},
		session: s,
	}
}

func (p *party) runner(flow *steps.Flow) *steps.Runner {
	return &steps.Runner{
		Flow: flow, Session: p.session, Env: p.env, Out: &p.out, AssumeYes: !p.noYes, WaitTimeout: 20 * time.Second,
		Backoff: func() *steps.Backoff {
			return &steps.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}
		},
	}
}

// worldFacts reads the IDs a user would pick from the console.
type worldFacts struct {
	nlbARN, consumerVPC string
	consumerSubnets     []string
}

func facts(t testing.TB, sb *sbtest.Env) worldFacts {
	t.Helper()
	var f worldFacts
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		// The ipv4 NLB, in all three AZs (not the dualstack one).
		for arn, lb := range w.LoadBalancers {
			if lb.Name != sandbox.DualstackNLBName {
				f.nlbARN = arn
			}
		}
		if v := w.AccountVPC(sandbox.ConsumerAccountID, ""); v != nil {
			f.consumerVPC = v.ID
		}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if w.Subnets[id].VPCID == f.consumerVPC {
				f.consumerSubnets = append(f.consumerSubnets, id)
			}
		}
	})
	return f
}

// setInputs gives both parties the answers a user would, as flags would.
func setInputs(t testing.TB, sb *sbtest.Env, dir string, provider, consumer *party) {
	t.Helper()
	f := facts(t, sb)
	offer, request := filepath.Join(dir, "offer.json"), filepath.Join(dir, "request.json")
	for k, v := range map[string]string{
		steps.InNLB: f.nlbARN, steps.InPrincipals: sandbox.ConsumerAccountID, steps.InPrivateDNS: "api.example.com",
		steps.InOfferOut: offer, steps.InRequest: request, steps.InAcceptance: "true", steps.InWriteTXT: "true",
	} {
		provider.session.SetInput(k, v)
	}
	for k, v := range map[string]string{
		steps.InOffer: offer, steps.InVPC: f.consumerVPC, steps.InSubnets: strings.Join(f.consumerSubnets, ","),
		steps.InSecurityGroup: steps.CreateSecurityGroupValue, steps.InRequestOut: request,
	} {
		consumer.session.SetInput(k, v)
	}
}

func TestHeadlessTwoPartyFlow(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	errs := runBothFlows(t, sb, dir, provider, consumer, steps.ProviderFlow(), steps.ConsumerFlow())
	perr, cerr := errs[steps.RoleProvider], errs[steps.RoleConsumer]
	if perr != nil || cerr != nil {
		t.Fatalf("provider: %v\n%s\nconsumer: %v\n%s", perr, provider.out.String(), cerr, consumer.out.String())
	}

	// The AWS state reached, as AWS reports it.
	var eps []*sandbox.Endpoint
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, e := range w.Endpoints {
			eps = append(eps, e)
		}
	})
	if len(eps) != 1 {
		t.Fatalf("%d endpoints, want 1", len(eps))
	}
	if eps[0].State != sandbox.EndpointAvailable || !eps[0].PrivateDNSEnabled {
		t.Errorf("endpoint %s state %s private DNS %t, want available with private DNS on", eps[0].ID, eps[0].State, eps[0].PrivateDNSEnabled)
	}
	// What each party saw.
	for _, want := range []string{"✓ Connectivity test", "✓ DNS api.example.com", "✓ TLS", "✓ HTTP", "✓ Summary: use api.example.com:8443"} {
		if !strings.Contains(consumer.out.String(), want) {
			t.Errorf("consumer output lacks %q:\n%s", want, consumer.out.String())
		}
	}
	for _, want := range []string{"✓ Verify the private DNS name: api.example.com is verified", "✓ Accept the consumer's endpoint: accepted " + eps[0].ID, "✓ Summary: service"} {
		if !strings.Contains(provider.out.String(), want) {
			t.Errorf("provider output lacks %q:\n%s", want, provider.out.String())
		}
	}
	// The consumer's VPC had DNS hostnames off: --yes let plwiz fix it.
	if !strings.Contains(consumer.out.String(), "fixed: turn on DNS support and hostnames") {
		t.Errorf("consumer output does not show the VPC DNS fix:\n%s", consumer.out.String())
	}
	for _, p := range []*party{provider, consumer} {
		s, err := steps.LoadSession(p.session.Path())
		if err != nil {
			t.Fatal(err)
		}
		if !s.Finished() {
			t.Errorf("%s session not finished: %+v", s.Role, s.Steps)
		}
	}
}

func TestRejectedEndpointExplainsAndNewEndpointRecovers(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
	consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
	f := facts(t, sb)
	offer := filepath.Join(dir, "offer.json")
	for k, v := range map[string]string{steps.InNLB: f.nlbARN, steps.InPrincipals: sandbox.ConsumerAccountID, steps.InOfferOut: offer} {
		provider.session.SetInput(k, v)
	}
	ctx := context.Background()
	// The provider runs up to the offer (no private DNS name).
	pflow := steps.ProviderFlow()
	pflow.Steps = pflow.Steps[:slices.IndexFunc(pflow.Steps, func(s *steps.Step) bool { return s.ID == steps.StepImportRequest })]
	if err := provider.runner(pflow).Run(ctx); err != nil {
		t.Fatalf("provider: %v\n%s", err, provider.out.String())
	}
	for k, v := range map[string]string{steps.InOffer: offer, steps.InVPC: f.consumerVPC, steps.InSubnets: f.consumerSubnets[0],
		steps.InRequestOut: filepath.Join(dir, "request.json")} {
		consumer.session.SetInput(k, v)
	}
	done := make(chan error, 1)
	go func() { done <- consumer.runner(steps.ConsumerFlow()).Run(ctx) }()

	// The provider rejects whatever arrives.
	client, err := awsops.New(sb.Config(t, "provider"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := provider.session.Resource(steps.ResServiceID)
	// decide waits for the next endpoint to ask for a connection and accepts
	// or rejects it, as the provider would.
	decide := func(accept bool) string {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			conns, err := client.Provider().ListConnections(ctx, svc, awsops.ConnectionFilter{States: []awsops.EndpointState{awsops.EndpointPendingAcceptance}})
			if err != nil {
				t.Fatal(err)
			}
			if len(conns) == 0 {
				continue
			}
			id := conns[0].EndpointID
			do := client.Provider().RejectConnections
			if accept {
				do = client.Provider().AcceptConnections
			}
			if err := do(ctx, svc, []string{id}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		return ""
	}
	rejected := decide(false)
	err = <-done
	var re *steps.RunError
	if !errors.As(err, &re) || re.Code != steps.ExitFailed || re.Step != steps.StepWaitAcceptance {
		t.Fatalf("consumer ended with %v, want a failure at %s", err, steps.StepWaitAcceptance)
	}
	if !strings.Contains(re.Hint, "A rejected endpoint stays rejected") || !strings.Contains(consumer.out.String(), "the provider rejected "+rejected) {
		t.Errorf("hint %q, output:\n%s", re.Hint, consumer.out.String())
	}

	// The way out the failed wait offers: a new endpoint, not a second try
	// of the rejected one.
	status, err := stepOf(t, steps.ConsumerFlow(), steps.StepWaitAcceptance).Poll(ctx, consumer.env, consumer.session)
	if err != nil || !status.Failed || status.Recover == nil {
		t.Fatalf("poll after rejection: %+v, %v; want a failure offering a new endpoint", status, err)
	}
	if err := status.Recover.Do(ctx, consumer.env, consumer.session); err != nil {
		t.Fatal(err)
	}
	if consumer.session.Resource(steps.ResEndpointID) != "" || consumer.session.Step(steps.StepCreateEndpoint).State != steps.StatePending {
		t.Fatalf("recover did not reset the endpoint steps: %+v", consumer.session.Steps[steps.StepCreateEndpoint])
	}
	go func() { done <- consumer.runner(steps.ConsumerFlow()).Run(ctx) }()
	second := decide(true)
	if err := <-done; err != nil {
		t.Fatalf("consumer after NewEndpoint: %v\n%s", err, consumer.out.String())
	}
	if second == rejected || second == "" {
		t.Errorf("second endpoint %q, first %q: want a new one", second, rejected)
	}

	// The provider had imported the first request; its connections table
	// reads the new request file and expects the new endpoint.
	provider.session.SetInput(steps.InRequest, filepath.Join(dir, "request.json"))
	provider.session.SetResource(steps.ResExpected, rejected)
	table := stepOf(t, steps.ProviderFlow(), steps.StepConnections).Table
	rows, err := table.Rows(ctx, provider.env, provider.session)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Expected != (r.ID == second) {
			t.Errorf("row %s (%s) expected=%t; only the new endpoint %s is expected", r.ID, r.State, r.Expected, second)
		}
	}
	if !table.Done(rows, provider.session) {
		t.Errorf("connections not done once the new endpoint is accepted: %+v", rows)
	}
}

var errCrash = errors.New("simulated crash")

// crashAt returns a copy of flow whose step id does its work and then
// "crashes": what the step learnt is dropped before the session is saved,
// as if the process died between AWS's answer and the save.
func crashAt(flow *steps.Flow, id string) *steps.Flow {
	out := &steps.Flow{Role: flow.Role}
	for _, st := range flow.Steps {
		if st.ID == id {
			orig := st.Do
			c := *st
			c.Do = func(ctx context.Context, env *steps.Env, s *steps.Session) (steps.Result, error) {
				res, in := maps.Clone(s.Resources), maps.Clone(s.Inputs)
				if orig != nil {
					if _, err := orig(ctx, env, s); err != nil {
						return steps.Result{}, err
					}
				}
				s.Resources, s.Inputs = res, in
				return steps.Result{}, errCrash
			}
			st = &c
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// counts are the resources the flows create, as the sandbox holds them.
type counts struct{ services, endpoints, groups, txt int }

func countResources(sb *sbtest.Env) counts {
	var c counts
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		c.services, c.endpoints = len(w.Services), len(w.Endpoints)
		for _, g := range w.SecurityGroups {
			if strings.HasPrefix(g.Name, "plwiz-") {
				c.groups++
			}
		}
		for _, z := range w.HostedZones {
			for _, r := range z.Records {
				if r.Type == "TXT" {
					c.txt++
				}
			}
		}
	})
	return c
}

func TestResumeAfterACrashAtEachStepMakesNoDuplicates(t *testing.T) {
	for _, role := range []steps.Role{steps.RoleProvider, steps.RoleConsumer} {
		flow := steps.ProviderFlow()
		if role == steps.RoleConsumer {
			flow = steps.ConsumerFlow()
		}
		for _, st := range flow.Steps {
			t.Run(string(role)+"/"+st.ID, func(t *testing.T) {
				t.Parallel()
				sb := fastWorld(t)
				dir := t.TempDir()
				provider := newParty(t, sb, "provider", steps.RoleProvider, dir)
				consumer := newParty(t, sb, "consumer", steps.RoleConsumer, dir)
				crashing := provider
				if role == steps.RoleConsumer {
					crashing = consumer
				}
				// Run both; the crashing party stops at st.ID.
				pflow, cflow := steps.ProviderFlow(), steps.ConsumerFlow()
				if role == steps.RoleProvider {
					pflow = crashAt(pflow, st.ID)
				} else {
					cflow = crashAt(cflow, st.ID)
				}
				var adopt []func()
				if st.ID == steps.StepAddNLB {
					// It runs only for a provider adopting a service:
					// the crash comes after AWS added the load balancer.
					v4, ds, _ := worldNLBs(t, sb.SB)
					svc := existingService(t, provider, []string{v4})
					adopt = append(adopt, func() {
						delete(provider.session.Inputs, steps.InNLB)
						provider.session.SetInput(steps.InServiceID, svc.ID)
						provider.session.SetInput(steps.InAddNLB, ds)
					})
					defer func() {
						if got := serviceNLBs(sb, svc.ID); len(got) != 2 || provider.session.Resource(steps.ResAddedNLBs) != ds {
							t.Errorf("after resume the service has %v and the session records %q as added, want %s once", got, provider.session.Resource(steps.ResAddedNLBs), ds)
						}
					}()
				}
				first := runBothFlows(t, sb, dir, provider, consumer, pflow, cflow, adopt...)
				if err := first[role]; !errors.Is(err, errCrash) {
					t.Fatalf("first run of the %s ended with %v, want the simulated crash", role, err)
				}
				// The process is gone; a new one loads the session file.
				resumed, err := steps.LoadSession(crashing.session.Path())
				if err != nil {
					t.Fatal(err)
				}
				if got := resumed.Step(st.ID).State; got != steps.StateFailed {
					t.Fatalf("step %s saved as %s, want failed", st.ID, got)
				}
				crashing.session = resumed
				crashing.out.Reset()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				errs := map[steps.Role]error{}
				var mu sync.Mutex
				var wg sync.WaitGroup
				for _, p := range []*party{provider, consumer} {
					flow := steps.ProviderFlow()
					if p.session.Role == steps.RoleConsumer {
						flow = steps.ConsumerFlow()
					}
					if p.session.Finished() {
						continue
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						err := p.runner(flow).Run(ctx)
						mu.Lock()
						errs[p.session.Role] = err
						mu.Unlock()
					}()
				}
				wg.Wait()
				for r, err := range errs {
					if err != nil {
						t.Fatalf("%s after resume: %v\nprovider:\n%s\nconsumer:\n%s", r, err, provider.out.String(), consumer.out.String())
					}
				}
				if got, want := countResources(sb), (counts{services: 1, endpoints: 1, groups: 1, txt: 1}); got != want {
					t.Errorf("resources after resume %+v, want %+v (no duplicates)", got, want)
				}
			})
		}
	}
}

// runBothFlows is runBoth with the flows given, returning each role's error.
func runBothFlows(t *testing.T, sb *sbtest.Env, dir string, provider, consumer *party, pflow, cflow *steps.Flow, adjust ...func()) map[steps.Role]error {
	t.Helper()
	setInputs(t, sb, dir, provider, consumer)
	for _, f := range adjust {
		f() // inputs a test gives on top of the usual ones
	}
	for _, p := range []*party{provider, consumer} {
		for k, v := range p.extra {
			p.session.SetInput(k, v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A party whose other side crashed would wait forever; the crash ends
	// the run of both.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errs := map[steps.Role]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, pf := range []struct {
		p    *party
		flow *steps.Flow
	}{{provider, pflow}, {consumer, cflow}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := pf.p.runner(pf.flow).Run(ctx)
			if errors.Is(err, errCrash) {
				stop()
			}
			mu.Lock()
			errs[pf.p.session.Role] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	return errs
}
