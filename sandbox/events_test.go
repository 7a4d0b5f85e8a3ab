package sandbox_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// eventLog records what Options.Events hands on.
type eventLog struct {
	mu     sync.Mutex
	events []sandbox.Event
}

func (l *eventLog) add(e sandbox.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// take returns and forgets what was recorded.
func (l *eventLog) take() []sandbox.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := l.events
	l.events = nil
	return ev
}

// expect checks that exactly want happened since the last take, in order.
func (l *eventLog) expect(t *testing.T, step string, want ...sandbox.Event) {
	t.Helper()
	got := l.take()
	show := func(es []sandbox.Event) string {
		var b strings.Builder
		for _, e := range es {
			fmt.Fprintf(&b, "\n  %s %s %s: %q → %q", e.Time.Format(time.RFC3339Nano), e.Account, e.Resource, e.From, e.To)
		}
		return b.String()
	}
	if len(got) != len(want) {
		t.Fatalf("%s: events%s\nwant%s", step, show(got), show(want))
	}
	for i := range got {
		if !got[i].Time.Equal(want[i].Time) || got[i].Account != want[i].Account || got[i].Resource != want[i].Resource ||
			got[i].From != want[i].From || got[i].To != want[i].To {
			t.Fatalf("%s: events%s\nwant%s", step, show(got), show(want))
		}
	}
}

// TestEventsOfATwoPartyFlow follows one service and its endpoints through
// every state change, checking each event's resource, states and time:
// for a time-driven transition its due time, not when it was noticed.
func TestEventsOfATwoPartyFlow(t *testing.T) {
	log := &eventLog{}
	e := newPLEnv(t, sbtest.Options{Events: log.add})
	d := e.d
	prov, cons := e.provAcct.ID, e.consAcct.ID
	ev := func(at time.Time, account, resource, from, to string) sandbox.Event {
		return sandbox.Event{Time: at, Account: account, Resource: resource, From: from, To: to}
	}
	// notice lets the sandbox look at its clock, as any call does.
	notice := func() { e.SB.World(func(*sandbox.World, time.Time) {}) }

	t0 := e.Clock.Now()
	sc := e.createService(t, true, "api.example.com")
	svc := *sc.ServiceId
	log.expect(t, "create service", ev(t0, prov, svc, "", "Pending"), ev(t0, prov, svc+"/private-dns", "", "pendingVerification"))

	// Noticed late, stamped when due.
	e.Advance(t, d.ServiceAvailable+time.Minute)
	notice()
	log.expect(t, "service available", ev(t0.Add(d.ServiceAvailable), prov, svc, "Pending", "Available"))

	// The TXT record through Route 53: the change goes INSYNC.
	zoneID, _ := providerZone(t, e.Env)
	r53 := route53.NewFromConfig(e.Config(t, "provider"))
	cfg := sc.PrivateDnsNameConfiguration
	t1 := e.Clock.Now()
	ch, err := r53.ChangeResourceRecordSets(e.ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{
			txtChange(r53types.ChangeActionUpsert, *cfg.Name+".api.example.com.", 1800, `"`+*cfg.Value+`"`)}}})
	if err != nil {
		t.Fatal(err)
	}
	change := aws.ToString(ch.ChangeInfo.Id)
	log.expect(t, "change submitted", ev(t1, prov, change, "", "PENDING"))
	e.Advance(t, d.ChangeInsync)
	notice()
	log.expect(t, "change in sync", ev(t1.Add(d.ChangeInsync), prov, change, "PENDING", "INSYNC"))

	// Verification: still pendingVerification when started, verified when due.
	t2 := e.Clock.Now()
	if _, err := e.prov.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: sc.ServiceId}); err != nil {
		t.Fatal(err)
	}
	log.expect(t, "verification started")
	e.Advance(t, d.Verification)
	notice()
	log.expect(t, "verified", ev(t2.Add(d.Verification), prov, svc+"/private-dns", "pendingVerification", "verified"))

	// The consumer turns its VPC's DNS hostnames on and asks for two endpoints.
	e.allow(t, svc, "arn:aws:iam::"+cons+":root")
	vpcID, subnets := e.vpc(t, cons)
	t3 := e.Clock.Now()
	if _, err := e.cons.ModifyVpcAttribute(e.ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	log.expect(t, "VPC attribute", ev(t3, cons, vpcID+"/enableDnsHostnames", "false", "true"))
	ep := *e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"]).VpcEndpointId
	other := *e.createEndpoint(t, *sc.ServiceName, subnets["use1-az2"]).VpcEndpointId
	log.expect(t, "endpoints created", ev(t3, cons, ep, "", "pendingAcceptance"), ev(t3, cons, other, "", "pendingAcceptance"))

	// Accepting changes nothing yet; AWS moves it on after its delays.
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{ep}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prov.RejectVpcEndpointConnections(e.ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{other}}); err != nil {
		t.Fatal(err)
	}
	log.expect(t, "accepted one, rejected the other", ev(t3, cons, other, "pendingAcceptance", "rejected"))
	e.Advance(t, d.EndpointPending+d.EndpointAvailable)
	notice()
	log.expect(t, "endpoint available",
		ev(t3.Add(d.EndpointPending), cons, ep, "pendingAcceptance", "pending"),
		ev(t3.Add(d.EndpointPending+d.EndpointAvailable), cons, ep, "pending", "available"))

	// Private DNS on: enabled at once, resolving once propagated.
	t4 := e.Clock.Now()
	if _, err := e.cons.ModifyVpcEndpoint(e.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(ep), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	log.expect(t, "private DNS on", ev(t4, cons, ep+"/private-dns", "", "enabled"))
	e.Advance(t, d.PrivateDNSPropagate)
	notice()
	log.expect(t, "private DNS resolving", ev(t4.Add(d.PrivateDNSPropagate), cons, ep+"/private-dns", "enabled", "resolving"))

	// Turning the VPC's DNS hostnames off silences the private name.
	t5 := e.Clock.Now()
	for _, on := range []bool{false, true} {
		if _, err := e.cons.ModifyVpcAttribute(e.ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID),
			EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(on)}}); err != nil {
			t.Fatal(err)
		}
	}
	log.expect(t, "VPC hostnames off and on",
		ev(t5, cons, vpcID+"/enableDnsHostnames", "true", "false"), ev(t5, cons, ep+"/private-dns", "resolving", "enabled"),
		ev(t5, cons, vpcID+"/enableDnsHostnames", "false", "true"), ev(t5, cons, ep+"/private-dns", "enabled", "resolving"))

	// Deletions: to "".
	if _, err := e.cons.DeleteVpcEndpoints(e.ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{ep}}); err != nil {
		t.Fatal(err)
	}
	log.expect(t, "endpoint deleted", ev(t5, cons, ep+"/private-dns", "resolving", ""), ev(t5, cons, ep, "available", ""))
	if _, err := e.prov.DeleteVpcEndpointServiceConfigurations(e.ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{svc}}); err != nil {
		t.Fatal(err)
	}
	log.expect(t, "service deleted", ev(t5, prov, svc+"/private-dns", "verified", ""), ev(t5, prov, svc, "Available", ""))

	// Reads and refused calls change nothing.
	if _, err := e.prov.DescribeVpcEndpointConnections(e.ctx, &ec2.DescribeVpcEndpointConnectionsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{other}})
	plAPIError(t, err, "InvalidVpcEndpointServiceId.NotFound", "")
	log.expect(t, "reads")
}

