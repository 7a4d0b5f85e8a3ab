package tui

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/plwiz/plwiz/awsops"
	plwizprobe "github.com/plwiz/plwiz/probe"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// The screens of issue 10 against a seeded sandbox on a manual clock, so
// their IDs and times are the same every run: the load balancer check
// with a failing AZ, the connections table with the targets' health, and
// where the connectivity test runs from.

var sbT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// seededSandbox starts a sandbox whose world is made from a fixed seed and
// set up for scenario.
func seededSandbox(t *testing.T, scenario string, dataPlane bool) *sbtest.Env {
	t.Helper()
	w, err := sandbox.NewScenarioWorld(sandbox.WorldOptions{Seed: 10, Now: sbT0}, scenario)
	if err != nil {
		t.Fatal(err)
	}
	return sbtest.Start(t, sbtest.Options{World: w, DataPlane: dataPlane})
}

// ticking moves the sandbox's clock on while a test waits for AWS (a Run
// Command to be picked up, an analysis), until the test ends.
func ticking(t *testing.T, sb *sbtest.Env) {
	t.Helper()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				sb.Clock.Advance(time.Second)
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
}

func sbEnv(t *testing.T, sb *sbtest.Env, account string) *steps.Env {
	t.Helper()
	client, err := awsops.New(sb.Config(t, account), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &steps.Env{AWS: client, BundleDir: t.TempDir(), Now: (&clock{t: sbT0}).Now}
}

func firstLB(sb *sbtest.Env) string {
	var arn string
	sb.SB.World(func(w *sandbox.World, _ time.Time) { arn = sandbox.SortedKeys(w.LoadBalancers)[0] })
	return arn
}

// lbScene is the provider at its load balancer check, in unhealthy-az.
func lbScene(t *testing.T, w, h int) (*harness, *sbtest.Env) {
	sb := seededSandbox(t, "unhealthy-az", false)
	flow := steps.ProviderFlow()
	s := newSession(t, flow, steps.StepLBCheck)
	s.SetInput(steps.InNLB, firstLB(sb))
	hs := newHarness(t, New(flow, s, sbEnv(t, sb, "provider"), goldenOpts()), w, h)
	hs.until("the failed check", inPhase(steps.StepLBCheck, phaseFailed))
	return hs, sb
}

// endpointScene is one party at step with an available endpoint, its
// session holding what the steps before learnt.
func endpointScene(t *testing.T, role steps.Role, step string, w, h int, setup func(env *steps.Env)) (*harness, sbtest.Endpoint) {
	sb := seededSandbox(t, "", false)
	ep := sb.Endpoint(t, sbtest.EndpointOptions{})
	flow, account := steps.ProviderFlow(), "provider"
	if role == steps.RoleConsumer {
		flow, account = steps.ConsumerFlow(), "consumer"
	}
	s := newSession(t, flow, step)
	s.ID = string(role) + "-20250301-120000-abcd1234"
	s.SetInput(steps.InNLB, ep.NLBARN)
	for k, v := range map[string]string{steps.ResServiceID: ep.ServiceID, steps.ResServiceName: ep.ServiceName, steps.ResLBARN: ep.NLBARN,
		steps.ResExpected: ep.ID, steps.ResEndpointID: ep.ID, steps.ResNLBPort: fmt.Sprint(ep.Port)} {
		s.SetResource(k, v)
	}
	env := sbEnv(t, sb, account)
	if setup != nil {
		setup(env)
	}
	return newHarness(t, New(flow, s, env, goldenOpts()), w, h), ep
}

// outsideResolver is this host's resolver on a laptop: it knows nothing of
// the VPC (no server answers).
func outsideResolver(t *testing.T) func(env *steps.Env) {
	return func(env *steps.Env) {
		r, err := plwizprobe.NewServerResolver("127.0.0.1:9")
		if err != nil {
			t.Fatal(err)
		}
		env.Probe.Resolver, env.Probe.Timeout = r, 300*time.Millisecond
	}
}

func TestGoldenIssue10Screens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("lb-check-failed/%dx%d", w, h), func(t *testing.T) {
			hs, _ := lbScene(t, w, h)
			golden.RequireEqual(t, plain(hs.m.View()))
		})
		t.Run(fmt.Sprintf("connections-health/%dx%d", w, h), func(t *testing.T) {
			hs, _ := endpointScene(t, steps.RoleProvider, steps.StepConnections, w, h, nil)
			untilRows(hs)
			hs.untilScreen("Targets of plwiz-demo-nlb")
			golden.RequireEqual(t, plain(hs.m.View()))
		})
		t.Run(fmt.Sprintf("probe-from/%dx%d", w, h), func(t *testing.T) {
			hs, _ := endpointScene(t, steps.RoleConsumer, steps.StepConnectivity, w, h, outsideResolver(t))
			hs.until("the choice", inPhase(steps.StepConnectivity, phaseInput))
			golden.RequireEqual(t, plain(hs.m.View()))
		})
	}
}

