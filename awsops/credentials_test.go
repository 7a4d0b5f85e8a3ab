package awsops

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// TestMain sends every request that is not for loopback to a closed
// loopback port: if a credential provider missed the endpoint URL and went
// for real AWS, the test fails instead of reaching it.
func TestMain(m *testing.M) {
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} {
		os.Setenv(k, "http://127.0.0.1:9")
	}
	os.Unsetenv("NO_PROXY")
	os.Unsetenv("no_proxy")
	os.Exit(m.Run())
}

// credWorld is a sandbox on the real clock (so the sessions it hands out do
// not look expired to the SDK) and a hermetic home with its keys: profile
// "base" holds the provider user's keys, and AWS_ENDPOINT_URL points at it.
type credWorld struct {
	env                *sbtest.Env
	home               string
	provider, consumer sandbox.Account
}

func startCredWorld(t *testing.T) *credWorld {
	t.Helper()
	env := sbtest.Start(t, sbtest.Options{RealClock: true})
	w := &credWorld{env: env, home: hermetic(t), provider: env.Account(t, "provider"), consumer: env.Account(t, "consumer")}
	t.Setenv("AWS_ENDPOINT_URL", env.URL)
	writeFile(t, filepath.Join(w.home, "credentials"), "[base]\naws_access_key_id = "+w.provider.AccessKeyID+"\naws_secret_access_key = "+w.provider.SecretAccessKey+"\n")
	return w
}

func (w *credWorld) config(t *testing.T, text string) {
	t.Helper()
	writeFile(t, filepath.Join(w.home, "config"), text)
}

func roleARN(account, role string) string { return "arn:aws:iam::" + account + ":role/" + role }

// sessions counts the role sessions the sandbox issued (and how many of
// them were chained).
func (w *credWorld) sessions() (all, chained int) {
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		for _, s := range wd.RoleSessions {
			all++
			if s.Chained {
				chained++
			}
		}
	})
	return all, chained
}

// codes is an MFAPrompt reading codes from a list, recording the questions.
type codes struct {
	answers []string
	asked   []MFAQuestion
}

func (c *codes) prompt(q MFAQuestion) (string, error) {
	c.asked = append(c.asked, q)
	if len(c.answers) == 0 {
		return "", errors.New("stdin is empty")
	}
	a := c.answers[0]
	c.answers = c.answers[1:]
	return a, nil
}

