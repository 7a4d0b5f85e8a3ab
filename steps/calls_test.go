package steps_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go/middleware"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/steps"
)

// handWritten is what a person does with the AWS CLI for the same setup,
// polls apart: the yardstick of "no repeated calls".
var handWritten = map[steps.Role][]string{
	steps.RoleProvider: {
		"sts get-caller-identity",
		"elbv2 describe-load-balancers",
		"elbv2 describe-listeners",
		"ec2 describe-availability-zones", // the NLB's AZ IDs, for the consumer
		// Before putting a service in front of it, and again when the
		// consumer's endpoint is up: is every AZ's target healthy, does
		// the NLB's security group let PrivateLink traffic in?
		"elbv2 describe-target-groups --load-balancer-arn",
		"elbv2 describe-target-group-attributes", // cross-zone, proxy protocol
		"elbv2 describe-target-health",
		"ec2 describe-instances", // which AZ each instance target is in
		"elbv2 describe-load-balancer-attributes",
		"ec2 describe-security-groups", // the NLB's, enforced on PrivateLink traffic
		"ec2 create-vpc-endpoint-service-configuration",
		"ec2 modify-vpc-endpoint-service-permissions",
		"ec2 modify-vpc-endpoint-service-configuration --private-dns-name",
		"ec2 describe-vpc-endpoint-service-configurations", // the TXT record
		"route53 list-hosted-zones-by-name",
		"route53 change-resource-record-sets",
		"ec2 start-vpc-endpoint-service-private-dns-verification",
		"ec2 accept-vpc-endpoint-connections",
	},
	steps.RoleConsumer: {
		"sts get-caller-identity",
		"ec2 describe-vpc-endpoint-services",
		"ec2 describe-availability-zones", // which of my AZ names those IDs are
		"ec2 describe-vpcs",
		"ec2 describe-subnets",
		"ec2 describe-vpc-attribute --attribute enableDnsSupport",
		"ec2 describe-vpc-attribute --attribute enableDnsHostnames",
		"ec2 modify-vpc-attribute --enable-dns-support",
		"ec2 modify-vpc-attribute --enable-dns-hostnames",
		"ec2 create-security-group",
		"ec2 authorize-security-group-ingress",
		"ec2 create-vpc-endpoint",
		"ec2 modify-vpc-endpoint --private-dns-enabled",
		"ec2 describe-network-interfaces", // the addresses to test
	},
}

type pollKey struct{}

// callCounter counts a party's AWS calls that are not part of a poll.
type callCounter struct {
	mu    sync.Mutex
	calls []string
}

func (c *callCounter) option(s *middleware.Stack) error {
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("test/CallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			read := strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Get")
			if ctx.Value(pollKey{}) == nil || !read {
				c.mu.Lock()
				c.calls = append(c.calls, op)
				c.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// markPolls returns flow with the reads of its waits on AWS and on the
// other party marked as polls; what an import does once its file is there
// (checking the request against AWS), and every change a poll makes (the
// headless accept), still count.
func markPolls(flow *steps.Flow) *steps.Flow {
	out := &steps.Flow{Role: flow.Role}
	for _, st := range flow.Steps {
		if st.Poll != nil && st.Await.Kind != steps.AwaitFile {
			c, poll := *st, st.Poll
			c.Poll = func(ctx context.Context, env *steps.Env, s *steps.Session) (steps.Status, error) {
				return poll(context.WithValue(ctx, pollKey{}, true), env, s)
			}
			st = &c
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// TestTwoPartyRunMakesFewCalls: apart from polls, both parties together
// make at most 1.2 times the calls a person makes by hand.
func TestTwoPartyRunMakesFewCalls(t *testing.T) {
	sb := fastWorld(t)
	dir := t.TempDir()
	counters := map[steps.Role]*callCounter{steps.RoleProvider: {}, steps.RoleConsumer: {}}
	mk := func(account string, role steps.Role) *party {
		p := newParty(t, sb, account, role, dir)
		client, err := awsops.New(sb.Config(t, account), awsops.Options{APIOptions: []func(*middleware.Stack) error{counters[role].option}})
		if err != nil {
			t.Fatal(err)
		}
		p.env.AWS = client
		return p
	}
	provider, consumer := mk("provider", steps.RoleProvider), mk("consumer", steps.RoleConsumer)
	errs := runBothFlows(t, sb, dir, provider, consumer, markPolls(steps.ProviderFlow()), markPolls(steps.ConsumerFlow()))
	if errs[steps.RoleProvider] != nil || errs[steps.RoleConsumer] != nil {
		t.Fatalf("provider: %v\nconsumer: %v", errs[steps.RoleProvider], errs[steps.RoleConsumer])
	}
	ours, hand := 0, 0
	for role, c := range counters {
		ours += len(c.calls)
		hand += len(handWritten[role])
		t.Logf("%s: %d calls (by hand %d): %s", role, len(c.calls), len(handWritten[role]), strings.Join(c.calls, ", "))
	}
	if float64(ours) > 1.2*float64(hand) {
		t.Errorf("%d calls apart from polls; the hand-written sequence takes %d, and the budget is 1.2 times that", ours, hand)
	}
}
