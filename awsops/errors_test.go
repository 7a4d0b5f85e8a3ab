package awsops

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// wantErr checks the classification users see: kind, code, AWS's message,
// a cause and a hint, and that the SDK's error is still reachable.
func wantErr(t *testing.T, err error, kind Kind, code string, msgPart, hintPart string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *awsops.Error", err, err)
	}
	if e.Kind != kind || e.Code != code {
		t.Errorf("kind/code = %s/%s, want %s/%s (%v)", e.Kind, e.Code, kind, code, err)
	}
	if !strings.Contains(e.Message, msgPart) {
		t.Errorf("message %q lacks %q", e.Message, msgPart)
	}
	if e.Cause == "" || !strings.Contains(e.Hint, hintPart) {
		t.Errorf("cause %q / hint %q (want hint containing %q)", e.Cause, e.Hint, hintPart)
	}
	var api smithy.APIError
	if e.Err != nil && !errors.As(err, &api) && e.Kind != KindCredentials && e.Kind != KindUnreachable && e.Kind != KindTimeout {
		t.Errorf("the SDK's API error is not reachable through Unwrap: %v", err)
	}
	return e
}

func TestServiceNotVisibleAndWrongRegion(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	arn, _ := w.nlb(t)
	svc, err := w.p.CreateService(ctx, CreateServiceInput{NLBARNs: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	// Not allowed: AWS says the service does not exist.
	_, err = w.c.LookupService(ctx, svc.Name)
	e := wantErr(t, err, KindServiceNotVisible, "InvalidServiceName", "does not exist", "allow your principal")
	if e.Op != "DescribeVpcEndpointServices" || e.Service != "EC2" || e.RequestID == "" {
		t.Errorf("op %s %s request %q", e.Service, e.Op, e.RequestID)
	}
	// A name of another region: the hint says which --region to pass.
	other := strings.Replace(svc.Name, "."+w.c.Region()+".", ".eu-west-3.", 1)
	_, err = w.c.LookupService(ctx, other)
	wantErr(t, err, KindServiceNotVisible, "InvalidServiceName", "does not exist", "--region eu-west-3")
}

func TestNotFoundErrors(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	_, err := w.p.DescribeService(ctx, "vpce-svc-0123456789abcdef0")
	wantErr(t, err, KindNotFound, "InvalidVpcEndpointServiceId.NotFound", "vpce-svc-0123456789abcdef0", "")
	_, err = w.c.DescribeEndpoint(ctx, "vpce-0123456789abcdef0")
	wantErr(t, err, KindNotFound, "InvalidVpcEndpointId.NotFound", "vpce-0123456789abcdef0", "create a new endpoint")
	_, err = w.c.DescribeVPC(ctx, "vpc-0123456789abcdef0")
	wantErr(t, err, KindNotFound, "InvalidVpcID.NotFound", "vpc-0123456789abcdef0", "--region")

	svc := w.availableService(t, ctx, true)
	vpc, subnets := w.consumerNet(t, ctx)
	_, err = w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: []string{"subnet-0123456789abcdef0"}})
	wantErr(t, err, KindNotFound, "InvalidSubnetID.NotFound", "subnet-0123456789abcdef0", "subnets")
	_, err = w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: subnetIDs(subnets[:1]), SecurityGroupIDs: []string{"sg-0123456789abcdef0"}})
	wantErr(t, err, KindNotFound, "InvalidGroup.NotFound", "sg-0123456789abcdef0", "security group")

}

func TestCreateEndpointInUnknownVPC(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	_, subnets := w.consumerNet(t, ctx)
	_, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: "vpc-0123456789abcdef0", SubnetIDs: subnetIDs(subnets[:1])})
	wantErr(t, err, KindNotFound, "InvalidVpcID.NotFound", "vpc-0123456789abcdef0", "--region")
}

