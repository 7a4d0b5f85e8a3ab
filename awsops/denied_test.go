package awsops

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// The sandbox has no IAM and no expiring session tokens, so it never answers
// UnauthorizedOperation, AccessDenied or ExpiredToken. These tests serve
// exactly AWS's documented error bodies for those codes from a loopback
// server, through the real SDK, to check their classification.
func deniedServer(t *testing.T, code string, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		msg := "You are not authorized to perform this operation. Encoded authorization failure message:\n\tAbC"
		if strings.HasPrefix(code, "Expired") {
			msg = "The security token included in the request is expired"
		}
		w.WriteHeader(status)
		switch {
		case strings.Contains(auth, "/ec2/"):
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-ec2</RequestID></Response>`, code, msg)
		case strings.Contains(auth, "/route53/"):
			fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-r53</RequestId></ErrorResponse>`, code, msg)
		default:
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-q</RequestId></ErrorResponse>`, code, msg)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func deniedClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := New(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEEXAMPLE00", "secret", "token")},
		Options{EndpointURL: url, Profile: "work", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAccessDeniedNamesTheIAMAction(t *testing.T) {
	t.Parallel()
	ctx := sbtest.Context(t)
	for _, tt := range []struct {
		code   string
		status int
		call   func(c *Client) error
		action string
		role   string
	}{
		{"UnauthorizedOperation", 403, func(c *Client) error {
			_, err := c.Consumer().CreateEndpoint(ctx, CreateEndpointInput{ServiceName: "com.amazonaws.vpce.us-east-1.vpce-svc-1", VPCID: "vpc-1", SubnetIDs: []string{"subnet-1"}})
			return err
		}, "ec2:CreateVpcEndpoint", "consumer"},
		{"UnauthorizedOperation", 403, func(c *Client) error {
			return c.Provider().AcceptConnections(ctx, "vpce-svc-1", []string{"vpce-1"})
		}, "ec2:AcceptVpcEndpointConnections", "provider"},
		{"AccessDenied", 403, func(c *Client) error { _, err := c.Provider().ListNetworkLoadBalancers(ctx); return err },
			"elasticloadbalancing:DescribeLoadBalancers", "provider"},
		{"AccessDenied", 403, func(c *Client) error { _, err := c.Provider().UpsertTXT(ctx, "Z1", "_a.example.com", "v"); return err },
			"route53:ChangeResourceRecordSets", "provider"},
		{"AccessDeniedException", 400, func(c *Client) error { _, err := c.Consumer().Identity(ctx); return err },
			"sts:GetCallerIdentity", "consumer"},
	} {
		t.Run(tt.action, func(t *testing.T) {
			err := tt.call(deniedClient(t, deniedServer(t, tt.code, tt.status)))
			e := wantErr(t, err, KindAccessDenied, tt.code, "not authorized", "plwiz iam-policy "+tt.role)
			if e.Action != tt.action || !strings.Contains(e.Hint, "Grant "+tt.action) || !strings.Contains(e.Cause, tt.action) {
				t.Errorf("action %q, cause %q, hint %q; want %s", e.Action, e.Cause, e.Hint, tt.action)
			}
			if strings.ContainsAny(e.Message, "\n\t") || !strings.Contains(e.Hint, "decode-authorization-message") {
				t.Errorf("message %q / hint %q", e.Message, e.Hint)
			}
		})
	}
}

func TestExpiredTokenSaysRefresh(t *testing.T) {
	t.Parallel()
	ctx := sbtest.Context(t)
	for _, code := range []string{"ExpiredToken", "ExpiredTokenException"} {
		t.Run(code, func(t *testing.T) {
			_, err := deniedClient(t, deniedServer(t, code, 400)).Provider().Identity(ctx)
			wantErr(t, err, KindCredentials, code, "expired", "aws sso login --profile work")
		})
	}
}
