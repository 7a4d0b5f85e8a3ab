package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
	"github.com/plwiz/plwiz/steps"
)

// TestRealProviderFlowAgainstSandbox renders the real provider flow's first
// steps against the sandbox: the identity, the NLB choices loaded from
// ELBv2 with a spinner, the create-service questions answered (acceptance
// off), the service created as answered and waited for.
func TestRealProviderFlowAgainstSandbox(t *testing.T) {
	d := sandbox.DefaultDelays().Scaled(200)
	sb := sbtest.Start(t, sbtest.Options{RealClock: true, Delays: &d})
	client, err := awsops.New(sb.Config(t, "provider"), awsops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	flow := steps.ProviderFlow()
	s, err := steps.NewSession(t.TempDir(), flow.Role, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := New(flow, s, &steps.Env{AWS: client, BundleDir: t.TempDir()}, testOpts())
	h := newHarness(t, m, 120, 40)

	h.until("the identity step", func(m *Model) bool { return m.cur != nil && m.cur.phase == phaseReady })
	h.key("enter")
	h.until("the identity", func(m *Model) bool { return m.cur != nil && m.cur.phase == phaseResult && !m.busy })
	if v := plain(m.View()); !strings.Contains(v, "account "+m.snap.account) || m.snap.account == "" {
		t.Fatalf("no account in the header:\n%s", v)
	}
	h.key("enter")
	h.until("the NLB choices", inPhase(steps.StepChooseNLB, phaseInput))
	v := plain(m.View())
	if !strings.Contains(v, "Network Load Balancer") || !strings.Contains(v, "plwiz-demo-nlb") {
		t.Fatalf("no NLB choices:\n%s", v)
	}
	// Pick the first (x), then the IP address types: ipv4 is proposed.
	h.key("x", "enter", "enter")
	h.until("the next step", func(m *Model) bool {
		return m.cur != nil && m.cur.st.ID != steps.StepChooseNLB && !m.busy && m.cur.phase != phaseRunning
	})
	if m.cur.phase == phaseFailed {
		t.Fatalf("%s failed:\n%s", m.cur.st.ID, plain(m.View()))
	}
	// The load balancer check: target health per AZ, then on.
	if m.cur.st.ID != steps.StepLBCheck || m.cur.phase != phaseResult {
		t.Fatalf("at %s, phase %v:\n%s", m.cur.st.ID, m.cur.phase, plain(m.View()))
	}
	if v := plain(m.View()); !strings.Contains(v, "✓ port 8443: healthy targets in use1-az1 (us-east-1a)") || !strings.Contains(v, "0 failed") {
		t.Fatalf("the load balancer check:\n%s", v)
	}
	h.key("enter")
	h.until("create-service", func(m *Model) bool { return m.cur != nil && m.cur.st.ID == steps.StepCreateService && !m.busy })
	// Create-service asks its optional inputs first: acceptance (Yes
	// proposed), an existing service to adopt and other regions to
	// support.
	if m.cur.st.ID != steps.StepCreateService || m.cur.phase != phaseInput {
		t.Fatalf("at %s, phase %v:\n%s", m.cur.st.ID, m.cur.phase, plain(m.View()))
	}
	if v := plain(m.View()); !strings.Contains(v, "Require acceptance of each connection") || !strings.Contains(v, "Existing endpoint service (optional)") ||
		!strings.Contains(v, "Other regions consumers may connect from (optional)") {
		t.Fatalf("the create-service questions are not shown:\n%s", v)
	}
	h.key("n", "enter", "enter")
	h.until("the go-ahead", inPhase(steps.StepCreateService, phaseReady))
	// The screen's description is taken again once answered.
	if d := m.cur.describe; !strings.Contains(d, "acceptance required: false") {
		t.Errorf("the description does not follow the answer: %q", d)
	}
	h.key("enter")
	if m.confirm != nil {
		h.key("y")
	}
	h.until("the service", func(m *Model) bool { return m.cur.phase == phaseResult && !m.busy || m.cur.phase == phaseFailed })
	h.untilScreen("vpce-svc-")
	acceptance := true
	sb.SB.World(func(w *sandbox.World, _ time.Time) {
		if svc := w.Services[s.Resource(steps.ResServiceID)]; svc != nil {
			acceptance = svc.AcceptanceRequired
		}
	})
	if acceptance {
		t.Errorf("service %s was made with acceptance required, after the answer No", s.Resource(steps.ResServiceID))
	}
	h.key("enter")
	// The wait polls the sandbox until the service is Available, then goes on.
	h.until("the service to be available", func(m *Model) bool {
		return m.snap.recs[steps.StepServiceReady].State == steps.StateDone || m.cur.phase == phaseFailed
	})
	if m.cur.phase == phaseFailed {
		t.Fatalf("%s failed:\n%s", m.cur.st.ID, plain(m.View()))
	}
	h.untilScreen("✓ Wait for the service")
}