func TestInvalidParameterCauses(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	// The NLB serves only two of the three AZs, so one consumer subnet is in
	// a zone the service does not serve.
	var unserved string
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		for _, lb := range wd.LoadBalancers {
			lb.SubnetIDs = lb.SubnetIDs[:2]
		}
		unserved = wd.AZIDsIn(wd.Region)[2]
	})
	svc := w.availableService(t, ctx, true)
	vpc, subnets := w.consumerNet(t, ctx)
	var bad, good []string
	for _, s := range subnets {
		if s.Zone.ID == unserved {
			bad = append(bad, s.ID)
		} else {
			good = append(good, s.ID)
		}
	}
	_, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: bad})
	wantErr(t, err, KindSubnetAZNotServed, "InvalidParameter", "availability zone", "AZ ID")

	// A verified private DNS name, set in the world directly: Route 53 is
	// exercised by the happy path.
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		s := wd.Services[svc.ID]
		s.PrivateDNSName, s.PrivateDNSState = "api.example.com", sandbox.DNSPendingVerification
	})
	ep, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: good})
	if err != nil {
		t.Fatal(err)
	}
	err = w.c.EnablePrivateDNS(ctx, ep.ID)
	wantErr(t, err, KindPrivateDNSNotVerified, "InvalidParameter", "not verified", "verification")
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) { wd.Services[svc.ID].PrivateDNSState = sandbox.DNSVerified })
	err = w.c.EnablePrivateDNS(ctx, ep.ID)
	wantErr(t, err, KindPrivateDNSBeforeAcceptance, "InvalidParameter", "accepted", "Wait until the endpoint is available")

	if err := w.p.AcceptConnections(ctx, svc.ID, []string{ep.ID}); err != nil {
		t.Fatal(err)
	}
	w.env.Advance(t, time.Minute)
	// The consumer VPC starts with enableDnsHostnames off.
	err = w.c.EnablePrivateDNS(ctx, ep.ID)
	e := wantErr(t, err, KindVPCDNSAttributes, "InvalidParameter", "enableDnsHostnames", "enable-dns-hostnames")
	if !strings.Contains(e.Message, vpc.ID) {
		t.Errorf("message %q does not name the VPC", e.Message)
	}
	if err := w.c.EnableVPCDNS(ctx, vpc.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.c.EnablePrivateDNS(ctx, ep.ID); err != nil {
		t.Fatalf("EnablePrivateDNS with DNS attributes on: %v", err)
	}

	// A second endpoint in the same VPC cannot claim the same name.
	second, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: good, ClientToken: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.AcceptConnections(ctx, svc.ID, []string{second.ID}); err != nil {
		t.Fatal(err)
	}
	w.env.Advance(t, time.Minute)
	err = w.c.EnablePrivateDNS(ctx, second.ID)
	wantErr(t, err, KindPrivateDNSConflict, "InvalidParameter", "conflicting DNS domain", "plwiz teardown")
}

func TestUnsuccessfulItemsAreReported(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	ep := w.endpointTo(t, ctx, svc)
	const ghost = "vpce-0aaaaaaaaaaaaaaaa"
	err := w.p.AcceptConnections(ctx, svc.ID, []string{ep.ID, ghost})
	items := ErrItems(err)
	if KindOf(err) != KindPartial || len(items) != 1 || items[0].ID != ghost || items[0].Code == "" || items[0].Message == "" {
		t.Fatalf("accept with one unknown endpoint: %v, items %+v", err, items)
	}
	if !strings.Contains(err.Error(), ghost) {
		t.Errorf("error %q does not name the failed endpoint", err)
	}
	// The good one was accepted in the same call.
	w.env.Advance(t, time.Minute)
	if conns, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{EndpointIDs: []string{ep.ID}}); err != nil || len(conns) != 1 || conns[0].State == EndpointPendingAcceptance {
		t.Fatalf("accepted connection: %+v, %v", conns, err)
	}
	err = w.p.RejectConnections(ctx, svc.ID, []string{ghost})
	if items := ErrItems(err); len(items) != 1 || items[0].ID != ghost {
		t.Fatalf("reject unknown endpoint: %v", err)
	}
	// The service cannot be deleted while the endpoint is connected.
	err = w.p.DeleteService(ctx, svc.ID)
	var pe *PartialError
	if !errors.As(err, &pe) || len(pe.Items) != 1 || pe.Items[0].ID != svc.ID || !strings.Contains(pe.Hint, "Reject") {
		t.Fatalf("DeleteService with a connected endpoint: %v", err)
	}
	err = w.c.DeleteEndpoint(ctx, "vpce-0bbbbbbbbbbbbbbbb")
	if items := ErrItems(err); len(items) != 1 || items[0].ID != "vpce-0bbbbbbbbbbbbbbbb" {
		t.Fatalf("DeleteEndpoint of an unknown endpoint: %v", err)
	}
}

