package awsops

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// scenarioWorld is a default sandbox world with named scenarios applied.
func scenarioWorld(t *testing.T, names ...string) *sandbox.World {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Now: now}, strings.Join(names, ","))
	if err != nil {
		t.Fatalf("scenarios %v: %v", names, err)
	}
	return w
}

// policyAllows checks that every action the role called is in its policy.
func policyAllows(t *testing.T, w *world, roles ...Role) {
	t.Helper()
	for _, role := range roles {
		pol, err := IAMPolicy(role)
		if err != nil {
			t.Fatal(err)
		}
		for action := range w.rec.actions(role) {
			if !slices.Contains(pol.Actions(), action) {
				t.Errorf("%s called %s, which its IAM policy lacks", role, action)
			}
		}
	}
}

func TestProviderLoadBalancerHealth(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{World: scenarioWorld(t, "unhealthy-az", "nlb-sg-enforced")})
	ctx := sbtest.Context(t)
	arn, port := w.nlb(t)

	lb, err := w.p.LoadBalancer(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.SecurityGroups) != 1 || lb.EnforcePrivateLink != "on" || len(lb.Listeners[0].TargetGroupARNs) != 1 || lb.Listeners[0].ARN == "" {
		t.Fatalf("load balancer %+v: want one security group, enforcement on, a listener forwarding to a group", lb)
	}
	groups, err := w.p.TargetGroups(ctx, arn)
	if err != nil {
		t.Fatalf("TargetGroups: %v", err)
	}
	if len(groups) != 1 || groups[0].ARN != lb.Listeners[0].TargetGroupARNs[0] || groups[0].Port != port || len(groups[0].Targets) != 3 {
		t.Fatalf("groups %+v", groups)
	}
	g := groups[0]
	attrs, err := w.p.LoadBalancerAttributes(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if g.CrossZone != CrossZoneFromBalancer || g.CrossZoneEffective(attrs["load_balancing.cross_zone.enabled"] == "true") || g.ProxyProtocolV2 {
		t.Fatalf("cross-zone %q (LB %q), proxy protocol %v: want off through the load balancer", g.CrossZone, attrs["load_balancing.cross_zone.enabled"], g.ProxyProtocolV2)
	}
	var sick Target
	zones := map[string]bool{}
	for _, tg := range g.Targets {
		if tg.Zone.ID == "" || tg.Zone.Name == "" {
			t.Fatalf("target %+v has no zone", tg)
		}
		zones[tg.Zone.ID] = true
		if !tg.Healthy() {
			sick = tg
		}
	}
	if len(zones) != 3 || sick.Reason != "Target.FailedHealthChecks" || sick.Description != "Health checks failed" || g.HealthyIn(sick.Zone.ID) != 0 {
		t.Fatalf("targets %+v: want one per zone, one failing its checks", g.Targets)
	}

	// The NLB's group, and the two fixes for enforced groups.
	sgs, err := w.p.SecurityGroups(ctx, lb.SecurityGroups)
	if err != nil || len(sgs) != 1 || len(sgs[0].Ingress) != 1 || !sgs[0].Allows(port, sgs[0].Ingress[0].CIDRs[0]) {
		t.Fatalf("SecurityGroups: %+v %v", sgs, err)
	}
	consumerCIDR, consumerIPv6 := "", ""
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		consumerCIDR = wd.AccountVPC(sandbox.ConsumerAccountID, "").CIDR
		consumerIPv6 = wd.AccountVPC(sandbox.ConsumerAccountID, "").IPv6CIDR
	})
	if sgs[0].Allows(port, consumerCIDR) {
		t.Fatal("the NLB's group already allows the consumer VPC")
	}
	var added []string
	for i := range 2 { // the second is a duplicate rule: no error, no rule added
		ids, err := w.p.AllowTCP(ctx, sgs[0].ID, port, []string{consumerCIDR}, "plwiz: PrivateLink from the consumer VPC")
		if err != nil || (i == 0) != (len(ids) == 1) {
			t.Fatalf("AllowTCP #%d: rules %v, %v", i+1, ids, err)
		}
		added = append(added, ids...)
	}
	sgs, _ = w.p.SecurityGroups(ctx, lb.SecurityGroups)
	if !sgs[0].Allows(port, consumerCIDR) {
		t.Fatalf("rule not added: %+v", sgs[0].Ingress)
	}
	// IPv6 clients (a dualstack endpoint's) need a rule of their own,
	// which goes in Ipv6Ranges.
	if consumerIPv6 == "" || sgs[0].Allows(port, consumerIPv6) {
		t.Fatalf("the consumer VPC's IPv6 block %q is missing or already allowed: %+v", consumerIPv6, sgs[0].Ingress)
	}
	for range 2 {
		if _, err := w.p.AllowTCP(ctx, sgs[0].ID, port, []string{consumerIPv6}, "plwiz: PrivateLink from the consumer VPC over IPv6"); err != nil {
			t.Fatalf("AllowTCP over IPv6: %v", err)
		}
	}
	sgs, _ = w.p.SecurityGroups(ctx, lb.SecurityGroups)
	if !sgs[0].Allows(port, consumerIPv6) || !sgs[0].Allows(port, consumerCIDR) {
		t.Fatalf("IPv6 rule not added: %+v", sgs[0].Ingress)
	}
	// The rule AllowTCP added goes again by its ID, twice without error.
	for range 2 {
		if err := w.p.RevokeRules(ctx, sgs[0].ID, added); err != nil {
			t.Fatalf("RevokeRules %v: %v", added, err)
		}
	}
	sgs, _ = w.p.SecurityGroups(ctx, lb.SecurityGroups)
	if sgs[0].Allows(port, consumerCIDR) || !sgs[0].Allows(port, consumerIPv6) {
		t.Fatalf("after RevokeRules %v: %+v", added, sgs[0].Ingress)
	}
	groupsNow, enforce, err := w.p.SetLoadBalancerSecurityGroups(ctx, arn, lb.SecurityGroups, false)
	if err != nil || enforce != "off" || !slices.Equal(groupsNow, lb.SecurityGroups) {
		t.Fatalf("SetLoadBalancerSecurityGroups: %v %v %v", groupsNow, enforce, err)
	}
	_, _, err = w.p.SetLoadBalancerSecurityGroups(ctx, arn, []string{"sg-0123456789abcdef0"}, false)
	wantErr(t, err, KindNotFound, "InvalidSecurityGroup", "sg-0123456789abcdef0", "")

	_, err = w.p.TargetGroups(ctx, strings.Replace(arn, "/net/", "/net/x", 1))
	wantErr(t, err, KindNotFound, "LoadBalancerNotFound", "", "describe-load-balancers")
	policyAllows(t, w, RoleProvider)
}

