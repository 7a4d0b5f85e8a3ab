package tui

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plwiz/plwiz/awsops"
	"github.com/plwiz/plwiz/steps"
)

// A fake provider-like flow with one step of every kind, acting on a small
// in-memory world. No AWS: closures only.

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// hintErr is an error carrying a hint, as awsops makes them.
func hintErr(msg, hint string) error {
	return fmt.Errorf("%s: %w", msg, &awsops.Error{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation.", Hint: hint})
}

type fakeWorld struct {
	mu          sync.Mutex
	createFails int // create-service fails this many times first
	creates     int
	polls       int
	pollsNeeded int
	conns       []steps.Row
	accepted    []string
	rejected    []string
	dnsFixed    bool
	extraRows   int // more rows for the scale tests
}

func newWorld() *fakeWorld {
	return &fakeWorld{
		pollsNeeded: 2,
		conns: []steps.Row{
			{ID: "vpce-0exp", Cells: []string{"vpce-0exp", "444455556666", "pendingAcceptance"}, State: "pendingAcceptance"},
			{ID: "vpce-0bad", Cells: []string{"vpce-0bad", "999988887777", "pendingAcceptance"}, State: "pendingAcceptance", Note: "not named in the request"},
			{ID: "vpce-0old", Cells: []string{"vpce-0old", "444455556666", "rejected"}, State: "rejected", Note: "rejected before"},
		},
	}
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

func validPrincipals(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !accountRE.MatchString(p) && !strings.HasPrefix(p, "arn:aws:iam::") {
			return fmt.Errorf("%q is not a 12-digit account ID or an IAM ARN", p)
		}
	}
	return nil
}

func (w *fakeWorld) setState(id, state string) {
	for i := range w.conns {
		if w.conns[i].ID == id {
			w.conns[i].State = state
			w.conns[i].Cells[2] = state
		}
	}
}

func fakeFlow(w *fakeWorld) *steps.Flow {
	return &steps.Flow{Role: steps.RoleProvider, Steps: []*steps.Step{
		{
			ID: steps.StepIdentity, Title: "Identity", Kind: steps.KindAction,
			Describe: func(*steps.Session) string { return "Ask AWS who you are (STS GetCallerIdentity)." },
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				s.Account, s.ARN, s.Region, s.Endpoint = "111122223333", "arn:aws:iam::111122223333:user/alice", "us-east-1", "http://127.0.0.1:4566"
				return steps.Result{Detail: "You are arn:aws:iam::111122223333:user/alice in us-east-1."}, nil
			},
		},
		{
			ID: steps.StepChooseNLB, Title: "Choose the load balancer", Kind: steps.KindForm,
			Inputs: []steps.Input{
				{Key: "nlb", Label: "Load balancer", Help: "Network Load Balancers that are active", Type: steps.InputSelect, Required: true,
					Options: func(context.Context, *steps.Env, *steps.Session) ([]steps.Option, error) {
						return []steps.Option{
							{Value: "arn:nlb/web", Label: "web (us-east-1a, us-east-1b)"},
							{Value: "arn:nlb/old", Label: "old", Note: "provisioning, not active", Disabled: true},
							{Value: "arn:nlb/api", Label: "api (us-east-1c)"},
						}, nil
					}},
				{Key: "principals", Label: "Allowed principals", Help: "Account IDs or ARNs, comma-separated", Type: steps.InputText, Required: true, Validate: validPrincipals},
			},
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				return steps.Result{Detail: "Chose " + s.Input("nlb")}, nil
			},
		},
		{
			ID: steps.StepCreateService, Title: "Create the endpoint service", Kind: steps.KindAction,
			Describe: func(s *steps.Session) string {
				return "Create a VPC endpoint service in front of " + s.Input("nlb") + ".\nConnections need your acceptance."
			},
			Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.creates++
				if w.creates <= w.createFails {
					return steps.Result{}, hintErr("create endpoint service",
						"your role lacks ec2:CreateVpcEndpointServiceConfiguration; add it to the policy (plwiz iam-policy provider)")
				}
				return steps.Result{Detail: "Created vpce-svc-0abc."}, nil
			},
		},
		{
			ID: steps.StepServiceReady, Title: "Service available", Kind: steps.KindWait,
			Describe: func(*steps.Session) string { return "Wait for the endpoint service to become Available." },
			Poll: func(context.Context, *steps.Env, *steps.Session) (steps.Status, error) {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.polls++
				if w.polls < w.pollsNeeded {
					return steps.Status{State: "pending", Detail: "AWS is provisioning the service"}, nil
				}
				return steps.Status{Done: true, State: "available", Detail: "The service is Available."}, nil
			},
		},
		{
			ID: steps.StepTXTRecord, Title: "Verify the domain", Kind: steps.KindAction,
			Describe: func(*steps.Session) string { return "Prove you own example.com with this TXT record." },
			Fields: func(*steps.Session) []steps.Field {
				return []steps.Field{
					{Label: "Name", Value: "_plwiz-abc.example.com", Copyable: true},
					{Label: "Type", Value: "TXT", Copyable: true},
					{Label: "Value", Value: "vpce:abcdefghij0123456789", Copyable: true},
					{Label: "TTL", Value: "1800", Copyable: true},
					{Label: "Route 53", Value: "plwiz can write it to the hosted zone example.com (Z0123)"},
				}
			},
			Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
				return steps.Result{Detail: "TXT record written; Route 53 reports INSYNC."}, nil
			},
		},
		{
			ID: steps.StepExportOffer, Title: "Export the offer", Kind: steps.KindHandoff, Handoff: steps.HandoffExport,
			Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
				return steps.Result{Detail: "Send this to the consumer.", Export: &steps.Export{
					Path: "/home/alice/plwiz/offer-vpce-svc-0abc.json", Token: "plwiz1.offer." + strings.Repeat("eyJzZXJ2aWNlIjoidnBjZS1zdmMtMGFiYyJ9", 3)}}, nil
			},
		},
		{
			ID: steps.StepImportRequest, Title: "Import the request", Kind: steps.KindHandoff, Handoff: steps.HandoffImport,
			Inputs: []steps.Input{{Key: "request", Label: "Request file or token", Type: steps.InputText, Required: true,
				Validate: func(v string) error {
					if strings.HasSuffix(v, ".json") || strings.HasPrefix(v, "plwiz1.request.") {
						return nil
					}
					return errors.New("give a .json file or a token starting plwiz1.request.")
				}}},
			Do: func(_ context.Context, _ *steps.Env, s *steps.Session) (steps.Result, error) {
				s.SetResource("expectedEndpoint", "vpce-0exp")
				return steps.Result{Detail: "The consumer 444455556666 asks for vpce-0exp."}, nil
			},
		},
		{
			ID: steps.StepConnections, Title: "Accept the connection", Kind: steps.KindTable,
			Describe: func(*steps.Session) string { return "Accept the consumer's endpoint." },
			Table: &steps.Table{
				Columns: []string{"Endpoint", "Owner", "State"},
				Rows: func(_ context.Context, _ *steps.Env, s *steps.Session) ([]steps.Row, error) {
					w.mu.Lock()
					defer w.mu.Unlock()
					out := make([]steps.Row, 0, len(w.conns)+w.extraRows)
					for _, r := range w.conns {
						r.Cells = append([]string(nil), r.Cells...)
						r.Expected = r.ID == s.Resource("expectedEndpoint")
						out = append(out, r)
					}
					for i := range w.extraRows {
						id := fmt.Sprintf("vpce-%017x", i+1)
						out = append(out, steps.Row{ID: id, Cells: []string{id, fmt.Sprintf("%012d", 100000000000+i*7919%900000000000), []string{"pendingAcceptance", "available", "rejected"}[i%3]}, State: "x"})
					}
					return out, nil
				},
				Actions: []steps.RowAction{
					{Key: "a", Label: "Accept", Do: func(_ context.Context, _ *steps.Env, _ *steps.Session, ids []string) (string, error) {
						w.mu.Lock()
						defer w.mu.Unlock()
						for _, id := range ids {
							w.setState(id, "available")
						}
						w.accepted = append(w.accepted, ids...)
						return "accepted " + strings.Join(ids, ", "), nil
					}},
					{Key: "r", Label: "Reject", Confirm: "Rejecting cannot be undone.", Do: func(_ context.Context, _ *steps.Env, _ *steps.Session, ids []string) (string, error) {
						w.mu.Lock()
						defer w.mu.Unlock()
						for _, id := range ids {
							w.setState(id, "rejected")
						}
						w.rejected = append(w.rejected, ids...)
						return "rejected " + strings.Join(ids, ", "), nil
					}},
				},
				Done: func(rows []steps.Row, _ *steps.Session) bool {
					for _, r := range rows {
						if r.Expected && r.State == "available" {
							return true
						}
					}
					return false
				},
			},
		},
		{
			ID: steps.StepPreflight, Title: "Preflight checks", Kind: steps.KindCheck,
			Do: func(context.Context, *steps.Env, *steps.Session) (steps.Result, error) {
				w.mu.Lock()
				fixed := w.dnsFixed
				w.mu.Unlock()
				hostnames := steps.CheckResult{Name: "VPC DNS hostnames", Passed: fixed, Expected: "on", Seen: "off",
					Hint: "private DNS names only resolve in a VPC with DNS hostnames on"}
				if fixed {
					hostnames.Seen = "on"
				} else {
					hostnames.Fix = &steps.Fix{Label: "Turn on DNS hostnames", Do: func(context.Context, *steps.Env, *steps.Session) error {
						w.mu.Lock()
						defer w.mu.Unlock()
						w.dnsFixed = true
						return nil
					}}
				}
				return steps.Result{Checks: []steps.CheckResult{
					{Name: "VPC DNS support", Passed: true, Expected: "on", Seen: "on"},
					hostnames,
					{Name: "IPv6", Skipped: true, Hint: "the service is IPv4 only"},
				}}, nil
			},
		},
		{
			ID: steps.StepSummary, Title: "Summary", Kind: steps.KindAction,
			Describe: func(*steps.Session) string { return "Everything is in place." },
			Fields: func(*steps.Session) []steps.Field {
				return []steps.Field{{Label: "Hostname", Value: "api.example.com", Copyable: true}}
			},
		},
	}}
}