func TestAssumeRoleWithMFAFromAProfile(t *testing.T) {
	w := startCredWorld(t)
	serial := sandbox.MFASerial(&w.provider)
	role := roleARN(w.consumer.ID, sandbox.RoleMFA)
	w.config(t, "[profile prod]\nrole_arn = "+role+"\nsource_profile = base\nmfa_serial = "+serial+
		"\nrole_session_name = alice\nregion = "+sandbox.DefaultRegion+"\n")
	ctx := sbtest.Context(t)

	answers := &codes{answers: []string{" " + sandbox.MFACode + "\n"}}
	c := load(t, Options{Profile: "prod", MFA: answers.prompt})
	id, err := c.Consumer().Identity(ctx)
	if err != nil {
		t.Fatalf("Identity: %v", err)
	}
	if want := "arn:aws:sts::" + w.consumer.ID + ":assumed-role/" + sandbox.RoleMFA + "/alice"; id.ARN != want || id.Account != w.consumer.ID {
		t.Errorf("identity %s in %s, want %s in %s", id.ARN, id.Account, want, w.consumer.ID)
	}
	if len(answers.asked) != 1 || answers.asked[0] != (MFAQuestion{Profile: "prod", RoleARN: role, SerialNumber: serial}) {
		t.Errorf("asked %+v", answers.asked)
	}
	// The session is cached: later calls ask for no other code.
	if _, err := c.Consumer().Identity(ctx); err != nil || len(answers.asked) != 1 {
		t.Errorf("second Identity: %v, asked %d times", err, len(answers.asked))
	}
	// The session lasts an hour, as the AWS CLI's, not the SDK's 15 minutes.
	w.env.SB.World(func(wd *sandbox.World, now time.Time) {
		for _, s := range wd.RoleSessions {
			if d := s.Expires.Sub(now); d < 59*time.Minute || d > time.Hour {
				t.Errorf("session lasts %v", d)
			}
		}
	})

	t.Run("wrong code", func(t *testing.T) {
		_, err := load(t, Options{Profile: "prod", MFA: (&codes{answers: []string{"654321"}}).prompt}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", "Check the MFA code")
		wantText(t, e.Error(), "profile prod: assuming role "+role+" with MFA device "+serial+": AccessDenied")
		wantText(t, e.Hint, "aws sts get-caller-identity --profile prod")
	})
	t.Run("not six digits", func(t *testing.T) {
		_, err := load(t, Options{Profile: "prod", MFA: (&codes{answers: []string{"12345x"}}).prompt}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, CodeMFACodeInvalid, "6 digits", "6 digits")
		wantText(t, e.Error(), "profile prod: assuming role "+role)
	})
	t.Run("no code to read", func(t *testing.T) {
		before, _ := w.sessions()
		_, err := load(t, Options{Profile: "prod", MFA: (&codes{}).prompt}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, CodeMFACodeMissing, "stdin is empty", "echo 123456 | plwiz")
		wantText(t, e.Error(), serial)
		if after, _ := w.sessions(); after != before {
			t.Error("a session was issued without a code")
		}
	})
	t.Run("the wizard owns the terminal", func(t *testing.T) {
		notNow := func(MFAQuestion) (string, error) { return "", ErrMFANotNow }
		_, err := load(t, Options{Profile: "prod", MFA: notNow}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, CodeMFACodeMissing, "", "--resume")
		wantText(t, e.Cause, "session ended while the wizard ran")
	})
	t.Run("no way to ask", func(t *testing.T) {
		_, err := load(t, Options{Profile: "prod"}).Consumer().Identity(ctx)
		wantErr(t, err, KindCredentials, CodeMFARequired, "", "plwiz provider or plwiz consumer")
	})
}

func TestSourceProfileChainOfTwoHops(t *testing.T) {
	w := startCredWorld(t)
	w.config(t, "[profile mid]\nrole_arn = "+roleARN(w.provider.ID, sandbox.RoleAdmin)+"\nsource_profile = base\nrole_session_name = hop1\n\n"+
		"[profile prod]\nrole_arn = "+roleARN(w.consumer.ID, sandbox.RoleExternalID)+"\nsource_profile = mid\nexternal_id = "+sandbox.PartnerExternalID+
		"\nrole_session_name = hop2\nregion = "+sandbox.DefaultRegion+"\n\n"+
		"[profile untrusted]\nrole_arn = "+roleARN(w.consumer.ID, "no-such-role")+"\nsource_profile = mid\nregion = "+sandbox.DefaultRegion+"\n")
	ctx := sbtest.Context(t)
	id, err := load(t, Options{Profile: "prod"}).Provider().Identity(ctx)
	if err != nil {
		t.Fatalf("Identity: %v", err)
	}
	if want := "arn:aws:sts::" + w.consumer.ID + ":assumed-role/" + sandbox.RoleExternalID + "/hop2"; id.ARN != want {
		t.Errorf("identity %s, want %s", id.ARN, want)
	}
	if all, chained := w.sessions(); all != 2 || chained != 1 {
		t.Errorf("the sandbox issued %d sessions (%d chained), want 2 (1 chained)", all, chained)
	}

	_, err = load(t, Options{Profile: "untrusted"}).Provider().Identity(ctx)
	e := wantErr(t, err, KindCredentials, "AccessDenied", "User: arn:aws:sts::"+w.provider.ID+":assumed-role/"+sandbox.RoleAdmin+"/hop1 is not authorized", "trust policy")
	wantText(t, e.Error(), "profile untrusted: assuming role "+roleARN(w.consumer.ID, "no-such-role")+": AccessDenied")
	wantText(t, e.Cause, "profile mid")

	// The source's keys are refused: the failure names the source.
	writeFile(t, filepath.Join(w.home, "credentials"), "[base]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = nope\n")
	_, err = load(t, Options{Profile: "prod"}).Provider().Identity(ctx)
	e = wantErr(t, err, KindCredentials, "InvalidClientTokenId", "", "aws sts get-caller-identity --profile mid")
	wantText(t, e.Error(), "profile mid: assuming role "+roleARN(w.provider.ID, sandbox.RoleAdmin))
	wantText(t, e.Cause, "STS refused the static keys of profile base")
}

func TestSourceProfileMistakes(t *testing.T) {
	w := startCredWorld(t)
	role := roleARN(w.consumer.ID, sandbox.RoleAdmin)
	w.config(t, "[profile orphan]\nrole_arn = "+role+"\nsource_profile = gone\nregion = us-east-1\n\n"+
		"[profile a]\nrole_arn = "+role+"\nsource_profile = b\nregion = us-east-1\n\n"+
		"[profile b]\nrole_arn = "+role+"\nsource_profile = c\n\n[profile c]\nrole_arn = "+role+"\nsource_profile = a\n\n"+
		"[profile empty]\nregion = us-east-1\n\n[profile hollow]\nrole_arn = "+role+"\nsource_profile = empty\nregion = us-east-1\n")
	ctx := sbtest.Context(t)
	_, err := Load(ctx, Options{Profile: "orphan"})
	e := wantErr(t, err, KindCredentials, CodeSourceProfileNotFound, "source_profile gone does not exist", "aws configure --profile gone")
	wantText(t, e.Error(), "profile orphan: following source_profile")
	wantText(t, e.Message, filepath.Join(w.home, "config"))

	_, err = Load(ctx, Options{Profile: "a"})
	e = wantErr(t, err, KindCredentials, CodeSourceProfileLoop, "source_profile loops: a → b → c → a", "End the chain")
	wantText(t, e.Hint, "aws sts get-caller-identity --profile a")

	_, err = Load(ctx, Options{Profile: "hollow"})
	wantErr(t, err, KindCredentials, CodeSourceProfileNoCreds, "source_profile empty has no credentials", "aws configure --profile empty")
}

// script writes an executable shell script into the test's directory.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "creds.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCredentialProcess(t *testing.T) {
	w := startCredWorld(t)
	good := script(t, fmt.Sprintf(`printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'`, w.consumer.AccessKeyID, w.consumer.SecretAccessKey))
	fails := script(t, `printf 'token expired\033[31m: run vault login\n' >&2; exit 3`)
	cutJSON := script(t, `printf '{"Version": 1, "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s3cr3tvalue"'`)
	noKey := script(t, `printf '{"Version": 1, "SecretAccessKey": "s3cr3tvalue"}'`)
	w.config(t, "[profile ci]\ncredential_process = "+good+" --flag secret-arg\nregion = us-east-1\n\n"+
		"[profile failing]\ncredential_process = "+fails+"\nregion = us-east-1\n\n"+
		"[profile cut]\ncredential_process = "+cutJSON+"\nregion = us-east-1\n\n"+
		"[profile nokey]\ncredential_process = "+noKey+"\nregion = us-east-1\n\n"+
		"[profile src]\ncredential_process = "+fails+"\n\n"+
		"[profile viaprocess]\nrole_arn = "+roleARN(w.provider.ID, sandbox.RoleAdmin)+"\nsource_profile = src\nregion = us-east-1\n")
	ctx := sbtest.Context(t)
	id, err := load(t, Options{Profile: "ci"}).Consumer().Identity(ctx)
	if err != nil || id.ARN != "arn:aws:iam::"+w.consumer.ID+":user/plwiz-consumer" {
		t.Fatalf("Identity: %+v, %v", id, err)
	}

	_, err = load(t, Options{Profile: "failing"}).Consumer().Identity(ctx)
	e := wantErr(t, err, KindCredentials, CodeCredentialProcessFailed, "exit status 3; it said: token expired[31m: run vault login", "by hand")
	wantText(t, e.Error(), "profile failing: running credential_process creds.sh")
	wantText(t, e.Hint, "aws sts get-caller-identity --profile failing")
	if strings.ContainsRune(e.Error(), 0x1b) {
		t.Errorf("an escape byte survived: %q", e.Error())
	}

	for _, profile := range []string{"cut", "nokey"} {
		_, err = load(t, Options{Profile: profile}).Consumer().Identity(ctx)
		e = wantErr(t, err, KindCredentials, CodeCredentialProcessOutput, "not the credentials JSON", `"Version": 1`)
		for _, text := range []string{e.Error(), e.Cause, e.Hint} {
			if strings.Contains(text, "s3cr3t") {
				t.Errorf("%s: the process's output leaked: %q", profile, text)
			}
		}
	}

	// As the source of a role, its stderr is shown too.
	_, err = load(t, Options{Profile: "viaprocess"}).Provider().Identity(ctx)
	e = wantErr(t, err, KindCredentials, CodeCredentialProcessFailed, "run vault login", "profile src")
	wantText(t, e.Error(), "profile src: running credential_process creds.sh")
}