func TestProviderListenerCertificate(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{World: scenarioWorld(t, "tls-listener")})
	ctx := sbtest.Context(t)
	arn, _ := w.nlb(t)
	lb, err := w.p.LoadBalancer(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	l := lb.Listeners[0]
	if l.Protocol != "TLS" || l.CertificateARN == "" {
		t.Fatalf("listener %+v: want TLS with a certificate", l)
	}
	certs, err := w.p.ListenerCertificates(ctx, l.ARN)
	if err != nil || len(certs) != 1 || !certs[0].Default || certs[0].ARN != l.CertificateARN {
		t.Fatalf("ListenerCertificates: %+v %v", certs, err)
	}
	c, err := w.p.DescribeCertificate(ctx, certs[0].ARN)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != "ISSUED" || !c.Covers("api.example.com") || c.Covers("a.b.example.com") || c.Covers("example.org") || !c.NotAfter.After(c.NotBefore) {
		t.Fatalf("certificate %+v", c)
	}
	_, err = w.p.DescribeCertificate(ctx, strings.Replace(c.ARN, c.ARN[len(c.ARN)-4:], "0000", 1))
	wantErr(t, err, KindNotFound, "ResourceNotFoundException", "Could not find certificate", "certificate")
	policyAllows(t, w, RoleProvider)
}

