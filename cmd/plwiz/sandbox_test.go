package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/plwiz/plwiz/sandbox"
)

func TestParseFaults(t *testing.T) {
	f, err := parseFaults("throttle=0.1,5xx=0.05,latency=200ms,consistency,seed=42")
	if err != nil {
		t.Fatal(err)
	}
	want := sandbox.Faults{Throttle: 0.1, ServerError: 0.05, Latency: 200 * time.Millisecond, Consistency: true, Seed: 42}
	if f != want {
		t.Errorf("parseFaults = %+v, want %+v", f, want)
	}
	if f, err := parseFaults(""); err != nil || f != (sandbox.Faults{}) {
		t.Errorf("empty spec: %+v %v", f, err)
	}
	if f, err := parseFaults("consistency=false, throttle=1"); err != nil || f.Consistency || f.Throttle != 1 {
		t.Errorf("consistency=false: %+v %v", f, err)
	}
	for _, bad := range []string{"throttle=2", "throttle=-0.1", "throttle=NaN", "5xx=x", "latency=forever", "latency=1h",
		"seed=-1", "throttle", "colour=red", "throttle=0.1,,seed=1", "throttle=0.1,throttle=0.2", "consistency=maybe"} {
		if _, err := parseFaults(bad); err == nil {
			t.Errorf("parseFaults(%q) accepted it", bad)
		}
	}
}

func TestSandboxCommandRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sandbox", "--speed", "0"}, exitBadInput, "--speed"},
		{[]string{"sandbox", "--faults", "throttle=3"}, exitBadInput, "--faults"},
		{[]string{"sandbox", "--addr", "0.0.0.0:0", "--no-data-plane"}, exitFailed, "loopback"},
		{[]string{"sandbox", "--world", "bad\x1b[2J.json"}, exitBadInput, "control characters"},
		{[]string{"sandbox", "--world", "/nonexistent-plwiz-dir/world.json", "--no-data-plane"}, exitBadInput, "its folder /nonexistent-plwiz-dir does not exist"},
		{[]string{"sandbox", "--events", "/nonexistent-plwiz-dir/events.jsonl", "--no-data-plane", "--addr", "127.0.0.1:0"}, exitBadInput, "--events"},
	} {
		code, _, stderr := runCLI(t, nil, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningSandbox is `plwiz sandbox` running in-process.
type runningSandbox struct {
	out, err *syncBuffer
	cancel   context.CancelFunc
	done     chan int
	// env is what each party exports, by account name.
	env map[string]map[string]string
	url string
}

var exportLine = regexp.MustCompile(`(?m)^export ([A-Z_]+)=(\S+)$`)
var partyLine = regexp.MustCompile(`(?m)^# ([a-z]+) \(account (\d{12})\)`)

// sandboxExports reads what `plwiz sandbox` tells each party to export, by
// party name, from its printed environment.
func sandboxExports(t testing.TB, out string) map[string]map[string]string {
	t.Helper()
	idx := partyLine.FindAllStringSubmatchIndex(out, -1)
	if len(idx) < 2 || out[idx[0][2]:idx[0][3]] != "provider" || out[idx[1][2]:idx[1][3]] != "consumer" {
		t.Fatalf("want a section for the provider, then the consumer, got %d:\n%s", len(idx), out)
	}
	env := map[string]map[string]string{}
	for i, m := range idx {
		end := len(out)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		name := out[m[2]:m[3]]
		env[name] = map[string]string{}
		for _, e := range exportLine.FindAllStringSubmatch(out[m[0]:end], -1) {
			env[name][e[1]] = strings.Trim(e[2], "'")
		}
	}
	return env
}

// partyConfig is the SDK configuration of what the sandbox printed for a
// party to export.
func partyConfig(env map[string]string) aws.Config {
	return aws.Config{Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")}
}

// startSandboxCmd runs `plwiz sandbox args...` until the test ends and
// parses the export lines it prints.
func startSandboxCmd(t *testing.T, args ...string) *runningSandbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningSandbox{out: &syncBuffer{}, err: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		r.done <- run(ctx, append([]string{"sandbox"}, args...), streams{in: strings.NewReader(""), out: r.out, err: r.err}, func(string) string { return "" })
	}()
	t.Cleanup(func() { r.stop(t) })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(r.out.String(), "# Ctrl-C stops the sandbox") {
		select {
		case code := <-r.done:
			r.done <- code
			t.Fatalf("plwiz sandbox exited %d early: %s %s", code, r.out.String(), r.err.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("plwiz sandbox printed no environment in time: %q", r.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.env = sandboxExports(t, r.out.String())
	r.url = r.env["provider"]["AWS_ENDPOINT_URL"]
	return r
}

// stop cancels the command (as Ctrl-C does) and returns its exit code.
func (r *runningSandbox) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("plwiz sandbox did not stop within 10s of being cancelled")
		return -1
	}
}

func TestSandboxCommandServesPrintsAndSaves(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "world.json")
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--world", world, "--speed", "50")

	for _, party := range []string{"provider", "consumer"} {
		env := r.env[party]
		for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"} {
			if env[k] == "" {
				t.Errorf("%s: no export of %s", party, k)
			}
		}
		if !strings.HasPrefix(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:") || env["AWS_REGION"] != "us-east-1" {
			t.Errorf("%s: endpoint %q region %q", party, env["AWS_ENDPOINT_URL"], env["AWS_REGION"])
		}
		// The printed keys are the account's: the SDK signs with them and
		// the sandbox knows who is calling.
		id, err := sts.NewFromConfig(partyConfig(env)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("%s: GetCallerIdentity with the printed keys: %v", party, err)
		}
		want := map[string]string{"provider": sandbox.ProviderAccountID, "consumer": sandbox.ConsumerAccountID}[party]
		if aws.ToString(id.Account) != want {
			t.Errorf("%s keys belong to account %s", party, aws.ToString(id.Account))
		}
	}
	out := r.out.String()
	dns := regexp.MustCompile(`(?m)^# DNS server: (127\.0\.0\.1:\d+)$`).FindStringSubmatch(out)
	ca := regexp.MustCompile(`(?m)^# CA file: (/\S+)$`).FindStringSubmatch(out)
	if dns == nil || ca == nil {
		t.Fatalf("no DNS server or CA file line:\n%s", out)
	}
	if pem, err := os.ReadFile(ca[1]); err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		t.Errorf("CA file %s: %v", ca[1], err)
	}
	if !strings.Contains(r.err.String(), "provider sts GetCallerIdentity: ok") {
		t.Errorf("calls are not logged on stderr: %q", r.err.String())
	}

	if code := r.stop(t); code != 0 {
		t.Fatalf("exit %d after cancel; stderr %s", code, r.err.String())
	}
	if !strings.Contains(r.err.String(), "world saved to "+world) {
		t.Errorf("no saved message: %q", r.err.String())
	}
	w, err := sandbox.LoadWorld(world)
	if err != nil {
		t.Fatalf("saved world: %v", err)
	}
	if w.AccountByName("consumer").AccessKeyID != r.env["consumer"]["AWS_ACCESS_KEY_ID"] {
		t.Error("the saved world has other keys than the printed ones")
	}

	// A restart loads the same world: same keys.
	r2 := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--world", world, "--no-data-plane", "--quiet")
	if r2.env["consumer"]["AWS_SECRET_ACCESS_KEY"] != r.env["consumer"]["AWS_SECRET_ACCESS_KEY"] {
		t.Error("restarting with --world made new keys")
	}
	if !strings.Contains(r2.out.String(), "serving the world in "+world) {
		t.Errorf("restart does not say it loaded the world: %s", r2.out.String())
	}
	if strings.Contains(r2.out.String(), "# DNS server") {
		t.Error("--no-data-plane still printed a DNS server")
	}
}

// needAWSCLI finds the AWS CLI; CI must have it (Debian's awscli).
func needAWSCLI(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is not installed (CI must install Debian's awscli): %v", err)
		}
		t.Skipf("the AWS CLI is not installed: %v", err)
	}
	return bin
}

