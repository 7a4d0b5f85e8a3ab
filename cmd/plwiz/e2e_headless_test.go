package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
)

// buildPlwiz builds the real binary once per test run.
func buildPlwiz(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "plwiz")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// sandboxProcess is `plwiz sandbox` running as its own process.
type sandboxProcess struct {
	cmd *exec.Cmd
	env map[string]map[string]string // party → what it printed to export
	lb  string
}

// startSandboxProcess runs `plwiz sandbox` at speed 200 until the test
// ends; args are added to (or override) its flags.
func startSandboxProcess(t testing.TB, ctx context.Context, bin string, args ...string) *sandboxProcess {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--speed", "200", "--quiet"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	sp := &sandboxProcess{cmd: cmd}
	reLB := regexp.MustCompile(`^# provider's load balancer: (\S+)`)
	var printed strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		printed.WriteString(line + "\n")
		if m := reLB.FindStringSubmatch(line); m != nil && sp.lb == "" { // the first: the ipv4 one
			sp.lb = m[1]
		}
		if strings.HasPrefix(line, "# Ctrl-C stops the sandbox") {
			go func() { _, _ = bufio.NewReader(stdout).WriteTo(new(bytes.Buffer)) }()
			break
		}
	}
	if sp.lb == "" {
		t.Fatalf("plwiz sandbox did not print its load balancer; stderr:\n%s", stderr.String())
	}
	sp.env = sandboxExports(t, printed.String())
	return sp
}

