package awsops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// identityAPI is what identity.go needs from STS.
type identityAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Identity is who the caller is.
type Identity struct {
	Account string // 12 digits
	ARN     string // arn:aws:iam::123456789012:user/alice, or an assumed role
	UserID  string
	Region  string
}

// Identity is the early check every flow starts with: it resolves the
// credentials (so a missing or expired SSO login is reported as such, not as
// an opaque signing error) and asks STS who they belong to.
func (b *base) Identity(ctx context.Context) (Identity, error) {
	if err := b.c.ResolveCredentials(ctx); err != nil {
		return Identity{}, fmt.Errorf("identity: %w", err)
	}
	var api identityAPI = b.c.sts
	out, err := api.GetCallerIdentity(b.with(ctx, opGetCallerIdentity), &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, b.fail("identity", err)
	}
	id := Identity{Account: str(out.Account), ARN: str(out.Arn), UserID: str(out.UserId), Region: b.c.region}
	if !validAccountID(id.Account) || !strings.HasPrefix(id.ARN, "arn:") {
		return Identity{}, fmt.Errorf("identity: STS answered with account %q and ARN %q, which do not look like AWS's", id.Account, id.ARN)
	}
	return id, nil
}

// validAccountID reports whether s is a 12-digit AWS account ID.
func validAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ResolveCredentials gets the client's credentials now: it runs the
// profile's chain (assume-role hops, MFA prompt, credential_process, SSO
// cache) and explains a failure. Front ends that own the terminal once they
// start call it before, so an MFA code is asked while it is theirs to ask.
func (c *Client) ResolveCredentials(ctx context.Context) error {
	if c.creds == nil {
		e := &Error{Err: errors.New("no credentials provider"), Kind: KindCredentials}
		c.cls.noCredentials(e)
		return e
	}
	creds, err := c.creds.Retrieve(ctx)
	if err == nil && creds.AccessKeyID == "" {
		err = errors.New("the credentials have no access key ID (anonymous credentials)")
	}
	if err != nil {
		return c.cls.credentialsError(err)
	}
	return nil
}

// NeedsMFA reports whether getting the credentials asks for an MFA code
// (a role of the profile chain has an mfa_serial).
func (c *Client) NeedsMFA() bool {
	if c.cls.plan == nil {
		return false
	}
	for _, h := range c.cls.plan.hops {
		if h.mfaSerial != "" {
			return true
		}
	}
	return false
}