// awsCLI runs the AWS CLI as one party against the sandbox and decodes its
// JSON output.
func awsCLI(t *testing.T, bin string, r *runningSandbox, party string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := awsCLICmd(ctx, t, bin, r, party, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	out := map[string]any{}
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("aws %s printed no JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
	return out
}

// awsCLIFails runs the AWS CLI for a call that should fail and returns
// what it printed and its exit code.
func awsCLIFails(t *testing.T, bin string, r *runningSandbox, party string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := awsCLICmd(ctx, t, bin, r, party, args...).CombinedOutput()
	if err == nil {
		return string(out), 0
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return string(out), exit.ExitCode()
}

// awsCLICmd is the AWS CLI run as one party against the sandbox, with the
// user's own AWS configuration kept out.
func awsCLICmd(ctx context.Context, t *testing.T, bin string, r *runningSandbox, party string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, append(args, "--endpoint-url", r.url, "--output", "json")...)
	dir := t.TempDir()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8",
		// Keep the user's own AWS config and credentials out of it.
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
		if v := os.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range r.env[party] {
		if k != "AWS_ENDPOINT_URL" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	return cmd
}

// jget walks decoded JSON: keys for objects, ints for arrays.
func jget(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", v, k)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("%v: no item %d", v, k)
			}
			v = a[k]
		}
	}
	return v
}

func jstr(t *testing.T, v any, path ...any) string {
	t.Helper()
	s, _ := jget(t, v, path...).(string)
	return s
}

// TestAWSCLIProviderCommands runs the AWS CLI (Debian's awscli in CI) against
// `plwiz sandbox` for the provider's documented commands, and the consumer's
// side they need, and checks the JSON it prints; on the default world and on
// one of IDs of the 8-hex kind AWS issued before 2018.
func TestAWSCLIProviderCommands(t *testing.T) {
	bin := needAWSCLI(t)
	t.Run("default world", func(t *testing.T) { awsCLIProviderCommands(t, bin, "") })
	t.Run("legacy-ids", func(t *testing.T) { awsCLIProviderCommands(t, bin, "legacy-ids") })
}

// idShape is the form of an ID of kind prefix: 17 hex digits, or 8 in a
// legacy-ids world.
func idShape(scenario, prefix string) *regexp.Regexp {
	n := 17
	if scenario == "legacy-ids" {
		n = 8
	}
	return regexp.MustCompile(fmt.Sprintf(`^%s[0-9a-f]{%d}$`, regexp.QuoteMeta(prefix), n))
}

