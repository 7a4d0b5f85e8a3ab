package sandbox_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// apiCode asserts err is an AWS API error with the code and returns its
// message.
func apiCode(t *testing.T, err error, code string) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	return ae.ErrorMessage()
}

// scenarioWorld is a default world with the named diagnosis scenarios
// applied.
func scenarioWorld(t *testing.T, names ...string) *sandbox.World {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Now: now}, strings.Join(names, ","))
	if err != nil {
		t.Fatalf("scenarios %v: %v", names, err)
	}
	return w
}

type healthRow struct{ id, state, reason string }

func targetHealth(t *testing.T, c *elb.Client, tg string, ids ...string) []healthRow {
	t.Helper()
	in := &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}
	for _, id := range ids {
		in.Targets = append(in.Targets, elbtypes.TargetDescription{Id: aws.String(id)})
	}
	out, err := c.DescribeTargetHealth(sbtest.Context(t), in)
	if err != nil {
		t.Fatalf("DescribeTargetHealth: %v", err)
	}
	var rows []healthRow
	for _, d := range out.TargetHealthDescriptions {
		rows = append(rows, healthRow{aws.ToString(d.Target.Id), string(d.TargetHealth.State), string(d.TargetHealth.Reason)})
	}
	return rows
}

func TestTargetGroupsAndHealth(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{World: scenarioWorld(t, "unhealthy-az")})
	ctx := sbtest.Context(t)
	c := elb.NewFromConfig(env.Config(t, "provider"))
	lbs, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)
	lst, err := c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil {
		t.Fatal(err)
	}
	listenerTG := aws.ToString(lst.Listeners[0].DefaultActions[0].TargetGroupArn)

	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil || len(tgs.TargetGroups) != 1 {
		t.Fatalf("DescribeTargetGroups by load balancer: %v, %d groups", err, len(tgs.TargetGroups))
	}
	tg := tgs.TargetGroups[0]
	if aws.ToString(tg.TargetGroupArn) != listenerTG || tg.Protocol != elbtypes.ProtocolEnumTcp || tg.TargetType != elbtypes.TargetTypeEnumInstance ||
		!slices.Equal(tg.LoadBalancerArns, []string{lbARN}) || aws.ToInt32(tg.Port) != aws.ToInt32(lst.Listeners[0].Port) {
		t.Fatalf("target group = %+v, want the listener's TCP instance group on its port", tg)
	}
	byName, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{aws.ToString(tg.TargetGroupName)}})
	if err != nil || len(byName.TargetGroups) != 1 {
		t.Fatalf("DescribeTargetGroups by name: %v", err)
	}
	_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}})
	apiCode(t, err, "TargetGroupNotFound")
	_, err = c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(strings.Replace(listenerTG, "-tg/", "-xx/", 1))})
	apiCode(t, err, "TargetGroupNotFound")
	// The consumer does not see the provider's groups.
	_, err = elb.NewFromConfig(env.Config(t, "consumer")).DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(listenerTG)})
	apiCode(t, err, "TargetGroupNotFound")

	rows := targetHealth(t, c, listenerTG)
	if len(rows) != 3 {
		t.Fatalf("%d targets, want one per AZ: %v", len(rows), rows)
	}
	var sick healthRow
	healthy := 0
	for _, r := range rows {
		switch r.state {
		case "healthy":
			healthy++
		case "unhealthy":
			sick = r
		}
	}
	if healthy != 2 || sick.reason != "Target.FailedHealthChecks" {
		t.Fatalf("health = %v, want two healthy and one failing its health checks", rows)
	}

	// Deregistering: draining, then gone; asked by ID, not registered.
	healthyID := ""
	for _, r := range rows {
		if r.state == "healthy" {
			healthyID = r.id
		}
	}
	if _, err := c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(listenerTG),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(healthyID)}}}); err != nil {
		t.Fatalf("DeregisterTargets: %v", err)
	}
	if got := targetHealth(t, c, listenerTG, healthyID); got[0].state != "draining" || got[0].reason != "Target.DeregistrationInProgress" {
		t.Fatalf("after deregistering: %v, want draining", got)
	}
	env.Advance(t, sandbox.DefaultDelays().TargetDraining)
	if got := targetHealth(t, c, listenerTG); len(got) != 2 {
		t.Fatalf("after draining: %v, want two targets left", got)
	}
	if got := targetHealth(t, c, listenerTG, healthyID); got[0].state != "unused" || got[0].reason != "Target.NotRegistered" {
		t.Fatalf("deregistered target: %v, want unused Target.NotRegistered", got)
	}
	_, err = c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(listenerTG),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(healthyID)}}})
	apiCode(t, err, "InvalidTarget")

	// Registering again: initial checks, then healthy.
	if _, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(listenerTG),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(healthyID)}}}); err != nil {
		t.Fatalf("RegisterTargets: %v", err)
	}
	if got := targetHealth(t, c, listenerTG, healthyID); got[0].state != "initial" || got[0].reason != "Elb.RegistrationInProgress" {
		t.Fatalf("just registered: %v, want initial", got)
	}
	env.Advance(t, sandbox.DefaultDelays().TargetHealthy/2)
	if got := targetHealth(t, c, listenerTG, healthyID); got[0].reason != "Elb.InitialHealthChecking" {
		t.Fatalf("registered a while: %v, want initial health checking", got)
	}
	env.Advance(t, sandbox.DefaultDelays().TargetHealthy)
	if got := targetHealth(t, c, listenerTG, healthyID); got[0].state != "healthy" {
		t.Fatalf("registered long enough: %v, want healthy", got)
	}
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(listenerTG),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}})
	apiCode(t, err, "InvalidTarget")
}

