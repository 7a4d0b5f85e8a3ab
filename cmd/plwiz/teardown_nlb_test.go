package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// TestTeardownOfAnAddedLoadBalancerShowsAWSRefusal: plwiz teardown of a
// provider session that added a load balancer to a service it adopted
// removes only that one; while an endpoint is attached AWS refuses, and
// the line says so, with what to do.
func TestTeardownOfAnAddedLoadBalancerShowsAWSRefusal(t *testing.T) {
	sb := sbtest.Start(t, sbtest.Options{})
	ep := sb.Endpoint(t, sbtest.EndpointOptions{})
	var ds string
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for arn, lb := range w.LoadBalancers {
			if lb.Name == sandbox.DualstackNLBName {
				ds = arn
			}
		}
	})
	client, err := awsops.New(sb.Config(t, "provider"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Provider().ModifyService(context.Background(), ep.ServiceID, awsops.ModifyServiceInput{AddNLBARNs: []string{ds}}); err != nil {
		t.Fatal(err)
	}
	env := awsCheckEnv(t, sb, "provider")
	state := t.TempDir()
	env["XDG_STATE_HOME"], env["HOME"] = state, state
	s, err := steps.NewSession(filepath.Join(state, "plwiz"), steps.RoleProvider, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Account, s.Region = sandbox.ProviderAccountID, "us-east-1"
	s.SetInput(steps.InServiceID, ep.ServiceID)
	s.SetResource(steps.ResServiceID, ep.ServiceID)
	s.SetResource(steps.ResAdoptedNLBs, ep.NLBARN)
	s.SetResource(steps.ResAddedNLBs, ds)
	if err := s.Save(time.Now()); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, env, "teardown", "--session", s.ID, "--yes")
	for _, want := range []string{
		"  - remove load balancer(s) " + sandbox.DualstackNLBName + " from endpoint service " + ep.ServiceID + " (added by this session; the service stays)",
		"✗ remove load balancer(s) " + sandbox.DualstackNLBName,
		"ExistingVpcEndpointConnections: Service has existing active VPC Endpoint connections!",
		"  hint: Endpoints are still connected to " + ep.ServiceID + ", so AWS keeps its load balancers: have the consumers delete their endpoints",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("teardown output lacks %q:\n%s%s", want, out, stderr)
		}
	}
	if code != exitFailed || strings.Contains(out, "delete endpoint service") {
		t.Errorf("exit %d (want %d), and the plan must leave the service alone:\n%s", code, exitFailed, out)
	}
	var nlbs []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) { nlbs = w.Services[ep.ServiceID].NLBARNs })
	if len(nlbs) != 2 {
		t.Errorf("the service has %v after the refusal", nlbs)
	}
}