func awsCLIProviderCommands(t *testing.T, bin, scenario string) {
	args := []string{"--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet"}
	if scenario != "" {
		args = append(args, "--scenario", scenario)
	}
	r := startSandboxCmd(t, args...)
	wantID := func(what, prefix, id string) {
		t.Helper()
		if !idShape(scenario, prefix).MatchString(id) {
			t.Errorf("%s ID %q is not of the form %s", what, id, idShape(scenario, prefix))
		}
	}

	id := awsCLI(t, bin, r, "provider", "sts", "get-caller-identity")
	if jstr(t, id, "Account") != sandbox.ProviderAccountID {
		t.Fatalf("get-caller-identity: %v", id)
	}
	lbs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers")
	nlb := jstr(t, lbs, "LoadBalancers", 0, "LoadBalancerArn")
	if jstr(t, lbs, "LoadBalancers", 0, "Type") != "network" || jstr(t, lbs, "LoadBalancers", 0, "State", "Code") != "active" {
		t.Fatalf("describe-load-balancers: %v", lbs)
	}
	wantID("load balancer VPC", "vpc-", jstr(t, lbs, "LoadBalancers", 0, "VpcId"))

	// ELBv2 tags, as the CLI sends and reads them.
	awsCLI(t, bin, r, "provider", "elbv2", "add-tags", "--resource-arns", nlb, "--tags", "Key=team,Value=net", "Key=env,Value=dev")
	awsCLI(t, bin, r, "provider", "elbv2", "remove-tags", "--resource-arns", nlb, "--tag-keys", "env")
	tags := awsCLI(t, bin, r, "provider", "elbv2", "describe-tags", "--resource-arns", nlb)
	if jstr(t, tags, "TagDescriptions", 0, "ResourceArn") != nlb || jstr(t, tags, "TagDescriptions", 0, "Tags", 0, "Key") != "team" ||
		jstr(t, tags, "TagDescriptions", 0, "Tags", 0, "Value") != "net" || len(jget(t, tags, "TagDescriptions", 0, "Tags").([]any)) != 1 {
		t.Errorf("describe-tags after add-tags and remove-tags: %v", tags)
	}

	// The provider's documented command.
	created := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration",
		"--network-load-balancer-arns", nlb, "--acceptance-required")
	svcID := jstr(t, created, "ServiceConfiguration", "ServiceId")
	svcName := jstr(t, created, "ServiceConfiguration", "ServiceName")
	wantID("service", "vpce-svc-", svcID)
	if !strings.HasPrefix(svcID, "vpce-svc-") || svcName != "com.amazonaws.vpce.us-east-1."+svcID ||
		jget(t, created, "ServiceConfiguration", "AcceptanceRequired") != true ||
		jstr(t, created, "ServiceConfiguration", "NetworkLoadBalancerArns", 0) != nlb {
		t.Fatalf("create-vpc-endpoint-service-configuration: %v", created)
	}
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-permissions", "--service-id", svcID,
		"--add-allowed-principals", "arn:aws:iam::"+sandbox.ConsumerAccountID+":root")
	waitFor(t, "service Available", func() bool {
		d := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-service-configurations", "--service-ids", svcID)
		return jstr(t, d, "ServiceConfigurations", 0, "ServiceState") == "Available"
	})

	// The consumer's endpoint, from its own VPC and subnets.
	vpcs := awsCLI(t, bin, r, "consumer", "ec2", "describe-vpcs")
	vpcID := jstr(t, vpcs, "Vpcs", 0, "VpcId")
	subnets := awsCLI(t, bin, r, "consumer", "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpcID)
	sn0, sn1 := jstr(t, subnets, "Subnets", 0, "SubnetId"), jstr(t, subnets, "Subnets", 1, "SubnetId")
	wantID("VPC", "vpc-", vpcID)
	wantID("subnet", "subnet-", sn0)
	if jstr(t, subnets, "Subnets", 0, "AvailabilityZoneId") == "" || jstr(t, subnets, "Subnets", 0, "AvailabilityZone") == "" {
		t.Fatalf("describe-subnets: %v", subnets)
	}
	ep := awsCLI(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface",
		"--vpc-id", vpcID, "--service-name", svcName, "--subnet-ids", sn0, sn1, "--no-private-dns-enabled")
	epID := jstr(t, ep, "VpcEndpoint", "VpcEndpointId")
	wantID("endpoint", "vpce-", epID)
	wantID("endpoint ENI", "eni-", jstr(t, ep, "VpcEndpoint", "NetworkInterfaceIds", 0))
	wantID("endpoint security group", "sg-", jstr(t, ep, "VpcEndpoint", "Groups", 0, "GroupId"))
	if !strings.HasPrefix(epID, "vpce-") || jstr(t, ep, "VpcEndpoint", "State") != "pendingAcceptance" {
		t.Fatalf("create-vpc-endpoint: %v", ep)
	}

	// The provider's documented commands: list pending connections, accept.
	conns := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-connections",
		"--filters", "Name=vpc-endpoint-state,Values=pendingAcceptance")
	list, _ := jget(t, conns, "VpcEndpointConnections").([]any)
	if len(list) != 1 || jstr(t, list, 0, "VpcEndpointId") != epID || jstr(t, list, 0, "ServiceId") != svcID ||
		jstr(t, list, 0, "VpcEndpointOwner") != sandbox.ConsumerAccountID || jstr(t, list, 0, "VpcEndpointState") != "pendingAcceptance" {
		t.Fatalf("describe-vpc-endpoint-connections: %v", conns)
	}
	acc := awsCLI(t, bin, r, "provider", "ec2", "accept-vpc-endpoint-connections", "--service-id", svcID, "--vpc-endpoint-ids", epID)
	if u, _ := jget(t, acc, "Unsuccessful").([]any); len(u) != 0 {
		t.Fatalf("accept-vpc-endpoint-connections: %v", acc)
	}
	bad := awsCLI(t, bin, r, "provider", "ec2", "accept-vpc-endpoint-connections", "--service-id", svcID, "--vpc-endpoint-ids", "vpce-0123456789abcdef0")
	if jstr(t, bad, "Unsuccessful", 0, "ResourceId") != "vpce-0123456789abcdef0" || jstr(t, bad, "Unsuccessful", 0, "Error", "Code") == "" {
		t.Errorf("accepting an unknown endpoint: %v", bad)
	}
	waitFor(t, "endpoint available", func() bool {
		d := awsCLI(t, bin, r, "consumer", "ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", epID)
		return jstr(t, d, "VpcEndpoints", 0, "State") == "available"
	})
	pending := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-connections",
		"--filters", "Name=vpc-endpoint-state,Values=pendingAcceptance")
	if l, _ := jget(t, pending, "VpcEndpointConnections").([]any); len(l) != 0 {
		t.Errorf("still pending after acceptance: %v", pending)
	}
	enis := awsCLI(t, bin, r, "consumer", "ec2", "describe-network-interfaces", "--network-interface-ids",
		jstr(t, ep, "VpcEndpoint", "NetworkInterfaceIds", 0))
	if jstr(t, enis, "NetworkInterfaces", 0, "SubnetId") != sn0 {
		t.Errorf("describe-network-interfaces: %v", enis)
	}
	awsCLI(t, bin, r, "consumer", "ec2", "create-tags", "--resources", epID, vpcID, sn0, "--tags", "Key=plwiz:session,Value=s1")
	if scenario != "" {
		return // the rest involves no ID of those kinds
	}

	// Route 53 through botocore's REST-XML parser: the TXT record of DNS
	// verification, and its change going INSYNC.
	zones := awsCLI(t, bin, r, "provider", "route53", "list-hosted-zones-by-name", "--dns-name", "example.com")
	zoneID := jstr(t, zones, "HostedZones", 0, "Id")
	if !strings.HasPrefix(zoneID, "/hostedzone/") || jget(t, zones, "HostedZones", 0, "Config", "PrivateZone") != false {
		t.Fatalf("list-hosted-zones-by-name: %v", zones)
	}
	ch := awsCLI(t, bin, r, "provider", "route53", "change-resource-record-sets", "--hosted-zone-id", zoneID, "--change-batch",
		`{"Changes":[{"Action":"UPSERT","ResourceRecordSet":{"Name":"_v.example.com","Type":"TXT","TTL":1800,"ResourceRecords":[{"Value":"\"vpce:x\""}]}}]}`)
	changeID := jstr(t, ch, "ChangeInfo", "Id")
	if !strings.HasPrefix(changeID, "/change/") || jstr(t, ch, "ChangeInfo", "Status") != "PENDING" {
		t.Fatalf("change-resource-record-sets: %v", ch)
	}
	waitFor(t, "change INSYNC", func() bool {
		return jstr(t, awsCLI(t, bin, r, "provider", "route53", "get-change", "--id", changeID), "ChangeInfo", "Status") == "INSYNC"
	})
	rr := awsCLI(t, bin, r, "provider", "route53", "list-resource-record-sets", "--hosted-zone-id", zoneID)
	found := false
	for _, x := range jget(t, rr, "ResourceRecordSets").([]any) {
		if jstr(t, x, "Name") == "_v.example.com." && jstr(t, x, "Type") == "TXT" && jstr(t, x, "ResourceRecords", 0, "Value") == `"vpce:x"` {
			found = true
		}
	}
	if !found {
		t.Errorf("TXT record not listed: %v", rr)
	}
}