func attrs(list []elbtypes.LoadBalancerAttribute) map[string]string {
	m := map[string]string{}
	for _, a := range list {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

func tgAttrs(list []elbtypes.TargetGroupAttribute) map[string]string {
	m := map[string]string{}
	for _, a := range list {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

func TestAttributesAndSecurityGroups(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	c := elb.NewFromConfig(env.Config(t, "provider"))
	lbs, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	lb := lbs.LoadBalancers[0]
	lbARN := aws.ToString(lb.LoadBalancerArn)
	if len(lb.SecurityGroups) != 1 || aws.ToString(lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic) != "on" {
		t.Fatalf("load balancer groups %v enforcement %v, want one group, on (AWS's default)", lb.SecurityGroups, aws.ToString(lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic))
	}

	la, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil || attrs(la.Attributes)["load_balancing.cross_zone.enabled"] != "false" {
		t.Fatalf("load balancer attributes: %v %v, want cross-zone off (AWS's default for NLBs)", err, attrs(la.Attributes))
	}
	ma, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("true")}}})
	if err != nil || attrs(ma.Attributes)["load_balancing.cross_zone.enabled"] != "true" {
		t.Fatalf("ModifyLoadBalancerAttributes: %v %v", err, attrs(ma.Attributes))
	}
	_, err = c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("yes")}}})
	apiCode(t, err, "InvalidConfigurationRequest")
	_, err = c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("no.such.key"), Value: aws.String("1")}}})
	apiCode(t, err, "ValidationError")

	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	tgARN := tgs.TargetGroups[0].TargetGroupArn
	ta, err := c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tgARN})
	if err != nil {
		t.Fatal(err)
	}
	if m := tgAttrs(ta.Attributes); m["load_balancing.cross_zone.enabled"] != "use_load_balancer_configuration" || m["proxy_protocol_v2.enabled"] != "false" {
		t.Fatalf("target group attributes %v", m)
	}
	mt, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgARN,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("proxy_protocol_v2.enabled"), Value: aws.String("true")}}})
	if err != nil || tgAttrs(mt.Attributes)["proxy_protocol_v2.enabled"] != "true" {
		t.Fatalf("ModifyTargetGroupAttributes: %v", err)
	}
	_, err = c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgARN,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("maybe")}}})
	apiCode(t, err, "InvalidConfigurationRequest")

	set, err := c.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(lbARN), SecurityGroups: lb.SecurityGroups,
		EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: elbtypes.EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnumOff})
	if err != nil || set.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic != elbtypes.EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnumOff {
		t.Fatalf("SetSecurityGroups: %v %+v", err, set)
	}
	again, _ := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}})
	if aws.ToString(again.LoadBalancers[0].EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic) != "off" {
		t.Fatalf("DescribeLoadBalancers after SetSecurityGroups: enforcement %v", aws.ToString(again.LoadBalancers[0].EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic))
	}
	_, err = c.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(lbARN), SecurityGroups: []string{"sg-0123456789abcdef0"}})
	apiCode(t, err, "InvalidSecurityGroup")
	_, err = c.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(lbARN), SecurityGroups: []string{}})
	apiCode(t, err, "InvalidConfigurationRequest")
}