// partyEnv is the environment of one party's terminal: the sandbox's exports
// and nothing of the developer's own AWS setup.
func (sp *sandboxProcess) partyEnv(party, home string) []string {
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "PATH=" + os.Getenv("PATH"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"), "NO_COLOR=1"}
	for k, v := range sp.env[party] {
		env = append(env, k+"="+v)
	}
	return env
}

// TestHeadlessTwoProcessesAgainstPlwizSandbox runs both parties as their
// own processes against `plwiz sandbox`: on the default world, on a world of
// pre-2018 8-hex IDs, with one call in five throttled and one in five
// failing with a 5xx (the seed that failed a flow before), and across
// regions (the provider's --supported-regions, the consumer's --region).
func TestHeadlessTwoProcessesAgainstPlwizSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; not in -short")
	}
	bin := buildPlwiz(t)
	for _, tc := range []struct {
		name    string
		sandbox []string
		check   func(t *testing.T, out string)
		parties partyArgs
	}{
		{name: "default"},
		{name: "legacy-ids", sandbox: []string{"--scenario", "legacy-ids"}, check: func(t *testing.T, out string) {
			// Every ID plwiz printed is of the 8-hex kind.
			ids := regexp.MustCompile(`\b(vpce-svc|vpce|vpc|subnet|sg|eni)-[0-9a-f]+\b`).FindAllString(out, -1)
			kinds := map[string]bool{}
			for _, id := range ids {
				i := strings.LastIndex(id, "-")
				kinds[id[:i]] = true
				if len(id[i+1:]) != 8 {
					t.Errorf("%s is not a legacy 8-hex ID", id)
				}
			}
			for _, k := range []string{"vpce-svc", "vpce", "vpc", "subnet"} {
				if !kinds[k] {
					t.Errorf("no %s- ID in the output: the check proves nothing for it\n%s", k, out)
				}
			}
		}},
		{name: "throttled-and-5xx", sandbox: []string{"--faults", "throttle=0.2,5xx=0.2,seed=3"}},
		// Both parties with live updates: each has its topic, queue and
		// notification, the consumer's wait is woken by the Accept event
		// (its own next look is minutes away, past --wait-timeout), and
		// teardown deletes them.
		{name: "live-updates", parties: partyArgs{
			args: map[string][]string{"provider": {"--notify-topic", "new", "--live-updates"}, "consumer": {"--live-updates"}},
			check: func(t *testing.T, out string) {
				for _, want := range []string{`"step":"notify","title":"Connection notifications","state":"done","detail":"Connect, Accept, Reject and Delete events of service vpce-svc-`,
					"✓ Connection notifications: Connect, Accept, Reject and Delete events of endpoint vpce-", "; connection notifications to arn:aws:sns:"} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
			},
			teardown: []string{"✓ delete connection notification vpce-nfn-", "✓ unsubscribe arn:aws:sns:", "✓ delete SNS topic arn:aws:sns:", "✓ delete SQS queue http"},
		}},
		{name: "cross-region", parties: partyArgs{cross: true}, check: func(t *testing.T, out string) {
			for _, want := range []string{"reachable from us-east-1, us-west-2", "in us-west-2", "cross-region from us-west-2 to us-east-1",
				"subnet-", "in an AZ of us-west-2"} {
				if !strings.Contains(out, want) {
					t.Errorf("the output says nothing of %q:\n%s", want, out)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check := tc.check
			if check == nil {
				check = tc.parties.check
			}
			headlessTwoProcesses(t, bin, tc.sandbox, check, tc.parties)
		})
	}
}

// partyArgs are what a case adds to the parties' command lines, and the
// lines it expects from each party's teardown besides the usual ones.
type partyArgs struct {
	args     map[string][]string
	check    func(t *testing.T, out string)
	teardown []string
	// cross runs the consumer in another region than the provider.
	cross bool
}

func headlessTwoProcesses(t *testing.T, bin string, sandboxArgs []string, check func(t *testing.T, out string), extra partyArgs) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sp := startSandboxProcess(t, ctx, bin, sandboxArgs...)
	shared := t.TempDir()
	offer, request := filepath.Join(shared, "offer.json"), filepath.Join(shared, "request.json")

	// The consumer picks its VPC and subnets as a user would from the
	// console: here, by asking the sandbox with the consumer's exports.
	var providerArgs, consumerArgs []string
	consumerRegion := ""
	if extra.cross {
		consumerRegion = "us-west-2"
		providerArgs = []string{"--supported-regions", consumerRegion}
		consumerArgs = []string{"--region", consumerRegion}
	}
	vpc, subnets := consumerNetwork(t, ctx, sp, consumerRegion)

	type result struct {
		out, errOut string
		code        int
	}
	homes := map[string]string{"provider": t.TempDir(), "consumer": t.TempDir()}
	run := func(party string, args ...string) result {
		home := homes[party]
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = sp.partyEnv(party, home)
		cmd.Dir = shared
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Errorf("%s: %v", party, err)
		}
		return result{out.String(), errb.String(), code}
	}
	var wg sync.WaitGroup
	var prov, cons result
	wg.Add(2)
	go func() {
		defer wg.Done()
		prov = run("provider", append([]string{"provider", "--non-interactive", "--nlb", sp.lb, "--allow", "222222222222",
			"--private-dns", "api.example.com", "--offer-out", offer, "--request", request, "--wait-timeout", "60s", "--output", "json"}, append(providerArgs, extra.args["provider"]...)...)...)
	}()
	go func() {
		defer wg.Done()
		cons = run("consumer", append([]string{"consumer", "--non-interactive", "--offer", offer, "--vpc", vpc, "--subnets", subnets,
			"--request-out", request, "--http", "/health", "--yes", "--wait-timeout", "60s"}, append(consumerArgs, extra.args["consumer"]...)...)...)
	}()
	wg.Wait()
	if prov.code != 0 || cons.code != 0 {
		t.Fatalf("provider exit %d\n%s%s\nconsumer exit %d\n%s%s", prov.code, prov.out, prov.errOut, cons.code, cons.out, cons.errOut)
	}
	if check != nil {
		check(t, prov.out+cons.out)
	}
	// The provider's JSON lines: one object per step, ending with the summary.
	var last map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(prov.out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("provider line is not JSON: %q", line)
		}
		last = m
	}
	if last["step"] != "summary" || last["state"] != "done" {
		t.Errorf("provider ended with %v", last)
	}
	for _, want := range []string{"✓ Connectivity test", "✓ DNS api.example.com", "✓ TLS", "✓ HTTP", "✓ Summary: use api.example.com:8443"} {
		if !strings.Contains(cons.out, want) {
			t.Errorf("consumer output lacks %q:\n%s", want, cons.out)
		}
	}
	// Each party sees its finished session, then tears down what it made:
	// the consumer's endpoint first, then the provider's TXT record and
	// service.
	for _, party := range []string{"consumer", "provider"} {
		list := run(party, "sessions")
		m := regexp.MustCompile(`(?m)^(` + party + `-\S+)\s+` + party + `\s+.*finished$`).FindStringSubmatch(list.out)
		if list.code != 0 || m == nil {
			t.Fatalf("plwiz sessions for the %s: exit %d\n%s%s", party, list.code, list.out, list.errOut)
		}
		td := run(party, "teardown", "--session", m[1], "--yes")
		if td.code != 0 {
			t.Fatalf("teardown %s: exit %d\n%s%s", party, td.code, td.out, td.errOut)
		}
		for _, want := range append(map[string][]string{
			"consumer": {"✓ delete interface endpoint vpce-", "✓ delete security group sg-"},
			"provider": {"✓ delete TXT _", "✓ reject the connections of vpce-svc-", "✓ delete endpoint service vpce-svc-"},
		}[party], extra.teardown...) {
			if !strings.Contains(td.out, want) {
				t.Errorf("teardown %s output lacks %q:\n%s", party, want, td.out)
			}
		}
		// The session now says it is torn down, in text and in JSON.
		list = run(party, "sessions")
		if !regexp.MustCompile(`(?m)^` + m[1] + `\s+` + party + `\s+.*  torn down$`).MatchString(list.out) {
			t.Errorf("after teardown, plwiz sessions for the %s:\n%s%s", party, list.out, list.errOut)
		}
		list = run(party, "sessions", "--output", "json")
		var listed []struct{ ID, State string }
		if err := json.Unmarshal([]byte(list.out), &listed); err != nil || len(listed) != 1 || listed[0].ID != m[1] || listed[0].State != "torn down" {
			t.Errorf("after teardown, plwiz sessions --output json for the %s (%v):\n%s", party, err, list.out)
		}
	}
	consumerClient := clientFor(t, sp, "consumer")
	if _, err := consumerClient.Consumer().LookupService(ctx, serviceName(t, offer)); awsops.CodeOf(err) != "InvalidServiceName" {
		t.Errorf("after teardown the service is still there: %v", err)
	}

	for _, f := range []string{offer, request} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

