package sandbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// fastRetries is the account's config with the SDK's standard retryer, but
// millisecond backoff and no retry quota, so fault tests stay quick while the
// SDK still does the retrying.
func fastRetries(t *testing.T, env *sbtest.Env, name string, attempts int) aws.Config {
	t.Helper()
	cfg := env.Config(t, name)
	cfg.RetryMaxAttempts = attempts
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
	return cfg
}

func TestFaultRetriesAbsorbThrottlingAnd5xx(t *testing.T) {
	for _, c := range []struct {
		name   string
		faults sandbox.Faults
	}{
		{"throttle", sandbox.Faults{Seed: 42, Throttle: 0.5}},
		{"5xx", sandbox.Faults{Seed: 7, ServerError: 0.5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := sbtest.Start(t, sbtest.Options{Faults: c.faults})
			ctx := sbtest.Context(t)
			cfg := fastRetries(t, env, "provider", 40)
			ec := ec2.NewFromConfig(cfg)
			lc := elb.NewFromConfig(cfg)
			total := 0
			for i := range 20 {
				out, err := ec.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
				if err != nil {
					t.Fatalf("call %d: %v (the SDK should have retried it)", i, err)
				}
				if len(out.AvailabilityZones) != 3 {
					t.Fatalf("call %d: %d zones", i, len(out.AvailabilityZones))
				}
				res, ok := retry.GetAttemptResults(out.ResultMetadata)
				if !ok {
					t.Fatal("no attempt results in the metadata")
				}
				total += len(res.Results)
				lo, err := lc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
				if err != nil || len(lo.LoadBalancers) != 2 {
					t.Fatalf("elbv2 call %d: %v", i, err)
				}
			}
			if total <= 20 {
				t.Errorf("20 calls took %d attempts: the fault never fired", total)
			}
		})
	}
}

func TestFaultSurfacedWhenCertain(t *testing.T) {
	ctx := sbtest.Context(t)
	env := sbtest.Start(t, sbtest.Options{Faults: sandbox.Faults{Seed: 1, Throttle: 1}})
	cfg := fastRetries(t, env, "consumer", 3)
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	ae := wantCode(t, err, "RequestLimitExceeded")
	if ae.ErrorMessage() != "Request limit exceeded." {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "Throttling")

	env = sbtest.Start(t, sbtest.Options{Faults: sandbox.Faults{Seed: 1, ServerError: 1}})
	cfg = fastRetries(t, env, "consumer", 2)
	_, err = ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "InternalError")
	assertStatus(t, err, http.StatusInternalServerError)
	_, err = elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	wantCode(t, err, "ServiceUnavailable")
	assertStatus(t, err, http.StatusServiceUnavailable)
}

func TestFaultLatency(t *testing.T) {
	const latency = 40 * time.Millisecond
	env := sbtest.Start(t, sbtest.Options{Faults: sandbox.Faults{Latency: latency}})
	c := sts.NewFromConfig(env.Config(t, "provider"))
	start := time.Now()
	if _, err := c.GetCallerIdentity(sbtest.Context(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	// A lower bound only: the call cannot have answered before the latency.
	if d := time.Since(start); d < latency {
		t.Errorf("call took %v, less than the injected %v", d, latency)
	}
	// A caller that gives up early is released.
	ctx, cancel := context.WithTimeout(context.Background(), latency/4)
	defer cancel()
	if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Error("a call with a deadline shorter than the latency succeeded")
	}
}

func TestFaultConsistencyHidesNewSecurityGroup(t *testing.T) {
	delays := sandbox.DefaultDelays()
	env := sbtest.Start(t, sbtest.Options{Faults: sandbox.Faults{Consistency: true}, Delays: &delays})
	ctx := sbtest.Context(t)
	c := ec2.NewFromConfig(env.Config(t, "consumer"))
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("fresh"),
		Description: aws.String("fresh"), VpcId: vpcs.Vpcs[0].VpcId})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(out.GroupId)}})
	wantCode(t, err, "InvalidGroup.NotFound")
	l, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("group-name", "fresh")}})
	if err != nil || len(l.SecurityGroups) != 0 {
		t.Errorf("fresh group listed inside the consistency window: %v", err)
	}
	env.Advance(t, delays.Visibility)
	g, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(out.GroupId)}})
	if err != nil || len(g.SecurityGroups) != 1 {
		t.Errorf("after the window: %v", err)
	}
}