// testOpts are stable options for tests: no animation, quick polls.
func testOpts() Options {
	return Options{Static: true, Backoff: func() *steps.Backoff {
		return &steps.Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond, Factor: 2}
	}}
}

// newSession makes a session whose steps before upTo are done (a resume),
// each having taken a few seconds.
func newSession(t testing.TB, flow *steps.Flow, upTo string) *steps.Session {
	t.Helper()
	s, err := steps.NewSession(t.TempDir(), flow.Role, t0)
	if err != nil {
		t.Fatal(err)
	}
	s.ID = "provider-20250301-120000-abcd1234"
	at := t0
	for _, st := range flow.Steps {
		if st.ID == upTo {
			break
		}
		rec := s.Step(st.ID)
		rec.State, rec.StartedAt, rec.FinishedAt = steps.StateDone, at, at.Add(3*time.Second)
		at = at.Add(5 * time.Second)
		if st.ID == steps.StepIdentity {
			s.Account, s.Region, s.Endpoint = "111122223333", "us-east-1", "http://127.0.0.1:4566"
		}
	}
	if upTo != steps.StepIdentity && upTo != "" {
		s.SetInput("nlb", "arn:nlb/web")
		s.SetInput("principals", "444455556666")
	}
	return s
}

// harness drives a Model the way a program does, on the test's goroutine:
// commands run in goroutines and their messages come back to Update one at
// a time.
type harness struct {
	t testing.TB
	m *Model
	pump
}

