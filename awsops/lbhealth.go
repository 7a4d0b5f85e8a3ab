package awsops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// lbHealthAPI is what the provider's load balancer checks need from ELBv2.
type lbHealthAPI interface {
	elbv2.DescribeTargetGroupsAPIClient
	elbv2.DescribeListenerCertificatesAPIClient
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
	DescribeLoadBalancerAttributes(context.Context, *elbv2.DescribeLoadBalancerAttributesInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error)
	DescribeTargetGroupAttributes(context.Context, *elbv2.DescribeTargetGroupAttributesInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error)
	SetSecurityGroups(context.Context, *elbv2.SetSecurityGroupsInput, ...func(*elbv2.Options)) (*elbv2.SetSecurityGroupsOutput, error)
	ModifyTargetGroupAttributes(context.Context, *elbv2.ModifyTargetGroupAttributesInput, ...func(*elbv2.Options)) (*elbv2.ModifyTargetGroupAttributesOutput, error)
}

// instancesAPI is what reading instances needs from EC2.
type instancesAPI interface {
	ec2.DescribeInstancesAPIClient
}

// certificateAPI is what reading a listener's certificate needs from ACM.
type certificateAPI interface {
	DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
}

// ingressAPI is what opening a port on a security group, and closing it
// again, needs from EC2.
type ingressAPI interface {
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupIngress(context.Context, *ec2.RevokeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
}

// Cross-zone settings of a target group, as AWS spells them.
const (
	CrossZoneOn           = "true"
	CrossZoneOff          = "false"
	CrossZoneFromBalancer = "use_load_balancer_configuration"
)

// TargetGroup is a target group with its targets' health and the
// attributes that decide where traffic goes.
type TargetGroup struct {
	ARN        string
	Name       string
	Protocol   string
	Port       int32
	TargetType string // instance | ip | lambda | alb
	// LoadBalancerARNs are the load balancers that send to it.
	LoadBalancerARNs []string
	// CrossZone is the group's load_balancing.cross_zone.enabled: true,
	// false, or use_load_balancer_configuration.
	CrossZone       string
	ProxyProtocolV2 bool
	Targets         []Target
}

// Target is one registered target and its health.
type Target struct {
	ID   string
	Port int32
	// Zone is the target's AZ (name and ID); empty when AWS does not say
	// (an IP target outside the VPC is "all").
	Zone        AZ
	State       string // initial | healthy | unhealthy | unused | draining | unavailable
	Reason      string // e.g. Target.FailedHealthChecks
	Description string
}

// Healthy reports whether the target takes new connections.
func (t Target) Healthy() bool { return t.State == string(elbtypes.TargetHealthStateEnumHealthy) }

// HealthyIn returns how many of the group's targets in the AZ ID are
// healthy.
func (g TargetGroup) HealthyIn(azID string) int {
	n := 0
	for _, t := range g.Targets {
		if t.Zone.ID == azID && t.Healthy() {
			n++
		}
	}
	return n
}

// CrossZoneEffective reports whether the group balances across zones,
// given the load balancer's own load_balancing.cross_zone.enabled.
func (g TargetGroup) CrossZoneEffective(lbCrossZone bool) bool {
	switch g.CrossZone {
	case CrossZoneOn:
		return true
	case CrossZoneOff:
		return false
	}
	return lbCrossZone
}

// TargetGroups reads the target groups of a load balancer with their
// targets' health (and zones) and their cross-zone and proxy protocol
// attributes.
func (p *Provider) TargetGroups(ctx context.Context, lbARN string) ([]TargetGroup, error) {
	var api lbHealthAPI = p.c.elb
	pages := elbv2.NewDescribeTargetGroupsPaginator(api, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbARN), PageSize: aws.Int32(elbPageSize)})
	var groups []TargetGroup
	for pages.HasMorePages() {
		out, err := pages.NextPage(p.with(ctx, opDescribeTargetGroups))
		if err != nil {
			return nil, p.fail("list target groups of "+lbARN, err)
		}
		for _, g := range out.TargetGroups {
			groups = append(groups, TargetGroup{
				ARN: str(g.TargetGroupArn), Name: str(g.TargetGroupName), Protocol: clean(string(g.Protocol)),
				Port: aws.ToInt32(g.Port), TargetType: clean(string(g.TargetType)), LoadBalancerARNs: strs(g.LoadBalancerArns),
			})
		}
	}
	var instanceIDs []string
	for i := range groups {
		g := &groups[i]
		attrs, err := api.DescribeTargetGroupAttributes(p.with(ctx, opDescribeTargetGroupAttributes), &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(g.ARN)})
		if err != nil {
			return nil, p.fail("read attributes of target group "+g.Name, err)
		}
		for _, a := range attrs.Attributes {
			switch str(a.Key) {
			case "load_balancing.cross_zone.enabled":
				g.CrossZone = str(a.Value)
			case "proxy_protocol_v2.enabled":
				g.ProxyProtocolV2 = str(a.Value) == "true"
			}
		}
		targets, err := p.targetHealth(ctx, api, *g)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			if strings.HasPrefix(t.ID, "i-") {
				instanceIDs = append(instanceIDs, t.ID)
			}
		}
		g.Targets = targets
	}
	// Instance targets do not carry their zone; the instances do.
	zoneOf, err := p.instanceZones(ctx, instanceIDs)
	if err != nil {
		return nil, err
	}
	ids, err := p.zoneIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list target groups: %w", err)
	}
	for i := range groups {
		for j := range groups[i].Targets {
			t := &groups[i].Targets[j]
			if t.Zone.Name == "" {
				t.Zone.Name = zoneOf[t.ID]
			}
			t.Zone.ID = ids[t.Zone.Name]
		}
	}
	slices.SortFunc(groups, func(a, b TargetGroup) int { return strings.Compare(a.Name, b.Name) })
	return groups, nil
}

