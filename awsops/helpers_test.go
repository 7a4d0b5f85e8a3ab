package awsops

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// recorder notes every SDK operation a client starts, before any plwiz
// middleware runs, so a test can compare them with the role's IAM policy.
type recorder struct {
	mu    sync.Mutex
	calls map[Role]map[string]int // role → "ec2:CreateVpcEndpoint" → count
}

func newRecorder() *recorder { return &recorder{calls: map[Role]map[string]int{}} }

func (r *recorder) option(role Role) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test/Recorder",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.mu.Lock()
				if r.calls[role] == nil {
					r.calls[role] = map[string]int{}
				}
				r.calls[role][actionFor(middleware.GetServiceID(ctx), middleware.GetOperationName(ctx))]++
				r.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

func (r *recorder) count(role Role, action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[role][action]
}

func (r *recorder) actions(role Role) map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.calls[role] {
		out[k] = v
	}
	return out
}

// world is a running sandbox with a provider and a consumer client.
type world struct {
	env *sbtest.Env
	p   *Provider
	c   *Consumer
	rec *recorder
}

// startWorld starts a sandbox (manual clock unless o says otherwise) and
// builds both roles' clients with short backoffs so retries stay fast.
func startWorld(t *testing.T, o sbtest.Options, extra ...func(*Options)) *world {
	t.Helper()
	env := sbtest.Start(t, o)
	rec := newRecorder()
	mk := func(name string, role Role) *Client {
		opts := Options{MaxBackoff: 2 * time.Millisecond, Timeout: 10 * time.Second, APIOptions: []func(*middleware.Stack) error{rec.option(role)}}
		for _, f := range extra {
			f(&opts)
		}
		c, err := New(env.Config(t, name), opts)
		if err != nil {
			t.Fatalf("new %s client: %v", name, err)
		}
		return c
	}
	return &world{env: env, p: mk("provider", RoleProvider).Provider(), c: mk("consumer", RoleConsumer).Consumer(), rec: rec}
}

func (w *world) account(t *testing.T, name string) sandbox.Account { return w.env.Account(t, name) }

// nlb returns the provider's demo NLB ARN and port.
func (w *world) nlb(t *testing.T) (string, int32) {
	t.Helper()
	var arn string
	var port int32
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		for _, lb := range wd.LoadBalancers {
			if lb.Name == "plwiz-demo-nlb" {
				arn = lb.ARN
			}
		}
		for _, l := range wd.Listeners {
			if l.LBARN == arn {
				port = l.Port
			}
		}
	})
	if arn == "" {
		t.Fatal("sandbox world has no load balancer")
	}
	return arn, port
}

// availableService creates an endpoint service on the demo NLB that allows
// the consumer, and waits (on the manual clock) until it is Available.
func (w *world) availableService(t *testing.T, ctx context.Context, acceptance bool) Service {
	t.Helper()
	arn, _ := w.nlb(t)
	svc, err := w.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{arn}, AcceptanceRequired: acceptance, ClientToken: t.Name(), Tags: Tags{TagSession: "s-" + t.Name()}})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	w.env.Advance(t, time.Minute)
	if err := w.p.AllowPrincipals(ctx, svc.ID, []string{"arn:aws:iam::" + w.account(t, "consumer").ID + ":root"}); err != nil {
		t.Fatalf("AllowPrincipals: %v", err)
	}
	svc, err = w.p.DescribeService(ctx, svc.ID)
	if err != nil || svc.State != ServiceAvailable {
		t.Fatalf("service after a minute: %+v, %v", svc, err)
	}
	return svc
}

// consumerNet returns the consumer's VPC and its subnets.
func (w *world) consumerNet(t *testing.T, ctx context.Context) (VPC, []Subnet) {
	t.Helper()
	vpcs, err := w.c.ListVPCs(ctx)
	if err != nil || len(vpcs) != 1 {
		t.Fatalf("ListVPCs: %+v, %v", vpcs, err)
	}
	subnets, err := w.c.ListSubnets(ctx, vpcs[0].ID)
	if err != nil || len(subnets) == 0 {
		t.Fatalf("ListSubnets: %+v, %v", subnets, err)
	}
	return vpcs[0], subnets
}

// endpointTo creates a consumer endpoint to svc in every subnet of the
// consumer's VPC.
func (w *world) endpointTo(t *testing.T, ctx context.Context, svc Service) Endpoint {
	t.Helper()
	vpc, subnets := w.consumerNet(t, ctx)
	ep, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: subnetIDs(subnets)})
	if err != nil {
		t.Fatalf("CreateEndpoint: %v", err)
	}
	return ep
}

func subnetIDs(ss []Subnet) []string {
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return ids
}

// syncWriter serialises writes from concurrent SDK calls in tests.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
