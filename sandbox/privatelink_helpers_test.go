package sandbox_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// plEnv is a sandbox with an EC2 client per party.
type plEnv struct {
	*sbtest.Env
	d        sandbox.Delays
	ctx      context.Context
	prov     *ec2.Client
	cons     *ec2.Client
	provAcct sandbox.Account
	consAcct sandbox.Account
}

func newPLEnv(t *testing.T, o sbtest.Options) *plEnv {
	t.Helper()
	d := sandbox.DefaultDelays()
	if o.Delays == nil {
		o.Delays = &d
	} else {
		d = *o.Delays
	}
	env := sbtest.Start(t, o)
	return &plEnv{
		Env: env, d: d, ctx: sbtest.Context(t),
		prov:     ec2.NewFromConfig(env.Config(t, "provider")),
		cons:     ec2.NewFromConfig(env.Config(t, "consumer")),
		provAcct: env.Account(t, "provider"),
		consAcct: env.Account(t, "consumer"),
	}
}

// nlb returns the provider's network load balancer ARN.
func (e *plEnv) nlb(t *testing.T) string {
	t.Helper()
	var arn string
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, k := range sandbox.SortedKeys(w.LoadBalancers) {
			if lb := w.LoadBalancers[k]; lb.Owner == e.provAcct.ID && lb.Type == "network" {
				arn = k
				return
			}
		}
	})
	if arn == "" {
		t.Fatal("world has no provider NLB")
	}
	return arn
}

// vpc returns an account's VPC and its subnets keyed by AZ ID.
func (e *plEnv) vpc(t *testing.T, owner string) (string, map[string]string) {
	t.Helper()
	var vpcID string
	subnets := map[string]string{}
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		if v := w.AccountVPC(owner, ""); v != nil {
			vpcID = v.ID
		}
		for _, k := range sandbox.SortedKeys(w.Subnets) {
			if sn := w.Subnets[k]; sn.VPCID == vpcID {
				if _, dup := subnets[sn.AZID]; !dup {
					subnets[sn.AZID] = k
				}
			}
		}
	})
	if vpcID == "" {
		t.Fatalf("account %s has no VPC", owner)
	}
	return vpcID, subnets
}

func plValues(m map[string]string) []string {
	var out []string
	for _, k := range sandbox.SortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

// setVPCDNS sets a VPC's DNS attributes directly in the world (the EC2
// network actions are tested on their own).
func (e *plEnv) setVPCDNS(vpcID string, support, hostnames bool) {
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		w.VPCs[vpcID].EnableDNSSupport = support
		w.VPCs[vpcID].EnableDNSHostnames = hostnames
	})
}

// putTXT adds a TXT record to the zone named zone (public or not).
func (e *plEnv) putTXT(t *testing.T, zone, name, value string) {
	t.Helper()
	found := false
	e.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, z := range w.HostedZones {
			if z.Name == zone {
				z.Records = append(z.Records, sandbox.RecordSet{
					Name: strings.ToLower(name), Type: "TXT", TTL: 1800, Values: []string{`"` + value + `"`},
				})
				found = true
				return
			}
		}
	})
	if !found {
		t.Fatalf("no hosted zone %s", zone)
	}
}

// createService creates an endpoint service on the provider's NLB.
func (e *plEnv) createService(t *testing.T, acceptance bool, privateDNS string) *types.ServiceConfiguration {
	t.Helper()
	in := &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{e.nlb(t)},
		AcceptanceRequired:      aws.Bool(acceptance),
	}
	if privateDNS != "" {
		in.PrivateDnsName = aws.String(privateDNS)
	}
	out, err := e.prov.CreateVpcEndpointServiceConfiguration(e.ctx, in)
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	return out.ServiceConfiguration
}

// availableService creates a service, waits it Available and allows the
// consumer account.
func (e *plEnv) availableService(t *testing.T, acceptance bool, privateDNS string) *types.ServiceConfiguration {
	t.Helper()
	sc := e.createService(t, acceptance, privateDNS)
	e.Advance(t, e.d.ServiceAvailable)
	e.allow(t, *sc.ServiceId, "arn:aws:iam::"+e.consAcct.ID+":root")
	return sc
}