// targetHealth reads a group's targets with their health and the AZ
// names AWS gives (none for instance targets: see TargetGroups).
func (p *Provider) targetHealth(ctx context.Context, api lbHealthAPI, g TargetGroup) ([]Target, error) {
	health, err := api.DescribeTargetHealth(p.with(ctx, opDescribeTargetHealth), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(g.ARN)})
	if err != nil {
		return nil, p.fail("read target health of "+g.Name, err)
	}
	var out []Target
	for _, d := range health.TargetHealthDescriptions {
		t := Target{}
		if d.Target != nil {
			t.ID, t.Port = str(d.Target.Id), aws.ToInt32(d.Target.Port)
			t.Zone.Name = str(d.Target.AvailabilityZone)
		}
		if d.TargetHealth != nil {
			t.State, t.Reason, t.Description = clean(string(d.TargetHealth.State)), clean(string(d.TargetHealth.Reason)), str(d.TargetHealth.Description)
		}
		out = append(out, t)
	}
	return out, nil
}

// RefreshTargetHealth reads again only the health of groups read before by
// TargetGroups (one DescribeTargetHealth each), keeping their attributes
// and the zones of targets already known: what a live screen needs every
// little while, at a call a group. A target not seen before has its zone
// looked up.
func (p *Provider) RefreshTargetHealth(ctx context.Context, groups []TargetGroup) ([]TargetGroup, error) {
	var api lbHealthAPI = p.c.elb
	out := make([]TargetGroup, len(groups))
	known := map[string]AZ{}
	var unknown []string
	for i, g := range groups {
		for _, t := range g.Targets {
			if t.Zone.Name != "" {
				known[t.ID] = t.Zone
			}
		}
		targets, err := p.targetHealth(ctx, api, g)
		if err != nil {
			return nil, err
		}
		g.Targets = targets
		out[i] = g
	}
	for _, g := range out {
		for _, t := range g.Targets {
			if _, ok := known[t.ID]; !ok && t.Zone.Name == "" && strings.HasPrefix(t.ID, "i-") {
				unknown = append(unknown, t.ID)
			}
		}
	}
	var zoneOf, ids map[string]string
	if len(unknown) > 0 {
		var err error
		if zoneOf, err = p.instanceZones(ctx, unknown); err != nil {
			return nil, err
		}
	}
	for i := range out {
		for j := range out[i].Targets {
			t := &out[i].Targets[j]
			if z, ok := known[t.ID]; ok && (t.Zone.Name == "" || t.Zone.Name == z.Name) {
				t.Zone = z
				continue
			}
			if t.Zone.Name == "" {
				t.Zone.Name = zoneOf[t.ID]
			}
			if ids == nil {
				var err error
				if ids, err = p.zoneIDs(ctx); err != nil {
					return nil, fmt.Errorf("read target health: %w", err)
				}
			}
			t.Zone.ID = ids[t.Zone.Name]
		}
	}
	return out, nil
}

// instanceZones maps instance IDs to their AZ names.
func (b *base) instanceZones(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ins, err := b.instances(ctx, &ec2.DescribeInstancesInput{InstanceIds: sortedSet(ids)})
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		out[in.ID] = in.Zone
	}
	return out, nil
}

