package sandbox_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/plwiz/plwiz/sandbox/sbtest"
)

const badSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."

// wrongSecret is the account's config with its secret changed by one byte.
func wrongSecret(t *testing.T, env *sbtest.Env, name string) aws.Config {
	t.Helper()
	acct := env.Account(t, name)
	secret := []byte(acct.SecretAccessKey)
	secret[0] ^= 1
	cfg := env.Config(t, name)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(acct.AccessKeyID, string(secret), "")
	return cfg
}

func apiError(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a smithy.APIError", err, err)
	}
	return ae
}

func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded; want error %s", code)
	}
	ae := apiError(t, err)
	if ae.ErrorCode() != code {
		t.Fatalf("error code %q (%v); want %q", ae.ErrorCode(), err, code)
	}
	return ae
}

func TestSignatureVerification(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	good := env.Config(t, "provider")
	bad := wrongSecret(t, env, "provider")

	t.Run("sts", func(t *testing.T) {
		if _, err := sts.NewFromConfig(good).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("right key: %v", err)
		}
		_, err := sts.NewFromConfig(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		ae := wantCode(t, err, "SignatureDoesNotMatch")
		if ae.ErrorMessage() != badSignature {
			t.Errorf("message %q", ae.ErrorMessage())
		}
		assertStatus(t, err, http.StatusForbidden)
	})
	t.Run("ec2", func(t *testing.T) {
		if _, err := ec2.NewFromConfig(good).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{}); err != nil {
			t.Fatalf("right key: %v", err)
		}
		_, err := ec2.NewFromConfig(bad).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
		ae := wantCode(t, err, "AuthFailure")
		if ae.ErrorMessage() != "AWS was not able to validate the provided access credentials" {
			t.Errorf("message %q", ae.ErrorMessage())
		}
		assertStatus(t, err, http.StatusUnauthorized)
	})
	t.Run("elbv2", func(t *testing.T) {
		if _, err := elasticloadbalancingv2.NewFromConfig(good).DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{}); err != nil {
			t.Fatalf("right key: %v", err)
		}
		_, err := elasticloadbalancingv2.NewFromConfig(bad).DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
		wantCode(t, err, "SignatureDoesNotMatch")
	})
	t.Run("route53 with a query string", func(t *testing.T) {
		in := &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com"), MaxItems: aws.Int32(10)}
		if _, err := route53.NewFromConfig(good).ListHostedZonesByName(ctx, in); err != nil {
			t.Fatalf("right key: %v", err)
		}
		_, err := route53.NewFromConfig(bad).ListHostedZonesByName(ctx, in)
		ae := wantCode(t, err, "SignatureDoesNotMatch")
		if ae.ErrorMessage() != badSignature {
			t.Errorf("message %q", ae.ErrorMessage())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		cfg := env.Config(t, "provider")
		cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIANOTAREALKEY00000", "secret", "")
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantCode(t, err, "InvalidClientTokenId")
		_, err = ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		wantCode(t, err, "AuthFailure")
	})
}

func TestSignatureScopedToAnotherRegion(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	cfg := env.Config(t, "consumer")
	cfg.Region = "eu-west-1"
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	ae := wantCode(t, err, "AuthFailure")
	if !strings.Contains(ae.ErrorMessage(), "not 'eu-west-1'") {
		t.Errorf("message %q does not name the region", ae.ErrorMessage())
	}
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	// Route 53 is global: any region's client may call it.
	if _, err := route53.NewFromConfig(cfg).ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{}); err != nil {
		t.Errorf("route53 from another region's config: %v", err)
	}
}

// TestSignatureTampering sends a correctly signed request whose body was
// changed after signing; the sandbox must notice.
func TestSignatureTampering(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	cfg := env.Config(t, "consumer")
	cfg.HTTPClient = tamperingClient{}
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(sbtest.Context(t), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
}

type tamperingClient struct{}

func (tamperingClient) Do(r *http.Request) (*http.Response, error) {
	body := "Action=GetCallerIdentity&Version=2011-06-16"
	r.Body = http.NoBody
	r2 := r.Clone(r.Context())
	r2.Body = ioNopCloser(strings.NewReader(body))
	r2.ContentLength = int64(len(body))
	return http.DefaultClient.Do(r2)
}

func assertStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP status", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("HTTP status %d, want %d", re.HTTPStatusCode(), status)
	}
}