// waitFor polls cond (each poll is a CLI run, so no sleep is needed) until
// it holds, for at most 30 polls.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 30 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSandboxCommandScenarios(t *testing.T) {
	code, out, _ := runCLI(t, nil, "sandbox", "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, sc := range sandbox.Scenarios() {
		if !strings.Contains(out, "  "+sc.Usage()+" ") || !strings.Contains(out, strings.Split(sc.Help, "\n")[0]) {
			t.Errorf("sandbox --help does not list the scenario %s:\n%s", sc.Usage(), out)
		}
	}

	world := filepath.Join(t.TempDir(), "world.json")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--scenario", "no-such-world"}, `unknown scenario "no-such-world"; known scenarios: legacy-ids, connections=N, no-multi-region, unhealthy-az, cross-zone-off, nlb-sg-enforced, consumer-sg-closed, tls-listener`},
		{[]string{"--scenario", "connections=0"}, "N must be a whole number from 1 to 40000"},
		{[]string{"--scenario", "connections"}, "connections needs a value"},
	} {
		code, _, stderr := runCLI(t, nil, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--no-data-plane", "--world", world}, c.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", c.args, code, stderr, exitBadInput, c.msg)
		}
	}
	if _, err := os.Stat(world); err == nil {
		t.Error("a refused scenario wrote a world file")
	}

	// A world made with scenarios says so, restarts with them, and refuses
	// others: scenarios shape a new world only.
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--no-data-plane", "--quiet", "--world", world, "--scenario", "legacy-ids,connections=3")
	if !strings.Contains(r.out.String(), "(scenario legacy-ids,connections=3)") || r.env["fleet"]["AWS_ACCESS_KEY_ID"] == "" {
		t.Errorf("the scenarios' world is not announced with its fleet account:\n%s", r.out.String())
	}
	r.stop(t)
	r = startSandboxCmd(t, "--addr", "127.0.0.1:0", "--no-data-plane", "--quiet", "--world", world, "--scenario", "legacy-ids,connections=3")
	r.stop(t)
	code, _, stderr := runCLI(t, nil, "sandbox", "--addr", "127.0.0.1:0", "--no-data-plane", "--world", world, "--scenario", "legacy-ids")
	if code != exitBadInput || !strings.Contains(stderr, "was made with --scenario legacy-ids,connections=3") {
		t.Errorf("another scenario on an existing world: exit %d, %q", code, stderr)
	}
}

