package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// awsCheckEnv points plwiz check's AWS calls at the sandbox as the party
// (the SDK reads the process's environment), and returns what plwiz sandbox
// prints for the connectivity test.
func awsCheckEnv(t *testing.T, sb *sbtest.Env, party string) map[string]string {
	t.Helper()
	a := sb.Account(t, party)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": a.AccessKeyID, "AWS_SECRET_ACCESS_KEY": a.SecretAccessKey, "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": sb.URL,
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
	return map[string]string{"PLWIZ_CA_FILE": sb.SB.CAFile(), "PLWIZ_RESOLVER": sb.SB.DNSAddr()}
}

func sandboxLB(t *testing.T, sb *sbtest.Env) (arn, consumerCIDR string) {
	t.Helper()
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, a := range sandbox.SortedKeys(w.LoadBalancers) {
			if w.LoadBalancers[a].Name != sandbox.DualstackNLBName {
				arn = a // the demo's, which the scenarios break
			}
		}
		consumerCIDR = w.AccountVPC(sandbox.ConsumerAccountID, "").CIDR // the home region's
	})
	return arn, consumerCIDR
}

// TestCheckNLBNamesTheCauseAndTheFix: plwiz check --nlb on a load balancer
// with an unhealthy AZ and a group enforced on PrivateLink traffic exits 1
// and says which AZ and which rule, and what plwiz provider can do; on a
// healthy one it exits 0.
func TestCheckNLBNamesTheCauseAndTheFix(t *testing.T) {
	sb := sbtest.Start(t, sbtest.Options{Scenario: "unhealthy-az,nlb-sg-enforced"})
	arn, cidr := sandboxLB(t, sb)
	env := awsCheckEnv(t, sb, "provider")
	code, out, stderr := runCLI(t, env, "check", "--nlb", arn, "--consumer-cidrs", cidr, "--name", "api.example.com")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"load balancer plwiz-demo-nlb: Targets of plwiz-demo-nlb: use1-az1 (us-east-1a) 0/1 healthy ✗",
		"✗ port 8443: healthy targets in use1-az1 (us-east-1a) — seen 0 of 1 healthy: i-",
		"(Target.FailedHealthChecks: Health checks failed)",
		"plwiz provider can do it, after asking: turn cross-zone load balancing on for target group plwiz-demo-nlb-tg",
		"✗ port 8443: NLB security groups let PrivateLink traffic in — seen sg-",
		"the rule allowing TCP 8443 from " + cidr + " is missing",
		"✓ proxy protocol v2 on plwiz-demo-nlb-tg — seen off:",
		"failed, ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, env, "check", "--nlb", arn, "--output", "json")
	var doc struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Result, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFailed || doc.OK || len(doc.Checks) == 0 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}

	healthy := sbtest.Start(t, sbtest.Options{})
	arn, _ = sandboxLB(t, healthy)
	env = awsCheckEnv(t, healthy, "provider")
	if code, out, stderr := runCLI(t, env, "check", "--nlb", arn); code != exitOK {
		t.Fatalf("healthy load balancer: exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestCheckFromInsideTheVPC: plwiz check --endpoint --from ssm:INSTANCE
// runs the checks on the VPC's instance and says so; --from
// reachability:SOURCE asks first, and with --yes reports the path.
func TestCheckFromInsideTheVPC(t *testing.T) {
	sb := sbtest.Start(t, sbtest.Options{DataPlane: true})
	ep := sb.Endpoint(t, sbtest.EndpointOptions{})
	env := awsCheckEnv(t, sb, "consumer")
	// AWS's side moves on while plwiz waits: the command is picked up, the
	// analysis runs.
	done := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				sb.Clock.Advance(time.Second)
			}
		}
	}()
	defer func() { close(done); <-ticked }()
	port := strconv.Itoa(ep.Port)
	code, out, stderr := runCLI(t, env, "check", "--endpoint", ep.ID, "--port", port, "--from", "ssm:"+ep.Instance, "--timeout", "2s")
	if code != exitOK {
		t.Fatalf("--from ssm: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"from " + ep.Instance + " in " + ep.VPCID + ":", "✓ tcp   " + ep.ENIs[0].IP.String() + ":" + port} {
		if !strings.Contains(out, want) {
			t.Errorf("--from ssm output lacks %q:\n%s", want, out)
		}
	}

	// From this host (the sandbox's stand-in for one in the VPC), the
	// endpoint gives the name, the addresses and the vpce names.
	code, out, stderr = runCLI(t, env, "check", "--endpoint", ep.ID, "--port", port, "--timeout", "2s")
	if code != exitOK || strings.Count(out, "✓ tcp ") != len(ep.ENIs) || !strings.Contains(out, "✓ dns   "+ep.ID+"-") {
		t.Fatalf("--endpoint from here: exit %d\n%s\n%s", code, out, stderr)
	}

	code, out, stderr = runCLI(t, env, "check", "--endpoint", ep.ID, "--port", port, "--from", "reachability:"+ep.Instance)
	if code != exitBadInput || !strings.Contains(out, "AWS charges per analysis. [y/N]") || !strings.Contains(stderr, "pass --yes") {
		t.Fatalf("reachability without --yes: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, env, "check", "--endpoint", ep.ID, "--port", port, "--from", "reachability:"+ep.Instance, "--yes")
	if code != exitOK || strings.Count(out, "✓ PATH "+ep.Instance+" to eni-") != len(ep.ENIs) {
		t.Fatalf("reachability --yes: exit %d\n%s\n%s", code, out, stderr)
	}
	n := 0
	sb.SB.World(func(w *sandbox.World, _ time.Time) { n = len(w.Diag.Paths) + len(w.Diag.Analyses) })
	if n != 0 {
		t.Errorf("%d paths or analyses left", n)
	}
}

func TestCheckWhereIsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "ssm:i-0123456789abcdef0", "--name", "a.example.com"}, "--from ssm:i-0123456789abcdef0 needs --endpoint vpce-..."},
		{[]string{"--from", "laptop", "--name", "a.example.com"}, "--from: expected local, ssm:INSTANCE or reachability:SOURCE"},
		{[]string{"--nlb", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/x/0123456789abcdef", "--endpoint", "vpce-0123456789abcdef0"}, "--nlb checks a load balancer; it does not go with --endpoint or --from"},
		{[]string{"--nlb", "not-an-arn"}, "--nlb: expected"},
		{[]string{"--endpoint", "vpce-123", "--from", "ssm:i-0123456789abcdef0"}, "--endpoint: expected vpce- and 8 or 17 hex digits"},
		{[]string{"--nlb", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/x/0123456789abcdef", "--consumer-cidrs", "10.0.0.1/16"}, `--consumer-cidrs: "10.0.0.1/16" is not a CIDR block`},
		{[]string{"--name", "a.example.com", "--consumer-cidrs", "10.0.0.0/16"}, "--consumer-cidrs goes with --nlb"},
	} {
		code, _, stderr := runCLI(t, nil, append([]string{"check"}, tc.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("check %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
