package steps_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plwiz/plwiz/handoff"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// TestRequestFromAnSSOSessionIsExportedAndImported: a consumer signed in
// through IAM Identity Center is, to STS, an assumed role whose session
// name is an e-mail address; other principals come with paths or as
// federated users. The consumer writes the request for each (the sandbox's
// STS reports an IAM user, so the session's ARN is set to what STS reports
// for them), and the provider imports it.
func TestRequestFromAnSSOSessionIsExportedAndImported(t *testing.T) {
	ctx := context.Background()
	sb := sbtest.Start(t, sbtest.Options{})
	penv, ps, cenv, cs := twoParties(t, sb, true)
	f := facts(t, sb)
	cs.SetInput(steps.InVPC, f.consumerVPC)
	cs.SetInput(steps.InSubnets, f.consumerSubnets[0])
	cflow, pflow := steps.ConsumerFlow(), steps.ProviderFlow()
	for _, id := range []string{steps.StepServiceCheck, steps.StepNetworkCheck, steps.StepCreateEndpoint} {
		if _, err := stepOf(t, cflow, id).Do(ctx, cenv, cs); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	acct := sandbox.ConsumerAccountID
	for _, arn := range []string{
		"arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/name@example.com",
		"arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_ReadOnly_fedcba9876543210/first.last+team=ops,eu@example.co.uk",
		"arn:aws:sts::" + acct + ":federated-user/Bob",
		"arn:aws:iam::" + acct + ":user/division/team/alice",
	} {
		t.Run(arn[strings.LastIndexByte(arn, ':')+1:], func(t *testing.T) {
			cs.ARN = arn
			path := filepath.Join(t.TempDir(), "request.json")
			cs.SetInput(steps.InRequestOut, path)
			res, err := stepOf(t, cflow, steps.StepExportRequest).Do(ctx, cenv, cs)
			if err != nil {
				t.Fatalf("export the request: %v", err)
			}
			b, err := handoff.ReadFile(path, sb.Clock.Now())
			if err != nil {
				t.Fatalf("the written request: %v", err)
			}
			if req := b.(handoff.Request); req.PrincipalARN != arn || req.EndpointIDs[0] != cs.Resource(steps.ResEndpointID) {
				t.Errorf("request %+v; want principal %s and endpoint %s", req, arn, cs.Resource(steps.ResEndpointID))
			}
			for _, ref := range []string{path, res.Export.Token} {
				ps.SetInput(steps.InRequest, ref)
				st, err := stepOf(t, pflow, steps.StepImportRequest).Poll(ctx, penv, ps)
				if err != nil || !st.Done {
					t.Fatalf("provider imports %.40s: %+v, %v", ref, st, err)
				}
				if got := ps.Resource(steps.ResConsumerARN); got != arn {
					t.Errorf("provider recorded consumer %s, want %s", got, arn)
				}
			}
		})
	}
}
