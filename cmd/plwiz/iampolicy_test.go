package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestIAMPolicyPrintsValidJSONPerRole(t *testing.T) {
	type statement struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  string
		Condition map[string]map[string][]string
	}
	type policy struct {
		Version   string
		Statement []statement
	}
	tests := []struct {
		role       string
		want, not  []string
		tagCreates []string
	}{
		{"provider",
			[]string{"ec2:CreateVpcEndpointServiceConfiguration", "ec2:AcceptVpcEndpointConnections", "ec2:RejectVpcEndpointConnections",
				"ec2:DescribeVpcEndpointConnections", "ec2:ModifyVpcEndpointServicePermissions", "ec2:StartVpcEndpointServicePrivateDnsVerification",
				"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
				"route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListHostedZonesByName", "sts:GetCallerIdentity",
				"ec2:CreateVpcEndpointConnectionNotification", "sns:SetTopicAttributes", "sns:Subscribe", "sqs:ReceiveMessage", "sqs:DeleteMessage"},
			[]string{"ec2:CreateVpcEndpoint", "ec2:ModifyVpcAttribute"},
			[]string{"CreateVpcEndpointServiceConfiguration"}},
		{"consumer",
			[]string{"ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DescribeVpcEndpointServices", "ec2:ModifyVpcAttribute",
				"ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "sts:GetCallerIdentity",
				"ec2:CreateVpcEndpointConnectionNotification", "sns:CreateTopic", "sqs:CreateQueue", "sqs:TagQueue"},
			[]string{"ec2:AcceptVpcEndpointConnections", "route53:ChangeResourceRecordSets", "elasticloadbalancing:DescribeLoadBalancers"},
			[]string{"CreateNetworkInsightsPath", "CreateSecurityGroup", "CreateVpcEndpoint", "StartNetworkInsightsAnalysis"}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			code, out, stderr := runCLI(t, nil, "iam-policy", tt.role)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasPrefix(out, "{\n  \"Version\": \"2012-10-17\"") {
				t.Errorf("not pretty JSON starting with the version:\n%s", out)
			}
			var p policy
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				t.Fatalf("not a JSON policy: %v\n%s", err, out)
			}
			var actions []string
			var tagStmt *statement
			for i, s := range p.Statement {
				// Run Command is scoped to AWS-RunShellScript and instances;
				// SQS to plwiz's queues, creating and deleting topics to
				// plwiz's topics.
				scoped := slices.Equal(s.Action, []string{"ssm:SendCommand"}) &&
					(s.Resource == "arn:aws:ssm:*::document/AWS-RunShellScript" || s.Resource == "arn:aws:ec2:*:*:instance/*")
				switch s.Resource {
				case "arn:*:sqs:*:*:plwiz-*":
					scoped = slices.Equal(s.Action, []string{"sqs:CreateQueue", "sqs:DeleteMessage", "sqs:DeleteQueue", "sqs:GetQueueAttributes",
						"sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SetQueueAttributes", "sqs:TagQueue"})
				case "arn:*:sns:*:*:plwiz-*":
					scoped = slices.Equal(s.Action, []string{"sns:CreateTopic", "sns:DeleteTopic", "sns:TagResource"})
				case "*":
					for _, a := range s.Action {
						if strings.HasPrefix(a, "sqs:") || a == "sns:CreateTopic" || a == "sns:DeleteTopic" || a == "sns:TagResource" {
							t.Errorf("%s is allowed on every resource; plwiz only needs it on what it names plwiz-", a)
						}
					}
				}
				if s.Effect != "Allow" || (s.Resource != "*" && !scoped) || s.Sid == "" {
					t.Errorf("statement %+v: want a Sid, Allow on * (or Run Command, plwiz's queues and topics scoped)", s)
				}
				if slices.Contains(s.Action, "ec2:CreateTags") {
					tagStmt = &p.Statement[i]
					continue
				}
				actions = append(actions, s.Action...)
			}
			for _, a := range tt.want {
				if !slices.Contains(actions, a) {
					t.Errorf("policy lacks %s", a)
				}
			}
			for _, a := range tt.not {
				if slices.Contains(actions, a) {
					t.Errorf("%s policy has %s, which is the other role's", tt.role, a)
				}
			}
			if tagStmt == nil {
				t.Fatal("no ec2:CreateTags statement for tagging on create")
			}
			got := tagStmt.Condition["StringEquals"]["ec2:CreateAction"]
			if !slices.Equal(got, tt.tagCreates) {
				t.Errorf("CreateTags limited to %v, want %v", got, tt.tagCreates)
			}
		})
	}
}

func TestIAMPolicyRejectsUnknownRole(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "iam-policy", "admin")
	if code != exitBadInput || !strings.Contains(stderr, `unknown role "admin"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, _ = runCLI(t, nil, "iam-policy")
	if code != exitBadInput {
		t.Errorf("no role: exit %d, want %d", code, exitBadInput)
	}
}