// LoadBalancerAttributes reads a load balancer's attributes, e.g.
// load_balancing.cross_zone.enabled.
func (p *Provider) LoadBalancerAttributes(ctx context.Context, lbARN string) (map[string]string, error) {
	var api lbHealthAPI = p.c.elb
	out, err := api.DescribeLoadBalancerAttributes(p.with(ctx, opDescribeLoadBalancerAttributes), &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil {
		return nil, p.fail("read attributes of "+lbARN, err)
	}
	m := map[string]string{}
	for _, a := range out.Attributes {
		m[str(a.Key)] = str(a.Value)
	}
	return m, nil
}

// SetLoadBalancerSecurityGroups sets the NLB's security groups and whether
// their inbound rules apply to PrivateLink traffic; it returns what AWS
// reports afterwards.
func (p *Provider) SetLoadBalancerSecurityGroups(ctx context.Context, lbARN string, groups []string, enforcePrivateLink bool) ([]string, string, error) {
	if len(groups) == 0 {
		return nil, "", fmt.Errorf("set security groups of %s: a Network Load Balancer with groups must keep at least one", lbARN)
	}
	enforce := elbtypes.EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnumOff
	if enforcePrivateLink {
		enforce = elbtypes.EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnumOn
	}
	var api lbHealthAPI = p.c.elb
	out, err := api.SetSecurityGroups(p.with(ctx, opSetSecurityGroups), &elbv2.SetSecurityGroupsInput{
		LoadBalancerArn: aws.String(lbARN), SecurityGroups: groups, EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: enforce})
	if err != nil {
		return nil, "", p.fail("set security groups of "+lbARN, err)
	}
	return strs(out.SecurityGroupIds), clean(string(out.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic)), nil
}

// SetTargetGroupCrossZone sets a target group's
// load_balancing.cross_zone.enabled: on, a load balancer node sends to
// healthy targets in every zone, so a zone without one still answers (AWS
// charges for the data that crosses zones). It returns what AWS reports
// afterwards.
func (p *Provider) SetTargetGroupCrossZone(ctx context.Context, tgARN string, on bool) (string, error) {
	var api lbHealthAPI = p.c.elb
	out, err := api.ModifyTargetGroupAttributes(p.with(ctx, opModifyTargetGroupAttributes), &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(tgARN),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String(fmt.Sprint(on))}},
	})
	if err != nil {
		return "", p.fail("set cross-zone load balancing of "+tgARN, err)
	}
	for _, a := range out.Attributes {
		if str(a.Key) == "load_balancing.cross_zone.enabled" {
			return str(a.Value), nil
		}
	}
	return "", fmt.Errorf("set cross-zone load balancing of %s: AWS did not report the attribute", tgARN)
}

// SecurityGroups reads security groups by ID (the NLB's).
func (p *Provider) SecurityGroups(ctx context.Context, ids []string) ([]SecurityGroup, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return p.securityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
}

// ListenerCertificate is one certificate of a TLS listener.
type ListenerCertificate struct {
	ARN     string
	Default bool
}

// ListenerCertificates lists a TLS listener's certificates.
func (p *Provider) ListenerCertificates(ctx context.Context, listenerARN string) ([]ListenerCertificate, error) {
	var api lbHealthAPI = p.c.elb
	pages := elbv2.NewDescribeListenerCertificatesPaginator(api, &elbv2.DescribeListenerCertificatesInput{ListenerArn: aws.String(listenerARN), PageSize: aws.Int32(elbPageSize)})
	var out []ListenerCertificate
	for pages.HasMorePages() {
		page, err := pages.NextPage(p.with(ctx, opDescribeListenerCertificates))
		if err != nil {
			return nil, p.fail("list certificates of "+listenerARN, err)
		}
		for _, c := range page.Certificates {
			out = append(out, ListenerCertificate{ARN: str(c.CertificateArn), Default: aws.ToBool(c.IsDefault)})
		}
	}
	return out, nil
}

// Certificate is an ACM certificate as the listener check needs it.
type Certificate struct {
	ARN       string
	Domain    string
	Names     []string // subject alternative names
	Status    string   // ISSUED | EXPIRED | ...
	NotBefore time.Time
	NotAfter  time.Time
	InUseBy   []string
}

// Covers reports whether the certificate names host (a wildcard covers one
// label), the way a TLS client checks it.
func (c Certificate) Covers(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, n := range append([]string{c.Domain}, c.Names...) {
		n = strings.ToLower(n)
		if n == host {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if _, tail, ok := strings.Cut(host, "."); ok && tail == rest {
				return true
			}
		}
	}
	return false
}

// DescribeCertificate reads an ACM certificate.
func (p *Provider) DescribeCertificate(ctx context.Context, arn string) (Certificate, error) {
	var api certificateAPI = p.c.acm
	out, err := api.DescribeCertificate(p.with(ctx, opDescribeCertificate), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		return Certificate{}, p.fail("read certificate "+arn, err)
	}
	if out.Certificate == nil {
		return Certificate{}, fmt.Errorf("read certificate %s: AWS returned no certificate", arn)
	}
	c := out.Certificate
	return Certificate{
		ARN: str(c.CertificateArn), Domain: str(c.DomainName), Names: strs(c.SubjectAlternativeNames),
		Status: clean(string(c.Status)), NotBefore: aws.ToTime(c.NotBefore), NotAfter: aws.ToTime(c.NotAfter), InUseBy: strs(c.InUseBy),
	}, nil
}