// pump runs commands in goroutines and queues their messages on msgs
// until done is closed; batches and sequences are unpacked.
type pump struct {
	msgs chan tea.Msg
	done chan struct{}
}

func newPump() pump { return pump{msgs: make(chan tea.Msg, 64), done: make(chan struct{})} }

func newHarness(t testing.TB, m *Model, w, h int) *harness {
	t.Helper()
	hs := &harness{t: t, m: m, pump: newPump()}
	t.Cleanup(func() {
		// Stop the work in flight and let it finish before the session's
		// directory goes.
		m.Stop()
		deadline := time.After(5 * time.Second)
		for !m.engineDone {
			select {
			case msg := <-hs.msgs:
				// The engine stops at its next call or question; what
				// it shows on the way is taken until it returns.
				_, cmd := m.Update(msg)
				hs.run(cmd)
			case <-deadline:
				t.Error("the engine still runs after Stop")
				m.engineDone = true
			}
		}
		close(hs.done)
	})
	m.SetSize(w, h)
	hs.run(m.Init())
	return hs
}

func (h pump) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() { h.deliver(cmd()) }()
}

func (h pump) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
		return
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
		return
	}
	if cmds, ok := sliceOfCmds(msg); ok {
		for _, c := range cmds {
			if c != nil {
				h.deliver(c())
			}
		}
		return
	}
	select {
	case h.msgs <- msg:
	case <-h.done:
	}
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) key(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// until feeds messages to the Model until cond holds.
func (h *harness) until(what string, cond func(m *Model) bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond(h.m) {
		select {
		case msg := <-h.msgs:
			_, cmd := h.m.Update(msg)
			h.run(cmd)
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, plain(h.m.View()))
		}
	}
}

// untilScreen waits until the plain screen shows s.
func (h *harness) untilScreen(s string) {
	h.t.Helper()
	h.until(fmt.Sprintf("%q on screen", s), func(m *Model) bool { return strings.Contains(plain(m.View()), s) })
}

func inPhase(id string, p phase) func(m *Model) bool {
	return func(m *Model) bool { return m.cur != nil && m.cur.st.ID == id && m.cur.phase == p && !m.busy }
}

// plain is a frame with the colour profile pinned to NoTTY: text only.
func plain(s string) string {
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.NoTTY}
	_, _ = w.Write([]byte(s))
	return b.String()
}