func TestRejectedEndpointStaysRejected(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	svc := w.availableService(t, ctx, true)
	ep := w.endpointTo(t, ctx, svc)
	if err := w.p.RejectConnections(ctx, svc.ID, []string{ep.ID}); err != nil {
		t.Fatalf("RejectConnections: %v", err)
	}
	w.env.Advance(t, time.Minute)
	got, err := w.c.DescribeEndpoint(ctx, ep.ID)
	if err != nil || got.State != EndpointRejected || !got.State.Final() {
		t.Fatalf("rejected endpoint: %+v, %v", got, err)
	}
	if items := ErrItems(w.p.AcceptConnections(ctx, svc.ID, []string{ep.ID})); len(items) != 1 {
		t.Fatalf("accepting a rejected endpoint should fail per item, got %+v", items)
	}
	rejected, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{States: []EndpointState{EndpointRejected}})
	if err != nil || len(rejected) != 1 {
		t.Fatalf("rejected connections: %+v, %v", rejected, err)
	}
}

func TestCredentialErrorsFromTheSandbox(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	good := env.Config(t, "provider")
	mk := func(key, secret string) *Provider {
		cfg := good.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
		c, err := New(cfg, Options{MaxBackoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c.Provider()
	}
	acct := env.Account(t, "provider")

	unknown := mk("AKIAUNKNOWNUNKNOWN00", "secret")
	_, err := unknown.Identity(ctx)
	wantErr(t, err, KindCredentials, "InvalidClientTokenId", "security token", "aws configure")
	_, err = unknown.DescribeService(ctx, "vpce-svc-0123456789abcdef0")
	wantErr(t, err, KindCredentials, "AuthFailure", "validate", "aws configure")

	wrongSecret := mk(acct.AccessKeyID, "not-the-secret")
	_, err = wrongSecret.ListNetworkLoadBalancers(ctx)
	wantErr(t, err, KindCredentials, "SignatureDoesNotMatch", "signature", "clock")
}

func TestRetriesAbsorbThrottlingAnd5xx(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	w := startWorld(t, sbtest.Options{Faults: sandbox.Faults{Throttle: 0.15, ServerError: 0.15, Seed: 7}},
		func(o *Options) { o.LogWriter = &syncWriter{w: &log}; o.MaxAttempts = 10 })
	ctx := sbtest.Context(t)
	// A whole provider and consumer sequence, each call retried as needed.
	svc := w.availableService(t, ctx, false)
	vpc, subnets := w.consumerNet(t, ctx)
	ep, err := w.c.CreateEndpoint(ctx, CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: subnetIDs(subnets), ClientToken: "faults"})
	if err != nil {
		t.Fatalf("CreateEndpoint under faults: %v", err)
	}
	for range 10 {
		if _, err := w.c.DescribeEndpoint(ctx, ep.ID); err != nil {
			t.Fatalf("DescribeEndpoint under faults: %v", err)
		}
		if _, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{}); err != nil {
			t.Fatalf("ListConnections under faults: %v", err)
		}
	}
	if _, err := w.p.ListNetworkLoadBalancers(ctx); err != nil {
		t.Fatalf("ListNetworkLoadBalancers under faults: %v", err)
	}
	if _, err := w.c.Identity(ctx); err != nil {
		t.Fatalf("Identity under faults: %v", err)
	}
	out := log.String()
	for _, code := range []string{"error RequestLimitExceeded", "error InternalError"} {
		if !strings.Contains(out, code) {
			t.Errorf("the attempt log shows no %q: the faults were not exercised\n%s", code, out)
		}
	}
	if !strings.Contains(out, "attempt=2") {
		t.Errorf("no retried attempt in the log")
	}
}

