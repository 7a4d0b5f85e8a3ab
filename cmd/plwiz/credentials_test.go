package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// mfaHome is a temp home whose AWS files hold profile "prod": the
// provider's keys (profile base) assuming the provider account's MFA role.
type mfaHome struct {
	env        *sbtest.Env
	dir        string
	serial     string
	role       string
	configFile string
	credsFile  string
}

func newMFAHome(t *testing.T) *mfaHome {
	t.Helper()
	env := sbtest.Start(t, sbtest.Options{RealClock: true})
	acct := env.Account(t, "provider")
	h := &mfaHome{env: env, dir: t.TempDir(), serial: sandbox.MFASerial(&acct),
		role: "arn:aws:iam::" + acct.ID + ":role/" + sandbox.RoleMFA}
	h.configFile, h.credsFile = filepath.Join(h.dir, "config"), filepath.Join(h.dir, "credentials")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(h.credsFile, "[base]\naws_access_key_id = "+acct.AccessKeyID+"\naws_secret_access_key = "+acct.SecretAccessKey+"\n")
	write(h.configFile, "[profile prod]\nrole_arn = "+h.role+"\nsource_profile = base\nmfa_serial = "+h.serial+
		"\nrole_session_name = alice\nregion = "+sandbox.DefaultRegion+"\n")
	return h
}

