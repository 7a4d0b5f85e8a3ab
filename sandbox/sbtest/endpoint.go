package sbtest

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/plwiz/plwiz/sandbox"
)

// Endpoint is an available interface endpoint of the consumer to the
// provider's NLB, made through the SDK by Env.Endpoint.
type Endpoint struct {
	ID          string
	ServiceID   string
	ServiceName string
	NLBARN      string
	Port        int
	VPCID       string
	ENIs        []ENI // one per consumer subnet, in AZ ID order
	// Instance is the consumer VPC's SSM-managed instance.
	Instance string
}

// ENI is one endpoint network interface.
type ENI struct {
	ID   string
	IP   netip.Addr
	AZID string
}

// EndpointOptions shape Env.Endpoint.
type EndpointOptions struct {
	// SecurityGroups for the endpoint; nil uses the VPC's default group.
	SecurityGroups []string
	// ConsumerRegion puts the endpoint in the consumer's VPC of another
	// region, connecting across regions ("" is the home region).
	ConsumerRegion string
}

// Endpoint creates an endpoint service on the provider's NLB, allows the
// consumer, creates an endpoint in every consumer subnet, accepts it and
// moves the manual clock until it is available, so a test starts from a
// working PrivateLink connection.
func (e *Env) Endpoint(t testing.TB, o EndpointOptions) Endpoint {
	t.Helper()
	ctx := Context(t)
	pec2 := ec2.NewFromConfig(e.Config(t, "provider"))
	cec2 := ec2.NewFromConfig(e.ConfigIn(t, "consumer", o.ConsumerRegion))
	elb := elbv2.NewFromConfig(e.Config(t, "provider"))
	consumer := e.Account(t, "consumer")
	var out Endpoint
	var subnets []string
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		if o.ConsumerRegion == w.Region {
			o.ConsumerRegion = ""
		}
		if v := w.AccountVPC(consumer.ID, o.ConsumerRegion); v != nil {
			out.VPCID = v.ID
		}
		byAZ := map[string]string{}
		for _, id := range sandbox.SortedKeys(w.Subnets) {
			if sn := w.Subnets[id]; sn.VPCID == out.VPCID {
				byAZ[sn.AZID] = id
			}
		}
		for _, az := range sandbox.SortedKeys(byAZ) {
			subnets = append(subnets, byAZ[az])
		}
		for _, id := range sandbox.SortedKeys(w.Diag.Instances) {
			if in := w.Diag.Instances[id]; in.VPCID == out.VPCID && in.SSM != nil {
				out.Instance = id
				break
			}
		}
	})
	lbs, err := elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		t.Fatalf("describe load balancers: %v", err)
	}
	out.NLBARN = aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)
	lst, err := elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(out.NLBARN)})
	if err != nil || len(lst.Listeners) == 0 {
		t.Fatalf("describe listeners: %v", err)
	}
	out.Port = int(aws.ToInt32(lst.Listeners[0].Port))
	in := &ec2.CreateVpcEndpointServiceConfigurationInput{NetworkLoadBalancerArns: []string{out.NLBARN}, AcceptanceRequired: aws.Bool(true)}
	if o.ConsumerRegion != "" {
		in.SupportedRegions = []string{o.ConsumerRegion}
	}
	svc, err := pec2.CreateVpcEndpointServiceConfiguration(ctx, in)
	if err != nil {
		t.Fatalf("create endpoint service: %v", err)
	}
	out.ServiceID = aws.ToString(svc.ServiceConfiguration.ServiceId)
	out.ServiceName = aws.ToString(svc.ServiceConfiguration.ServiceName)
	d := sandbox.DefaultDelays()
	e.Advance(t, d.ServiceAvailable)
	if _, err := pec2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(out.ServiceID), AddAllowedPrincipals: []string{"arn:aws:iam::" + consumer.ID + ":root"},
	}); err != nil {
		t.Fatalf("allow consumer: %v", err)
	}
	ep, err := cec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, ServiceName: aws.String(out.ServiceName),
		VpcId: aws.String(out.VPCID), SubnetIds: subnets, SecurityGroupIds: o.SecurityGroups,
		PrivateDnsEnabled: aws.Bool(false), ServiceRegion: serviceRegion(out.ServiceName, o.ConsumerRegion),
	})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	out.ID = aws.ToString(ep.VpcEndpoint.VpcEndpointId)
	if _, err := pec2.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{
		ServiceId: aws.String(out.ServiceID), VpcEndpointIds: []string{out.ID},
	}); err != nil {
		t.Fatalf("accept endpoint: %v", err)
	}
	e.Advance(t, d.EndpointPending+d.EndpointAvailable)
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		ep := w.Endpoints[out.ID]
		if ep == nil || ep.State != sandbox.EndpointAvailable {
			t.Fatalf("endpoint %s is not available", out.ID)
		}
		for _, id := range ep.ENIIDs {
			if eni := w.ENIs[id]; eni != nil {
				out.ENIs = append(out.ENIs, ENI{ID: id, IP: netip.MustParseAddr(eni.PrivateIP), AZID: eni.AZID})
			}
		}
	})
	if e.dataPlane {
		if err := e.SB.SyncDataPlane(); err != nil {
			t.Logf("sync data plane: %v", err)
		}
	}
	return out
}

// serviceRegion is the ServiceRegion of an endpoint to a service of
// another region (its name's region), nil within one region.
func serviceRegion(serviceName, consumerRegion string) *string {
	if consumerRegion == "" {
		return nil
	}
	rest := strings.TrimPrefix(serviceName, "com.amazonaws.vpce.")
	region, _, _ := strings.Cut(rest, ".")
	return aws.String(region)
}
