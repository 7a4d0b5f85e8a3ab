package awsops

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// pageLog records, per operation, the MaxResults and filters of each call.
type pageLog struct {
	mu    sync.Mutex
	calls map[string][]pageCall
}

type pageCall struct {
	maxResults int32
	filters    map[string][]string
}

func (l *pageLog) option(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test/Pages",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			pc := pageCall{filters: map[string][]string{}}
			switch p := in.Parameters.(type) {
			case *ec2.DescribeVpcEndpointConnectionsInput:
				pc.maxResults = aws.ToInt32(p.MaxResults)
				for _, f := range p.Filters {
					pc.filters[aws.ToString(f.Name)] = f.Values
				}
			case *ec2.DescribeVpcEndpointServiceConfigurationsInput:
				pc.maxResults = aws.ToInt32(p.MaxResults)
			case *ec2.DescribeVpcEndpointServicePermissionsInput:
				pc.maxResults = aws.ToInt32(p.MaxResults)
			case *ec2.DescribeVpcEndpointsInput:
				pc.maxResults = aws.ToInt32(p.MaxResults)
			}
			l.mu.Lock()
			l.calls[middleware.GetOperationName(ctx)] = append(l.calls[middleware.GetOperationName(ctx)], pc)
			l.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (l *pageLog) take(op string) []pageCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls[op]
	delete(l.calls, op)
	return c
}

// seedEndpoints adds n consumer endpoints connected to the service straight
// into the world, every tenth one pendingAcceptance and the rest available.
func seedEndpoints(t *testing.T, env *sbtest.Env, svc Service, n int) (pendingIDs []string) {
	t.Helper()
	env.SB.World(func(w *sandbox.World, now time.Time) {
		cons := w.AccountByName("consumer")
		var vpcID string
		var subnets []string
		vpcID = w.AccountVPC(cons.ID, "").ID
		for _, s := range w.Subnets {
			if s.VPCID == vpcID {
				subnets = append(subnets, s.ID)
			}
		}
		for i := range n {
			e := &sandbox.Endpoint{
				ID: fmt.Sprintf("vpce-%017x", 0x1000+i), Owner: cons.ID, ServiceID: svc.ID, ServiceName: svc.Name,
				VPCID: vpcID, SubnetIDs: subnets[:1], IPAddressType: "ipv4", State: sandbox.EndpointAvailable,
				CreatedAt: now, DNSSuffix: fmt.Sprintf("s%07d", i),
			}
			if i%10 == 0 {
				e.State = sandbox.EndpointPendingAcceptance
				pendingIDs = append(pendingIDs, e.ID)
			}
			w.Endpoints[e.ID] = e
		}
	})
	return pendingIDs
}

func TestTenThousandConnectionsUseFullPagesAndFilters(t *testing.T) {
	t.Parallel()
	pl := &pageLog{calls: map[string][]pageCall{}}
	// A page of 1000 takes a moment to encode and decode, more under the
	// race detector on a busy machine: the per-call deadline is a guard
	// against a hang here, not a measure (sandbox.BenchmarkDescribeConnections10k is).
	w := startWorld(t, sbtest.Options{}, func(o *Options) {
		o.APIOptions = append(o.APIOptions, pl.option)
		o.Timeout = time.Minute
	})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	const n = 10000
	pending := seedEndpoints(t, w.env, svc, n)
	pl.take("DescribeVpcEndpointConnections")

	all, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(all) != n {
		t.Fatalf("listed %d connections, want %d", len(all), n)
	}
	ids := map[string]bool{}
	for _, c := range all {
		ids[c.EndpointID] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct endpoints across pages, want %d (pages overlap or skip)", len(ids), n)
	}
	calls := pl.take("DescribeVpcEndpointConnections")
	if len(calls) != n/ec2PageSize {
		t.Errorf("%d pages for %d connections, want %d", len(calls), n, n/ec2PageSize)
	}
	for _, c := range calls {
		if c.maxResults != 1000 || !slices.Equal(c.filters["service-id"], []string{svc.ID}) {
			t.Errorf("page asked MaxResults %d filters %v", c.maxResults, c.filters)
		}
	}

	// Polling for pending ones asks by state, in both spellings, and gets only those.
	got, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{States: []EndpointState{EndpointPendingAcceptance}})
	if err != nil || len(got) != len(pending) {
		t.Fatalf("pending: %d, %v; want %d", len(got), err, len(pending))
	}
	for _, c := range got {
		if c.State != EndpointPendingAcceptance {
			t.Fatalf("filtered list has %s", c.State)
		}
	}
	calls = pl.take("DescribeVpcEndpointConnections")
	if len(calls) != 1 || !slices.Equal(calls[0].filters["vpc-endpoint-state"], []string{"pendingAcceptance", "PendingAcceptance"}) {
		t.Errorf("state poll made %d calls with filters %v", len(calls), calls)
	}

	// Waiting on one endpoint asks for that endpoint only: one small page.
	one, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{EndpointIDs: []string{pending[3]}})
	if err != nil || len(one) != 1 || one[0].EndpointID != pending[3] {
		t.Fatalf("by endpoint ID: %+v, %v", one, err)
	}
	if calls = pl.take("DescribeVpcEndpointConnections"); len(calls) != 1 || !slices.Equal(calls[0].filters["vpc-endpoint-id"], []string{pending[3]}) {
		t.Errorf("endpoint poll made %v", calls)
	}
}