func TestConsumerRunCommand(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	vpc, _ := w.consumerNet(t, ctx)
	mis, err := w.c.ManagedInstances(ctx, vpc.ID)
	if err != nil || len(mis) != 1 || !mis[0].Online() || mis[0].VPCID != vpc.ID || len(mis[0].ENIs) != 1 || mis[0].PrivateIP == "" || !strings.Contains(mis[0].Platform, "Amazon Linux") {
		t.Fatalf("ManagedInstances: %+v %v", mis, err)
	}
	none, err := w.c.ManagedInstances(ctx, "vpc-0123456789abcdef0")
	if err != nil || len(none) != 0 {
		t.Fatalf("another VPC's managed instances: %+v %v", none, err)
	}
	id, err := w.c.SendShellScript(ctx, mis[0].ID, []string{"echo out", "echo err >&2", "exit 4"}, time.Minute, "plwiz test")
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.c.CommandResult(ctx, id, mis[0].ID)
	if err != nil || r.Done || r.Status != "Pending" {
		t.Fatalf("right after sending: %+v %v, want Pending (AWS does not know the invocation yet)", r, err)
	}
	w.env.Advance(t, time.Minute)
	deadline := time.Now().Add(15 * time.Second)
	for !r.Done && time.Now().Before(deadline) {
		if r, err = w.c.CommandResult(ctx, id, mis[0].ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !r.Done || r.OK() || r.Status != "Failed" || r.ExitCode != 4 || r.Stdout != "out\n" || !strings.HasPrefix(r.Stderr, "err\n") {
		t.Fatalf("result %+v", r)
	}
	_, err = w.c.SendShellScript(ctx, "i-0123456789abcdef0", []string{"true"}, time.Minute, "")
	wantErr(t, err, KindInvalidInput, "InvalidInstanceId", "i-0123456789abcdef0", "AmazonSSMManagedInstanceCore")
	policyAllows(t, w, RoleConsumer)
}

func TestConsumerReachability(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{World: scenarioWorld(t, "consumer-sg-closed")})
	ctx := sbtest.Context(t)
	ep := w.env.Endpoint(t, sbtest.EndpointOptions{})
	sess := Tags{TagSession: "s-reach"}
	pathID, analysisID, err := w.c.StartReachability(ctx, ReachabilityInput{Source: ep.Instance, Destination: ep.ENIs[0].ID, Port: int32(ep.Port), Token: "tok", Tags: sess})
	if err != nil {
		t.Fatalf("StartReachability: %v", err)
	}
	r, err := w.c.Reachability(ctx, analysisID, int32(ep.Port))
	if err != nil || r.Done || r.Status != "running" {
		t.Fatalf("new analysis: %+v %v", r, err)
	}
	w.env.Advance(t, time.Minute)
	r, err = w.c.Reachability(ctx, analysisID, int32(ep.Port))
	if err != nil || !r.Done || r.PathFound || len(r.Blocks) != 1 {
		t.Fatalf("analysis: %+v %v, want done without a path, one block", r, err)
	}
	var sg string
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) { sg = wd.Endpoints[ep.ID].SecurityGroupIDs[0] })
	b := r.Blocks[0]
	if b.Code != "ENI_SG_RULES_MISMATCH" || !strings.Contains(b.Component, sg) || !strings.Contains(b.What, ep.ENIs[0].ID) ||
		!strings.Contains(b.Fix, "inbound rule allowing TCP") {
		t.Fatalf("block %+v: want the endpoint's group %s named with the fix", b, sg)
	}
	// The same token finds the same path.
	again, a2, err := w.c.StartReachability(ctx, ReachabilityInput{Source: ep.Instance, Destination: ep.ENIs[0].ID, Port: int32(ep.Port), Token: "tok", Tags: sess})
	if err != nil || again != pathID {
		t.Fatalf("retried start: path %s (want %s) %v", again, pathID, err)
	}
	deleted, err := w.c.DeleteSessionReachability(ctx, "s-reach")
	if err != nil || !slices.Equal(deleted, []string{pathID}) {
		t.Fatalf("DeleteSessionReachability: %v %v", deleted, err)
	}
	if err := w.c.DeleteReachability(ctx, pathID, a2); err != nil {
		t.Fatalf("deleting what is gone: %v", err)
	}
	_, _, err = w.c.StartReachability(ctx, ReachabilityInput{Source: "i-0123456789abcdef0", Destination: ep.ENIs[0].ID, Port: int32(ep.Port)})
	wantErr(t, err, KindNotFound, "InvalidInstanceID.NotFound", "i-0123456789abcdef0", "instance of the consumer VPC")
	policyAllows(t, w, RoleConsumer)
}

