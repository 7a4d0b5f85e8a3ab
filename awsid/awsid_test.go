package awsid

import (
	"strings"
	"testing"
)

func TestIDKinds(t *testing.T) {
	valid := map[Kind][]string{
		ServiceID:       {"vpce-svc-0123456789abcdef0", "vpce-svc-1234abcd"},
		EndpointID:      {"vpce-0123456789abcdef0", "vpce-1a2b3c4d"},
		VPCID:           {"vpc-0123456789abcdef0", "vpc-1a2b3c4d"},
		SubnetID:        {"subnet-0123456789abcdef0", "subnet-1a2b3c4d"},
		SecurityGroupID: {"sg-0123456789abcdef0", "sg-1a2b3c4d"},
		ENIID:           {"eni-0123456789abcdef0", "eni-1a2b3c4d"},
		InstanceID:      {"i-0123456789abcdef0", "i-1a2b3c4d"},
	}
	invalid := map[Kind][]string{
		ServiceID: {"", "vpce-svc-", "vpce-svc-1234abc", "vpce-svc-1234abcde", "vpce-svc-0123456789abcdef", "vpce-svc-0123456789abcdef01",
			"vpce-svc-0123456789ABCDEF0", "vpce-svc-0123456789abcdefg", "vpce-0123456789abcdef0", " vpce-svc-1234abcd", "vpce-svc-1234abcd\n",
			"VPCE-SVC-1234abcd", "vpce-svc-1234-abc"},
		EndpointID:      {"vpce-svc-1234abcd", "vpce-svc-0123456789abcdef0", "vpce-123", "vpc-1a2b3c4d", "vpce-1a2b3c4z"},
		VPCID:           {"vpce-1a2b3c4d", "vpc-", "vpc-1a2b3c4d5", "subnet-1a2b3c4d"},
		SubnetID:        {"subnet-1a2b3c4", "subnet-0123456789abcdef00", "sg-1a2b3c4d"},
		SecurityGroupID: {"sg-default", "sg-1a2b3c4", "default"},
		ENIID:           {"eni-1a2b3c4d0", "eni-"},
		InstanceID:      {"i-1a2b", "i-1a2b3c4d0e", "id-1a2b3c4d"},
	}
	for k, ids := range valid {
		for _, id := range ids {
			if !k.Valid(id) {
				t.Errorf("%s.Valid(%q) = false, want true", k, id)
			}
		}
	}
	for k, ids := range invalid {
		for _, id := range ids {
			if k.Valid(id) {
				t.Errorf("%s.Valid(%q) = true, want false", k, id)
			}
		}
	}
	if got := ServiceID.Shape(); got != "vpce-svc- and 8 or 17 hex digits" {
		t.Errorf("Shape = %q", got)
	}
}

func TestAccountsAndRegions(t *testing.T) {
	for _, s := range []string{"123456789012", "000000000000"} {
		if !IsAccount(s) {
			t.Errorf("IsAccount(%q) = false", s)
		}
	}
	for _, s := range []string{"", "12345678901", "1234567890123", "1234-5678-9012", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢"} {
		if IsAccount(s) {
			t.Errorf("IsAccount(%q) = true", s)
		}
	}
	regions := map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "il-central-1": "aws", "mx-central-1": "aws", "ap-southeast-7": "aws",
		"cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-gov-east-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e", "us-isof-south-1": "aws-iso-f",
		"eusc-de-east-1": "aws-eusc",
		// Not claimed by any pattern: the SDKs take it to be aws.
		"xx-east-1": "aws",
	}
	for r, p := range regions {
		if !IsRegion(r) {
			t.Errorf("IsRegion(%q) = false", r)
		}
		if got := PartitionOf(r); got != p {
			t.Errorf("PartitionOf(%q) = %q, want %q", r, got, p)
		}
	}
	for _, r := range []string{"", "us-east", "useast1", "US-EAST-1", "us_east_1", "us-east-1a", "use1-az1", "u-east-1", "us--east-1",
		"us-east-123", "us-east-1 ", "aws-global", "us-a-b-c-d-1"} {
		if IsRegion(r) {
			t.Errorf("IsRegion(%q) = true", r)
		}
	}
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"} {
		if !IsPartition(p) || !strings.Contains(PartitionList(), p) {
			t.Errorf("partition %s unknown", p)
		}
	}
	for _, p := range []string{"", "AWS", "aws-us", "aws-iso-x", "azure"} {
		if IsPartition(p) {
			t.Errorf("IsPartition(%q) = true", p)
		}
	}
}