func TestListingsPageThroughEveryPage(t *testing.T) {
	t.Parallel()
	pl := &pageLog{calls: map[string][]pageCall{}}
	w := startWorld(t, sbtest.Options{}, func(o *Options) { o.APIOptions = append(o.APIOptions, pl.option) })
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	prov := w.account(t, "provider")
	const extra = 1500
	w.env.SB.World(func(wd *sandbox.World, now time.Time) {
		s := wd.Services[svc.ID]
		for i := range extra {
			c := *s
			c.ID = fmt.Sprintf("vpce-svc-%017x", 0x2000+i)
			c.Name = "com.amazonaws.vpce." + wd.Region + "." + c.ID
			c.NLBARNs = []string{fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/other-%d/%016x", wd.Region, prov.ID, i, i)}
			c.Tags = []sandbox.Tag{{Key: TagSession, Value: fmt.Sprintf("other-%d", i)}}
			c.AllowedPrincipals = nil
			wd.Services[c.ID] = &c
		}
		for i := range extra {
			s.AllowedPrincipals = append(s.AllowedPrincipals, sandbox.Principal{ID: fmt.Sprintf("vpce-svc-perm-%017x", i), ARN: fmt.Sprintf("arn:aws:iam::%012d:root", 300000000000+i)})
		}
	})
	pl.take("DescribeVpcEndpointServiceConfigurations")
	svcs, err := w.p.ListServices(ctx)
	if err != nil || len(svcs) != extra+1 {
		t.Fatalf("ListServices: %d, %v", len(svcs), err)
	}
	if calls := pl.take("DescribeVpcEndpointServiceConfigurations"); len(calls) != 2 || calls[0].maxResults != 1000 {
		t.Errorf("services listed in %d calls (%+v), want 2 pages of 1000", len(calls), calls)
	}
	// The last service of the last page is found by its NLB and by its tag.
	last := fmt.Sprintf("vpce-svc-%017x", 0x2000+extra-1)
	lastARN := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/net/other-%d/%016x", w.p.Region(), prov.ID, extra-1, extra-1)
	if got, found, err := w.p.FindServiceByNLB(ctx, lastARN); err != nil || !found || got.ID != last {
		t.Errorf("FindServiceByNLB(last): %s %v %v", got.ID, found, err)
	}
	if got, found, err := w.p.FindServiceBySession(ctx, fmt.Sprintf("other-%d", extra-1)); err != nil || !found || got.ID != last {
		t.Errorf("FindServiceBySession(last): %s %v %v", got.ID, found, err)
	}
	principals, err := w.p.AllowedPrincipals(ctx, svc.ID)
	if err != nil || len(principals) != extra+1 {
		t.Fatalf("AllowedPrincipals: %d, %v", len(principals), err)
	}
	if calls := pl.take("DescribeVpcEndpointServicePermissions"); len(calls) != 2 || calls[0].maxResults != 1000 {
		t.Errorf("principals listed in %d calls, want 2 pages of 1000", len(calls))
	}
}

func TestEndpointStateSpellings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want EndpointState
	}{
		{"pendingAcceptance", EndpointPendingAcceptance}, {"PendingAcceptance", EndpointPendingAcceptance},
		{"PENDINGACCEPTANCE", EndpointPendingAcceptance}, {"available", EndpointAvailable}, {"Available", EndpointAvailable},
		{"Rejected", EndpointRejected}, {"failed", EndpointFailed}, {"Deleted", EndpointDeleted}, {"Expired", EndpointExpired},
	} {
		if got, ok := ParseEndpointState(tt.in); !ok || got != tt.want {
			t.Errorf("ParseEndpointState(%q) = %q, %v", tt.in, got, ok)
		}
	}
	if got, ok := ParseEndpointState("weird\x1b[0m"); ok || got != "weird[0m" {
		t.Errorf("unknown state = %q, %v", got, ok)
	}
	if got := EndpointPendingAcceptance.spellings(); !slices.Equal(got, []string{"pendingAcceptance", "PendingAcceptance"}) {
		t.Errorf("spellings = %v", got)
	}
	if s, ok := ParseServiceState("available"); !ok || s != ServiceAvailable {
		t.Errorf("ParseServiceState = %q", s)
	}
	if s, ok := ParseDNSState("Verified"); !ok || s != DNSVerified {
		t.Errorf("ParseDNSState = %q", s)
	}
}

// TestCapitalisedStatesFromAWSAreFolded feeds the SDK's spelling of every
// state through the sandbox's world (as if AWS answered capitalised) and
// checks both the folding and that a filter in either spelling matches.
func TestCapitalisedStatesFromAWSAreFolded(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	ep := w.endpointTo(t, ctx, svc)
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) { wd.Endpoints[ep.ID].State = "PendingAcceptance" })
	got, err := w.c.DescribeEndpoint(ctx, ep.ID)
	if err != nil || got.State != EndpointPendingAcceptance {
		t.Fatalf("capitalised state read as %q, %v", got.State, err)
	}
	conns, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{States: []EndpointState{EndpointPendingAcceptance}})
	if err != nil || len(conns) != 1 || conns[0].State != EndpointPendingAcceptance {
		t.Fatalf("filter on a capitalised state: %+v, %v", conns, err)
	}
}
