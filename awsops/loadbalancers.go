package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// loadBalancersAPI is what loadbalancers.go needs from ELBv2.
type loadBalancersAPI interface {
	elbv2.DescribeLoadBalancersAPIClient
	elbv2.DescribeListenersAPIClient
}

// elbPageSize is ELBv2's largest page.
const elbPageSize = 400

// LoadBalancer is a Network Load Balancer that can front an endpoint service.
type LoadBalancer struct {
	ARN           string
	Name          string
	DNSName       string
	Scheme        string // internal | internet-facing
	State         string // active | provisioning | active_impaired | failed
	VPCID         string
	IPAddressType string
	Zones         []LBZone
	Listeners     []Listener
	// SecurityGroups of the NLB (none for one created without), and
	// whether their inbound rules apply to PrivateLink traffic ("on", AWS's
	// default, or "off"; "" without groups).
	SecurityGroups     []string
	EnforcePrivateLink string
}

// LBZone is one zone the load balancer is in.
type LBZone struct {
	AZ
	SubnetID string
}

// Listener is one listener of a load balancer.
type Listener struct {
	ARN      string
	Port     int32
	Protocol string // TCP | TLS | UDP | TCP_UDP
	// TargetGroupARNs are where its default action forwards.
	TargetGroupARNs []string
	// CertificateARN is a TLS listener's default certificate.
	CertificateARN string
}

// Active reports whether the load balancer can take an endpoint service.
func (lb LoadBalancer) Active() bool { return lb.State == string(elbtypes.LoadBalancerStateEnumActive) }

// Ports returns the listener ports, sorted.
func (lb LoadBalancer) Ports() []int32 {
	var ps []int32
	for _, l := range lb.Listeners {
		ps = append(ps, l.Port)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// ZoneIDs returns the AZ IDs the load balancer is in.
func (lb LoadBalancer) ZoneIDs() []string {
	var ids []string
	for _, z := range lb.Zones {
		ids = append(ids, z.ID)
	}
	return ids
}

// ListNetworkLoadBalancers lists the account's network load balancers (any
// state; see Active), with their zones by name and ID and their listeners.
func (p *Provider) ListNetworkLoadBalancers(ctx context.Context) ([]LoadBalancer, error) {
	return p.loadBalancers(ctx, nil)
}

// ErrNotNetworkLB is LoadBalancer's answer for a load balancer that exists
// but is not a Network Load Balancer (an Application or Gateway one).
var ErrNotNetworkLB = errors.New("it is not a network load balancer")

// LoadBalancer describes one network load balancer by ARN.
func (p *Provider) LoadBalancer(ctx context.Context, arn string) (LoadBalancer, error) {
	lbs, err := p.loadBalancers(ctx, []string{arn})
	if err != nil {
		return LoadBalancer{}, err
	}
	if len(lbs) == 0 {
		return LoadBalancer{}, fmt.Errorf("describe load balancer %s: %w", arn, ErrNotNetworkLB)
	}
	return lbs[0], nil
}

func (p *Provider) loadBalancers(ctx context.Context, arns []string) ([]LoadBalancer, error) {
	var api loadBalancersAPI = p.c.elb
	in := &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: arns}
	if len(arns) == 0 {
		in.PageSize = aws.Int32(elbPageSize)
	}
	pages := elbv2.NewDescribeLoadBalancersPaginator(api, in)
	var lbs []LoadBalancer
	for pages.HasMorePages() {
		out, err := pages.NextPage(p.with(ctx, opDescribeLoadBalancers))
		if err != nil {
			return nil, p.fail("list load balancers", err)
		}
		for _, lb := range out.LoadBalancers {
			if lb.Type != elbtypes.LoadBalancerTypeEnumNetwork {
				continue
			}
			l := LoadBalancer{
				ARN: str(lb.LoadBalancerArn), Name: str(lb.LoadBalancerName), DNSName: str(lb.DNSName),
				Scheme: clean(string(lb.Scheme)), VPCID: str(lb.VpcId), IPAddressType: clean(string(lb.IpAddressType)),
				SecurityGroups: strs(lb.SecurityGroups), EnforcePrivateLink: str(lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic),
			}
			if lb.State != nil {
				l.State = clean(string(lb.State.Code))
			}
			for _, z := range lb.AvailabilityZones {
				l.Zones = append(l.Zones, LBZone{AZ: AZ{Name: str(z.ZoneName)}, SubnetID: str(z.SubnetId)})
			}
			lbs = append(lbs, l)
		}
	}
	if len(lbs) == 0 {
		return nil, nil
	}
	// ELBv2 names zones only by this account's names; AZ IDs come from EC2.
	ids, err := p.zoneIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list load balancers: %w", err)
	}
	for i := range lbs {
		for j := range lbs[i].Zones {
			lbs[i].Zones[j].ID = ids[lbs[i].Zones[j].Name]
		}
		ls, err := p.listeners(ctx, lbs[i].ARN)
		if err != nil {
			return nil, err
		}
		lbs[i].Listeners = ls
	}
	slices.SortFunc(lbs, func(a, b LoadBalancer) int { return strings.Compare(a.Name, b.Name) })
	return lbs, nil
}

func (p *Provider) listeners(ctx context.Context, lbARN string) ([]Listener, error) {
	var api loadBalancersAPI = p.c.elb
	pages := elbv2.NewDescribeListenersPaginator(api, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN), PageSize: aws.Int32(elbPageSize)})
	var ls []Listener
	for pages.HasMorePages() {
		out, err := pages.NextPage(p.with(ctx, opDescribeListeners))
		if err != nil {
			return nil, p.fail("list listeners of "+lbARN, err)
		}
		for _, l := range out.Listeners {
			x := Listener{ARN: str(l.ListenerArn), Port: aws.ToInt32(l.Port), Protocol: clean(string(l.Protocol))}
			for _, a := range l.DefaultActions {
				if arn := str(a.TargetGroupArn); arn != "" {
					x.TargetGroupARNs = append(x.TargetGroupARNs, arn)
				}
				if a.ForwardConfig != nil {
					for _, tg := range a.ForwardConfig.TargetGroups {
						if arn := str(tg.TargetGroupArn); arn != "" && !slices.Contains(x.TargetGroupARNs, arn) {
							x.TargetGroupARNs = append(x.TargetGroupARNs, arn)
						}
					}
				}
			}
			if len(l.Certificates) > 0 {
				x.CertificateARN = str(l.Certificates[0].CertificateArn)
			}
			ls = append(ls, x)
		}
	}
	slices.SortFunc(ls, func(a, b Listener) int { return int(a.Port - b.Port) })
	return ls, nil
}