func TestParseServiceName(t *testing.T) {
	valid := []struct{ name, region, id string }{
		{"com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", "us-east-1", "vpce-svc-0123456789abcdef0"},
		{"com.amazonaws.vpce.us-east-1.vpce-svc-1234abcd", "us-east-1", "vpce-svc-1234abcd"},
		{"com.amazonaws.vpce.eusc-de-east-1.vpce-svc-1234abcd", "eusc-de-east-1", "vpce-svc-1234abcd"},
		{"com.amazonaws.vpce.us-gov-west-1.vpce-svc-0123456789abcdef0", "us-gov-west-1", "vpce-svc-0123456789abcdef0"},
		{"cn.com.amazonaws.vpce.cn-northwest-1.vpce-svc-070f9283a2c0d1f0c", "cn-northwest-1", "vpce-svc-070f9283a2c0d1f0c"},
		{"com.amazonaws.vpce.cn-north-1.vpce-svc-1234abcd", "cn-north-1", "vpce-svc-1234abcd"},
	}
	for _, c := range valid {
		region, id, ok := ParseServiceName(c.name)
		if !ok || region != c.region || id != c.id {
			t.Errorf("ParseServiceName(%q) = %q, %q, %t; want %q, %q", c.name, region, id, ok, c.region, c.id)
		}
	}
	for _, name := range []string{
		"", "com.amazonaws.vpce.us-east-1.vpce-svc-123", "com.amazonaws.us-east-1.s3", "com.amazonaws.vpce.us-east-1.vpce-0123456789abcdef0",
		"cn.com.amazonaws.vpce.us-east-1.vpce-svc-1234abcd", "com.amazonaws.vpce.US-EAST-1.vpce-svc-1234abcd",
		"com.amazonaws.vpce.us-east-1.vpce-svc-1234abcd.", "aws.sagemaker.us-east-1.notebook", "com.amazonaws.vpce.us-east-1a.vpce-svc-1234abcd",
		"xcom.amazonaws.vpce.us-east-1.vpce-svc-1234abcd",
	} {
		if r, id, ok := ParseServiceName(name); ok {
			t.Errorf("ParseServiceName(%q) = %q, %q, true; want not ok", name, r, id)
		}
	}
}

func TestIsEndpointDNSName(t *testing.T) {
	for _, c := range []struct {
		name, id string
		want     bool
	}{
		{"vpce-0123456789abcdef0-abcd1234.vpce-svc-0a1b2c3d4e5f67890.us-east-1.vpce.amazonaws.com", "vpce-0123456789abcdef0", true},
		{"vpce-0123456789abcdef0-abcd1234-us-east-1a.vpce-svc-0a1b2c3d4e5f67890.us-east-1.vpce.amazonaws.com", "vpce-0123456789abcdef0", true},
		{"vpce-1a2b3c4d-wtxlncsb.vpce-svc-1234abcd.cn-northwest-1.vpce.amazonaws.com.cn", "vpce-1a2b3c4d", true},
		{"vpce-1a2b3c4d-wtxlncsb.vpce-svc-1234abcd.eusc-de-east-1.vpce.amazonaws.eu", "vpce-1a2b3c4d", true},
		{"api.example.com", "vpce-1a2b3c4d", false},
		{"vpce-1a2b3c4dd-x.vpce-svc-1234abcd.us-east-1.vpce.amazonaws.com", "vpce-1a2b3c4d", false},
		{"vpce-1a2b3c4d-x.vpce-svc-1234abcd.us-east-1.vpce.amazonaws.com", "not-an-id", false},
	} {
		if got := IsEndpointDNSName(c.name, c.id); got != c.want {
			t.Errorf("IsEndpointDNSName(%q, %q) = %t, want %t", c.name, c.id, got, c.want)
		}
	}
}