func (e *plEnv) allow(t *testing.T, serviceID string, principals ...string) *ec2.ModifyVpcEndpointServicePermissionsOutput {
	t.Helper()
	out, err := e.prov.ModifyVpcEndpointServicePermissions(e.ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId: aws.String(serviceID), AddAllowedPrincipals: principals,
	})
	if err != nil {
		t.Fatalf("allow %v: %v", principals, err)
	}
	return out
}

// verify associates the TXT record of the service's private DNS name and
// runs verification to the end.
func (e *plEnv) verify(t *testing.T, sc *types.ServiceConfiguration) {
	t.Helper()
	cfg := sc.PrivateDnsNameConfiguration
	e.putTXT(t, "example.com.", *cfg.Name+"."+*sc.PrivateDnsName+".", *cfg.Value)
	if _, err := e.prov.StartVpcEndpointServicePrivateDnsVerification(e.ctx, &ec2.StartVpcEndpointServicePrivateDnsVerificationInput{ServiceId: sc.ServiceId}); err != nil {
		t.Fatalf("start verification: %v", err)
	}
	e.Advance(t, e.d.Verification)
	if got := e.service(t, *sc.ServiceId).PrivateDnsNameConfiguration.State; got != types.DnsNameStateVerified {
		t.Fatalf("verification state = %q, want verified", got)
	}
}

func (e *plEnv) service(t *testing.T, id string) types.ServiceConfiguration {
	t.Helper()
	out, err := e.prov.DescribeVpcEndpointServiceConfigurations(e.ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{id}})
	if err != nil {
		t.Fatalf("describe service %s: %v", id, err)
	}
	if len(out.ServiceConfigurations) != 1 {
		t.Fatalf("describe service %s: %d results", id, len(out.ServiceConfigurations))
	}
	return out.ServiceConfigurations[0]
}

// createEndpoint creates an interface endpoint of the consumer in the given
// subnets with private DNS off.
func (e *plEnv) createEndpoint(t *testing.T, serviceName string, subnets ...string) types.VpcEndpoint {
	t.Helper()
	vpcID, _ := e.vpc(t, e.consAcct.ID)
	out, err := e.cons.CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: aws.String(serviceName),
		VpcId: aws.String(vpcID), SubnetIds: subnets, PrivateDnsEnabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	return *out.VpcEndpoint
}

func (e *plEnv) endpoint(t *testing.T, id string) types.VpcEndpoint {
	t.Helper()
	out, err := e.cons.DescribeVpcEndpoints(e.ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		t.Fatalf("describe endpoint %s: %v", id, err)
	}
	if len(out.VpcEndpoints) != 1 {
		t.Fatalf("describe endpoint %s: %d results", id, len(out.VpcEndpoints))
	}
	return out.VpcEndpoints[0]
}

// apiError asserts err is an AWS API error with code (and message, if not
// empty) and returns its message.
func plAPIError(t *testing.T, err error, code, message string) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if message != "" && ae.ErrorMessage() != message {
		t.Fatalf("error message = %q, want %q", ae.ErrorMessage(), message)
	}
	return ae.ErrorMessage()
}

func plSorted(xs []string) []string {
	out := slices.Clone(xs)
	sort.Strings(out)
	return out
}

func plEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// ec2Pager is what the SDK's EC2 paginators have in common.
type ec2Pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*ec2.Options)) (O, error)
}

// drainIDs runs an EC2 paginator to the end and returns the IDs that ids
// picks out of each page, in order, and how many pages there were.
func drainIDs[O any](t testing.TB, ctx context.Context, p ec2Pager[O], ids func(O) []string) (got []string, pages int) {
	t.Helper()
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, ids(out)...)
	}
	return got, pages
}

func endpointIDs(out *ec2.DescribeVpcEndpointsOutput) (ids []string) {
	for _, ep := range out.VpcEndpoints {
		ids = append(ids, *ep.VpcEndpointId)
	}
	return ids
}

func connectionIDs(out *ec2.DescribeVpcEndpointConnectionsOutput) (ids []string) {
	for _, c := range out.VpcEndpointConnections {
		ids = append(ids, *c.VpcEndpointId)
	}
	return ids
}
