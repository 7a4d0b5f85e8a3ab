package sandbox_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/miekg/dns"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// e2eResolver asks the sandbox's DNS server, as plwiz's probe does.
func e2eResolver(env *sbtest.Env) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, env.SB.DNSAddr())
	}}
}

// e2eQuery is one raw DNS question to the sandbox, for rcodes and TTLs.
func e2eQuery(t *testing.T, env *sbtest.Env, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, env.SB.DNSAddr())
	if err != nil {
		t.Fatalf("DNS %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

func e2eA(t *testing.T, env *sbtest.Env, name string) []string {
	t.Helper()
	r := e2eQuery(t, env, name, dns.TypeA)
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	slices.Sort(out)
	return out
}

// e2eSync applies an API call's effect on the data plane now, rather than
// at its next tick.
func e2eSync(t *testing.T, env *sbtest.Env) {
	t.Helper()
	if err := env.SB.SyncDataPlane(); err != nil {
		t.Fatalf("sync data plane: %v", err)
	}
}

func e2eRefused(t *testing.T, hostport string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", hostport, 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s: connected, want connection refused", hostport)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", hostport, err)
	}
}

// TestDataPlaneEndToEnd walks the two-party lifecycle through the SDK and
// checks what a client of the service sees on the data plane at each step.
func TestDataPlaneEndToEnd(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{DataPlane: true})
	ctx := sbtest.Context(t)
	pcfg, ccfg := env.Config(t, "provider"), env.Config(t, "consumer")
	pec2, cec2 := ec2.NewFromConfig(pcfg), ec2.NewFromConfig(ccfg)
	r53 := route53.NewFromConfig(pcfg)
	elb := elbv2.NewFromConfig(pcfg)
	consumer := env.Account(t, "consumer")
	d := sandbox.DefaultDelays()
	const privName = "api.example.com"

	// Provider: the NLB and its listener port.
	lbs, err := elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		t.Fatalf("DescribeLoadBalancers: %v (%d)", err, len(lbs.LoadBalancers))
	}
	nlb := aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)
	lst, err := elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(nlb)})
	if err != nil || len(lst.Listeners) == 0 {
		t.Fatalf("DescribeListeners: %v", err)
	}
	port := aws.ToInt32(lst.Listeners[0].Port)

	// Service with a private DNS name, allowing the consumer.
	created, err := pec2.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{nlb},
		AcceptanceRequired:      aws.Bool(true),
		PrivateDnsName:          aws.String(privName),
	})
	if err != nil {
		t.Fatalf("CreateVpcEndpointServiceConfiguration: %v", err)
	}
	svc := created.ServiceConfiguration
	svcID, svcName := aws.ToString(svc.ServiceId), aws.ToString(svc.ServiceName)
	env.Advance(t, d.ServiceAvailable)
	if _, err := pec2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(svcID), AddAllowedPrincipals: []string{"arn:aws:iam::" + consumer.ID + ":root"},
	}); err != nil {
		t.Fatalf("ModifyVpcEndpointServicePermissions: %v", err)
	}

	// The TXT record, through Route 53, then verification.
	cfg := svc.PrivateDnsNameConfiguration
	if cfg == nil || aws.ToString(cfg.Name) == "" || aws.ToString(cfg.Value) == "" {
		t.Fatalf("service has no private DNS name configuration: %+v", cfg)
	}
	txtName := aws.ToString(cfg.Name) + ".example.com"
	zones, err := r53.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com")})
	if err != nil || len(zones.HostedZones) == 0 {
		t.Fatalf("ListHostedZonesByName: %v", err)
	}
	change, err := r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: zones.HostedZones[0].Id,
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{
			Action: r53types.ChangeActionUpsert,
			ResourceRecordSet: &r53types.ResourceRecordSet{
				Name: aws.String(txtName), Type: r53types.RRTypeTxt, TTL: aws.Int64(1800),
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"` + aws.ToString(cfg.Value) + `"`)}},
			},
		}}},
	})
	if err != nil {
		t.Fatalf("ChangeResourceRecordSets: %v", err)
	}
	env.Advance(t, d.ChangeInsync)
	if gc, err := r53.GetChange(ctx, &route53.GetChangeInput{Id: change.ChangeInfo.Id}); err != nil || gc.ChangeInfo.Status != r53types.ChangeStatusInsync {
		t.Fatalf("GetChange: %v %+v", err, gc)
	}
	txt, err := e2eResolver(env).LookupTXT(ctx, txtName)
	if err != nil || !slices.Equal(txt, []string{aws.ToString(cfg.Value)}) {
		t.Fatalf("DNS TXT %s = %q, %v; want the verification value %q", txtName, txt, err, aws.ToString(cfg.Value))
	}
	if _, err := pec2.StartVpcEndpointServicePrivateDnsVerification(ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: aws.String(svcID)}); err != nil {
		t.Fatalf("StartVpcEndpointServicePrivateDnsVerification: %v", err)
	}
	env.Advance(t, d.Verification)
	desc, err := pec2.DescribeVpcEndpointServiceConfigurations(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{svcID}})
	if err != nil || len(desc.ServiceConfigurations) != 1 {
		t.Fatalf("DescribeVpcEndpointServiceConfigurations: %v", err)
	}
	if st := desc.ServiceConfigurations[0].PrivateDnsNameConfiguration.State; st != ec2types.DnsNameStateVerified {
		t.Fatalf("private DNS name state %q, want verified", st)
	}

	// Consumer: VPC DNS attributes on, an endpoint in two subnets, private
	// DNS off.
	vpcs, err := cec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) == 0 {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	if _, err := cec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatalf("ModifyVpcAttribute: %v", err)
	}
	subnets, err := cec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil || len(subnets.Subnets) < 2 {
		t.Fatalf("DescribeSubnets: %v", err)
	}
	ep, err := cec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType:   ec2types.VpcEndpointTypeInterface,
		ServiceName:       aws.String(svcName),
		VpcId:             aws.String(vpcID),
		SubnetIds:         []string{aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(subnets.Subnets[1].SubnetId)},
		PrivateDnsEnabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatalf("CreateVpcEndpoint: %v", err)
	}
	epID := aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	enis, err := cec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.VpcEndpoint.NetworkInterfaceIds})
	if err != nil || len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("DescribeNetworkInterfaces: %v", err)
	}
	var ips []string
	for _, n := range enis.NetworkInterfaces {
		ips = append(ips, aws.ToString(n.PrivateIpAddress))
	}
	slices.Sort(ips)
	var regional string
	for _, e := range ep.VpcEndpoint.DnsEntries {
		if n := aws.ToString(e.DnsName); strings.HasPrefix(n, "vpce-") && (regional == "" || len(n) < len(regional)) {
			regional = n // the regional name is the shortest: zonal ones add "-<az>"
		}
	}
	if regional == "" {
		t.Fatalf("endpoint has no DNS entries: %+v", ep.VpcEndpoint.DnsEntries)
	}
	target := func(ip string) string { return net.JoinHostPort(ip, fmt.Sprint(port)) }

	// Pending acceptance: the vpce names resolve, nothing listens, the
	// private name is not served.
	e2eSync(t, env)
	if got := e2eA(t, env, regional); !slices.Equal(got, ips) {
		t.Fatalf("pendingAcceptance: %s → %v, want the ENI addresses %v", regional, got, ips)
	}
	for _, e := range ep.VpcEndpoint.DnsEntries {
		if got := e2eA(t, env, aws.ToString(e.DnsName)); len(got) == 0 {
			t.Errorf("DNS entry %s does not resolve", aws.ToString(e.DnsName))
		}
	}
	e2eRefused(t, target(ips[0]))

	// Accept; available after the AWS-side delays.
	acc, err := pec2.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: aws.String(svcID), VpcEndpointIds: []string{epID}})
	if err != nil || len(acc.Unsuccessful) != 0 {
		t.Fatalf("AcceptVpcEndpointConnections: %v %+v", err, acc)
	}
	e2eRefused(t, target(ips[0])) // pending is not available yet
	env.Advance(t, d.EndpointPending+d.EndpointAvailable)
	eps, err := cec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
	if err != nil || len(eps.VpcEndpoints) != 1 || !strings.EqualFold(string(eps.VpcEndpoints[0].State), "available") {
		t.Fatalf("DescribeVpcEndpoints: %v %+v", err, eps)
	}
	for _, ip := range ips {
		c, err := net.DialTimeout("tcp", target(ip), 2*time.Second)
		if err != nil {
			t.Fatalf("available endpoint: dial %s: %v", target(ip), err)
		}
		c.Close()
	}
	if r := e2eQuery(t, env, privName, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("private DNS off: %s rcode %s answer %v, want NXDOMAIN", privName, dns.RcodeToString[r.Rcode], r.Answer)
	}

	// Private DNS on: the name resolves once propagated.
	if _, err := cec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(epID), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
		t.Fatalf("ModifyVpcEndpoint: %v", err)
	}
	e2eSync(t, env)
	if got := e2eA(t, env, privName); len(got) != 0 {
		t.Fatalf("private name resolves before propagation: %v", got)
	}
	env.Advance(t, d.PrivateDNSPropagate)
	addrs, err := e2eResolver(env).LookupHost(ctx, privName)
	slices.Sort(addrs)
	if err != nil || !slices.Equal(addrs, ips) {
		t.Fatalf("LookupHost %s = %v, %v; want the ENI addresses %v", privName, addrs, err, ips)
	}

	// TLS through the ENI address, trusting only the CA file.
	pemBytes, err := os.ReadFile(env.SB.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", env.SB.CAFile())
	}
	conn, err := tls.Dial("tcp", target(addrs[0]), &tls.Config{RootCAs: pool, ServerName: privName, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatalf("TLS to %s via %s: %v", privName, addrs[0], err)
	}
	fmt.Fprintf(conn, "GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", privName)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("HTTP through the endpoint: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	conn.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), svcName) {
		t.Fatalf("GET /health: %d %q, want 200 naming %s", resp.StatusCode, body, svcName)
	}
	if _, err := tls.Dial("tcp", target(addrs[1]), &tls.Config{RootCAs: env.SB.CAPool(), ServerName: regional}); err != nil {
		t.Fatalf("TLS with the regional name and CAPool: %v", err)
	}
	var he x509.HostnameError
	if _, err := tls.Dial("tcp", target(addrs[0]), &tls.Config{RootCAs: pool, ServerName: "www.example.com"}); !errors.As(err, &he) {
		t.Fatalf("TLS for a name the service does not own: %v, want a hostname error", err)
	}

	// Deleting the endpoint closes its ports and its names.
	if _, err := cec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{epID}}); err != nil {
		t.Fatalf("DeleteVpcEndpoints: %v", err)
	}
	env.Advance(t, time.Minute)
	e2eRefused(t, target(ips[0]))
	if r := e2eQuery(t, env, regional, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("deleted endpoint: %s rcode %s, want NXDOMAIN", regional, dns.RcodeToString[r.Rcode])
	}
	if got := e2eA(t, env, privName); len(got) != 0 {
		t.Fatalf("deleted endpoint: private name still → %v", got)
	}
}

// TestDataPlaneRejectedEndpoint: a rejected endpoint never listens and its
// names go away.
func TestDataPlaneRejectedEndpoint(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{DataPlane: true})
	ctx := sbtest.Context(t)
	pec2, cec2 := ec2.NewFromConfig(env.Config(t, "provider")), ec2.NewFromConfig(env.Config(t, "consumer"))
	lbs, err := elbv2.NewFromConfig(env.Config(t, "provider")).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		t.Fatalf("DescribeLoadBalancers: %v", err)
	}
	created, err := pec2.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)}, AcceptanceRequired: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	svcID := aws.ToString(created.ServiceConfiguration.ServiceId)
	env.Advance(t, sandbox.DefaultDelays().ServiceAvailable)
	if _, err := pec2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(svcID), AddAllowedPrincipals: []string{"arn:aws:iam::" + env.Account(t, "consumer").ID + ":root"},
	}); err != nil {
		t.Fatal(err)
	}
	vpcs, err := cec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := cec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpcs.Vpcs[0].VpcId)}}}})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := cec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, ServiceName: created.ServiceConfiguration.ServiceName,
		VpcId: vpcs.Vpcs[0].VpcId, SubnetIds: []string{aws.ToString(subnets.Subnets[0].SubnetId)},
	})
	if err != nil {
		t.Fatal(err)
	}
	name := aws.ToString(ep.VpcEndpoint.DnsEntries[0].DnsName)
	e2eSync(t, env)
	if got := e2eA(t, env, name); len(got) != 1 {
		t.Fatalf("%s → %v before rejection, want one address", name, got)
	}
	if _, err := pec2.RejectVpcEndpointConnections(ctx, &ec2.RejectVpcEndpointConnectionsInput{ServiceId: aws.String(svcID), VpcEndpointIds: []string{aws.ToString(ep.VpcEndpoint.VpcEndpointId)}}); err != nil {
		t.Fatal(err)
	}
	env.Advance(t, time.Minute)
	if r := e2eQuery(t, env, name, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("rejected endpoint: %s rcode %s answer %v, want NXDOMAIN", name, dns.RcodeToString[r.Rcode], r.Answer)
	}
	if got := env.SB.DNSAddr(); got == "" {
		t.Fatal("DNSAddr is empty with the data plane on")
	}
}