// environ is the environment the SDK sees in-process: these files and
// nothing of the developer's own AWS setup.
func (h *mfaHome) environ(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", h.dir)
	t.Setenv("AWS_CONFIG_FILE", h.configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", h.credsFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

const assumedPrefix = "arn:aws:sts::" + sandbox.ProviderAccountID + ":assumed-role/" + sandbox.RoleMFA + "/alice"

// TestMFAIsAskedBeforeTheWizardStarts runs `plwiz provider --accessible`:
// the code is read from the terminal before the line prompts take it over,
// and the identity step runs as the assumed role.
func TestMFAIsAskedBeforeTheWizardStarts(t *testing.T) {
	h := newMFAHome(t)
	h.environ(t)
	var out, errb syncBuffer
	code := run(context.Background(), []string{"provider", "--accessible", "--profile", "prod", "--endpoint-url", h.env.URL, "--state-dir", t.TempDir()},
		streams{in: strings.NewReader(sandbox.MFACode + "\n"), out: &out, err: &errb}, func(string) string { return "" })
	prompt := "MFA code from " + h.serial + ": "
	if !strings.Contains(errb.String(), "plwiz: profile prod assumes role "+h.role+" with MFA.\n"+prompt) {
		t.Fatalf("exit %d; no MFA prompt on stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), assumedPrefix) {
		t.Errorf("the identity step does not show the assumed role:\n%s", out.String())
	}
	if strings.Contains(out.String(), prompt) {
		t.Error("the MFA prompt went to the wizard's output")
	}
}

func TestAskMFABeforeWizard(t *testing.T) {
	h := newMFAHome(t)
	h.environ(t)
	ctx := sbtest.Context(t)
	load := func(p *mfaPrompter) *awsops.Client {
		c, err := awsops.Load(ctx, awsops.Options{Profile: "prod", EndpointURL: h.env.URL, MFA: p.prompt})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	in := strings.NewReader(sandbox.MFACode + "\nleft for the wizard\n")
	var errb bytes.Buffer
	p := &mfaPrompter{in: in, err: &errb}
	client := load(p)
	if !client.NeedsMFA() {
		t.Fatal("a profile with mfa_serial does not need MFA")
	}
	if err := askMFABeforeWizard(ctx, client, p); err != nil {
		t.Fatalf("askMFABeforeWizard: %v", err)
	}
	if rest, _ := bytes.NewBuffer(nil).ReadFrom(in); rest != int64(len("left for the wizard\n")) {
		t.Errorf("the prompt read past its line (%d bytes left)", rest)
	}
	// The wizard owns the terminal now: a session needing a new code is an
	// error that says how to go on, not a prompt under the wizard.
	if _, err := p.prompt(awsops.MFAQuestion{}); !errors.Is(err, awsops.ErrMFANotNow) {
		t.Errorf("prompt after the wizard started: %v", err)
	}

	// A wrong code stops before the wizard, explained.
	p = &mfaPrompter{in: strings.NewReader("654321\n"), err: &errb}
	err := askMFABeforeWizard(ctx, load(p), p)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailed {
		t.Fatalf("wrong code: %v", err)
	}
	for _, want := range []string{"profile prod: assuming role " + h.role + " with MFA device " + h.serial + ": AccessDenied: MultiFactorAuthentication failed",
		"\n  why: AWS refused the MFA code.", "\n  fix: Check the MFA code", "aws sts get-caller-identity --profile prod"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}

	// A profile without MFA resolves nothing early.
	p = &mfaPrompter{in: strings.NewReader(""), err: &errb}
	c, err := awsops.Load(ctx, awsops.Options{Profile: "base", Region: sandbox.DefaultRegion, EndpointURL: h.env.URL, MFA: p.prompt})
	if err != nil || c.NeedsMFA() {
		t.Fatalf("base: %v, NeedsMFA %v", err, c.NeedsMFA())
	}
}

func TestReadLineStopsAtItsLine(t *testing.T) {
	for _, c := range []struct {
		in, line string
		err      bool
	}{
		{"123456\n", "123456", false},
		{"123456\r\nmore", "123456", false},
		{"123456", "123456", true}, // EOF after it
		{"", "", true},
		{strings.Repeat("1", 100), "", true},
	} {
		line, err := readLine(strings.NewReader(c.in), maxMFALine)
		if line != c.line || (err != nil) != c.err {
			t.Errorf("readLine(%q) = %q, %v", c.in, line, err)
		}
	}
}

// TestHeadlessMFAFromStdinWithTheBinary runs the real binary headless with
// an MFA profile and the code on stdin, against the sandbox, through the
// identity step and the creation of the endpoint service as the role.
func TestHeadlessMFAFromStdinWithTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; not in -short")
	}
	bin := buildPlwiz(t)
	h := newMFAHome(t)
	var lb string
	h.env.SB.World(func(w *sandbox.World, _ time.Time) {
		for arn, l := range w.LoadBalancers {
			if l.Name != sandbox.DualstackNLBName {
				lb = arn
			}
		}
	})
	runBin := func(stdin string) (code int, stdout, stderr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		dir := t.TempDir()
		cmd := exec.CommandContext(ctx, bin, "provider", "--non-interactive", "--profile", "prod", "--output", "json",
			"--nlb", lb, "--allow", sandbox.ConsumerAccountID, "--offer-out", filepath.Join(dir, "offer.json"), "--wait-timeout", "2s")
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + h.dir, "PATH=" + os.Getenv("PATH"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "NO_COLOR=1",
			"AWS_CONFIG_FILE=" + h.configFile, "AWS_SHARED_CREDENTIALS_FILE=" + h.credsFile, "AWS_EC2_METADATA_DISABLED=true",
			// Only the environment names the sandbox, and anything not for
			// loopback goes to a closed port: real AWS is never reached.
			"AWS_ENDPOINT_URL=" + h.env.URL, "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9"}
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run plwiz: %v", err)
		}
		return code, out.String(), errb.String()
	}
	type line struct {
		Step, State, Detail, Error, Hint string
	}
	stepLine := func(stdout, step string) line {
		for _, l := range strings.Split(stdout, "\n") {
			var v line
			if json.Unmarshal([]byte(l), &v) == nil && v.Step == step && v.State != "running" {
				return v
			}
		}
		t.Fatalf("no %s line in:\n%s", step, stdout)
		return line{}
	}

	code, stdout, stderr := runBin(sandbox.MFACode + "\n")
	if !strings.Contains(stderr, "MFA code from "+h.serial+": ") {
		t.Errorf("no prompt on stderr:\n%s", stderr)
	}
	if id := stepLine(stdout, "identity"); id.State != "done" || !strings.Contains(id.Detail, assumedPrefix) {
		t.Fatalf("exit %d; identity %+v\nstderr:\n%s", code, id, stderr)
	}
	if svc := stepLine(stdout, "create-service"); svc.State != "done" {
		t.Errorf("the role could not create the service: %+v", svc)
	}

	code, stdout, _ = runBin("654321\n")
	id := stepLine(stdout, "identity")
	if code != exitFailed || id.State != "failed" ||
		!strings.Contains(id.Error, "profile prod: assuming role "+h.role+" with MFA device "+h.serial+": AccessDenied") ||
		!strings.Contains(id.Hint, "Check the MFA code") {
		t.Errorf("wrong code: exit %d, identity %+v", code, id)
	}

	code, stdout, _ = runBin("")
	id = stepLine(stdout, "identity")
	if code != exitFailed || !strings.Contains(id.Error, "MFACodeMissing: stdin ended before an MFA code was given") || !strings.Contains(id.Hint, "echo 123456 | plwiz") {
		t.Errorf("empty stdin: exit %d, identity %+v", code, id)
	}
}

// TestAWSCLIAssumeRoleWithMFA drives the sandbox's AssumeRole with the AWS
// CLI and uses the session it returns.
func TestAWSCLIAssumeRoleWithMFA(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the AWS CLI is not installed (Debian: apt-get install awscli): %v", err)
	}
	r := startSandboxCmd(t, "--addr", "127.0.0.1:0", "--no-data-plane")
	consumer := r.env["consumer"]
	serial := "arn:aws:iam::" + sandbox.ConsumerAccountID + ":mfa/plwiz-consumer"
	role := "arn:aws:iam::" + sandbox.ProviderAccountID + ":role/" + sandbox.RoleMFA
	out := awsCLI(t, bin, r, "consumer", "sts", "assume-role", "--role-arn", role, "--role-session-name", "cli",
		"--serial-number", serial, "--token-code", sandbox.MFACode, "--duration-seconds", "900")
	if got := jstr(t, out, "AssumedRoleUser", "Arn"); got != "arn:aws:sts::"+sandbox.ProviderAccountID+":assumed-role/"+sandbox.RoleMFA+"/cli" {
		t.Errorf("AssumedRoleUser.Arn %q", got)
	}
	key := jstr(t, out, "Credentials", "AccessKeyId")
	if !strings.HasPrefix(key, "ASIA") || jstr(t, out, "Credentials", "SessionToken") == "" || jstr(t, out, "Credentials", "Expiration") == "" {
		t.Fatalf("credentials %v", out["Credentials"])
	}
	// The session, exported as a user would, is the provider account's role.
	r.env["session"] = map[string]string{"AWS_DEFAULT_REGION": consumer["AWS_DEFAULT_REGION"], "AWS_ACCESS_KEY_ID": key,
		"AWS_SECRET_ACCESS_KEY": jstr(t, out, "Credentials", "SecretAccessKey"), "AWS_SESSION_TOKEN": jstr(t, out, "Credentials", "SessionToken")}
	id := awsCLI(t, bin, r, "session", "sts", "get-caller-identity")
	if jstr(t, id, "Account") != sandbox.ProviderAccountID || !strings.HasSuffix(jstr(t, id, "Arn"), ":assumed-role/"+sandbox.RoleMFA+"/cli") {
		t.Errorf("get-caller-identity as the session: %v", id)
	}
	lbs := awsCLI(t, bin, r, "session", "elbv2", "describe-load-balancers")
	if n := len(jget(t, lbs, "LoadBalancers").([]any)); n != 2 {
		t.Errorf("the session sees %d load balancers of the provider account, want 2", n)
	}
}
