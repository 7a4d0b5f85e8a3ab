package sandbox_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func TestDescribeInstances(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	c := ec2.NewFromConfig(env.Config(t, "consumer"))
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("DescribeInstances: %v %+v", err, out)
	}
	in := out.Reservations[0].Instances[0]
	if in.State.Name != ec2types.InstanceStateNameRunning || aws.ToString(in.VpcId) == "" || aws.ToString(in.PrivateIpAddress) == "" ||
		len(in.SecurityGroups) != 1 || len(in.NetworkInterfaces) != 1 || aws.ToString(in.Placement.AvailabilityZone) == "" {
		t.Fatalf("instance = %+v", in)
	}
	byVPC, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{"vpc-0000000000000000a"}}}})
	if err != nil || len(byVPC.Reservations) != 0 {
		t.Fatalf("another VPC's instances: %v %d", err, len(byVPC.Reservations))
	}
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	apiCode(t, err, "InvalidInstanceID.NotFound")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	apiCode(t, err, "InvalidParameterValue")
	// The provider's targets are the provider's.
	prov, err := ec2.NewFromConfig(env.Config(t, "provider")).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil || len(prov.Reservations) != 5 {
		t.Fatalf("provider instances: %v %d, want its five targets (three behind plwiz-demo-nlb, two behind plwiz-dualstack-nlb)", err, len(prov.Reservations))
	}
}

func TestRevokeSecurityGroupIngress(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	c := ec2.NewFromConfig(env.Config(t, "consumer"))
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("app"), Description: aws.String("app"), VpcId: aws.String(consumerVPC(t, env))})
	if err != nil {
		t.Fatal(err)
	}
	perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("127.0.0.0/8")}}}
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{perm}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{perm}}); err != nil {
		t.Fatalf("revoke by permission: %v", err)
	}
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{perm}})
	apiCode(t, err, "InvalidPermission.NotFound")
	again, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{perm}})
	if err != nil || aws.ToString(again.SecurityGroupRules[0].SecurityGroupRuleId) == aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId) {
		t.Fatalf("authorize again: %v", err)
	}
	if _, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId,
		SecurityGroupRuleIds: []string{aws.ToString(again.SecurityGroupRules[0].SecurityGroupRuleId)}}); err != nil {
		t.Fatalf("revoke by rule ID: %v", err)
	}
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(g.GroupId)}})
	if err != nil || len(sgs.SecurityGroups[0].IpPermissions) != 0 {
		t.Fatalf("rules left: %v %+v", err, sgs.SecurityGroups[0].IpPermissions)
	}
}

