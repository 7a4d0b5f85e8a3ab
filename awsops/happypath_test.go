package awsops

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// TestTwoPartyHappyPath walks both flows of the design at the awsops level
// against one sandbox with two accounts, then checks that every AWS
// operation each role called is in that role's IAM policy.
func TestTwoPartyHappyPath(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	provAcct, consAcct := w.account(t, "provider"), w.account(t, "consumer")
	const session = "sess-happy-1"
	const domain = "api.example.com"

	// Provider 1: identity.
	pid, err := w.p.Identity(ctx)
	if err != nil {
		t.Fatalf("provider Identity: %v", err)
	}
	if pid.Account != provAcct.ID || !strings.HasPrefix(pid.ARN, "arn:aws:") || pid.Region == "" {
		t.Fatalf("provider identity %+v", pid)
	}

	// Provider 2: NLBs by AZ name and AZ ID, with listener ports.
	lbs, err := w.p.ListNetworkLoadBalancers(ctx)
	// The world's two: the ipv4 demo NLB and the dualstack one.
	if err != nil || len(lbs) != 2 || lbs[0].Name != "plwiz-demo-nlb" || lbs[1].IPAddressType != "dualstack" {
		t.Fatalf("ListNetworkLoadBalancers: %+v, %v", lbs, err)
	}
	lb := lbs[0]
	_, port := w.nlb(t)
	if !lb.Active() || !slices.Equal(lb.Ports(), []int32{port}) || len(lb.Zones) != 3 {
		t.Fatalf("NLB %+v", lb)
	}
	for _, z := range lb.Zones {
		if z.ID == "" || provAcct.AZName(z.ID) != z.Name || z.SubnetID == "" {
			t.Errorf("NLB zone %+v: name and ID do not match the provider's mapping", z)
		}
	}
	if _, found, err := w.p.FindServiceByNLB(ctx, lb.ARN); err != nil || found {
		t.Fatalf("FindServiceByNLB before create: found=%v err=%v", found, err)
	}

	// Provider 3: create the service (idempotent by client token), wait Available.
	in := CreateServiceInput{NLBARNs: []string{lb.ARN}, AcceptanceRequired: true, ClientToken: "tok-" + session, Tags: Tags{TagSession: session}}
	svc, err := w.p.CreateService(ctx, in)
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if !strings.HasPrefix(svc.ID, "vpce-svc-") || svc.Name != "com.amazonaws.vpce."+w.p.Region()+"."+svc.ID || svc.State != ServicePending || !svc.AcceptanceRequired {
		t.Fatalf("new service %+v", svc)
	}
	if svc.Tags[TagSession] != session || len(svc.ZoneIDs) != 3 {
		t.Errorf("new service tags %v zone IDs %v", svc.Tags, svc.ZoneIDs)
	}
	again, err := w.p.CreateService(ctx, in)
	if err != nil || again.ID != svc.ID {
		t.Fatalf("CreateService retry with the same token: %s, %v; want %s", again.ID, err, svc.ID)
	}
	w.env.Advance(t, time.Minute)
	if svc, err = w.p.DescribeService(ctx, svc.ID); err != nil || svc.State != ServiceAvailable {
		t.Fatalf("service after a minute: %+v, %v", svc, err)
	}
	if got, found, err := w.p.FindServiceBySession(ctx, session); err != nil || !found || got.ID != svc.ID {
		t.Fatalf("FindServiceBySession: %+v %v %v", got, found, err)
	}
	if got, found, err := w.p.FindServiceByNLB(ctx, lb.ARN); err != nil || !found || got.ID != svc.ID {
		t.Fatalf("FindServiceByNLB: %+v %v %v", got, found, err)
	}

	// Provider 4: allow the consumer's account.
	principal, err := PrincipalARN(consAcct.ID, w.p.Region())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.AllowPrincipals(ctx, svc.ID, []string{principal}); err != nil {
		t.Fatalf("AllowPrincipals: %v", err)
	}
	allowed, err := w.p.AllowedPrincipals(ctx, svc.ID)
	if err != nil || len(allowed) != 1 || allowed[0].ARN != principal || allowed[0].PermissionID == "" {
		t.Fatalf("AllowedPrincipals: %+v, %v", allowed, err)
	}

	// Provider 5: private DNS name, TXT record in the public zone, verification.
	if err := w.p.ModifyService(ctx, svc.ID, ModifyServiceInput{PrivateDNSName: domain}); err != nil {
		t.Fatalf("ModifyService private DNS: %v", err)
	}
	pdns, err := w.p.PrivateDNSConfig(ctx, svc.ID)
	if err != nil {
		t.Fatalf("PrivateDNSConfig: %v", err)
	}
	if pdns.Name != domain || pdns.State != DNSPendingVerification || pdns.RecordType != "TXT" ||
		!strings.HasPrefix(pdns.RecordName, "_") || !strings.HasSuffix(pdns.RecordName, "."+domain) || pdns.RecordValue == "" {
		t.Fatalf("private DNS config %+v", pdns)
	}
	zone, found, err := w.p.FindPublicHostedZone(ctx, pdns.RecordName)
	if err != nil || !found || zone.Name != sandbox.DefaultDomain || zone.ID == "" || strings.Contains(zone.ID, "/") {
		t.Fatalf("FindPublicHostedZone(%s): %+v %v %v", pdns.RecordName, zone, found, err)
	}
	change, err := w.p.UpsertTXT(ctx, zone.ID, pdns.RecordName, pdns.RecordValue)
	if err != nil || change == "" {
		t.Fatalf("UpsertTXT: %q %v", change, err)
	}
	if st, err := w.p.ChangeStatus(ctx, change); err != nil || st != ChangePending {
		t.Fatalf("ChangeStatus right after: %q %v", st, err)
	}
	w.env.Advance(t, time.Minute)
	if err := w.p.WaitChangeInsync(ctx, change, time.Millisecond, 5*time.Second); err != nil {
		t.Fatalf("WaitChangeInsync: %v", err)
	}
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		z := wd.HostedZones[zone.ID]
		i := slices.IndexFunc(z.Records, func(r sandbox.RecordSet) bool { return r.Type == "TXT" })
		if i < 0 || z.Records[i].TTL != TXTRecordTTL || !slices.Equal(z.Records[i].Values, []string{`"` + pdns.RecordValue + `"`}) {
			t.Errorf("zone records %+v: want the TXT with TTL 1800 and the quoted value", z.Records)
		}
	})
	if err := w.p.StartVerification(ctx, svc.ID); err != nil {
		t.Fatalf("StartVerification: %v", err)
	}
	w.env.Advance(t, 5*time.Minute)
	if pdns, err = w.p.PrivateDNSConfig(ctx, svc.ID); err != nil || pdns.State != DNSVerified {
		t.Fatalf("after verification: %+v, %v", pdns, err)
	}

	// Consumer 1-2: identity, and the service as the consumer sees it.
	cid, err := w.c.Identity(ctx)
	if err != nil || cid.Account != consAcct.ID {
		t.Fatalf("consumer Identity: %+v, %v", cid, err)
	}
	info, err := w.c.LookupService(ctx, svc.Name)
	if err != nil {
		t.Fatalf("LookupService: %v", err)
	}
	if info.Owner != provAcct.ID || info.ID != svc.ID || info.PrivateDNSName != domain || info.PrivateDNSState != DNSVerified || !info.AcceptanceRequired {
		t.Fatalf("service as the consumer sees it: %+v", info)
	}
	if len(info.Zones) != 3 {
		t.Fatalf("service zones %+v", info.Zones)
	}
	for _, z := range info.Zones {
		if z.ID == "" || consAcct.AZName(z.ID) != z.Name {
			t.Errorf("zone %+v is not in the consumer's names", z)
		}
	}

	// Consumer 3: VPC DNS attributes, subnets by AZ ID, security group.
	vpc, subnets := w.consumerNet(t, ctx)
	if !vpc.DNSSupport || vpc.DNSHostnames || vpc.DNSReady() || len(vpc.CIDRs) != 1 {
		t.Fatalf("consumer VPC %+v: want DNS support on, hostnames off", vpc)
	}
	if err := w.c.EnableVPCDNS(ctx, vpc.ID); err != nil {
		t.Fatalf("EnableVPCDNS: %v", err)
	}
	if vpc, err = w.c.DescribeVPC(ctx, vpc.ID); err != nil || !vpc.DNSReady() {
		t.Fatalf("VPC after EnableVPCDNS: %+v, %v", vpc, err)
	}
	var chosen []string
	for _, s := range subnets {
		if s.Zone.ID == "" || consAcct.AZName(s.Zone.ID) != s.Zone.Name || s.VPCID != vpc.ID {
			t.Errorf("subnet %+v: zone name and ID disagree", s)
		}
		if info.ServesZone(s.Zone.ID) {
			chosen = append(chosen, s.ID)
		}
	}
	groups, err := w.c.ListSecurityGroups(ctx, vpc.ID)
	if err != nil || len(groups) == 0 {
		t.Fatalf("ListSecurityGroups: %+v, %v", groups, err)
	}
	sgIn := CreateSecurityGroupInput{VPCID: vpc.ID, Name: "plwiz-" + session, Port: port, CIDRs: vpc.CIDRs, Tags: Tags{TagSession: session}}
	sg, err := w.c.CreateSecurityGroup(ctx, sgIn)
	if err != nil || !strings.HasPrefix(sg.ID, "sg-") || !sg.Allows(port, vpc.CIDRs[0]) || sg.Allows(port+1, vpc.CIDRs[0]) {
		t.Fatalf("CreateSecurityGroup: %+v, %v", sg, err)
	}
	sg2, err := w.c.CreateSecurityGroup(ctx, sgIn)
	if err != nil || sg2.ID != sg.ID {
		t.Fatalf("CreateSecurityGroup again: %+v, %v; want the same group %s", sg2, err, sg.ID)
	}
	groups, err = w.c.ListSecurityGroups(ctx, vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(groups, func(g SecurityGroup) bool { return g.ID == sg.ID }); i < 0 || !groups[i].Allows(port, vpc.CIDRs[0]) {
		t.Fatalf("listed groups %+v lack %s allowing %d", groups, sg.ID, port)
	}

	// Consumer 4: the endpoint, private DNS off, idempotent by client token.
	epIn := CreateEndpointInput{ServiceName: svc.Name, VPCID: vpc.ID, SubnetIDs: chosen, SecurityGroupIDs: []string{sg.ID}, ClientToken: "tok-ep-" + session, Tags: Tags{TagSession: session}}
	ep, err := w.c.CreateEndpoint(ctx, epIn)
	if err != nil {
		t.Fatalf("CreateEndpoint: %v", err)
	}
	if !strings.HasPrefix(ep.ID, "vpce-") || ep.State != EndpointPendingAcceptance || ep.PrivateDNSEnabled || ep.VPCID != vpc.ID || len(ep.SubnetIDs) != len(chosen) {
		t.Fatalf("new endpoint %+v", ep)
	}
	if again, err := w.c.CreateEndpoint(ctx, epIn); err != nil || again.ID != ep.ID {
		t.Fatalf("CreateEndpoint retry: %s, %v; want %s", again.ID, err, ep.ID)
	}
	err = w.c.EnablePrivateDNS(ctx, ep.ID)
	if KindOf(err) != KindPrivateDNSBeforeAcceptance {
		t.Fatalf("EnablePrivateDNS before acceptance: %v (kind %s)", err, KindOf(err))
	}

	// Provider 7: the pending connection, found by state and by endpoint ID; accept.
	pending, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{States: []EndpointState{EndpointPendingAcceptance}})
	if err != nil || len(pending) != 1 || pending[0].EndpointID != ep.ID || pending[0].Owner != consAcct.ID || pending[0].State != EndpointPendingAcceptance {
		t.Fatalf("pending connections: %+v, %v", pending, err)
	}
	byID, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{EndpointIDs: []string{ep.ID}})
	if err != nil || len(byID) != 1 || byID[0].ServiceID != svc.ID {
		t.Fatalf("connection by endpoint ID: %+v, %v", byID, err)
	}
	if err := w.p.AcceptConnections(ctx, svc.ID, []string{ep.ID}); err != nil {
		t.Fatalf("AcceptConnections: %v", err)
	}

	// Consumer 5: pendingAcceptance → pending → available.
	seen := map[EndpointState]bool{}
	for i := 0; i < 30; i++ {
		got, err := w.c.DescribeEndpoint(ctx, ep.ID)
		if err != nil {
			t.Fatalf("DescribeEndpoint: %v", err)
		}
		seen[got.State] = true
		if got.State == EndpointAvailable {
			ep = got
			break
		}
		w.env.Advance(t, time.Second)
	}
	if !seen[EndpointPending] || ep.State != EndpointAvailable {
		t.Fatalf("endpoint states seen %v, last %+v", seen, ep)
	}
	if conns, err := w.p.ListConnections(ctx, svc.ID, ConnectionFilter{States: []EndpointState{EndpointAvailable}}); err != nil || len(conns) != 1 {
		t.Fatalf("available connections: %+v, %v", conns, err)
	}

	// Consumer 6: private DNS on, reported by the endpoint; its addresses.
	if err := w.c.EnablePrivateDNS(ctx, ep.ID); err != nil {
		t.Fatalf("EnablePrivateDNS after acceptance: %v", err)
	}
	if ep, err = w.c.DescribeEndpoint(ctx, ep.ID); err != nil || !ep.PrivateDNSEnabled {
		t.Fatalf("endpoint after EnablePrivateDNS: %+v, %v", ep, err)
	}
	if !slices.ContainsFunc(ep.DNSEntries, func(d DNSEntry) bool { return d.Name == domain }) {
		t.Errorf("DNS entries %+v lack the private name %s", ep.DNSEntries, domain)
	}
	if len(ep.DNSEntries) < 1+len(chosen) {
		t.Errorf("DNS entries %+v: want the regional name and one per subnet", ep.DNSEntries)
	}
	enis, err := w.c.EndpointENIs(ctx, ep)
	if err != nil || len(enis) != len(chosen) {
		t.Fatalf("EndpointENIs: %+v, %v", enis, err)
	}
	for _, n := range enis {
		a, perr := netip.ParseAddr(n.PrivateIP)
		if perr != nil || !a.IsLoopback() || !info.ServesZone(n.Zone.ID) || !slices.Contains(chosen, n.SubnetID) {
			t.Errorf("ENI %+v", n)
		}
	}
	if got, found, err := w.c.FindEndpointBySession(ctx, session); err != nil || !found || got.ID != ep.ID {
		t.Fatalf("FindEndpointBySession: %+v %v %v", got, found, err)
	}

	// Teardown in AWS's order: endpoint, TXT record, service.
	if err := w.c.DeleteEndpoint(ctx, ep.ID); err != nil {
		t.Fatalf("DeleteEndpoint: %v", err)
	}
	if err := w.c.DeleteSecurityGroup(ctx, sg.ID); err != nil {
		t.Fatalf("DeleteSecurityGroup: %v", err)
	}
	err = w.c.DeleteSecurityGroup(ctx, sg.ID)
	wantErr(t, err, KindNotFound, "InvalidGroup.NotFound", sg.ID, "")
	if _, err := w.p.DeleteTXT(ctx, zone.ID, pdns.RecordName, pdns.RecordValue); err != nil {
		t.Fatalf("DeleteTXT: %v", err)
	}
	if id, err := w.p.DeleteTXT(ctx, zone.ID, pdns.RecordName, pdns.RecordValue); err != nil || id != "" {
		t.Fatalf("DeleteTXT of a deleted record: %q, %v; want no change and no error", id, err)
	}
	w.env.Advance(t, time.Minute)
	if err := w.p.DeleteService(ctx, svc.ID); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}

	// Every operation each role called is in that role's policy.
	for _, role := range []Role{RoleProvider, RoleConsumer} {
		pol, err := IAMPolicy(role)
		if err != nil {
			t.Fatal(err)
		}
		allowed := pol.Actions()
		calls := w.rec.actions(role)
		if len(calls) == 0 {
			t.Fatalf("%s made no calls", role)
		}
		for action := range calls {
			if !slices.Contains(allowed, action) {
				t.Errorf("%s called %s, which its IAM policy lacks", role, action)
			}
		}
	}
}