// TestLBCheckScreenAndFix: the failed check names the AZ by ID and name,
// the target and AWS's reason; f asks, y turns cross-zone on, and the
// check passes, saying why.
func TestLBCheckScreenAndFix(t *testing.T) {
	hs, sb := lbScene(t, 120, 40)
	v := plain(hs.m.View())
	for _, want := range []string{"✗ port 8443: healthy targets in use1-az1 (us-east-1a)", "0 of 1 healthy: i-", "Target.FailedHealthChecks",
		"✓ port 8443: healthy targets in use1-az2 (us-east-1b)", "f: turn cross-zone load balancing on for target group plwiz-demo-nlb-tg"} {
		if !strings.Contains(v, want) {
			t.Errorf("the failed check lacks %q:\n%s", want, v)
		}
	}
	hs.key("f")
	hs.until("the question", func(m *Model) bool { return m.confirm != nil })
	hs.key("y")
	hs.until("the check again", inPhase(steps.StepLBCheck, phaseResult))
	hs.untilScreen("cross-zone load balancing is on, so 2 healthy target(s) in")
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, tg := range w.Diag.TargetGroups {
			if tg.Name == "plwiz-demo-nlb-tg" && tg.Attributes["load_balancing.cross_zone.enabled"] != "true" {
				t.Errorf("target group %s: cross-zone %q after the fix", tg.Name, tg.Attributes["load_balancing.cross_zone.enabled"])
			}
		}
	})
}

// TestProbeFromChoiceAndSSMRun: outside the VPC the wizard proposes the
// VPC's managed instance first (this host last, saying why), and the test
// chosen runs there through SSM and says so.
func TestProbeFromChoiceAndSSMRun(t *testing.T) {
	sb := seededSandbox(t, "", true)
	ep := sb.Endpoint(t, sbtest.EndpointOptions{})
	ticking(t, sb)
	flow := steps.ConsumerFlow()
	s := newSession(t, flow, steps.StepConnectivity)
	for k, v := range map[string]string{steps.ResEndpointID: ep.ID, steps.ResNLBPort: fmt.Sprint(ep.Port)} {
		s.SetResource(k, v)
	}
	env := sbEnv(t, sb, "consumer")
	env.Now = nil
	env.Probe = steps.ProbeSettings{ResolverAddr: sb.SB.DNSAddr(), CAFile: sb.SB.CAFile(), RootCAs: sb.SB.CAPool(), Timeout: 2 * time.Second}
	outsideResolver(t)(env)
	env.Probe.Timeout = 2 * time.Second
	hs := newHarness(t, New(flow, s, env, testOpts()), 120, 40)
	hs.until("the choice", inPhase(steps.StepConnectivity, phaseInput))
	v := plain(hs.m.View())
	ssm := strings.Index(v, "> "+ep.Instance)
	local := strings.Index(v, "this host —")
	if ssm < 0 || local < ssm || !strings.Contains(v, "through SSM Run") || !strings.Contains(v, "looks outside") {
		t.Fatalf("the choices do not propose the instance first:\n%s", v)
	}
	hs.key("enter") // the instance, through SSM
	hs.until("the HTTP path", func(m *Model) bool {
		return m.cur.form != nil && m.cur.form.form.GetFocusedField().GetKey() == steps.InHTTPPath
	})
	hs.key("enter")
	hs.until("the result", func(m *Model) bool {
		return m.cur.st.ID == steps.StepConnectivity && (m.cur.phase == phaseResult || m.cur.phase == phaseFailed) && !m.busy
	})
	want := "checked from " + ep.Instance + " in " + ep.VPCID + " through SSM Run Command"
	hs.until("the result's detail", func(m *Model) bool { return strings.Contains(m.snap.recs[steps.StepConnectivity].Detail, want) })
}

