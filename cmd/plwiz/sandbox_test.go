package main

import (
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
var partyLine = regexp.MustCompile(`(?m)^# (provider|consumer) \(account (\d{12})\)`)

// sandboxExports reads what `plwiz sandbox` tells each party to export, by
// party name, from its printed environment.
func sandboxExports(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	idx := partyLine.FindAllStringSubmatchIndex(out, -1)
	if len(idx) != 2 {
		t.Fatalf("want a section per party, got %d:\n%s", len(idx), out)
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
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--world", world, "--speed", "50", "--save-every", "100ms")

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
		cfg := aws.Config{Region: env["AWS_REGION"], BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
			Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")}
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
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

// awsCLI runs the AWS CLI as one party against the sandbox and decodes its
// JSON output.
func awsCLI(t *testing.T, bin string, r *runningSandbox, party string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
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
// side they need, and checks the JSON it prints.
func TestAWSCLIProviderCommands(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the AWS CLI is not installed (CI must install Debian's awscli): %v", err)
		}
		t.Skipf("the AWS CLI is not installed: %v", err)
	}
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--speed", "1000", "--no-data-plane", "--quiet")

	id := awsCLI(t, bin, r, "provider", "sts", "get-caller-identity")
	if jstr(t, id, "Account") != sandbox.ProviderAccountID {
		t.Fatalf("get-caller-identity: %v", id)
	}
	lbs := awsCLI(t, bin, r, "provider", "elbv2", "describe-load-balancers")
	nlb := jstr(t, lbs, "LoadBalancers", 0, "LoadBalancerArn")
	if jstr(t, lbs, "LoadBalancers", 0, "Type") != "network" || jstr(t, lbs, "LoadBalancers", 0, "State", "Code") != "active" {
		t.Fatalf("describe-load-balancers: %v", lbs)
	}

	// The provider's documented command.
	created := awsCLI(t, bin, r, "provider", "ec2", "create-vpc-endpoint-service-configuration",
		"--network-load-balancer-arns", nlb, "--acceptance-required")
	svcID := jstr(t, created, "ServiceConfiguration", "ServiceId")
	svcName := jstr(t, created, "ServiceConfiguration", "ServiceName")
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
	if jstr(t, subnets, "Subnets", 0, "AvailabilityZoneId") == "" || jstr(t, subnets, "Subnets", 0, "AvailabilityZone") == "" {
		t.Fatalf("describe-subnets: %v", subnets)
	}
	ep := awsCLI(t, bin, r, "consumer", "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "Interface",
		"--vpc-id", vpcID, "--service-name", svcName, "--subnet-ids", sn0, sn1, "--no-private-dns-enabled")
	epID := jstr(t, ep, "VpcEndpoint", "VpcEndpointId")
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
