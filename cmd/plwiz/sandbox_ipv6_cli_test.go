package main

import (
	"strings"
	"testing"

	"github.com/plwiz/plwiz/sandbox"
)

// TestAWSCLIDualstackAndTwoLoadBalancers drives the IPv6 and several-NLB
// parts of `plwiz sandbox` with the AWS CLI: the world's IPv6 blocks and
// dualstack NLB, AWS's refusals of ipv6 on an ipv4 NLB and of a dualstack
// endpoint in a subnet without IPv6, a dualstack endpoint with its DNS
// options and ::1 interfaces, and the refusal to remove a load balancer
// while an endpoint is connected.
func TestAWSCLIDualstackAndTwoLoadBalancers(t *testing.T) {
	bin := needAWSCLI(t)
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet")

	lbs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers")
	v4NLB, dsNLB := jstr(t, lbs, "LoadBalancers", 0, "LoadBalancerArn"), jstr(t, lbs, "LoadBalancers", 1, "LoadBalancerArn")
	if jstr(t, lbs, "LoadBalancers", 1, "IpAddressType") != "dualstack" || jstr(t, lbs, "LoadBalancers", 1, "LoadBalancerName") != sandbox.DualstackNLBName {
		t.Fatalf("describe-load-balancers: %v", lbs)
	}
	vpcs := awsCLI(t, bin, r, "consumer", "ec2", "describe-vpcs")
	if !strings.HasSuffix(jstr(t, vpcs, "Vpcs", 0, "Ipv6CidrBlockAssociationSet", 0, "Ipv6CidrBlock"), "/56") {
		t.Errorf("describe-vpcs: %v", vpcs)
	}
	subnets := awsCLI(t, bin, r, "consumer", "ec2", "describe-subnets", "--filters", "Name=availability-zone-id,Values=use1-az1,use1-az3")
	var with6, without6 string
	for i := range jget(t, subnets, "Subnets").([]any) {
		id := jstr(t, subnets, "Subnets", i, "SubnetId")
		if len(jget(t, subnets, "Subnets", i, "Ipv6CidrBlockAssociationSet").([]any)) > 0 {
			with6 = id
		} else {
			without6 = id
		}
	}
	if with6 == "" || without6 == "" {
		t.Fatalf("describe-subnets: %v", subnets)
	}

	out, code := awsCLIFails(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration",
		"--network-load-balancer-arns", v4NLB, "--supported-ip-address-types", "ipv4", "ipv6")
	if code == 0 || !strings.Contains(out, "InvalidParameter") || !strings.Contains(out, "must use dualstack") {
		t.Errorf("ipv6 on an ipv4 NLB: exit %d, %s", code, out)
	}
	created := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration",
		"--network-load-balancer-arns", dsNLB, v4NLB, "--no-acceptance-required")
	svcID, svcName := jstr(t, created, "ServiceConfiguration", "ServiceId"), jstr(t, created, "ServiceConfiguration", "ServiceName")
	if n := len(jget(t, created, "ServiceConfiguration", "AvailabilityZoneIds").([]any)); n != 3 {
		t.Errorf("a service on both NLBs serves %d AZs, want 3", n)
	}
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-permissions", "--service-id", svcID,
		"--add-allowed-principals", "arn:aws:iam::"+sandbox.ConsumerAccountID+":root")
	waitFor(t, "the service Available", func() bool {
		return jstr(t, awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-service-configurations", "--service-ids", svcID),
			"ServiceConfigurations", 0, "ServiceState") == "Available"
	})
	vpc := jstr(t, vpcs, "Vpcs", 0, "VpcId")

	// An endpoint connected: AWS refuses to remove a load balancer.
	v4ep := awsCLI(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--service-name", svcName,
		"--vpc-id", vpc, "--subnet-ids", with6)
	out, code = awsCLIFails(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-configuration", "--service-id", svcID, "--remove-network-load-balancer-arns", v4NLB)
	if code == 0 || !strings.Contains(out, "ExistingVpcEndpointConnections") || !strings.Contains(out, "Service has existing active VPC Endpoint connections!") {
		t.Errorf("remove an NLB with an endpoint connected: exit %d, %s", code, out)
	}
	awsCLI(t, bin, r, "consumer", "ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids", jstr(t, v4ep, "VpcEndpoint", "VpcEndpointId"))
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-configuration", "--service-id", svcID, "--remove-network-load-balancer-arns", v4NLB)
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-configuration", "--service-id", svcID, "--add-supported-ip-address-types", "ipv6")

	out, code = awsCLIFails(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--service-name", svcName,
		"--vpc-id", vpc, "--subnet-ids", with6, without6, "--ip-address-type", "dualstack")
	if code == 0 || !strings.Contains(out, "InvalidParameter") {
		t.Errorf("dualstack endpoint in a subnet without IPv6 (or an AZ not served): exit %d, %s", code, out)
	}
	ep := awsCLI(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--service-name", svcName,
		"--vpc-id", vpc, "--subnet-ids", with6, "--ip-address-type", "dualstack", "--dns-options", "DnsRecordIpType=dualstack")
	if jstr(t, ep, "VpcEndpoint", "IpAddressType") != "dualstack" || jstr(t, ep, "VpcEndpoint", "DnsOptions", "DnsRecordIpType") != "dualstack" {
		t.Errorf("create-vpc-endpoint: %v", ep)
	}
	eni := jstr(t, ep, "VpcEndpoint", "NetworkInterfaceIds", 0)
	enis := awsCLI(t, bin, r, "consumer", "ec2", "describe-network-interfaces", "--network-interface-ids", eni)
	if jstr(t, enis, "NetworkInterfaces", 0, "Ipv6Addresses", 0, "Ipv6Address") != "::1" {
		t.Errorf("describe-network-interfaces: %v", enis)
	}
}