func consumerVPC(t *testing.T, env *sbtest.Env) string {
	t.Helper()
	out, err := ec2.NewFromConfig(env.Config(t, "consumer")).DescribeVpcs(sbtest.Context(t), &ec2.DescribeVpcsInput{})
	if err != nil || len(out.Vpcs) == 0 {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	return aws.ToString(out.Vpcs[0].VpcId)
}

// analyze runs one Reachability Analyzer path to its end and returns the
// analysis.
func analyze(t *testing.T, env *sbtest.Env, c *ec2.Client, src, dst string, port int) (ec2types.NetworkInsightsAnalysis, string) {
	t.Helper()
	ctx := sbtest.Context(t)
	p, err := c.CreateNetworkInsightsPath(ctx, &ec2.CreateNetworkInsightsPathInput{Source: aws.String(src), Destination: aws.String(dst),
		Protocol: ec2types.ProtocolTcp, DestinationPort: aws.Int32(int32(port)), ClientToken: aws.String("t-" + src + dst)})
	if err != nil {
		t.Fatalf("CreateNetworkInsightsPath: %v", err)
	}
	pathID := aws.ToString(p.NetworkInsightsPath.NetworkInsightsPathId)
	a, err := c.StartNetworkInsightsAnalysis(ctx, &ec2.StartNetworkInsightsAnalysisInput{NetworkInsightsPathId: aws.String(pathID)})
	if err != nil {
		t.Fatalf("StartNetworkInsightsAnalysis: %v", err)
	}
	if a.NetworkInsightsAnalysis.Status != ec2types.AnalysisStatusRunning {
		t.Fatalf("new analysis status %s, want running", a.NetworkInsightsAnalysis.Status)
	}
	env.Advance(t, sandbox.DefaultDelays().Analysis)
	out, err := c.DescribeNetworkInsightsAnalyses(ctx, &ec2.DescribeNetworkInsightsAnalysesInput{
		NetworkInsightsAnalysisIds: []string{aws.ToString(a.NetworkInsightsAnalysis.NetworkInsightsAnalysisId)}})
	if err != nil || len(out.NetworkInsightsAnalyses) != 1 {
		t.Fatalf("DescribeNetworkInsightsAnalyses: %v", err)
	}
	return out.NetworkInsightsAnalyses[0], pathID
}

func TestReachabilityAnalyzer(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{World: scenarioWorld(t, "consumer-sg-closed")})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	ctx := sbtest.Context(t)
	c := ec2.NewFromConfig(env.Config(t, "consumer"))

	blocked, pathID := analyze(t, env, c, ep.Instance, ep.ENIs[0].ID, ep.Port)
	if blocked.Status != ec2types.AnalysisStatusSucceeded || aws.ToBool(blocked.NetworkPathFound) || len(blocked.Explanations) != 1 {
		t.Fatalf("analysis = %s found=%v explanations=%d, want succeeded, no path, one explanation", blocked.Status, aws.ToBool(blocked.NetworkPathFound), len(blocked.Explanations))
	}
	ex := blocked.Explanations[0]
	var epSG string
	env.SB.World(func(w *sandbox.World, _ time.Time) { epSG = w.Endpoints[ep.ID].SecurityGroupIDs[0] })
	if aws.ToString(ex.ExplanationCode) != "ENI_SG_RULES_MISMATCH" || aws.ToString(ex.Direction) != "ingress" ||
		aws.ToString(ex.NetworkInterface.Id) != ep.ENIs[0].ID || len(ex.SecurityGroups) != 1 || aws.ToString(ex.SecurityGroups[0].Id) != epSG {
		t.Fatalf("explanation = %+v, want ENI_SG_RULES_MISMATCH ingress naming %s and %s", ex, ep.ENIs[0].ID, epSG)
	}

	// Opening the port finds the path.
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(epSG),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(ep.Port)), ToPort: aws.Int32(int32(ep.Port)),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(epSG)}}}}}); err != nil {
		t.Fatal(err)
	}
	a, err := c.StartNetworkInsightsAnalysis(ctx, &ec2.StartNetworkInsightsAnalysisInput{NetworkInsightsPathId: aws.String(pathID)})
	if err != nil {
		t.Fatal(err)
	}
	env.Advance(t, sandbox.DefaultDelays().Analysis)
	found, err := c.DescribeNetworkInsightsAnalyses(ctx, &ec2.DescribeNetworkInsightsAnalysesInput{NetworkInsightsPathId: aws.String(pathID)})
	if err != nil || len(found.NetworkInsightsAnalyses) != 2 {
		t.Fatalf("analyses of the path: %v", err)
	}
	for _, x := range found.NetworkInsightsAnalyses {
		if aws.ToString(x.NetworkInsightsAnalysisId) == aws.ToString(a.NetworkInsightsAnalysis.NetworkInsightsAnalysisId) {
			if !aws.ToBool(x.NetworkPathFound) || len(x.Explanations) != 0 || len(x.ForwardPathComponents) == 0 {
				t.Fatalf("after opening the port: %+v, want a path", x)
			}
		}
	}

	// Cleanup: the path cannot go before its analyses.
	_, err = c.DeleteNetworkInsightsPath(ctx, &ec2.DeleteNetworkInsightsPathInput{NetworkInsightsPathId: aws.String(pathID)})
	apiCode(t, err, "DependencyViolation")
	for _, x := range found.NetworkInsightsAnalyses {
		if _, err := c.DeleteNetworkInsightsAnalysis(ctx, &ec2.DeleteNetworkInsightsAnalysisInput{NetworkInsightsAnalysisId: x.NetworkInsightsAnalysisId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteNetworkInsightsPath(ctx, &ec2.DeleteNetworkInsightsPathInput{NetworkInsightsPathId: aws.String(pathID)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeNetworkInsightsPaths(ctx, &ec2.DescribeNetworkInsightsPathsInput{NetworkInsightsPathIds: []string{pathID}})
	apiCode(t, err, "InvalidNetworkInsightsPathId.NotFound")
	_, err = c.CreateNetworkInsightsPath(ctx, &ec2.CreateNetworkInsightsPathInput{Source: aws.String("i-0123456789abcdef0"),
		Destination: aws.String(ep.ENIs[0].ID), Protocol: ec2types.ProtocolTcp})
	apiCode(t, err, "InvalidInstanceID.NotFound")
}
