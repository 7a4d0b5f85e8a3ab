package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestAWSCLIMakesTheLoadBalancerFailures makes, with ordinary AWS CLI
// calls against `plwiz sandbox`, each failure plwiz's load balancer and
// in-VPC checks diagnose, and sees it where AWS shows it: a deregistered
// target in describe-target-health, NLB security groups enforced on
// PrivateLink traffic in describe-load-balancers, a revoked rule in
// describe-security-groups and in a Reachability Analyzer explanation, and
// a script run through SSM Run Command on the consumer's managed instance.
func TestAWSCLIMakesTheLoadBalancerFailures(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is not installed (CI must install Debian's awscli): %v", err)
		}
		t.Skipf("the AWS CLI is not installed: %v", err)
	}
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet")

	// Provider: the NLB, its listener's target group, healthy targets.
	lbs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers")
	nlb := jstr(t, lbs, "LoadBalancers", 0, "LoadBalancerArn")
	nlbSG := jstr(t, lbs, "LoadBalancers", 0, "SecurityGroups", 0)
	if !strings.HasPrefix(nlbSG, "sg-") || jstr(t, lbs, "LoadBalancers", 0, "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic") != "on" {
		t.Fatalf("describe-load-balancers shows no security group or enforcement: %v", lbs)
	}
	tgs := awsCLI(t, bin, r, "provider", "elbv2", "describe-target-groups", "--load-balancer-arn", nlb)
	tg := jstr(t, tgs, "TargetGroups", 0, "TargetGroupArn")
	port := int(jget(t, tgs, "TargetGroups", 0, "Port").(float64))
	health := awsCLI(t, bin, r, "provider", "elbv2", "describe-target-health", "--target-group-arn", tg)
	target := jstr(t, health, "TargetHealthDescriptions", 0, "Target", "Id")
	if jstr(t, health, "TargetHealthDescriptions", 0, "TargetHealth", "State") != "healthy" {
		t.Fatalf("describe-target-health: %v", health)
	}
	attrs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancer-attributes", "--load-balancer-arn", nlb)
	if !hasAttr(t, attrs, "load_balancing.cross_zone.enabled", "false") {
		t.Fatalf("describe-load-balancer-attributes: %v", attrs)
	}

	// An AZ without a healthy target: deregister it; draining, then gone.
	awsCLI(t, bin, r, "provider", "elbv2", "deregister-targets", "--target-group-arn", tg, "--targets", "Id="+target)
	h := awsCLI(t, bin, r, "provider", "elbv2", "describe-target-health", "--target-group-arn", tg, "--targets", "Id="+target)
	if s := jstr(t, h, "TargetHealthDescriptions", 0, "TargetHealth", "State"); s != "draining" && s != "unused" {
		t.Fatalf("deregistered target: %v", h)
	}
	waitFor(t, "target gone", func() bool {
		h := awsCLI(t, bin, r, "provider", "elbv2", "describe-target-health", "--target-group-arn", tg, "--targets", "Id="+target)
		return jstr(t, h, "TargetHealthDescriptions", 0, "TargetHealth", "Reason") == "Target.NotRegistered"
	})
	tga := awsCLI(t, bin, r, "provider", "elbv2", "modify-target-group-attributes", "--target-group-arn", tg,
		"--attributes", "Key=load_balancing.cross_zone.enabled,Value=true")
	if !hasAttr(t, tga, "load_balancing.cross_zone.enabled", "true") {
		t.Fatalf("modify-target-group-attributes: %v", tga)
	}

	// NLB security groups enforced on PrivateLink traffic: swap the NLB's
	// group for one that lets nothing in.
	vpc := jstr(t, lbs, "LoadBalancers", 0, "VpcId")
	closed := awsCLI(t, bin, r, "provider", "ec2", "create-security-group", "--group-name", "closed", "--description", "nothing in", "--vpc-id", vpc)
	closedID := jstr(t, closed, "GroupId")
	set := awsCLI(t, bin, r, "provider", "elbv2", "set-security-groups", "--load-balancer-arn", nlb, "--security-groups", closedID,
		"--enforce-security-group-inbound-rules-on-private-link-traffic", "on")
	if jstr(t, set, "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic") != "on" || jstr(t, set, "SecurityGroupIds", 0) != closedID {
		t.Fatalf("set-security-groups: %v", set)
	}
	lbs = awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers", "--load-balancer-arns", nlb)
	if jstr(t, lbs, "LoadBalancers", 0, "SecurityGroups", 0) != closedID || jstr(t, lbs, "LoadBalancers", 0, "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic") != "on" {
		t.Fatalf("the closed group is not shown: %v", lbs)
	}

	// Consumer: its managed instance, a closed security group.
	info := awsCLI(t, bin, r, "consumer", "ssm", "describe-instance-information", "--filters", "Key=PingStatus,Values=Online")
	inst := jstr(t, info, "InstanceInformationList", 0, "InstanceId")
	if !strings.HasPrefix(inst, "i-") {
		t.Fatalf("describe-instance-information: %v", info)
	}
	di := awsCLI(t, bin, r, "consumer", "ec2", "describe-instances", "--instance-ids", inst)
	sg := jstr(t, di, "Reservations", 0, "Instances", 0, "SecurityGroups", 0, "GroupId")
	eni := jstr(t, di, "Reservations", 0, "Instances", 0, "NetworkInterfaces", 0, "NetworkInterfaceId")
	groups := awsCLI(t, bin, r, "consumer", "ec2", "describe-security-groups", "--group-ids", sg)
	if jstr(t, groups, "SecurityGroups", 0, "IpPermissions", 0, "UserIdGroupPairs", 0, "GroupId") != sg {
		t.Fatalf("the default group does not let its members in: %v", groups)
	}
	awsCLI(t, bin, r, "consumer", "ec2", "revoke-security-group-ingress", "--group-id", sg,
		"--ip-permissions", "IpProtocol=-1,UserIdGroupPairs=[{GroupId="+sg+"}]")
	groups = awsCLI(t, bin, r, "consumer", "ec2", "describe-security-groups", "--group-ids", sg)
	if perms, _ := jget(t, groups, "SecurityGroups", 0, "IpPermissions").([]any); len(perms) != 0 {
		t.Fatalf("rule still there after revoke-security-group-ingress: %v", groups)
	}

	// The analyzer names the group that now blocks the instance's own
	// interface from itself (instance → its own ENI is a path in one VPC).
	path := awsCLI(t, bin, r, "consumer", "ec2", "create-network-insights-path", "--source", inst, "--destination", eni,
		"--protocol", "tcp", "--destination-port", strconv.Itoa(port))
	pathID := jstr(t, path, "NetworkInsightsPath", "NetworkInsightsPathId")
	an := awsCLI(t, bin, r, "consumer", "ec2", "start-network-insights-analysis", "--network-insights-path-id", pathID)
	anID := jstr(t, an, "NetworkInsightsAnalysis", "NetworkInsightsAnalysisId")
	var done map[string]any
	waitFor(t, "analysis done", func() bool {
		done = awsCLI(t, bin, r, "consumer", "ec2", "describe-network-insights-analyses", "--network-insights-analysis-ids", anID)
		return jstr(t, done, "NetworkInsightsAnalyses", 0, "Status") == "succeeded"
	})
	if jget(t, done, "NetworkInsightsAnalyses", 0, "NetworkPathFound") != false ||
		jstr(t, done, "NetworkInsightsAnalyses", 0, "Explanations", 0, "ExplanationCode") != "ENI_SG_RULES_MISMATCH" ||
		jstr(t, done, "NetworkInsightsAnalyses", 0, "Explanations", 0, "SecurityGroups", 0, "Id") != sg {
		t.Fatalf("describe-network-insights-analyses: %v", done)
	}
	awsCLI(t, bin, r, "consumer", "ec2", "delete-network-insights-analysis", "--network-insights-analysis-id", anID)
	awsCLI(t, bin, r, "consumer", "ec2", "delete-network-insights-path", "--network-insights-path-id", pathID)

	// Run Command through botocore's JSON protocol: the script really runs.
	sent := awsCLI(t, bin, r, "consumer", "ssm", "send-command", "--document-name", "AWS-RunShellScript",
		"--instance-ids", inst, "--parameters", `{"commands":["echo ran on $AWS_SSM_INSTANCE_ID"]}`)
	cmdID := jstr(t, sent, "Command", "CommandId")
	var inv map[string]any
	waitFor(t, "command done", func() bool {
		// At --speed 1000 the invocation is visible (no
		// InvocationDoesNotExist) long before the CLI has started.
		inv = awsCLI(t, bin, r, "consumer", "ssm", "get-command-invocation", "--command-id", cmdID, "--instance-id", inst)
		return jstr(t, inv, "Status") == "Success"
	})
	if jstr(t, inv, "StandardOutputContent") != "ran on "+inst+"\n" || jget(t, inv, "ResponseCode") != float64(0) {
		t.Fatalf("get-command-invocation: %v", inv)
	}
}

