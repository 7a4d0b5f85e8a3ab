package sandbox_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

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