func TestPersistentThrottlingAnd5xxAreClassified(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		faults sandbox.Faults
		kind   Kind
		ec2    string
		other  string
	}{
		{"throttle", sandbox.Faults{Throttle: 1, Seed: 1}, KindThrottled, "RequestLimitExceeded", "Throttling"},
		{"5xx", sandbox.Faults{ServerError: 1, Seed: 1}, KindServerError, "InternalError", "ServiceUnavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			w := startWorld(t, sbtest.Options{Faults: tt.faults}, func(o *Options) { o.LogWriter = &syncWriter{w: &log}; o.MaxAttempts = 3 })
			ctx := sbtest.Context(t)
			_, err := w.c.ListVPCs(ctx)
			e := wantErr(t, err, tt.kind, tt.ec2, "", "")
			if !e.Retryable || !strings.Contains(e.Cause, "retried 3 times") {
				t.Errorf("retryable %v, cause %q", e.Retryable, e.Cause)
			}
			if n := strings.Count(log.String(), "DescribeVpcs attempt="); n != 3 {
				t.Errorf("%d attempts logged, want 3:\n%s", n, log.String())
			}
			_, err = w.p.ListNetworkLoadBalancers(ctx)
			wantErr(t, err, tt.kind, tt.other, "", "")
		})
	}
}

func TestInternalDriftGuard(t *testing.T) {
	t.Parallel()
	// A call the table does not declare for the caller's role is refused
	// before it leaves the process.
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	// The consumer declaring a provider operation.
	b := &base{c: w.c.c, role: RoleConsumer}
	_, err := w.c.c.ec2.DescribeVpcEndpointConnections(b.with(ctx, opDescribeVpcEndpointConnections), nil)
	if e := wantErrKind(t, b.fail("x", err), KindInternal); !strings.Contains(e.Message, "role consumer") {
		t.Errorf("message %q", e.Message)
	}
	// A call declared as another operation.
	_, err = w.p.c.ec2.DescribeVpcs(w.p.with(ctx, opDescribeVpcEndpointConnections), nil)
	wantErrKind(t, w.p.fail("x", err), KindInternal)
	// A call with no declaration at all.
	_, err = w.p.c.ec2.DescribeVpcs(ctx, nil)
	wantErrKind(t, w.p.fail("x", err), KindInternal)
	if w.rec.count(RoleProvider, "ec2:DescribeVpcs") != 2 {
		t.Errorf("recorder saw %v", w.rec.actions(RoleProvider))
	}
}

func wantErrKind(t *testing.T, err error, kind Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != kind {
		t.Fatalf("error %v: want kind %s", err, kind)
	}
	return e
}

func TestMessagesAreCleaned(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	// AWS echoes the bad ID in its message; line breaks in it must not survive
	// (XML cannot carry other control characters).
	_, err := w.p.DescribeService(ctx, "vpce-svc-0123456789abcdef0\r\nINJECTED")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(e.Message, "INJECTED") || strings.ContainsAny(e.Message, "\r\n") || strings.ContainsAny(e.Error(), "\r\n") {
		t.Errorf("control characters survived: %q", e.Message)
	}
	if got := clean("a\x1b[2Jb\x00c\nd\u009be"); got != "a[2Jbc de" {
		t.Errorf("clean = %q", got)
	}
	if got := clean(strings.Repeat("é", 3000)); len(got) > maxTextLen+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("long message not bounded: %d bytes", len(got))
	}
}