func TestParsePrincipal(t *testing.T) {
	valid := []struct {
		arn  string
		want Principal
	}{
		{"arn:aws:iam::123456789012:root", Principal{Partition: "aws", Account: "123456789012", Type: Root}},
		{"arn:aws:iam::123456789012:user/alice", Principal{Partition: "aws", Account: "123456789012", Type: User, Path: "/", Name: "alice"}},
		{"arn:aws:iam::123456789012:user/division/team/alice+ops=1,x.y@z_w-v",
			Principal{Partition: "aws", Account: "123456789012", Type: User, Path: "/division/team/", Name: "alice+ops=1,x.y@z_w-v"}},
		{"arn:aws:iam::123456789012:role/path/to/Role", Principal{Partition: "aws", Account: "123456789012", Type: Role, Path: "/path/to/", Name: "Role"}},
		{"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
			Principal{Partition: "aws", Account: "123456789012", Type: Role, Path: "/aws-reserved/sso.amazonaws.com/eu-west-1/", Name: "AWSReservedSSO_Admin_0123456789abcdef"}},
		{"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/name@example.com",
			Principal{Partition: "aws", Account: "123456789012", Type: AssumedRole, Name: "AWSReservedSSO_AdministratorAccess_0123456789abcdef", Session: "name@example.com"}},
		{"arn:aws:sts::123456789012:federated-user/Bob", Principal{Partition: "aws", Account: "123456789012", Type: FederatedUser, Name: "Bob"}},
		{"arn:aws-cn:iam::123456789012:role/R", Principal{Partition: "aws-cn", Account: "123456789012", Type: Role, Path: "/", Name: "R"}},
		{"arn:aws-us-gov:sts::123456789012:assumed-role/R/s1", Principal{Partition: "aws-us-gov", Account: "123456789012", Type: AssumedRole, Name: "R", Session: "s1"}},
		{"arn:aws-iso:iam::123456789012:root", Principal{Partition: "aws-iso", Account: "123456789012", Type: Root}},
		{"arn:aws-iso-b:iam::123456789012:user/u", Principal{Partition: "aws-iso-b", Account: "123456789012", Type: User, Path: "/", Name: "u"}},
		{"arn:aws-iso-e:iam::123456789012:root", Principal{Partition: "aws-iso-e", Account: "123456789012", Type: Root}},
		{"arn:aws-iso-f:iam::123456789012:root", Principal{Partition: "aws-iso-f", Account: "123456789012", Type: Root}},
		{"arn:aws-eusc:sts::123456789012:assumed-role/Admin/alice", Principal{Partition: "aws-eusc", Account: "123456789012", Type: AssumedRole, Name: "Admin", Session: "alice"}},
		{"arn:aws:iam::123456789012:user/" + strings.Repeat("u", 64), Principal{Partition: "aws", Account: "123456789012", Type: User, Path: "/", Name: strings.Repeat("u", 64)}},
		{"arn:aws:iam::123456789012:role/p:q/R", Principal{Partition: "aws", Account: "123456789012", Type: Role, Path: "/p:q/", Name: "R"}},
	}
	for _, c := range valid {
		got, err := ParsePrincipal(c.arn)
		if err != nil || got != c.want {
			t.Errorf("ParsePrincipal(%q) = %+v, %v; want %+v", c.arn, got, err, c.want)
		}
		if got.IAM() != (c.want.Type == Root || c.want.Type == User || c.want.Type == Role) {
			t.Errorf("ParsePrincipal(%q).IAM() = %t", c.arn, got.IAM())
		}
	}
	invalid := []struct{ arn, why string }{
		{"", "not an ARN"},
		{"123456789012", "not an ARN"},
		{"arn:aws:iam::123456789012", "not an ARN"},
		{"arn:azure:iam::123456789012:root", `partition "azure" is not one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc`},
		{"arn:AWS:iam::123456789012:root", `partition "AWS"`},
		{"arn:aws:s3:::bucket", `service "s3": a principal's ARN is an iam or sts one`},
		{"arn:aws:iam:us-east-1:123456789012:root", `region "us-east-1": IAM and STS ARNs have none`},
		{"arn:aws:iam::12345678901:root", `account "12345678901": expected 12 digits`},
		{"arn:aws:iam::123456789012:group/devs", `resource "group/devs": an IAM principal is root, user/<name> or role/<name>`},
		{"arn:aws:iam::123456789012:user", `resource "user"`},
		{"arn:aws:iam::123456789012:user/", `user name "": 1 to 64 letters`},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 65), "role name"},
		{"arn:aws:iam::123456789012:role/a b", `role name "a b": 1 to 64 letters, digits and + = , . @ _ -`},
		{"arn:aws:iam::123456789012:role/a\x1bb", `role name "a\x1bb"`},
		{"arn:aws:iam::123456789012:role/path with space/R", `path "/path with space/": an IAM path is / or printable ASCII between slashes`},
		{"arn:aws:iam::123456789012:role//R", `path "//"`},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("p", 512) + "/R", "path"},
		{"arn:aws:iam::123456789012:assumed-role/R/s", `resource "assumed-role/R/s": an IAM principal`},
		{"arn:aws:sts::123456789012:root", `resource "root": an STS principal is assumed-role/<role>/<session> or federated-user/<name>`},
		{"arn:aws:sts::123456789012:assumed-role/Admin", "the session name is missing"},
		{"arn:aws:sts::123456789012:assumed-role/Admin/a", `session name "a": 2 to 64`},
		{"arn:aws:sts::123456789012:assumed-role/Admin/" + strings.Repeat("s", 65), "session name"},
		{"arn:aws:sts::123456789012:assumed-role/Admin/a/b", `session name "a/b"`},
		{"arn:aws:sts::123456789012:assumed-role//alice", `role name ""`},
		{"arn:aws:sts::123456789012:federated-user/B", `federated user name "B": 2 to 32`},
		{"arn:aws:sts::123456789012:federated-user/" + strings.Repeat("b", 33), "federated user name"},
		{"arn:aws:iam::123456789012:root" + strings.Repeat("x", MaxARN), "more than the 2048 an ARN may have"},
	}
	for _, c := range invalid {
		p, err := ParsePrincipal(c.arn)
		if err == nil {
			t.Errorf("ParsePrincipal(%.100q) = %+v, want an error", c.arn, p)
			continue
		}
		if !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParsePrincipal(%.100q) error %q, want it to say %q", c.arn, err, c.why)
		}
	}
}

func TestIsNLBARN(t *testing.T) {
	for _, s := range []string{
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/my-nlb/0123456789abcdef",
		"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/net/n/0123456789abcdef",
		"arn:aws-eusc:elasticloadbalancing:eusc-de-east-1:123456789012:loadbalancer/net/n/0123456789abcdef",
		"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/net/n/0123456789abcdef",
	} {
		if !IsNLBARN(s) {
			t.Errorf("IsNLBARN(%q) = false", s)
		}
	}
	for _, s := range []string{
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/0123456789abcdef",
		"arn:aws-cn:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n/0123456789abcdef",
		"arn:aws-x:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n/0123456789abcdef",
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n_1/0123456789abcdef",
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n/0123456789abcde",
	} {
		if IsNLBARN(s) {
			t.Errorf("IsNLBARN(%q) = true", s)
		}
	}
}
