package awsops

import (
	"strings"
	"testing"
)

// TestVPCEStatementPerSource: a topic that two services notify (a team's
// alerts topic) keeps a statement for each; fixing it for the second does
// not take the first's away.
func TestVPCEStatementPerSource(t *testing.T) {
	const arn = "arn:aws:sns:us-east-1:111111111111:team-alerts"
	a := ServiceSourceARN("us-east-1", "111111111111", "vpce-svc-0123456789abcdef0")
	b := ServiceSourceARN("us-east-1", "111111111111", "vpce-svc-0fedcba9876543210")
	first := CheckTopicForVPCE(Topic{ARN: arn}, a, "111111111111")
	if first.OK || first.Fixed == "" {
		t.Fatalf("an empty policy passed: %+v", first)
	}
	second := CheckTopicForVPCE(Topic{ARN: arn, Policy: first.Fixed}, b, "111111111111")
	if second.OK || second.Fixed == "" {
		t.Fatalf("the first service's statement let the second's events in: %+v", second)
	}
	for _, src := range []string{a, b} {
		if c := CheckTopicForVPCE(Topic{ARN: arn, Policy: second.Fixed}, src, "111111111111"); !c.OK {
			t.Errorf("after both fixes %s may not publish: %s\n%s", src, c.Problem, second.Fixed)
		}
	}
	if !strings.Contains(second.Fixed, `"Sid":"PlwizVpcePublishvpcesvc0123456789abcdef0"`) {
		t.Errorf("Sids are not letters and digits naming the source:\n%s", second.Fixed)
	}
	again := CheckTopicForVPCE(Topic{ARN: arn, Policy: second.Fixed}, a, "111111111111")
	if !again.OK {
		t.Errorf("a second fix for the same service would add another statement: %+v", again)
	}
}