// ssoProfiles writes an sso_session profile, a legacy SSO profile, and the
// sso-session section they share.
func (w *credWorld) ssoProfiles(t *testing.T, role string) {
	w.config(t, "[profile dev]\nsso_session = corp\nsso_account_id = "+w.consumer.ID+"\nsso_role_name = "+role+"\nregion = "+sandbox.DefaultRegion+"\n\n"+
		"[profile legacy]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = "+w.provider.ID+"\nsso_role_name = "+role+"\nregion = "+sandbox.DefaultRegion+"\n\n"+
		"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n")
}

// ssoCache writes the token `aws sso login` would have cached under key
// (the session name, or the start URL of a legacy profile).
func (w *credWorld) ssoCache(t *testing.T, key, token string, expires time.Time, extra map[string]string) {
	sum := sha1.Sum([]byte(key))
	m := map[string]string{"accessToken": token, "expiresAt": expires.UTC().Format(time.RFC3339), "region": "us-east-1", "startUrl": "https://corp.awsapps.com/start"}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	writeFile(t, filepath.Join(w.home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"), string(b))
}

func TestSSOSessionEndToEnd(t *testing.T) {
	w := startCredWorld(t)
	w.ssoProfiles(t, sandbox.SSOPermissionSet)
	ctx := sbtest.Context(t)
	token := w.env.SB.SSOAccessToken()
	w.ssoCache(t, "corp", token, time.Now().Add(time.Hour), nil)
	w.ssoCache(t, "https://corp.awsapps.com/start", token, time.Now().Add(time.Hour), nil)
	for profile, account := range map[string]string{"dev": w.consumer.ID, "legacy": w.provider.ID} {
		id, err := load(t, Options{Profile: profile}).Consumer().Identity(ctx)
		if err != nil {
			t.Fatalf("%s: Identity: %v", profile, err)
		}
		prefix := "arn:aws:sts::" + account + ":assumed-role/AWSReservedSSO_" + sandbox.SSOPermissionSet + "_"
		if !strings.HasPrefix(id.ARN, prefix) || !strings.HasSuffix(id.ARN, "/"+sandbox.SSOUser) {
			t.Errorf("%s: identity %s", profile, id.ARN)
		}
	}

	t.Run("expired", func(t *testing.T) {
		// Refreshable tokens are refreshed through the endpoint URL too (the
		// sandbox has no OIDC service, so the refresh fails there, not at AWS).
		w.ssoCache(t, "corp", token, time.Now().Add(-time.Minute), map[string]string{"clientId": "c", "clientSecret": "s", "refreshToken": "r"})
		_, err := load(t, Options{Profile: "dev"}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, CodeSSOTokenExpired, "", "aws sso login --sso-session corp")
		wantText(t, e.Hint, "aws sso login --profile dev")
		wantText(t, e.Error(), "profile dev: reading the cached login of SSO session corp")
		wantText(t, e.Cause, "expired")
	})
	t.Run("never logged in", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(w.home, ".aws", "sso")); err != nil {
			t.Fatal(err)
		}
		_, err := load(t, Options{Profile: "dev"}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, CodeSSOTokenExpired, "", "aws sso login --sso-session corp")
		wantText(t, e.Cause, "no cached IAM Identity Center login")
		_, err = load(t, Options{Profile: "legacy"}).Consumer().Identity(ctx)
		wantErr(t, err, KindCredentials, CodeSSOTokenExpired, "", "aws sso login --profile legacy")
	})
	t.Run("revoked", func(t *testing.T) {
		w.ssoCache(t, "corp", "aoa-revoked", time.Now().Add(time.Hour), nil)
		_, err := load(t, Options{Profile: "dev"}).Consumer().Identity(ctx)
		e := wantErr(t, err, KindCredentials, "UnauthorizedException", "Session token not found or invalid", "aws sso login --sso-session corp")
		wantText(t, e.Error(), "profile dev: getting role "+sandbox.SSOPermissionSet+" in account "+w.consumer.ID+" from IAM Identity Center")
	})
	t.Run("role not assigned", func(t *testing.T) {
		w.ssoProfiles(t, "ReadOnly")
		w.ssoCache(t, "corp", token, time.Now().Add(time.Hour), nil)
		_, err := load(t, Options{Profile: "dev"}).Consumer().Identity(ctx)
		wantErr(t, err, KindCredentials, "ForbiddenException", "No access", "sso_role_name of profile dev")
	})
}

