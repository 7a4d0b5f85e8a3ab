package sandbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// onDisk reads the world file as a restarted sandbox would.
func onDisk(t *testing.T, path string) *sandbox.World {
	t.Helper()
	w, err := sandbox.LoadWorld(path)
	if err != nil {
		t.Fatalf("world file: %v", err)
	}
	return w
}

// TestWorldFileHoldsEveryAcknowledgedChange reads the world file right
// after each reply, before anything else happens: what the reply said is
// there. Calls that change nothing do not write it.
func TestWorldFileHoldsEveryAcknowledgedChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.json")
	e := newPLEnv(t, sbtest.Options{WorldFile: path})
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("Start did not write the world file 0600: %v %v", fi, err)
	}

	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	sg, err := e.cons.CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"),
		Description: aws.String("web"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatal(err)
	}
	if onDisk(t, path).SecurityGroups[*sg.GroupId] == nil {
		t.Fatal("created security group not on disk")
	}

	sc := e.createService(t, true, "")
	id := *sc.ServiceId
	if s := onDisk(t, path).Services[id]; s == nil || s.State != sandbox.ServicePending {
		t.Fatalf("created service on disk: %+v", s)
	}
	// A read that reports a transition has it on disk first.
	e.Clock.Advance(e.d.ServiceAvailable)
	if got := e.service(t, id).ServiceState; got != types.ServiceStateAvailable {
		t.Fatalf("service %s", got)
	}
	if s := onDisk(t, path).Services[id]; s.State != sandbox.ServiceAvailable {
		t.Fatalf("service reported Available, on disk %s", s.State)
	}
	e.allow(t, id, "arn:aws:iam::"+e.consAcct.ID+":root")
	if ps := onDisk(t, path).Services[id].AllowedPrincipals; len(ps) != 1 {
		t.Fatalf("allowed principals on disk: %v", ps)
	}
	ep := e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"])
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{*ep.VpcEndpointId}}); err != nil {
		t.Fatal(err)
	}
	if got := onDisk(t, path).Endpoints[*ep.VpcEndpointId]; got == nil || got.StateDue.IsZero() {
		t.Fatalf("accepted endpoint on disk: %+v", got)
	}
	zoneID, _ := providerZone(t, e.Env)
	if _, err := route53.NewFromConfig(e.Config(t, "provider")).ChangeResourceRecordSets(e.ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID), ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{
			txtChange(r53types.ChangeActionUpsert, "_kept.example.com.", 1800, `"v"`)}}}); err != nil {
		t.Fatal(err)
	}
	if z := onDisk(t, path).HostedZones[zoneID]; len(z.Records) != 3 {
		t.Fatalf("records on disk: %v", z.Records)
	}
	lb := e.nlb(t)
	if _, err := elb.NewFromConfig(e.Config(t, "provider")).AddTags(e.ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("team", "net")}); err != nil {
		t.Fatal(err)
	}
	if tags := onDisk(t, path).LoadBalancers[lb].Tags; len(tags) != 1 {
		t.Fatalf("load balancer tags on disk: %v", tags)
	}

	// Role credentials, from STS or the SSO portal, still sign after a restart.
	assumed, err := sts.NewFromConfig(e.Config(t, "consumer")).AssumeRole(e.ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + e.provAcct.ID + ":role/" + sandbox.RoleAdmin), RoleSessionName: aws.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	portal, err := ssoGetRoleCredentials(e.ctx, e.Env, e.consAcct.ID, sandbox.SSOPermissionSet, e.SB.SSOAccessToken())
	if err != nil {
		t.Fatal(err)
	}
	sessions := onDisk(t, path).RoleSessions
	if sessions[*assumed.Credentials.AccessKeyId] == nil || sessions[portal.AccessKeyID] == nil {
		t.Fatalf("role sessions on disk: %v", sessions)
	}

	// Reads that change nothing leave the file alone.
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.service(t, id)
		if _, err := e.cons.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if after, err := os.Stat(path); err != nil || !os.SameFile(before, after) {
		t.Error("a read rewrote the world file")
	}
}