// TestEventsAreWrittenWhenDue checks that a due transition happens when
// it falls due, with no call to notice it: a timer applies it.
func TestEventsAreWrittenWhenDue(t *testing.T) {
	got := make(chan sandbox.Event, 16)
	env := sbtest.Start(t, sbtest.Options{RealClock: true, Speed: 100, Events: func(e sandbox.Event) { got <- e }})
	e := &plEnv{Env: env, d: sandbox.DefaultDelays().Scaled(100), ctx: sbtest.Context(t),
		prov: ec2.NewFromConfig(env.Config(t, "provider")), provAcct: env.Account(t, "provider")}
	e.createService(t, false, "")
	created := <-got
	if created.To != "Pending" {
		t.Fatalf("first event %+v", created)
	}
	select {
	case avail := <-got:
		if avail.Resource != created.Resource || avail.From != "Pending" || avail.To != "Available" {
			t.Fatalf("second event %+v", avail)
		}
		if !avail.Time.Equal(created.Time.Add(e.d.ServiceAvailable)) {
			t.Errorf("Available at %v, want its due time %v", avail.Time, created.Time.Add(e.d.ServiceAvailable))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the service never became Available without a call to notice it")
	}
}

func TestEventJSON(t *testing.T) {
	e := sandbox.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600)),
		Account: "111111111111", Resource: "vpce-svc-0123456789abcdef0", From: "Pending", To: "Available"}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-01-02T02:04:05.000000600Z","account":"111111111111","resource":"vpce-svc-0123456789abcdef0","from":"Pending","to":"Available"}`
	if string(b) != want {
		t.Errorf("JSON\n %s\nwant\n %s", b, want)
	}
	var back struct{ Time time.Time }
	if err := json.Unmarshal(b, &back); err != nil || !back.Time.Equal(e.Time) {
		t.Errorf("time does not parse back as RFC 3339: %v %v", back.Time, err)
	}
}