// TestAccessibleProbeFromAndLBFix: the line prompts number the places the
// test can run from, and ask y/n before the load balancer check's fix.
func TestAccessibleProbeFromAndLBFix(t *testing.T) {
	t.Run("load balancer fix", func(t *testing.T) {
		sb := seededSandbox(t, "unhealthy-az", false)
		flow := steps.ProviderFlow()
		flow.Steps = flow.Steps[:slices.IndexFunc(flow.Steps, func(st *steps.Step) bool { return st.ID == steps.StepLBCheck })+1]
		s := newSession(t, flow, steps.StepLBCheck)
		s.SetInput(steps.InNLB, firstLB(sb))
		var out bytes.Buffer
		o, err := Run(context.Background(), flow, s, sbEnv(t, sb, "provider"), Options{Accessible: true, Backoff: testOpts().Backoff},
			IO{In: strings.NewReader("y\n\n"), Out: &out})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"✗ port 8443: healthy targets in use1-az1 (us-east-1a): expected at least one healthy target, saw 0 of 1 healthy: i-",
			`turn cross-zone load balancing on for target group plwiz-demo-nlb-tg? (for "port 8443: healthy targets in use1-az1 (us-east-1a)") [y/n]`, "done; checking again", "All steps done."} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		if !o.Finished {
			t.Errorf("not finished: %+v", o)
		}
	})
	t.Run("probe from", func(t *testing.T) {
		sb := seededSandbox(t, "", true)
		ep := sb.Endpoint(t, sbtest.EndpointOptions{})
		ticking(t, sb)
		flow := steps.ConsumerFlow()
		flow.Steps = flow.Steps[:slices.IndexFunc(flow.Steps, func(st *steps.Step) bool { return st.ID == steps.StepConnectivity })+1]
		s := newSession(t, flow, steps.StepConnectivity)
		for k, v := range map[string]string{steps.ResEndpointID: ep.ID, steps.ResNLBPort: fmt.Sprint(ep.Port)} {
			s.SetResource(k, v)
		}
		env := sbEnv(t, sb, "consumer")
		env.Now = nil
		env.Probe = steps.ProbeSettings{ResolverAddr: sb.SB.DNSAddr(), CAFile: sb.SB.CAFile(), RootCAs: sb.SB.CAPool()}
		outsideResolver(t)(env)
		env.Probe.Timeout = 2 * time.Second
		var out bytes.Buffer
		o, err := Run(context.Background(), flow, s, env, Options{Accessible: true, Backoff: testOpts().Backoff},
			IO{In: strings.NewReader("1\n/health\n\n"), Out: &out})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Run the test from", "1. " + ep.Instance, "through SSM Run Command", "Reachability Analyzer from " + ep.Instance + " (AWS charges per analysis)",
			"3. this host", "looks outside " + ep.VPCID, "checked from " + ep.Instance + " in " + ep.VPCID + " through SSM Run Command"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		if !o.Finished || s.Input(steps.InProbeFrom) != "ssm:"+ep.Instance {
			t.Errorf("outcome %+v, probe-from %q\n%s", o, s.Input(steps.InProbeFrom), out.String())
		}
	})
}

// addNLBScene is a provider that adopted ep's service, at the step that
// adds load balancers to it.
func addNLBScene(t *testing.T, w, h int) (*harness, *sbtest.Env, sbtest.Endpoint, *steps.Session) {
	sb := seededSandbox(t, "", false)
	ep := sb.Endpoint(t, sbtest.EndpointOptions{})
	flow := steps.ProviderFlow()
	flow.Steps = flow.Steps[:slices.IndexFunc(flow.Steps, func(st *steps.Step) bool { return st.ID == steps.StepAddNLB })+1]
	s := newSession(t, flow, steps.StepAddNLB)
	s.Account = sandbox.ProviderAccountID
	s.SetInput(steps.InServiceID, ep.ServiceID)
	s.SetResource(steps.ResServiceID, ep.ServiceID)
	s.SetResource(steps.ResAdoptedNLBs, ep.NLBARN)
	hs := newHarness(t, New(flow, s, sbEnv(t, sb, "provider"), goldenOpts()), w, h)
	hs.until("the choice", inPhase(steps.StepAddNLB, phaseInput))
	hs.untilScreen(sandbox.DualstackNLBName)
	return hs, sb, ep, s
}

func TestGoldenAddNLBForm(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			hs, _, _, _ := addNLBScene(t, size[0], size[1])
			golden.RequireEqual(t, plain(hs.m.View()))
		})
	}
}

// TestAddNLBToAdoptedService: the wizard offers the account's load
// balancers not on the adopted service (the service's own shown, not
// offered), and the one chosen is added, shown with the AZs it shares.
func TestAddNLBToAdoptedService(t *testing.T) {
	hs, sb, ep, s := addNLBScene(t, 120, 40)
	v := plain(hs.m.View())
	for _, want := range []string{"Network Load Balancers to add (optional)", "> • " + sandbox.DualstackNLBName + " (dualstack: use1-az1, use1-az2) — shares use1-az1, use1-az2",
		"plwiz-demo-nlb (ipv4: use1-az1, use1-az2, use1-az3) — already on the service"} {
		if !strings.Contains(v, want) {
			t.Errorf("the form lacks %q:\n%s", want, v)
		}
	}
	hs.key("space", "enter")
	hs.until("the step done", func(m *Model) bool { return m.snap.recs[steps.StepAddNLB].State == steps.StateDone })
	hs.untilScreen("now in front of " + sandbox.DualstackNLBName + " too")
	var nlbs []string
	sb.SB.World(func(w *sandbox.World, _ time.Time) { nlbs = w.Services[ep.ServiceID].NLBARNs })
	if len(nlbs) != 2 || nlbs[0] != ep.NLBARN || s.Resource(steps.ResAddedNLBs) != nlbs[1] {
		t.Errorf("service load balancers %v, session added %q", nlbs, s.Resource(steps.ResAddedNLBs))
	}
}
