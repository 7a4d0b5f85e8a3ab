package sandbox_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func elbTags(kv ...string) []elbtypes.Tag {
	var out []elbtypes.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, elbtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// tagsOf returns DescribeTags' answer per ARN as "k=v" lists in order.
func tagsOf(t *testing.T, c *elb.Client, arns ...string) map[string][]string {
	t.Helper()
	out, err := c.DescribeTags(sbtest.Context(t), &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil {
		t.Fatalf("DescribeTags: %v", err)
	}
	got := map[string][]string{}
	for i, d := range out.TagDescriptions {
		if aws.ToString(d.ResourceArn) != arns[i] {
			t.Fatalf("description %d is of %s, want %s", i, aws.ToString(d.ResourceArn), arns[i])
		}
		got[arns[i]] = []string{}
		for _, tg := range d.Tags {
			got[arns[i]] = append(got[arns[i]], aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
	}
	return got
}

func TestELBv2Tags(t *testing.T) {
	env, pc, lb := providerELB(t)
	ctx := sbtest.Context(t)
	prov := env.Account(t, "provider")
	ls, err := pc.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lb)})
	if err != nil {
		t.Fatal(err)
	}
	ln := aws.ToString(ls.Listeners[0].ListenerArn)

	if got := tagsOf(t, pc, lb, ln); len(got[lb]) != 0 || len(got[ln]) != 0 {
		t.Fatalf("fresh resources have tags: %v", got)
	}
	if _, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("team", "net", "env", "dev")}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	// The same key again replaces its value; an empty value is a value.
	if _, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("env", "prod", "note", "")}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	if _, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{ln}, Tags: elbTags("port", "8443")}); err != nil {
		t.Fatalf("AddTags to a listener: %v", err)
	}
	got := tagsOf(t, pc, lb, ln)
	plEqual(t, "load balancer tags", got[lb], []string{"team=net", "env=prod", "note="})
	plEqual(t, "listener tags", got[ln], []string{"port=8443"})

	// RemoveTags drops the keys it names; a key the resource lacks is no error.
	if _, err := pc.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{lb}, TagKeys: []string{"env", "absent"}}); err != nil {
		t.Fatalf("RemoveTags: %v", err)
	}
	plEqual(t, "after RemoveTags", tagsOf(t, pc, lb)[lb], []string{"team=net", "note="})

	// AWS's limits and errors.
	long := strings.Repeat("k", 129)
	var fifty []string
	for i := range 49 {
		fifty = append(fifty, fmt.Sprintf("k%d", i), "v")
	}
	cases := []struct {
		name    string
		call    func() error
		code    string
		message string
	}{
		{"two resources at once", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb, ln}, Tags: elbTags("a", "b")})
			return err
		}, "ValidationError", "Only one resource can be tagged at a time"},
		{"a key twice", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("a", "1", "a", "2")})
			return err
		}, "DuplicateTagKeys", ""},
		{"aws: prefix", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("aws:owner", "me")})
			return err
		}, "ValidationError", "Tag key 'aws:owner' cannot start with 'aws:'"},
		{"key too long", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags(long, "v")})
			return err
		}, "ValidationError", "1 validation error detected: Value '" + long + "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"value outside the pattern", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("ok", "semi;colon")})
			return err
		}, "ValidationError", `1 validation error detected: Value 'semi;colon' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`},
		{"more than 50 tags", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags(fifty...)})
			return err
		}, "TooManyTags", ""},
		{"not an ARN", func() error {
			_, err := pc.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{"my-lb"}, Tags: elbTags("a", "b")})
			return err
		}, "ValidationError", "'my-lb' must be in ARN format"},
		{"unknown load balancer", func() error {
			_, err := pc.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{lb + "0"}, TagKeys: []string{"a"}})
			return err
		}, "LoadBalancerNotFound", "Load balancer '" + lb + "0' not found"},
		{"unknown listener", func() error {
			_, err := pc.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{ln + "0"}})
			return err
		}, "ListenerNotFound", ""},
		{"unknown target group", func() error {
			_, err := pc.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{"arn:aws:elasticloadbalancing:us-east-1:" + prov.ID + ":targetgroup/tg/0123456789abcdef"}})
			return err
		}, "TargetGroupNotFound", ""},
		{"describe more than 20", func() error {
			arns := make([]string, 21)
			for i := range arns {
				arns[i] = lb
			}
			_, err := pc.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
			return err
		}, "ValidationError", ""},
		{"another account's load balancer", func() error {
			_, err := elb.NewFromConfig(env.Config(t, "consumer")).AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: elbTags("a", "b")})
			return err
		}, "LoadBalancerNotFound", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ae := wantCode(t, c.call(), c.code)
			if c.message != "" && ae.ErrorMessage() != c.message {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), c.message)
			}
			assertStatus(t, c.call(), 400)
		})
	}
	// Refused calls changed nothing.
	plEqual(t, "after the refused calls", tagsOf(t, pc, lb)[lb], []string{"team=net", "note="})
}