// credentialServer serves a role session of the sandbox as a container's
// credentials endpoint or an instance's metadata service, on loopback.
func credentialServer(t *testing.T, w *credWorld, role string, handler func(creds sandbox.Credentials) http.Handler) *httptest.Server {
	t.Helper()
	creds, err := w.env.SB.IssueRoleCredentials(w.provider.ID, role, "i-0123456789abcdef0", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(creds))
	t.Cleanup(srv.Close)
	return srv
}

func credJSON(c sandbox.Credentials) map[string]string {
	return map[string]string{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "Token": c.SessionToken, "Expiration": c.Expires.Format(time.RFC3339)}
}

func TestContainerCredentials(t *testing.T) {
	w := startCredWorld(t)
	t.Setenv("AWS_REGION", sandbox.DefaultRegion)
	var served atomic.Int32
	srv := credentialServer(t, w, "plwiz-task", func(c sandbox.Credentials) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/credentials/task" || r.Header.Get("Authorization") != "task-token" {
				http.Error(rw, `{"code":"AccessDenied","message":"wrong token"}`, http.StatusForbidden)
				return
			}
			served.Add(1)
			_ = json.NewEncoder(rw).Encode(credJSON(c))
		})
	})
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/v2/credentials/task")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "task-token")
	id, err := load(t, Options{}).Provider().Identity(sbtest.Context(t))
	if err != nil || id.ARN != "arn:aws:sts::"+w.provider.ID+":assumed-role/plwiz-task/i-0123456789abcdef0" || served.Load() != 1 {
		t.Fatalf("Identity: %+v, %v (served %d)", id, err, served.Load())
	}
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale")
	_, err = load(t, Options{}).Provider().Identity(sbtest.Context(t))
	e := wantErr(t, err, KindCredentials, CodeContainerCredentialsError, "", "AWS_CONTAINER_CREDENTIALS_FULL_URI")
	wantText(t, e.Error(), "getting the container credentials at "+srv.URL)
}

