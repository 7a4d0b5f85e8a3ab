package awsops

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// hermetic points the SDK's default chain at empty files in a temp home, with
// no credentials in the environment and the instance metadata service off,
// so a test sees exactly the configuration it writes.
func hermetic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EC2",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	writeFile(t, filepath.Join(dir, "config"), "")
	writeFile(t, filepath.Join(dir, "credentials"), "")
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, o Options) *Client {
	t.Helper()
	o.MaxBackoff = time.Millisecond
	c, err := Load(sbtest.Context(t), o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadWithoutCredentialsSaysHowToConfigure(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	home := hermetic(t)
	t.Setenv("AWS_REGION", "us-east-1")
	_, err := load(t, Options{EndpointURL: env.URL}).Provider().Identity(sbtest.Context(t))
	e := wantErr(t, err, KindCredentials, CodeNoCredentials, "", "aws configure")
	for _, want := range []string{"--profile", "AWS_ACCESS_KEY_ID"} {
		if !strings.Contains(e.Hint, want) {
			t.Errorf("hint %q lacks %q", e.Hint, want)
		}
	}
	// A named profile without keys: the cause names it.
	writeFile(t, filepath.Join(home, "config"), "[profile dev]\nregion = us-east-1\n")
	_, err = load(t, Options{Profile: "dev", EndpointURL: env.URL}).Consumer().Identity(sbtest.Context(t))
	e = wantErr(t, err, KindCredentials, CodeNoCredentials, "", "aws configure --profile dev")
	if !strings.Contains(e.Cause, `"dev"`) {
		t.Errorf("cause %q does not name the profile", e.Cause)
	}
}

func TestExpiredSSOTokenSaysSSOLogin(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	home := hermetic(t)
	const startURL = "https://example.awsapps.com/start"
	writeFile(t, filepath.Join(home, "config"), `[profile corp]
sso_start_url = `+startURL+`
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[profile corp-session]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[sso-session corp]
sso_start_url = `+startURL+`
sso_region = us-east-1
`)
	expired := `{"accessToken":"x","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"` + startURL + `"}`
	for _, key := range []string{startURL, "corp"} {
		sum := sha1.Sum([]byte(key))
		writeFile(t, filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"), expired)
	}
	for _, profile := range []string{"corp", "corp-session"} {
		t.Run(profile, func(t *testing.T) {
			_, err := load(t, Options{Profile: profile, EndpointURL: env.URL}).Provider().Identity(sbtest.Context(t))
			wantErr(t, err, KindCredentials, CodeSSOTokenExpired, "", "aws sso login --profile "+profile)
		})
	}
	// Never logged in (no cached token at all) reads the same way.
	os.RemoveAll(filepath.Join(home, ".aws", "sso"))
	_, err := load(t, Options{Profile: "corp", EndpointURL: env.URL}).Provider().Identity(sbtest.Context(t))
	wantErr(t, err, KindCredentials, CodeSSOTokenExpired, "", "aws sso login --profile corp")
}

func TestLoadWithoutRegionSaysPassRegion(t *testing.T) {
	hermetic(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	_, err := Load(sbtest.Context(t), Options{})
	wantErr(t, err, KindNoRegion, CodeNoRegion, "", "--region")
}

func TestLoadUnknownProfile(t *testing.T) {
	hermetic(t)
	_, err := Load(sbtest.Context(t), Options{Profile: "nope", Region: "us-east-1"})
	wantErr(t, err, KindCredentials, "ProfileNotFound", "nope", "aws configure list-profiles")
}

func TestLoadProfileWithKeysAgainstTheSandbox(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	home := hermetic(t)
	acct := env.Account(t, "consumer")
	writeFile(t, filepath.Join(home, "credentials"), "[plwiz-consumer]\naws_access_key_id = "+acct.AccessKeyID+"\naws_secret_access_key = "+acct.SecretAccessKey+"\n")
	writeFile(t, filepath.Join(home, "config"), "[profile plwiz-consumer]\nregion = "+sandbox.DefaultRegion+"\n")
	c := load(t, Options{Profile: "plwiz-consumer", EndpointURL: env.URL})
	id, err := c.Consumer().Identity(sbtest.Context(t))
	if err != nil || id.Account != acct.ID || id.Region != sandbox.DefaultRegion {
		t.Fatalf("Identity: %+v, %v", id, err)
	}
	// --region wins over the profile's.
	if got := load(t, Options{Profile: "plwiz-consumer", Region: "eu-west-1", EndpointURL: env.URL}).Region(); got != "eu-west-1" {
		t.Errorf("region %q, want the flag's", got)
	}
}

func TestEndpointURLFlagWinsOverEnvironment(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	hermetic(t)
	acct := env.Account(t, "provider")
	t.Setenv("AWS_ACCESS_KEY_ID", acct.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", acct.SecretAccessKey)
	t.Setenv("AWS_REGION", sandbox.DefaultRegion)
	const dead = "http://127.0.0.1:1"

	// AWS_ENDPOINT_URL alone is honoured (the SDK reads it).
	t.Setenv("AWS_ENDPOINT_URL", env.URL)
	c := load(t, Options{})
	if id, err := c.Provider().Identity(sbtest.Context(t)); err != nil || id.Account != acct.ID || c.EndpointURL() != env.URL {
		t.Fatalf("with AWS_ENDPOINT_URL: %+v %v (endpoint %q)", id, err, c.EndpointURL())
	}
	// The flag wins over it.
	t.Setenv("AWS_ENDPOINT_URL", dead)
	if id, err := load(t, Options{EndpointURL: env.URL}).Provider().Identity(sbtest.Context(t)); err != nil || id.Account != acct.ID {
		t.Fatalf("flag over env: %+v %v", id, err)
	}
	// Without the flag the dead URL is used, and the error names it. A
	// refused connection is not worth retrying: it fails after one attempt
	// and is not marked retryable, so a wait ends at once.
	var log bytes.Buffer
	_, err := load(t, Options{LogWriter: &log}).Provider().Identity(sbtest.Context(t))
	e := wantErr(t, err, KindUnreachable, CodeUnreachable, "", "--endpoint-url")
	if !strings.Contains(e.Cause, dead) || !strings.Contains(e.Hint, dead) {
		t.Errorf("cause %q / hint %q do not name %s", e.Cause, e.Hint, dead)
	}
	if e.Retryable {
		t.Error("a refused connection is marked retryable")
	}
	if n := strings.Count(log.String(), "GetCallerIdentity"); n != 1 {
		t.Errorf("%d attempts at a refused connection, want 1:\n%s", n, log.String())
	}
}

func TestAttemptLogNamesCallsButNoSecrets(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{})
	acct := env.Account(t, "provider")
	var log bytes.Buffer
	c, err := New(env.Config(t, "provider"), Options{LogWriter: &log})
	if err != nil {
		t.Fatal(err)
	}
	ctx := sbtest.Context(t)
	if _, err := c.Provider().Identity(ctx); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Provider().DescribeService(ctx, "vpce-svc-0123456789abcdef0")
	out := log.String()
	for _, want := range []string{"aws STS GetCallerIdentity attempt=1 POST / status=200 ok",
		"aws EC2 DescribeVpcEndpointServiceConfigurations attempt=1 POST / status=400 error InvalidVpcEndpointServiceId.NotFound"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{acct.AccessKeyID, acct.SecretAccessKey, "Signature", "Authorization", "Credential=", "X-Amz"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

func TestPerCallTimeout(t *testing.T) {
	t.Parallel()
	env := sbtest.Start(t, sbtest.Options{Faults: sandbox.Faults{Latency: 2 * time.Second}})
	c, err := New(env.Config(t, "provider"), Options{Timeout: 100 * time.Millisecond, MaxAttempts: 2, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Provider().ListServices(sbtest.Context(t))
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("the call took %v; the timeout did not bound it", took)
	}
	wantErr(t, err, KindTimeout, CodeTimeout, "", "network")
}

func TestPrincipalARN(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, region, want, err string }{
		{"222222222222", "us-east-1", "arn:aws:iam::222222222222:root", ""},
		{" 222222222222 ", "cn-north-1", "arn:aws-cn:iam::222222222222:root", ""},
		{"222222222222", "us-gov-west-1", "arn:aws-us-gov:iam::222222222222:root", ""},
		{"222222222222", "eusc-de-east-1", "arn:aws-eusc:iam::222222222222:root", ""},
		{"222222222222", "us-isob-east-1", "arn:aws-iso-b:iam::222222222222:root", ""},
		{"arn:aws:iam::222222222222:role/app", "us-east-1", "arn:aws:iam::222222222222:role/app", ""},
		{"arn:aws:iam::222222222222:role/path/to/Role", "us-east-1", "arn:aws:iam::222222222222:role/path/to/Role", ""},
		{"arn:aws:iam::222222222222:user/team/first.last+ops@example.com", "us-east-1", "arn:aws:iam::222222222222:user/team/first.last+ops@example.com", ""},
		{"arn:aws-eusc:iam::222222222222:role/app", "eusc-de-east-1", "arn:aws-eusc:iam::222222222222:role/app", ""},
		{"arn:aws-iso-f:iam::222222222222:root", "us-isof-south-1", "arn:aws-iso-f:iam::222222222222:root", ""},
		// Before the region is known only the shape is checked.
		{"arn:aws-cn:iam::222222222222:root", "", "arn:aws-cn:iam::222222222222:root", ""},
		{"*", "us-east-1", "*", ""},
		{"2222", "us-east-1", "", "want a 12-digit account ID"},
		{"arn:aws:s3:::bucket", "us-east-1", "", `principal "arn:aws:s3:::bucket": not an IAM principal's ARN: service "s3"`},
		{"arn:aws:iam::222222222222:role/a b", "us-east-1", "", `role name "a b"`},
		{"arn:aws:iam::222222222222:group/devs", "us-east-1", "", `resource "group/devs"`},
		{"arn:aws:sts::222222222222:assumed-role/Admin/alice", "us-east-1", "", "is a session (assumed-role)"},
		{"arn:aws-cn:iam::222222222222:root", "us-east-1", "", "is in partition aws-cn, but the service's region us-east-1 is in aws"},
		// A control character is named, not dropped.
		{"arn:aws:iam::222222222222:role/a\x1bb", "us-east-1", "", `principal "arn:aws:iam::222222222222:role/a\x1bb"`},
		{"\x1b", "us-east-1", "", `principal "\x1b": want`},
	} {
		got, err := PrincipalARN(tt.in, tt.region)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("PrincipalARN(%q, %q) = %q, %v; want %q, error containing %q", tt.in, tt.region, got, err, tt.want, tt.err)
		}
	}
}