// rawCall sends a request signed like the SDK would, for what the SDK
// cannot send (unknown actions and paths).
func rawCall(t *testing.T, env *sbtest.Env, account, service, method, path, body string) (int, string, http.Header) {
	t.Helper()
	acct := env.Account(t, account)
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: acct.AccessKeyID, SecretAccessKey: acct.SecretAccessKey}
	if service != "" {
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestServerRoutingAndEnvelopes(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	cases := []struct {
		name, service, method, path, body string
		status                            int
		contains                          []string
	}{
		{"ec2 unknown action", "ec2", "POST", "/", "Action=RunInstances&Version=2016-11-15", 400,
			[]string{"<Response><Errors><Error><Code>InvalidAction</Code>", "<RequestID>"}},
		{"elbv2 unknown action", "elasticloadbalancing", "POST", "/", "Action=CreateLoadBalancer&Version=2015-12-01", 400,
			[]string{`<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">`, "<Type>Sender</Type><Code>InvalidAction</Code>"}},
		{"route53 unknown path", "route53", "GET", "/2013-04-01/healthcheck", "", 404,
			[]string{"<Code>UnknownOperationException</Code>"}},
		{"no signature", "", "POST", "/", "Action=DescribeVpcs&Version=2016-11-15", 403,
			[]string{"<Code>MissingAuthenticationToken</Code>"}},
		{"ec2 envelope", "ec2", "POST", "/", "Action=DescribeAvailabilityZones&Version=2016-11-15", 200,
			[]string{`<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`, "<availabilityZoneInfo><item><zoneName>"}},
		{"sts envelope", "sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", 200,
			[]string{`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>`,
				"</GetCallerIdentityResult><ResponseMetadata><RequestId>"}},
		{"empty list still written", "ec2", "POST", "/", "Action=DescribeNetworkInterfaces&Version=2016-11-15", 200,
			[]string{"<networkInterfaceSet></networkInterfaceSet>"}},
		{"elbv2 envelope", "elasticloadbalancing", "POST", "/", "Action=DescribeLoadBalancers&Version=2015-12-01", 200,
			[]string{"<DescribeLoadBalancersResult><LoadBalancers><member>", "<ResponseMetadata><RequestId>"}},
		{"elbv2 error", "elasticloadbalancing", "POST", "/", "Action=DescribeTags&Version=2015-12-01&ResourceArns.member.1=nope", 400,
			[]string{"<Code>ValidationError</Code>", "<RequestId>"}},
		{"sts error", "sts", "POST", "/", "Action=GetSessionToken&Version=2011-06-15", 400,
			[]string{"<Code>InvalidAction</Code>"}},
		{"route53 envelope", "route53", "GET", "/2013-04-01/hostedzone", "", 200,
			[]string{"<ListHostedZonesResponse"}},
		{"route53 error", "route53", "GET", "/2013-04-01/hostedzone/ZNOSUCHZONE", "", 404,
			[]string{"<Code>NoSuchHostedZone</Code>"}},
	}
	bodyID := regexp.MustCompile(`<(?:requestId|RequestId|RequestID)>([^<]+)<`)
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, header := rawCall(t, env, "provider", c.service, c.method, c.path, c.body)
			if status != c.status {
				t.Errorf("status %d, want %d; body %s", status, c.status, body)
			}
			for _, s := range c.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			// Every response, success or error, of every protocol, carries
			// its own request ID in the header, the same as in its body.
			id := header.Get("x-amzn-RequestId")
			if id == "" || seen[id] {
				t.Errorf("x-amzn-RequestId %q (empty or repeated); headers %v", id, header)
			}
			seen[id] = true
			if m := bodyID.FindStringSubmatch(body); m != nil && m[1] != id {
				t.Errorf("header request ID %q, body's %q", id, m[1])
			}
		})
	}
}
