package sandbox_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// dialENI connects to an endpoint ENI on the service port, from laddr
// when it is valid, and reads the backend's answer to an HTTP request
// without TLS (the backend's TLS error is enough to show bytes flowed).
// It returns nil when bytes came back, or the error.
func dialENI(e sbtest.ENI, port int, laddr netip.Addr) error {
	d := net.Dialer{Timeout: 400 * time.Millisecond}
	if laddr.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: laddr.AsSlice()}
	}
	c, err := d.Dial("tcp4", net.JoinHostPort(e.IP.String(), strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = errors.New("no bytes")
	}
	return err
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// reachable reports, per ENI (in AZ ID order), whether a client on this
// machine gets through; it fails the test on errors other than a timeout.
func reachable(t *testing.T, ep sbtest.Endpoint) []bool {
	t.Helper()
	var out []bool
	for _, e := range ep.ENIs {
		err := dialENI(e, ep.Port, netip.Addr{})
		if err != nil && !timedOut(err) {
			t.Fatalf("connect to %s (%s): %v, want success or a timeout", e.IP, e.AZID, err)
		}
		out = append(out, err == nil)
	}
	return out
}

func wantReach(t *testing.T, env *sbtest.Env, ep sbtest.Endpoint, what string, want ...bool) {
	t.Helper()
	if err := env.SB.SyncDataPlane(); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if got := reachable(t, ep); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: reachable per AZ = %v, want %v", what, got, want)
	}
}

func TestDataPlaneFollowsTargetHealth(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "unhealthy-az")})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	wantReach(t, env, ep, "unhealthy-az", false, true, true)

	// The fix: cross-zone load balancing on the target group.
	c := elb.NewFromConfig(env.Config(t, "provider"))
	ctx := sbtest.Context(t)
	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	wantReach(t, env, ep, "cross-zone on", true, true, true)

	// Deregistering every target leaves nothing to route to.
	h, err := c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	var all []elbtypes.TargetDescription
	for _, d := range h.TargetHealthDescriptions {
		all = append(all, *d.Target)
	}
	if _, err := c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn, Targets: all}); err != nil {
		t.Fatal(err)
	}
	wantReach(t, env, ep, "every target draining", false, false, false)
}

func TestDataPlaneCrossZoneOff(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "cross-zone-off")})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	wantReach(t, env, ep, "cross-zone-off", false, true, true)
}

func TestDataPlaneNLBSecurityGroups(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "nlb-sg-enforced")})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	wantReach(t, env, ep, "nlb-sg-enforced", false, false, false)

	// The fix: allow the listener port from the consumer VPC's CIDR.
	ctx := sbtest.Context(t)
	c := elb.NewFromConfig(env.Config(t, "provider"))
	lbs, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var cidr string
	env.SB.World(func(w *sandbox.World, _ time.Time) { cidr = w.VPCs[ep.VPCID].CIDR })
	if _, err := ec2.NewFromConfig(env.Config(t, "provider")).AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(lbs.LoadBalancers[0].SecurityGroups[0]),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(ep.Port)), ToPort: aws.Int32(int32(ep.Port)),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}}}},
	}); err != nil {
		t.Fatal(err)
	}
	wantReach(t, env, ep, "consumer CIDR allowed", true, true, true)
}

func TestDataPlaneConsumerSecurityGroup(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "consumer-sg-closed")})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	wantReach(t, env, ep, "consumer-sg-closed", false, false, false)

	var sg, cidr string
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		cidr = w.VPCs[ep.VPCID].CIDR
		sg = w.Endpoints[ep.ID].SecurityGroupIDs[0]
	})
	ctx := sbtest.Context(t)
	if _, err := ec2.NewFromConfig(env.Config(t, "consumer")).AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sg),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(ep.Port)), ToPort: aws.Int32(int32(ep.Port)),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}}}},
	}); err != nil {
		t.Fatal(err)
	}
	wantReach(t, env, ep, "port allowed from the VPC", true, true, true)

	// A client outside the allowed CIDR is turned away even when this
	// machine's own clients get in.
	outside := netip.MustParseAddr("127.0.0.2")
	if err := dialENI(ep.ENIs[0], ep.Port, outside); err == nil {
		t.Fatalf("a client from %s got through a group that allows only %s", outside, cidr)
	}
}

func TestDataPlaneDefaultWorldReachable(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	wantReach(t, env, ep, "default world", true, true, true)
}

// TestTLSListenerServesItsCertificate: behind a TLS listener, clients get
// the listener's ACM certificate (its names), as an NLB ending TLS does.
func TestTLSListenerServesItsCertificate(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{DataPlane: true, World: scenarioWorld(t, "tls-listener")})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	if err := env.SB.SyncDataPlane(); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp4",
		net.JoinHostPort(ep.ENIs[0].IP.String(), strconv.Itoa(ep.Port)), &tls.Config{ServerName: "api.example.com", RootCAs: env.SB.CAPool()})
	if err != nil {
		t.Fatalf("TLS to api.example.com through the endpoint: %v", err)
	}
	defer conn.Close()
	names := conn.ConnectionState().PeerCertificates[0].DNSNames
	if !slices.Equal(names, []string{"example.com", "*.example.com"}) {
		t.Fatalf("certificate names %v, want the ACM certificate's", names)
	}
}
