package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
)

// TestAWSCLIDrivesTheRestOfPlwizCalls drives, with the AWS CLI, the calls
// plwiz makes that the other CLI tests do not: AZ IDs, a target group's
// attributes, the private DNS verification, the allowed principals, the
// VPC's DNS attributes, a security group's rule and its deletion, private
// DNS refused before acceptance, a rejection, the Reachability Analyzer's
// paths, SNS topics listed, an SQS queue's attributes set and its messages
// deleted in a batch, and the service deleted.
func TestAWSCLIDrivesTheRestOfPlwizCalls(t *testing.T) {
	bin := needAWSCLI(t)
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet")
	cons := sandbox.ConsumerAccountID

	azs := awsCLI(t, bin, r, "provider", "ec2", "describe-availability-zones")
	if !strings.HasPrefix(jstr(t, azs, "AvailabilityZones", 0, "ZoneId"), "use1-az") || jstr(t, azs, "AvailabilityZones", 0, "ZoneName") == "" {
		t.Fatalf("describe-availability-zones: %v", azs)
	}
	nlb := jstr(t, awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers", "--names", "plwiz-demo-nlb"), "LoadBalancers", 0, "LoadBalancerArn")
	tg := jstr(t, awsCLI(t, bin, r, "provider", "elbv2", "describe-target-groups", "--load-balancer-arn", nlb), "TargetGroups", 0, "TargetGroupArn")
	attrs := awsCLI(t, bin, r, "provider", "elbv2", "describe-target-group-attributes", "--target-group-arn", tg)
	if !hasKeyValue(t, attrs, "Attributes", "load_balancing.cross_zone.enabled", "use_load_balancer_configuration") {
		t.Errorf("describe-target-group-attributes: %v", attrs)
	}

	// A service with a private DNS name, verified; its allowed principals.
	created := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration",
		"--network-load-balancer-arns", nlb, "--acceptance-required", "--private-dns-name", "api.example.com")
	svcID, svcName := jstr(t, created, "ServiceConfiguration", "ServiceId"), jstr(t, created, "ServiceConfiguration", "ServiceName")
	if v := awsCLI(t, bin, r, "provider", "ec2", "start-vpc-endpoint-service-private-dns-verification", "--service-id", svcID); jget(t, v, "ReturnValue") != true {
		t.Errorf("start-vpc-endpoint-service-private-dns-verification: %v", v)
	}
	principal := "arn:aws:iam::" + cons + ":root"
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-permissions", "--service-id", svcID, "--add-allowed-principals", principal)
	perms := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-service-permissions", "--service-id", svcID)
	if jstr(t, perms, "AllowedPrincipals", 0, "Principal") != principal || jstr(t, perms, "AllowedPrincipals", 0, "PrincipalType") != "Account" {
		t.Errorf("describe-vpc-endpoint-service-permissions: %v", perms)
	}
	waitFor(t, "service Available", func() bool {
		d := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-service-configurations", "--service-ids", svcID)
		return jstr(t, d, "ServiceConfigurations", 0, "ServiceState") == "Available"
	})

	// The consumer's VPC DNS attributes, a group with the service port.
	vpcs := awsCLI(t, bin, r, "consumer", "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=consumer-vpc")
	vpcID, cidr := jstr(t, vpcs, "Vpcs", 0, "VpcId"), jstr(t, vpcs, "Vpcs", 0, "CidrBlock")
	awsCLI(t, bin, r, "consumer", "ec2", "modify-vpc-attribute", "--vpc-id", vpcID, "--enable-dns-hostnames", `{"Value":true}`)
	if a := awsCLI(t, bin, r, "consumer", "ec2", "describe-vpc-attribute", "--vpc-id", vpcID, "--attribute", "enableDnsHostnames"); jget(t, a, "EnableDnsHostnames", "Value") != true {
		t.Errorf("describe-vpc-attribute after modify-vpc-attribute: %v", a)
	}
	sg := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "create-security-group", "--group-name", "plwiz-cli", "--description", "endpoint", "--vpc-id", vpcID), "GroupId")
	awsCLI(t, bin, r, "consumer", "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "8443", "--cidr", cidr)
	groups := awsCLI(t, bin, r, "consumer", "ec2", "describe-security-groups", "--group-ids", sg)
	if jstr(t, groups, "SecurityGroups", 0, "IpPermissions", 0, "IpRanges", 0, "CidrIp") != cidr ||
		jget(t, groups, "SecurityGroups", 0, "IpPermissions", 0, "FromPort") != float64(8443) {
		t.Errorf("describe-security-groups after authorize-security-group-ingress: %v", groups)
	}
	subnet := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpcID), "Subnets", 0, "SubnetId")
	ep := awsCLI(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", vpcID,
		"--service-name", svcName, "--subnet-ids", subnet, "--security-group-ids", sg, "--no-private-dns-enabled")
	epID, eni := jstr(t, ep, "VpcEndpoint", "VpcEndpointId"), jstr(t, ep, "VpcEndpoint", "NetworkInterfaceIds", 0)

	// Private DNS before acceptance: AWS refuses it.
	if out, code := awsCLIFails(t, bin, r, "consumer", "ec2", "modify-vpc-endpoint", "--vpc-endpoint-id", epID, "--private-dns-enabled"); code == 0 ||
		!regexp.MustCompile(`\((IncorrectState|InvalidParameter)\)`).MatchString(out) {
		t.Errorf("modify-vpc-endpoint --private-dns-enabled while pendingAcceptance: exit %d: %s", code, out)
	}

	// The Reachability Analyzer's path, listed.
	inst := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "describe-instances", "--filters", "Name=vpc-id,Values="+vpcID),
		"Reservations", 0, "Instances", 0, "InstanceId")
	pathID := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "create-network-insights-path", "--source", inst, "--destination", eni,
		"--protocol", "tcp", "--destination-port", strconv.Itoa(8443)), "NetworkInsightsPath", "NetworkInsightsPathId")
	paths := awsCLI(t, bin, r, "consumer", "ec2", "describe-network-insights-paths", "--network-insights-path-ids", pathID)
	if jstr(t, paths, "NetworkInsightsPaths", 0, "Destination") != eni || jstr(t, paths, "NetworkInsightsPaths", 0, "Source") != inst {
		t.Errorf("describe-network-insights-paths: %v", paths)
	}
	awsCLI(t, bin, r, "consumer", "ec2", "delete-network-insights-path", "--network-insights-path-id", pathID)

	// The provider rejects it; the service goes.
	if rej := awsCLI(t, bin, r, "provider", "ec2", "reject-vpc-endpoint-connections", "--service-id", svcID, "--vpc-endpoint-ids", epID); len(jslice(rej, "Unsuccessful")) != 0 {
		t.Fatalf("reject-vpc-endpoint-connections: %v", rej)
	}
	waitFor(t, "endpoint rejected", func() bool {
		return jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", epID), "VpcEndpoints", 0, "State") == "rejected"
	})
	spare := jstr(t, awsCLI(t, bin, r, "consumer", "ec2", "create-security-group", "--group-name", "plwiz-spare", "--description", "unused", "--vpc-id", vpcID), "GroupId")
	awsCLI(t, bin, r, "consumer", "ec2", "delete-security-group", "--group-id", spare)
	if out, code := awsCLIFails(t, bin, r, "consumer", "ec2", "describe-security-groups", "--group-ids", spare); code == 0 || !strings.Contains(out, "(InvalidGroup.NotFound)") {
		t.Errorf("describe-security-groups after delete-security-group: exit %d: %s", code, out)
	}
	if del := awsCLI(t, bin, r, "provider", "ec2", "delete-vpc-endpoint-service-configurations", "--service-ids", svcID); len(jslice(del, "Unsuccessful")) != 0 {
		t.Fatalf("delete-vpc-endpoint-service-configurations: %v", del)
	}

	// SNS topics listed; an SQS queue's attributes set, its messages
	// deleted in a batch.
	topic := jstr(t, awsCLI(t, bin, r, "provider", "sns", "create-topic", "--name", "plwiz-cli"), "TopicArn")
	listed := false
	for _, x := range jslice(awsCLI(t, bin, r, "provider", "sns", "list-topics"), "Topics") {
		listed = listed || jstr(t, x, "TopicArn") == topic
	}
	if !listed {
		t.Errorf("list-topics does not list %s", topic)
	}
	qURL := jstr(t, awsCLI(t, bin, r, "provider", "sqs", "create-queue", "--queue-name", "plwiz-cli"), "QueueUrl")
	awsCLI(t, bin, r, "provider", "sqs", "set-queue-attributes", "--queue-url", qURL, "--attributes", "VisibilityTimeout=45")
	if a := awsCLI(t, bin, r, "provider", "sqs", "get-queue-attributes", "--queue-url", qURL, "--attribute-names", "VisibilityTimeout"); jstr(t, a, "Attributes", "VisibilityTimeout") != "45" {
		t.Errorf("get-queue-attributes after set-queue-attributes: %v", a)
	}
	for _, body := range []string{"one", "two"} {
		awsCLI(t, bin, r, "provider", "sqs", "send-message", "--queue-url", qURL, "--message-body", body)
	}
	msgs := jslice(awsCLI(t, bin, r, "provider", "sqs", "receive-message", "--queue-url", qURL, "--max-number-of-messages", "10", "--wait-time-seconds", "1"), "Messages")
	if len(msgs) != 2 {
		t.Fatalf("receive-message: %v", msgs)
	}
	batch := filepath.Join(t.TempDir(), "entries.json")
	if err := os.WriteFile(batch, []byte(`[{"Id":"0","ReceiptHandle":"`+jstr(t, msgs, 0, "ReceiptHandle")+`"},{"Id":"1","ReceiptHandle":"`+jstr(t, msgs, 1, "ReceiptHandle")+`"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	del := awsCLI(t, bin, r, "provider", "sqs", "delete-message-batch", "--queue-url", qURL, "--entries", "file://"+batch)
	if len(jslice(del, "Successful")) != 2 || len(jslice(del, "Failed")) != 0 {
		t.Errorf("delete-message-batch: %v", del)
	}
}

// TestAWSCLIDrivesEveryTableOperation: every AWS operation plwiz may call
// (the table `plwiz iam-policy` is built from) is run with the AWS CLI in
// one of this package's tests against the sandbox.
func TestAWSCLIDrivesEveryTableOperation(t *testing.T) {
	var tests strings.Builder
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests.Write(b)
	}
	kebab := regexp.MustCompile(`([a-z0-9])([A-Z])`)
	for _, role := range []awsops.Role{awsops.RoleProvider, awsops.RoleConsumer} {
		for _, op := range awsops.Operations(role) {
			cmd := strings.ToLower(kebab.ReplaceAllString(op.Name, "$1-$2"))
			if !strings.Contains(tests.String(), `"`+cmd+`"`) {
				t.Errorf("%s (%s) is never run with the AWS CLI against the sandbox", op.Name, cmd)
			}
		}
	}
}

// hasKeyValue reports whether the list at key holds {Key: k, Value: v}.
func hasKeyValue(t *testing.T, doc map[string]any, key, k, v string) bool {
	t.Helper()
	for _, x := range jslice(doc, key) {
		if jstr(t, x, "Key") == k && jstr(t, x, "Value") == v {
			return true
		}
	}
	return false
}

// jslice is the list at key of a CLI answer, nil when absent.
func jslice(doc map[string]any, key string) []any {
	l, _ := doc[key].([]any)
	return l
}