func TestSandboxCommandSaveEveryIsDeprecated(t *testing.T) {
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--no-data-plane", "--save-every", "1s")
	if code := r.stop(t); code != 0 || !strings.Contains(r.err.String(), "--save-every is deprecated and does nothing") ||
		strings.Contains(r.out.String(), "save-every") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, r.out.String(), r.err.String())
	}
	if code, out, _ := runCLI(t, nil, "sandbox", "--help"); code != 0 || strings.Contains(out, "save-every") {
		t.Errorf("--save-every is still offered in help:\n%s", out)
	}
}

// eventLine is one line of --events.
type eventLine struct {
	Time     string `json:"time"`
	Account  string `json:"account"`
	Resource string `json:"resource"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// readEvents parses the --events file; every line must be a whole event.
func readEvents(t *testing.T, path string) []eventLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []eventLine
	for line := range strings.Lines(string(data)) {
		var e eventLine
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Resource == "" {
			t.Fatalf("events line %q: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || !regexp.MustCompile(`\.\d{9}Z$`).MatchString(e.Time) {
			t.Fatalf("event time %q is not RFC 3339 with nanoseconds", e.Time)
		}
		out = append(out, e)
	}
	return out
}

// eventAt finds the event of resource going to state, and its time.
func eventAt(t *testing.T, events []eventLine, resource, from, to string) time.Time {
	t.Helper()
	for _, e := range events {
		if e.Resource == resource && e.From == from && e.To == to {
			at, _ := time.Parse(time.RFC3339Nano, e.Time)
			return at
		}
	}
	t.Fatalf("no event %s %q → %q in %+v", resource, from, to, events)
	return time.Time{}
}

// TestSandboxSurvivesKill9 runs the real binary with --world, kills it
// with SIGKILL right after each reply, and starts it again on the same
// file: what each reply said is there, and the state machines go on from
// where they stood (the events file shows each transition once, at its
// due time).
func TestSandboxSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; not in -short")
	}
	bin := buildPlwiz(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	world, events := filepath.Join(dir, "world.json"), filepath.Join(dir, "events.jsonl")
	const speed = 5
	delays := sandbox.DefaultDelays().Scaled(speed)
	start := func() (provider, consumer *ec2.Client, sp *sandboxProcess) {
		sp = startSandboxProcess(t, ctx, bin, "--speed", fmt.Sprint(speed), "--world", world, "--events", events, "--no-data-plane")
		return ec2.NewFromConfig(partyConfig(sp.env["provider"])), ec2.NewFromConfig(partyConfig(sp.env["consumer"])), sp
	}
	kill := func(sp *sandboxProcess) {
		if err := sp.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = sp.cmd.Wait()
	}

	prov, _, sp := start()
	created, err := prov.CreateVpcEndpointServiceConfiguration(ctx, &ec2.CreateVpcEndpointServiceConfigurationInput{
		NetworkLoadBalancerArns: []string{sp.lb}, AcceptanceRequired: aws.Bool(true)})
	kill(sp)
	if err != nil {
		t.Fatal(err)
	}
	svc := *created.ServiceConfiguration.ServiceId

	prov, _, sp = start()
	got, err := prov.DescribeVpcEndpointServiceConfigurations(ctx, &ec2.DescribeVpcEndpointServiceConfigurationsInput{ServiceIds: []string{svc}})
	if err != nil || len(got.ServiceConfigurations) != 1 {
		t.Fatalf("the service acknowledged before the kill: %v", err)
	}
	if _, err := prov.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{ServiceId: aws.String(svc),
		AddAllowedPrincipals: []string{"arn:aws:iam::" + sandbox.ConsumerAccountID + ":root"}}); err != nil {
		t.Fatal(err)
	}
	kill(sp)

	// The consumer sees the service once it is Available, and asks.
	_, cons, sp := start()
	var name string
	waitFor(t, "the service Available after restarts", func() bool {
		out, err := cons.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{})
		if err == nil && len(out.ServiceDetails) == 1 {
			name = *out.ServiceDetails[0].ServiceName
		}
		time.Sleep(delays.ServiceAvailable / 10)
		return name != ""
	})
	vpcs, err := cons.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := cons.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{*vpcs.Vpcs[0].VpcId}}}})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := cons.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		ServiceName: aws.String(name), VpcId: vpcs.Vpcs[0].VpcId, SubnetIds: []string{*subnets.Subnets[0].SubnetId}, PrivateDnsEnabled: aws.Bool(false)})
	kill(sp)
	if err != nil {
		t.Fatal(err)
	}
	epID := *ep.VpcEndpoint.VpcEndpointId

	prov, _, sp = start()
	acc, err := prov.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{ServiceId: aws.String(svc), VpcEndpointIds: []string{epID}})
	kill(sp)
	if err != nil || len(acc.Unsuccessful) != 0 {
		t.Fatalf("accept: %v %+v", err, acc)
	}

	_, cons, _ = start()
	waitFor(t, "the endpoint available after restarts", func() bool {
		out, err := cons.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{epID}})
		time.Sleep(delays.EndpointAvailable / 10)
		return err == nil && out.VpcEndpoints[0].State == "available"
	})

	ev := readEvents(t, events)
	t0 := eventAt(t, ev, svc, "", "Pending")
	if at := eventAt(t, ev, svc, "Pending", "Available"); !at.Equal(t0.Add(delays.ServiceAvailable)) {
		t.Errorf("service Available at %v, want its creation + %v = %v", at, delays.ServiceAvailable, t0.Add(delays.ServiceAvailable))
	}
	pending := eventAt(t, ev, epID, "pendingAcceptance", "pending")
	if at := eventAt(t, ev, epID, "pending", "available"); !at.Equal(pending.Add(delays.EndpointAvailable)) {
		t.Errorf("endpoint available at %v, want %v after pending (%v)", at, delays.EndpointAvailable, pending)
	}
	counts := map[string]int{}
	for _, e := range ev {
		counts[e.Resource+" "+e.From+" → "+e.To]++
	}
	for k, n := range counts {
		if n != 1 {
			t.Errorf("event %s written %d times", k, n)
		}
	}
}

// TestAWSCLICrossRegion drives the sandbox's regions with the AWS CLI:
// DescribeRegions, a service supporting us-west-2, and the consumer's
// endpoint to it from us-west-2 (--region, --service-regions,
// --service-region), and the refusal of a region the account has not
// enabled.
func TestAWSCLICrossRegion(t *testing.T) {
	bin := needAWSCLI(t)
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet")
	if !strings.Contains(r.out.String(), "# other regions: us-west-2, eu-south-1 (opt-in, not enabled for provider or consumer)") {
		t.Errorf("the printed environment does not name the other regions:\n%s", r.out.String())
	}
	regions := awsCLI(t, bin, r, "consumer", "ec2", "describe-regions", "--all-regions")
	var names []string
	for i := range jget(t, regions, "Regions").([]any) {
		names = append(names, jstr(t, regions, "Regions", i, "RegionName")+"="+jstr(t, regions, "Regions", i, "OptInStatus"))
	}
	if got := strings.Join(names, " "); got != "us-east-1=opt-in-not-required us-west-2=opt-in-not-required eu-south-1=not-opted-in" {
		t.Errorf("describe-regions --all-regions: %s", got)
	}

	lbs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers")
	nlb := jstr(t, lbs, "LoadBalancers", 0, "LoadBalancerArn")
	created := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration",
		"--network-load-balancer-arns", nlb, "--acceptance-required", "--supported-regions", "us-west-2")
	svcID := jstr(t, created, "ServiceConfiguration", "ServiceId")
	svcName := jstr(t, created, "ServiceConfiguration", "ServiceName")
	if got := jstr(t, created, "ServiceConfiguration", "SupportedRegions", 1, "Region"); got != "us-west-2" {
		t.Errorf("supported regions: second is %q", got)
	}
	if out, code := awsCLIFails(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-configuration", "--service-id", svcID,
		"--add-supported-regions", "eu-south-1"); code == 0 || !strings.Contains(out, "InvalidParameter") || !strings.Contains(out, "not enabled for account") {
		t.Errorf("adding an opt-in region not enabled: exit %d %s", code, out)
	}
	awsCLI(t, bin, r, "provider", "ec2", "modify-vpc-endpoint-service-permissions", "--service-id", svcID,
		"--add-allowed-principals", "arn:aws:iam::"+sandbox.ConsumerAccountID+":root")
	waitFor(t, "the service to be Available", func() bool {
		d := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-service-configurations", "--service-ids", svcID)
		return jstr(t, d, "ServiceConfigurations", 0, "ServiceState") == "Available"
	})

	west := []string{"--region", "us-west-2"}
	vpcs := awsCLI(t, bin, r, "consumer", append([]string{"ec2", "describe-vpcs"}, west...)...)
	if n := len(jget(t, vpcs, "Vpcs").([]any)); n != 1 {
		t.Fatalf("us-west-2 VPCs: %d", n)
	}
	vpcID := jstr(t, vpcs, "Vpcs", 0, "VpcId")
	subnets := awsCLI(t, bin, r, "consumer", append([]string{"ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + vpcID}, west...)...)
	sn0 := jstr(t, subnets, "Subnets", 0, "SubnetId")
	if az := jstr(t, subnets, "Subnets", 0, "AvailabilityZoneId"); !strings.HasPrefix(az, "usw2-") {
		t.Errorf("us-west-2 subnet in %s", az)
	}
	if out, code := awsCLIFails(t, bin, r, "consumer", append([]string{"ec2", "describe-vpc-endpoint-services", "--service-names", svcName}, west...)...); code == 0 ||
		!strings.Contains(out, "InvalidServiceName") {
		t.Errorf("describe without --service-regions: exit %d %s", code, out)
	}
	svcs := awsCLI(t, bin, r, "consumer", append([]string{"ec2", "describe-vpc-endpoint-services", "--service-names", svcName, "--service-regions", "us-east-1"}, west...)...)
	if got := jstr(t, svcs, "ServiceDetails", 0, "ServiceRegion"); got != "us-east-1" {
		t.Errorf("ServiceRegion %q", got)
	}
	ep := awsCLI(t, bin, r, "consumer", append([]string{"ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface",
		"--service-name", svcName, "--service-region", "us-east-1", "--vpc-id", vpcID, "--subnet-ids", sn0, "--no-private-dns-enabled"}, west...)...)
	epID := jstr(t, ep, "VpcEndpoint", "VpcEndpointId")
	if got := jstr(t, ep, "VpcEndpoint", "ServiceRegion"); got != "us-east-1" {
		t.Errorf("endpoint ServiceRegion %q", got)
	}
	conns := awsCLI(t, bin, r, "provider", "ec2", "describe-vpc-endpoint-connections", "--filters", "Name=vpc-endpoint-id,Values="+epID)
	if got := jstr(t, conns, "VpcEndpointConnections", 0, "VpcEndpointRegion"); got != "us-west-2" {
		t.Errorf("connection's VpcEndpointRegion %q", got)
	}
	if out, code := awsCLIFails(t, bin, r, "consumer", "ec2", "describe-vpcs", "--region", "eu-south-1"); code == 0 || !strings.Contains(out, "AuthFailure") {
		t.Errorf("a region not enabled: exit %d %s", code, out)
	}
}