// TestWorldFileRestartContinuesTheStateMachines abandons a sandbox in the
// middle of its transitions, as a kill would, and starts another one on the
// same file: every transition goes on from its stored due time.
func TestWorldFileRestartContinuesTheStateMachines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.json")
	e := newPLEnv(t, sbtest.Options{WorldFile: path})
	d := e.d
	sc := e.availableService(t, true, "api.example.com")
	e.verify(t, sc)
	vpcID, subnets := e.vpc(t, e.consAcct.ID)
	e.setVPCDNS(vpcID, true, true)
	ep := *e.createEndpoint(t, *sc.ServiceName, subnets["use1-az1"]).VpcEndpointId
	if _, err := e.prov.AcceptVpcEndpointConnections(e.ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: sc.ServiceId, VpcEndpointIds: []string{ep}}); err != nil {
		t.Fatal(err)
	}
	accepted := e.Clock.Now()
	second := e.createService(t, false, "")
	created := e.Clock.Now()

	// A second sandbox on the file, its clock where the first one stopped.
	log := &eventLog{}
	e2 := newPLEnv(t, sbtest.Options{World: onDisk(t, path), WorldFile: path, Events: log.add})
	e2.Clock.Advance(created.Sub(e2.Clock.Now()))
	if got := e2.service(t, *second.ServiceId).ServiceState; got != types.ServiceStatePending {
		t.Fatalf("second service after restart: %s", got)
	}
	// Endpoint states come back camelCase; the SDK's constants are not.
	if got := e2.endpoint(t, ep).State; !strings.EqualFold(string(got), string(types.StatePendingAcceptance)) {
		t.Fatalf("accepted endpoint after restart: %s", got)
	}
	e2.Clock.Advance(d.EndpointPending + d.EndpointAvailable)
	if got := e2.endpoint(t, ep).State; !strings.EqualFold(string(got), string(types.StateAvailable)) {
		t.Fatalf("endpoint after its delays: %s", got)
	}
	ev := func(at time.Time, account, resource, from, to string) sandbox.Event {
		return sandbox.Event{Time: at, Account: account, Resource: resource, From: from, To: to}
	}
	log.expect(t, "after the restart",
		ev(accepted.Add(d.EndpointPending), e.consAcct.ID, ep, "pendingAcceptance", "pending"),
		ev(created.Add(d.ServiceAvailable), e.provAcct.ID, *second.ServiceId, "Pending", "Available"),
		ev(accepted.Add(d.EndpointPending+d.EndpointAvailable), e.consAcct.ID, ep, "pending", "available"))

	// Private DNS turned on, then a restart before it propagates: it
	// resolves when due, reported once.
	if _, err := e2.cons.ModifyVpcEndpoint(e2.ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(ep), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	on := e2.Clock.Now()
	log.take()
	e3 := newPLEnv(t, sbtest.Options{World: onDisk(t, path), WorldFile: path, Events: log.add})
	e3.Clock.Advance(on.Add(d.PrivateDNSPropagate).Sub(e3.Clock.Now()))
	e3.SB.World(func(*sandbox.World, time.Time) {})
	log.expect(t, "private DNS after a restart", ev(on.Add(d.PrivateDNSPropagate), e.consAcct.ID, ep+"/private-dns", "enabled", "resolving"))
	e4 := newPLEnv(t, sbtest.Options{World: onDisk(t, path), WorldFile: path, Events: log.add})
	e4.Clock.Advance(time.Hour)
	e4.SB.World(func(*sandbox.World, time.Time) {})
	log.expect(t, "nothing left to happen")
}

// TestWorldFileUnwritableFailsTheCall: a reply never claims what is not on
// disk; once the file can be written again, everything is.
func TestWorldFileUnwritableFailsTheCall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "world.json")
	env := sbtest.Start(t, sbtest.Options{WorldFile: path})
	cfg := env.Config(t, "consumer")
	cfg.RetryMaxAttempts = 1
	c := ec2.NewFromConfig(cfg)
	ctx := sbtest.Context(t)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatalf("a read that saw nothing new: %v", err)
	}
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("lost"),
		Description: aws.String("lost"), VpcId: vpcs.Vpcs[0].VpcId})
	wantCode(t, err, "InternalError")
	assertStatus(t, err, 500)

	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("after the file came back: %v", err)
	}
	found := false
	for _, g := range onDisk(t, path).SecurityGroups {
		found = found || g.Name == "lost"
	}
	if !found {
		t.Error("the change the failed call made is not on disk once the file can be written")
	}
}

// BenchmarkWorldFile is what a durable world costs per call: a change
// (CreateTags) writes the world before its reply, a read writes nothing.
func BenchmarkWorldFile(b *testing.B) {
	for _, c := range []struct {
		name, scenario string
		file, write    bool
	}{
		{"change, no file", "", false, true},
		{"change", "", true, true},
		{"read", "", true, false},
		{"change, connections=10000", "connections=10000", true, true},
		{"read, connections=10000", "connections=10000", true, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := sbtest.Options{Scenario: c.scenario}
			if c.file {
				o.WorldFile = filepath.Join(b.TempDir(), "world.json")
			}
			env := sbtest.Start(b, o)
			ctx := sbtest.Context(b)
			cl := ec2.NewFromConfig(env.Config(b, "provider"))
			vpcs, err := cl.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			if err != nil {
				b.Fatal(err)
			}
			in := &ec2.CreateTagsInput{Resources: []string{*vpcs.Vpcs[0].VpcId}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}
			for b.Loop() {
				if c.write {
					_, err = cl.CreateTags(ctx, in)
				} else {
					_, err = cl.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