func TestTLSListenerCertificates(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{World: scenarioWorld(t, "tls-listener")})
	ctx := sbtest.Context(t)
	c := elb.NewFromConfig(env.Config(t, "provider"))
	lbs, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	lst, err := c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	l := lst.Listeners[0]
	if l.Protocol != elbtypes.ProtocolEnumTls || len(l.Certificates) != 1 || aws.ToString(l.SslPolicy) == "" {
		t.Fatalf("listener = %+v, want TLS with one certificate and a policy", l)
	}
	certs, err := c.DescribeListenerCertificates(ctx, &elb.DescribeListenerCertificatesInput{ListenerArn: l.ListenerArn})
	if err != nil || len(certs.Certificates) != 1 || !aws.ToBool(certs.Certificates[0].IsDefault) {
		t.Fatalf("DescribeListenerCertificates: %v %+v", err, certs)
	}
	arn := aws.ToString(certs.Certificates[0].CertificateArn)

	a := acm.NewFromConfig(env.Config(t, "provider"))
	out, err := a.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	cert := out.Certificate
	if aws.ToString(cert.DomainName) != "example.com" || !slices.Contains(cert.SubjectAlternativeNames, "*.example.com") ||
		cert.Status != "ISSUED" || cert.NotAfter == nil || !cert.NotAfter.After(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		!slices.Contains(cert.InUseBy, aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)) {
		t.Fatalf("certificate = %+v", cert)
	}
	_, err = a.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(strings.Replace(arn, "-4", "-5", 1))})
	apiCode(t, err, "ResourceNotFoundException")
	_, err = a.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String("not-an-arn")})
	apiCode(t, err, "InvalidArnException")
	// Another account's certificate is not found.
	_, err = acm.NewFromConfig(env.Config(t, "consumer")).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	apiCode(t, err, "ResourceNotFoundException")
}

func TestTargetHealthUnusedReasons(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	c := elb.NewFromConfig(env.Config(t, "provider"))
	ctx := sbtest.Context(t)
	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	tgARN := aws.ToString(tgs.TargetGroups[0].TargetGroupArn)
	// The load balancer leaves one zone, and another zone's instance stops.
	var outZone, stopped string
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		tg := w.Diag.TargetGroups[tgARN]
		lb := w.LoadBalancers[w.Listeners[sandbox.SortedKeys(w.Listeners)[0]].LBARN]
		dropped := w.Subnets[lb.SubnetIDs[0]].AZID
		lb.SubnetIDs = lb.SubnetIDs[1:]
		for _, tgt := range tg.Targets {
			in := w.Diag.Instances[tgt.ID]
			switch {
			case in.AZID == dropped:
				outZone = in.ID
			case stopped == "":
				stopped = in.ID
				in.State = sandbox.InstanceStopped
			}
		}
	})
	rows := map[string]healthRow{}
	for _, r := range targetHealth(t, c, tgARN) {
		rows[r.id] = r
	}
	if r := rows[outZone]; r.state != "unused" || r.reason != "Target.NotInUse" {
		t.Errorf("target in a zone the load balancer left: %+v, want unused Target.NotInUse", r)
	}
	if r := rows[stopped]; r.state != "unused" || r.reason != "Target.InvalidState" {
		t.Errorf("stopped target: %+v, want unused Target.InvalidState", r)
	}
	_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tgARN),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(stopped), Port: aws.Int32(9999)}}})
	if msg := apiCode(t, err, "InvalidTarget"); !strings.Contains(msg, "not in a running state") {
		t.Errorf("registering a stopped instance: %q", msg)
	}
}