func TestPolicyScopesRunCommand(t *testing.T) {
	t.Parallel()
	pol, err := IAMPolicy(RoleConsumer)
	if err != nil {
		t.Fatal(err)
	}
	var scoped []PolicyStatement
	sids := map[string]bool{}
	for _, s := range pol.Statement {
		if sids[s.Sid] {
			t.Errorf("Sid %s is used twice", s.Sid)
		}
		sids[s.Sid] = true
		if slices.Contains(s.Action, "ssm:SendCommand") {
			scoped = append(scoped, s)
		}
	}
	if len(scoped) != 2 || scoped[0].Resource != "arn:aws:ssm:*::document/AWS-RunShellScript" || scoped[1].Resource != "arn:aws:ec2:*:*:instance/*" ||
		!strings.Contains(scoped[0].Sid, "NoVpcConditionKeyExists") || len(scoped[0].Action) != 1 {
		t.Fatalf("SendCommand statements %+v: want the document and instances, each alone, saying no VPC condition exists", scoped)
	}
	for _, a := range []string{"ssm:DescribeInstanceInformation", "ssm:GetCommandInvocation", "ec2:DescribeInstances", "ec2:StartNetworkInsightsAnalysis", "tiros:CreateQuery"} {
		if !slices.Contains(pol.Actions(), a) {
			t.Errorf("consumer policy lacks %s", a)
		}
	}
	prov, _ := IAMPolicy(RoleProvider)
	for _, a := range []string{"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:SetSecurityGroups", "acm:DescribeCertificate", "ec2:AuthorizeSecurityGroupIngress"} {
		if !slices.Contains(prov.Actions(), a) {
			t.Errorf("provider policy lacks %s", a)
		}
	}
	for _, a := range []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets", "ssm:SendCommand"} {
		if slices.Contains(prov.Actions(), a) {
			t.Errorf("provider policy has %s, which plwiz never calls for it", a)
		}
	}
}

// TestRefreshTargetHealthAndCrossZone: a refresh reads only the health
// again and sees what changed since (a target gone, one back), and turning
// cross-zone on for the group is what AWS reports afterwards.
func TestRefreshTargetHealthAndCrossZone(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{World: scenarioWorld(t, "unhealthy-az")})
	ctx := sbtest.Context(t)
	arn, _ := w.nlb(t)
	groups, err := w.p.TargetGroups(ctx, arn)
	if err != nil || len(groups) != 1 {
		t.Fatalf("TargetGroups: %+v %v", groups, err)
	}
	var sick Target
	for _, tg := range groups[0].Targets {
		if !tg.Healthy() {
			sick = tg
		}
	}
	if sick.ID == "" {
		t.Fatalf("no unhealthy target in %+v", groups[0].Targets)
	}
	// The application on the sick instance answers again.
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) { wd.Diag.Instances[sick.ID].AppDown = false })
	before := w.rec.actions(RoleProvider)
	fresh, err := w.p.RefreshTargetHealth(ctx, groups)
	if err != nil {
		t.Fatalf("RefreshTargetHealth: %v", err)
	}
	for action, n := range w.rec.actions(RoleProvider) {
		want := before[action]
		if action == "elasticloadbalancing:DescribeTargetHealth" {
			want++
		}
		if n != want {
			t.Errorf("a refresh of known targets called %s %d times, want DescribeTargetHealth alone, once", action, n-before[action])
		}
	}
	if fresh[0].HealthyIn(sick.Zone.ID) != 1 || fresh[0].CrossZone != groups[0].CrossZone {
		t.Errorf("after the refresh %+v: want %s healthy in %s, attributes kept", fresh[0].Targets, sick.ID, sick.Zone.ID)
	}
	for _, tg := range fresh[0].Targets {
		if tg.Zone.ID == "" || tg.Zone.Name == "" {
			t.Errorf("target %+v lost its zone", tg)
		}
	}

	got, err := w.p.SetTargetGroupCrossZone(ctx, groups[0].ARN, true)
	if err != nil || got != "true" {
		t.Fatalf("SetTargetGroupCrossZone: %q %v", got, err)
	}
	again, err := w.p.TargetGroups(ctx, arn)
	if err != nil || again[0].CrossZone != CrossZoneOn || !again[0].CrossZoneEffective(false) {
		t.Fatalf("after turning cross-zone on: %+v %v", again, err)
	}
	_, err = w.p.SetTargetGroupCrossZone(ctx, strings.Replace(groups[0].ARN, "targetgroup/", "targetgroup/x", 1), true)
	wantErr(t, err, KindNotFound, "TargetGroupNotFound", "", "")
	policyAllows(t, w, RoleProvider)
}