func hasAttr(t *testing.T, v map[string]any, key, value string) bool {
	t.Helper()
	list, _ := jget(t, v, "Attributes").([]any)
	for _, a := range list {
		if jstr(t, a, "Key") == key && jstr(t, a, "Value") == value {
			return true
		}
	}
	return false
}

// TestAWSCLIReadsScenarioWorlds starts `plwiz sandbox --scenario` with the
// load balancer scenarios and reads each through the AWS CLI as a provider
// debugging a timeout would: the failing target, and the TLS listener's
// ACM certificate (botocore's JSON protocol).
func TestAWSCLIReadsScenarioWorlds(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is not installed (CI must install Debian's awscli): %v", err)
		}
		t.Skipf("the AWS CLI is not installed: %v", err)
	}
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet", "--scenario", "unhealthy-az,tls-listener")
	lbs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers")
	nlb := jstr(t, lbs, "LoadBalancers", 0, "LoadBalancerArn")
	ls := awsCLI(t, bin, r, "provider", "elbv2", "describe-listeners", "--load-balancer-arn", nlb)
	listener := jstr(t, ls, "Listeners", 0, "ListenerArn")
	tg := jstr(t, ls, "Listeners", 0, "DefaultActions", 0, "TargetGroupArn")
	if jstr(t, ls, "Listeners", 0, "Protocol") != "TLS" {
		t.Fatalf("describe-listeners: %v", ls)
	}
	health := awsCLI(t, bin, r, "provider", "elbv2", "describe-target-health", "--target-group-arn", tg)
	failing := 0
	for _, d := range jget(t, health, "TargetHealthDescriptions").([]any) {
		if jstr(t, d, "TargetHealth", "State") == "unhealthy" && jstr(t, d, "TargetHealth", "Reason") == "Target.FailedHealthChecks" {
			failing++
		}
	}
	if failing != 1 {
		t.Fatalf("describe-target-health: %v, want one target failing its checks", health)
	}
	certs := awsCLI(t, bin, r, "provider", "elbv2", "describe-listener-certificates", "--listener-arn", listener)
	arn := jstr(t, certs, "Certificates", 0, "CertificateArn")
	cert := awsCLI(t, bin, r, "provider", "acm", "describe-certificate", "--certificate-arn", arn)
	if jstr(t, cert, "Certificate", "DomainName") != "example.com" || jstr(t, cert, "Certificate", "Status") != "ISSUED" ||
		jstr(t, cert, "Certificate", "SubjectAlternativeNames", 1) != "*.example.com" || jget(t, cert, "Certificate", "NotAfter") == nil {
		t.Fatalf("acm describe-certificate: %v", cert)
	}
}