// clientFor is an awsops client with the environment the sandbox printed
// for a party.
func clientFor(t testing.TB, sp *sandboxProcess, party string) *awsops.Client {
	t.Helper()
	client, err := awsops.New(partyConfig(sp.env[party]), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func serviceName(t *testing.T, offerFile string) string {
	t.Helper()
	data, err := os.ReadFile(offerFile)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		ServiceName string `json:"serviceName"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return o.ServiceName
}

// consumerNetwork lists the consumer's VPC and its subnets through the SDK
// with the environment the sandbox printed for the consumer, in region
// ("" for the one it printed).
func consumerNetwork(t testing.TB, ctx context.Context, sp *sandboxProcess, region string) (vpc, subnets string) {
	t.Helper()
	cfg := partyConfig(sp.env["consumer"])
	if region != "" {
		cfg.Region = region
	}
	client, err := awsops.New(cfg, awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vpcs, err := client.Consumer().ListVPCs(ctx)
	if err != nil || len(vpcs) != 1 {
		t.Fatalf("consumer VPCs %v, %v; want one", vpcs, err)
	}
	sns, err := client.Consumer().ListSubnets(ctx, vpcs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sn := range sns {
		ids = append(ids, sn.ID)
	}
	return vpcs[0].ID, strings.Join(ids, ",")
}
