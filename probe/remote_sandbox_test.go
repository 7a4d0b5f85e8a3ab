package probe_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/plwiz/plwiz/probe"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// remoteEnv is a sandbox with its data plane and an available endpoint,
// and the remote check's target for it: the endpoint's regional name (the
// service's certificate covers it), its zonal names and addresses, the
// sandbox's DNS server and CA.
type remoteEnv struct {
	env    *sbtest.Env
	ep     sbtest.Endpoint
	target probe.RemoteTarget
}

func startRemoteEnv(t *testing.T, scenarios ...string) *remoteEnv {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Now: now}, strings.Join(scenarios, ","))
	if err != nil {
		t.Fatal(err)
	}
	env := sbtest.Start(t, sbtest.Options{DataPlane: true, World: w})
	ep := env.Endpoint(t, sbtest.EndpointOptions{})
	out, err := ec2.NewFromConfig(env.Config(t, "consumer")).DescribeVpcEndpoints(sbtest.Context(t), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{ep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range out.VpcEndpoints[0].DnsEntries {
		names = append(names, aws.ToString(de.DnsName))
	}
	ca, err := os.ReadFile(env.SB.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	tg := probe.RemoteTarget{Name: names[0], Port: ep.Port, VPCENames: names[1:], HTTPPath: "/health",
		Resolver: env.SB.DNSAddr(), CAPEM: ca, Timeout: time.Second}
	for _, e := range ep.ENIs {
		tg.Addresses = append(tg.Addresses, e.IP)
	}
	return &remoteEnv{env: env, ep: ep, target: tg}
}

// runScript runs the generated script with bash, with PATH set to path
// ("" keeps this machine's), as the SSM agent would on an instance.
func runScript(t *testing.T, tg probe.RemoteTarget, path string) string {
	t.Helper()
	script, err := probe.RemoteScript(tg)
	if err != nil {
		t.Fatalf("RemoteScript: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bash, "-c", script)
	if path == "" {
		path = os.Getenv("PATH")
	}
	cmd.Env = []string{"PATH=" + path, "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("script failed: %v\n%s\n%s", err, out, ee.Stderr)
		}
		t.Fatal(err)
	}
	return string(out)
}

func parse(t *testing.T, out string, tg probe.RemoteTarget) probe.Report {
	t.Helper()
	rep, err := probe.ParseRemote(out, tg, "i-0123 in vpc-0456")
	if err != nil {
		t.Fatalf("ParseRemote: %v\n%s", err, out)
	}
	return rep
}

func count(vs []string, v string) int {
	n := 0
	for _, x := range vs {
		if x == v {
			n++
		}
	}
	return n
}

func TestRemoteScriptPassesAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	e := startRemoteEnv(t)
	rep := parse(t, runScript(t, e.target, ""), e.target)
	vs := verdicts(rep)
	if !rep.OK() || count(vs, "dns:pass") != 1+len(e.target.VPCENames) || count(vs, "tcp:pass") != 3 || count(vs, "tls:pass") != 3 || count(vs, "http:pass") != 3 {
		t.Fatalf("results %v, want every check passed", vs)
	}
	for _, r := range rep.Results {
		if r.Step == probe.StepTLS && !strings.Contains(r.Seen, "valid until") {
			t.Errorf("TLS seen %q does not say what the certificate is", r.Seen)
		}
	}
	if rep.From != "i-0123 in vpc-0456" {
		t.Errorf("From = %q", rep.From)
	}
}

func TestRemoteScriptFindsTheUnhealthyZone(t *testing.T) {
	t.Parallel()
	e := startRemoteEnv(t, "unhealthy-az")
	rep := parse(t, runScript(t, e.target, ""), e.target)
	vs := verdicts(rep)
	if count(vs, "tcp:fail") != 1 || count(vs, "tcp:pass") != 2 || count(vs, "tls:skipped") != 1 || count(vs, "http:skipped") != 1 {
		t.Fatalf("results %v, want one zone's TCP timing out", vs)
	}
	for _, r := range rep.Results {
		if r.Step == probe.StepTCP && r.Verdict == probe.Fail {
			if r.Target != e.ep.ENIs[0].IP.String()+":"+itoa(e.ep.Port) || !strings.Contains(r.Seen, "no answer") ||
				!strings.Contains(r.Hint, "no healthy target in this zone") {
				t.Fatalf("failed TCP check %+v, want the first zone's address timing out with the provider-side hint", r)
			}
		}
	}
}

func TestRemoteScriptSeesAClosedSecurityGroup(t *testing.T) {
	t.Parallel()
	e := startRemoteEnv(t, "consumer-sg-closed")
	rep := parse(t, runScript(t, e.target, ""), e.target)
	vs := verdicts(rep)
	if count(vs, "tcp:fail") != 3 || count(vs, "tls:skipped") != 3 || rep.OK() {
		t.Fatalf("results %v, want every TCP connection timing out", vs)
	}
}

func TestRemoteScriptNameAndCertificateFailures(t *testing.T) {
	t.Parallel()
	e := startRemoteEnv(t)

	wrongName := e.target
	wrongName.ServerName = "other.example.net"
	wrongName.VPCENames = nil
	rep := parse(t, runScript(t, wrongName, ""), wrongName)
	if vs := verdicts(rep); count(vs, "tls:fail") != 3 || count(vs, "http:skipped") != 3 {
		t.Fatalf("results %v, want TLS failing verification", vs)
	}
	for _, r := range rep.Results {
		if r.Step == probe.StepTLS && !strings.Contains(r.Hint, "does not name other.example.net") {
			t.Fatalf("TLS failure %+v does not say the certificate lacks the name", r)
		}
	}

	missing := e.target
	missing.Name = "nothing-here.example.com"
	missing.VPCENames = nil
	missing.HTTPPath = ""
	missing.TLS = probe.TLSOff
	rep = parse(t, runScript(t, missing, ""), missing)
	if vs := verdicts(rep); !slices.Equal(vs, []string{"dns:fail", "tcp:pass", "tcp:pass", "tcp:pass"}) {
		t.Fatalf("results %v, want DNS failing and TCP tried on the endpoint's addresses", vs)
	}
	if !strings.Contains(rep.Results[0].Hint, "private DNS") {
		t.Errorf("DNS failure hint %q", rep.Results[0].Hint)
	}
}

// toolDir makes a PATH of this machine's tools the script needs, with
// only the optional ones named.
func toolDir(t *testing.T, optional ...string) string {
	t.Helper()
	dir := t.TempDir()
	base := []string{"bash", "sh", "date", "mktemp", "mkdir", "rm", "tr", "cut", "grep", "sed", "awk", "sort", "head", "tail", "cat", "hostname", "timeout"}
	for _, name := range append(base, optional...) {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("this machine lacks %s, which the test needs (CI installs dnsutils, curl, openssl): %v", name, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRemoteScriptFallbacks(t *testing.T) {
	t.Parallel()
	e := startRemoteEnv(t)
	tg := e.target
	tg.VPCENames = nil

	// No dig: nslookup asks the resolver; no openssl: TLS is left to curl.
	rep := parse(t, runScript(t, tg, toolDir(t, "nslookup", "curl")), tg)
	if vs := verdicts(rep); count(vs, "dns:pass") != 1 || count(vs, "tcp:pass") != 3 || count(vs, "tls:skipped") != 3 || count(vs, "http:pass") != 3 {
		t.Fatalf("nslookup and curl only: %v", vs)
	}
	// dig, no curl: HTTP is skipped, saying why.
	rep = parse(t, runScript(t, tg, toolDir(t, "dig", "openssl")), tg)
	if vs := verdicts(rep); count(vs, "dns:pass") != 1 || count(vs, "tls:pass") != 3 || count(vs, "http:skipped") != 3 {
		t.Fatalf("dig and openssl only: %v", vs)
	}
	// No way to ask the resolver at all.
	rep = parse(t, runScript(t, tg, toolDir(t)), tg)
	if rep.Results[0].Step != probe.StepDNS || rep.Results[0].Verdict != probe.Fail || !strings.Contains(rep.Results[0].Hint, "dnsutils") {
		t.Fatalf("no DNS tool: %+v", rep.Results[0])
	}
	// The system resolver through getent: this machine's resolver does not
	// know the sandbox's names, which is the failure the check reports.
	sys := tg
	sys.Resolver = ""
	rep = parse(t, runScript(t, sys, toolDir(t, "getent")), sys)
	if rep.Results[0].Verdict != probe.Fail || !strings.Contains(rep.Results[0].Seen, "getent") {
		t.Fatalf("getent: %+v", rep.Results[0])
	}
}

// TestRemoteCheckThroughRunCommand sends the check as plwiz will, through
// the sandbox's SSM Run Command, whose agent runs it with sh on this
// machine, and parses what GetCommandInvocation returns.
func TestRemoteCheckThroughRunCommand(t *testing.T) {
	t.Parallel()
	e := startRemoteEnv(t, "unhealthy-az")
	cmds, err := probe.RemoteCommands(e.target)
	if err != nil {
		t.Fatal(err)
	}
	ctx := sbtest.Context(t)
	c := ssm.NewFromConfig(e.env.Config(t, "consumer"))
	sent, err := c.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AWS-RunShellScript"),
		InstanceIds: []string{e.ep.Instance}, Parameters: map[string][]string{"commands": cmds}})
	if err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	d := sandbox.DefaultDelays()
	e.env.Advance(t, d.CommandVisible+d.CommandPickup)
	var inv *ssm.GetCommandInvocationOutput
	deadline := time.Now().Add(30 * time.Second)
	for {
		inv, err = c.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: sent.Command.CommandId, InstanceId: aws.String(e.ep.Instance)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != ssmtypes.CommandInvocationStatusInProgress {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the check is still running after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if inv.Status != ssmtypes.CommandInvocationStatusSuccess {
		t.Fatalf("invocation %s: %s", inv.Status, aws.ToString(inv.StandardErrorContent))
	}
	rep, err := probe.ParseRemote(aws.ToString(inv.StandardOutputContent), e.target, e.ep.Instance+" in "+e.ep.VPCID)
	if err != nil {
		t.Fatal(err)
	}
	if vs := verdicts(rep); count(vs, "tcp:fail") != 1 || count(vs, "tcp:pass") != 2 {
		t.Fatalf("results through Run Command: %v", vs)
	}
	if !strings.HasPrefix(rep.From, e.ep.Instance) {
		t.Errorf("From = %q", rep.From)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
