package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func TestGetCallerIdentity(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	for _, name := range []string{"provider", "consumer"} {
		t.Run(name, func(t *testing.T) {
			acct := env.Account(t, name)
			out, err := sts.NewFromConfig(env.Config(t, name)).GetCallerIdentity(sbtest.Context(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if got := aws.ToString(out.Account); got != acct.ID {
				t.Errorf("Account = %q, want %q", got, acct.ID)
			}
			if got, want := aws.ToString(out.Arn), "arn:aws:iam::"+acct.ID+":user/plwiz-"+name; got != want {
				t.Errorf("Arn = %q, want %q", got, want)
			}
			if got, want := aws.ToString(out.UserId), "AIDA"+acct.AccessKeyID[4:]; got != want {
				t.Errorf("UserId = %q, want %q", got, want)
			}
		})
	}
}

// withCreds is the config of env with the given temporary credentials.
func withCreds(env *sbtest.Env, t *testing.T, c *ststypes.Credentials) aws.Config {
	cfg := env.Config(t, "provider")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	cfg.RetryMaxAttempts = 1
	return cfg
}

func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v: want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("got %s: %q; want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// TestAssumeRoleAcrossAccounts assumes the consumer's admin role with the
// provider's keys: the session belongs to the role's account, its keys pass
// the SigV4 check there with the session token, and expire on the sandbox
// clock.
func TestAssumeRoleAcrossAccounts(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	consumer := env.Account(t, "consumer")
	roleARN := "arn:aws:iam::" + consumer.ID + ":role/" + sandbox.RoleAdmin
	out, err := sts.NewFromConfig(env.Config(t, "provider")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice@example.com"), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.AccessKeyId)) != 20 ||
		aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
		t.Fatalf("credentials %+v are not shaped as STS's", c)
	}
	now := env.Clock.Now()
	if got := aws.ToTime(c.Expiration); !got.Equal(now.Add(15 * time.Minute).Truncate(time.Second)) {
		t.Errorf("Expiration %v, want 15 minutes after %v", got, now)
	}
	wantARN := "arn:aws:sts::" + consumer.ID + ":assumed-role/" + sandbox.RoleAdmin + "/alice@example.com"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("AssumedRoleUser.Arn %q, want %q", got, wantARN)
	}
	roleID := aws.ToString(out.AssumedRoleUser.AssumedRoleId)
	if !strings.HasPrefix(roleID, "AROA") || !strings.HasSuffix(roleID, ":alice@example.com") {
		t.Errorf("AssumedRoleId %q", roleID)
	}

	cfg := withCreds(env, t, c)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the session: %v", err)
	}
	if aws.ToString(id.Arn) != wantARN || aws.ToString(id.Account) != consumer.ID || aws.ToString(id.UserId) != roleID {
		t.Errorf("caller %s %s %s, want %s %s %s", aws.ToString(id.Arn), aws.ToString(id.Account), aws.ToString(id.UserId), wantARN, consumer.ID, roleID)
	}
	// The session acts in the role's account: it sees the consumer's VPC.
	vpcs, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].OwnerId) != consumer.ID {
		t.Fatalf("DescribeVpcs as the session: %+v, %v", vpcs, err)
	}

	// The key without its token, or with another token, is refused.
	for _, token := range []string{"", "FwoGZXIvYXdzEforged"} {
		bad := *c
		bad.SessionToken = aws.String(token)
		_, err = sts.NewFromConfig(withCreds(env, t, &bad)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
		_, err = ec2.NewFromConfig(withCreds(env, t, &bad)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		wantAPIError(t, err, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	// A long-term key sent with a session token is refused too.
	acct := env.Account(t, "provider")
	_, err = sts.NewFromConfig(withCreds(env, t, &ststypes.Credentials{AccessKeyId: &acct.AccessKeyID, SecretAccessKey: &acct.SecretAccessKey,
		SessionToken: c.SessionToken})).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "")

	// Past its expiry (on the sandbox clock) each service says so its way.
	env.Advance(t, 16*time.Minute)
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", "The security token included in the request is expired")
	_, err = ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantAPIError(t, err, "RequestExpired", "Request has expired.")
	_, err = elbv2.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	wantAPIError(t, err, "ExpiredToken", "expired")
}

func TestAssumeRoleTrustAndMFA(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	provider := env.Account(t, "provider")
	client := sts.NewFromConfig(env.Config(t, "provider"))
	userARN := "arn:aws:iam::" + provider.ID + ":user/plwiz-provider"
	role := func(name string) string { return "arn:aws:iam::" + provider.ID + ":role/" + name }
	serial := sandbox.MFASerial(&provider)
	assume := func(in sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("test")
		}
		return client.AssumeRole(ctx, &in)
	}
	denied := func(roleARN string) string {
		return "User: " + userARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN
	}
	for _, c := range []struct {
		name      string
		in        sts.AssumeRoleInput
		code, msg string
	}{
		{"unknown role", sts.AssumeRoleInput{RoleArn: aws.String(role("nope"))}, "AccessDenied", denied(role("nope"))},
		{"unknown account", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/" + sandbox.RoleAdmin)}, "AccessDenied", "is not authorized to perform: sts:AssumeRole"},
		{"malformed ARN", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam:" + provider.ID + ":role/x")}, "AccessDenied", "is not authorized"},
		{"MFA role without MFA", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleMFA))}, "AccessDenied", denied(role(sandbox.RoleMFA))},
		{"wrong code", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleMFA)), SerialNumber: &serial, TokenCode: aws.String("654321")},
			"AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."},
		{"someone else's device", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleMFA)), SerialNumber: aws.String("arn:aws:iam::" + provider.ID + ":mfa/bob"), TokenCode: aws.String(sandbox.MFACode)},
			"AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."},
		{"serial without code", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleMFA)), SerialNumber: &serial},
			"AccessDenied", "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."},
		{"partner role without external ID", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleExternalID))}, "AccessDenied", "not authorized"},
		{"partner role, wrong external ID", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleExternalID)), ExternalId: aws.String("guess")}, "AccessDenied", "not authorized"},
		{"bad session name", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleAdmin)), RoleSessionName: aws.String("has space")},
			"ValidationError", `1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"two bad values", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleAdmin)), DurationSeconds: aws.Int32(60), TokenCode: aws.String("12ab56"), SerialNumber: &serial},
			"ValidationError", "2 validation errors detected: Value '12ab56' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*; Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"longer than the role allows", sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleAdmin)), DurationSeconds: aws.Int32(7200)},
			"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := assume(c.in)
			wantAPIError(t, err, c.code, c.msg)
		})
	}

	// The right code, and the right external ID, let the caller in.
	out, err := assume(sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleMFA)), SerialNumber: &serial, TokenCode: aws.String(sandbox.MFACode)})
	if err != nil || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.Arn), ":assumed-role/"+sandbox.RoleMFA+"/test") {
		t.Fatalf("AssumeRole with MFA: %+v, %v", out, err)
	}
	if _, err := assume(sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleExternalID)), ExternalId: aws.String(sandbox.PartnerExternalID)}); err != nil {
		t.Fatalf("AssumeRole with the external ID: %v", err)
	}

	// Role chaining: the session assumes another role, for at most an hour,
	// and cannot present an MFA device of its own.
	chained := sts.NewFromConfig(withCreds(env, t, out.Credentials))
	if _, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleAdmin)), RoleSessionName: aws.String("hop"), DurationSeconds: aws.Int32(3601)}); err == nil {
		t.Fatal("a chained session longer than an hour was issued")
	} else {
		wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	hop, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + sandbox.ConsumerAccountID + ":role/" + sandbox.RoleAdmin), RoleSessionName: aws.String("hop")})
	if err != nil || aws.ToString(hop.AssumedRoleUser.Arn) != "arn:aws:sts::"+sandbox.ConsumerAccountID+":assumed-role/"+sandbox.RoleAdmin+"/hop" {
		t.Fatalf("chained AssumeRole: %+v, %v", hop, err)
	}
	_, err = chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role(sandbox.RoleMFA)), RoleSessionName: aws.String("hop"), SerialNumber: &serial, TokenCode: aws.String(sandbox.MFACode)})
	wantAPIError(t, err, "AccessDenied", "unable to validate MFA code")
}

// TestSSOPortalGetRoleCredentials drives the portal API through the SSO
// client pointed at the sandbox, as the SDK's sso_session provider does.
func TestSSOPortalGetRoleCredentials(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	creds, err := ssoGetRoleCredentials(ctx, env, sandbox.ConsumerAccountID, sandbox.SSOPermissionSet, env.SB.SSOAccessToken())
	if err != nil {
		t.Fatalf("GetRoleCredentials: %v", err)
	}
	cfg := env.Config(t, "consumer")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	arn := aws.ToString(id.Arn)
	if !strings.HasPrefix(arn, "arn:aws:sts::"+sandbox.ConsumerAccountID+":assumed-role/AWSReservedSSO_"+sandbox.SSOPermissionSet+"_") || !strings.HasSuffix(arn, "/"+sandbox.SSOUser) {
		t.Errorf("SSO caller ARN %q", arn)
	}
	if !creds.Expires.Equal(env.Clock.Now().Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("expiration %v", creds.Expires)
	}
	_, err = ssoGetRoleCredentials(ctx, env, sandbox.ConsumerAccountID, sandbox.SSOPermissionSet, "aoa-forged")
	wantAPIError(t, err, "UnauthorizedException", "Session token not found or invalid")
	_, err = ssoGetRoleCredentials(ctx, env, sandbox.ConsumerAccountID, "ReadOnly", env.SB.SSOAccessToken())
	wantAPIError(t, err, "ForbiddenException", "No access")
}

// TestIssueRoleCredentials checks the credentials a test's container or IMDS
// server hands out are a session of the role.
func TestIssueRoleCredentials(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	c, err := env.SB.IssueRoleCredentials(sandbox.ProviderAccountID, "plwiz-instance", "i-0123456789abcdef0", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg := env.Config(t, "provider")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::"+sandbox.ProviderAccountID+":assumed-role/plwiz-instance/i-0123456789abcdef0" {
		t.Fatalf("GetCallerIdentity: %+v, %v", id, err)
	}
	if _, err := env.SB.IssueRoleCredentials("999999999999", "x", "y", time.Hour); err == nil {
		t.Error("credentials issued for an account the world lacks")
	}
}

// ssoGetRoleCredentials asks the sandbox's portal with the SDK's SSO client.
func ssoGetRoleCredentials(ctx context.Context, env *sbtest.Env, account, role, token string) (sandbox.Credentials, error) {
	client := sso.New(sso.Options{Region: sandbox.DefaultRegion, BaseEndpoint: aws.String(env.URL), RetryMaxAttempts: 1})
	out, err := client.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccountId: &account, RoleName: &role, AccessToken: &token})
	if err != nil {
		return sandbox.Credentials{}, err
	}
	rc := out.RoleCredentials
	return sandbox.Credentials{AccessKeyID: aws.ToString(rc.AccessKeyId), SecretAccessKey: aws.ToString(rc.SecretAccessKey),
		SessionToken: aws.ToString(rc.SessionToken), Expires: time.UnixMilli(rc.Expiration).UTC()}, nil
}