func TestInstanceMetadataCredentials(t *testing.T) {
	w := startCredWorld(t)
	t.Setenv("AWS_REGION", sandbox.DefaultRegion)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	srv := credentialServer(t, w, "plwiz-instance", func(c sandbox.Credentials) http.Handler {
		const token = "imds-token"
		mux := http.NewServeMux()
		mux.HandleFunc("PUT /latest/api/token", func(rw http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
				http.Error(rw, "", http.StatusBadRequest)
				return
			}
			rw.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
			_, _ = rw.Write([]byte(token))
		})
		authed := func(h http.HandlerFunc) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-aws-ec2-metadata-token") != token {
					http.Error(rw, "", http.StatusUnauthorized)
					return
				}
				h(rw, r)
			}
		}
		mux.HandleFunc("GET /latest/meta-data/iam/security-credentials/", authed(func(rw http.ResponseWriter, r *http.Request) {
			_, _ = rw.Write([]byte("plwiz-instance"))
		}))
		mux.HandleFunc("GET /latest/meta-data/iam/security-credentials/plwiz-instance", authed(func(rw http.ResponseWriter, r *http.Request) {
			body := credJSON(c)
			body["Code"], body["Type"], body["LastUpdated"] = "Success", "AWS-HMAC", time.Now().UTC().Format(time.RFC3339)
			_ = json.NewEncoder(rw).Encode(body)
		}))
		return mux
	})
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	id, err := load(t, Options{}).Provider().Identity(sbtest.Context(t))
	if err != nil || id.ARN != "arn:aws:sts::"+w.provider.ID+":assumed-role/plwiz-instance/i-0123456789abcdef0" {
		t.Fatalf("Identity: %+v, %v", id, err)
	}

	// Nothing listens: no credentials, and the error says where it looked.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", dead)
	_, err = load(t, Options{}).Provider().Identity(sbtest.Context(t))
	e := wantErr(t, err, KindCredentials, CodeNoCredentials, "", "aws configure")
	wantText(t, e.Error(), "then asking the EC2 instance metadata service at "+dead)
	wantText(t, e.Cause, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
}

func TestNoCredentialsAtAllSaysWhereItLooked(t *testing.T) {
	home := hermetic(t)
	t.Setenv("AWS_REGION", sandbox.DefaultRegion)
	_, err := load(t, Options{}).Provider().Identity(sbtest.Context(t))
	e := wantErr(t, err, KindCredentials, CodeNoCredentials, "", "aws configure")
	wantText(t, e.Error(), "looking for credentials in the environment, profile default ("+filepath.Join(home, "config")+", "+filepath.Join(home, "credentials")+")")
	wantText(t, e.Cause, "AWS_EC2_METADATA_DISABLED")
}

func wantText(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%q lacks %q", got, want)
	}
}
