package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/steps"
)

func TestFlowFlagsAreValidatedBeforeAnyAWSCall(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state, "HOME": state}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"provider", "--non-interactive", "--nlb", "my-nlb"}, "--nlb: expected a network load balancer ARN"},
		{[]string{"provider", "--non-interactive", "--allow", "12345"}, `--allow: principal "12345": want a 12-digit account ID, an IAM ARN, or *`},
		{[]string{"provider", "--non-interactive", "--private-dns", "not a name"}, "--private-dns:"},
		{[]string{"consumer", "--non-interactive", "--vpc", "vpc-xyz"}, "--vpc: expected a VPC ID"},
		{[]string{"consumer", "--non-interactive", "--subnets", "subnet-1,foo"}, "--subnets: expected subnet IDs"},
		{[]string{"consumer", "--non-interactive", "--offer", "plwiz1.request.eyJ9"}, "--offer:"},
		{[]string{"consumer", "--non-interactive", "--output", "xml"}, `--output "xml": expected text or json`},
		{[]string{"consumer", "--non-interactive", "--session", "x"}, "--session goes with --resume"},
		{[]string{"consumer", "--non-interactive", "--new-endpoint"}, "--new-endpoint goes with --resume"},
		{[]string{"consumer", "--non-interactive", "--resume"}, "no unfinished consumer session"},
		{[]string{"provider", "--non-interactive", "--notify-topic", "alerts"}, "--notify-topic: expected none, new, or an SNS topic ARN"},
		{[]string{"consumer", "--non-interactive", "--notify-topic", "arn:aws:sns:us-east-1:222222222222:q.fifo"}, "--notify-topic: \"arn:aws:sns:us-east-1:222222222222:q.fifo\" is a FIFO topic"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, env, tt.args...)
			if code != exitBadInput || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitBadInput, tt.want)
			}
		})
	}
}

func TestFlowHelpListsEveryInputFlag(t *testing.T) {
	for role, flow := range map[string]*steps.Flow{"provider": steps.ProviderFlow(), "consumer": steps.ConsumerFlow()} {
		_, out, _ := runCLI(t, nil, role, "--help")
		for _, st := range flow.Steps {
			for _, in := range st.Inputs {
				if in.Flag != "" && !strings.Contains(out, "--"+in.Flag) {
					t.Errorf("plwiz %s --help lacks --%s", role, in.Flag)
				}
			}
		}
		for _, f := range []string{"--non-interactive", "--resume", "--session", "--output", "--wait-timeout", "--yes"} {
			if !strings.Contains(out, f) {
				t.Errorf("plwiz %s --help lacks %s", role, f)
			}
		}
	}
}

func TestTeardownAsksFirst(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "plwiz")
	s, err := steps.NewSession(dir, steps.RoleConsumer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Account, s.Region = "222222222222", "us-east-1"
	s.SetResource(steps.ResEndpointID, "vpce-0123456789abcdef0")
	if err := s.Save(time.Now()); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := map[string]string{"XDG_STATE_HOME": state}
	code := run(context.Background(), []string{"teardown", "--session", s.ID}, streams{in: strings.NewReader("n\n"), out: &out, err: &errb}, func(k string) string { return env[k] })
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	for _, want := range []string{"delete interface endpoint vpce-0123456789abcdef0", "Go ahead? This cannot be undone. [y/N]", "nothing deleted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	code, _, stderr := runCLI(t, env, "teardown")
	if code != exitBadInput || !strings.Contains(stderr, "--session is required") {
		t.Errorf("teardown without --session: %d %q", code, stderr)
	}
}

func TestSessionsListsWhereEachStopped(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "plwiz")
	s, err := steps.NewSession(dir, steps.RoleProvider, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.Step(steps.StepIdentity).State = steps.StateDone
	s.Step(steps.StepChooseNLB).State = steps.StateFailed
	if err := s.Save(time.Now()); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, map[string]string{"XDG_STATE_HOME": state}, "sessions")
	if code != 0 || !strings.Contains(out, s.ID) || !strings.Contains(out, `at "Choose the Network Load Balancer" (failed)`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestFlagsTakeWhatUsersPaste: a token broken over lines, fenced or quoted
// by a chat client is taken from --offer as from a file, and legacy IDs
// from --service-id; flags are applied in step order, so the error about a
// later flag shows the earlier one was accepted. A real control character
// is refused, named by code point.
func TestFlagsTakeWhatUsersPaste(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state, "HOME": state}
	tok := readFixture(t, "../../handoff/testdata/offer.token.golden")
	var wrapped []string
	for s := tok; s != ""; {
		n := min(len(s), 40)
		wrapped, s = append(wrapped, s[:n]), s[n:]
	}
	for name, offer := range map[string]string{
		"line breaks":    strings.Join(wrapped, "\n"),
		"code fence":     "```\n" + strings.Join(wrapped, "\n") + "\n```",
		"chat quote":     "> " + strings.Join(wrapped, "\n> "),
		"quotes, spaces": "  \u201c" + tok + "\u201d\n",
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, env, "consumer", "--non-interactive", "--offer", offer, "--vpc", "vpc-xyz")
			if code != exitBadInput || !strings.Contains(stderr, "--vpc: expected a VPC ID") || strings.Contains(stderr, "--offer") {
				t.Errorf("exit %d, stderr %q; want --offer taken and --vpc refused", code, stderr)
			}
		})
	}
	code, _, stderr := runCLI(t, env, "consumer", "--non-interactive", "--offer", tok[:20]+"\x1b[31m"+tok[20:])
	if want := "--offer: offer: token: expected a token without control characters (was a terminal's escape sequence copied with it? copy the token again), found U+001B ESCAPE at byte 20"; code != exitBadInput || !strings.Contains(stderr, want) {
		t.Errorf("escape in --offer: exit %d, stderr %q; want %q", code, stderr, want)
	}
	code, _, stderr = runCLI(t, env, "provider", "--non-interactive", "--private-dns", "api.example.com\x1b[0m")
	if want := "--private-dns: found a control character, U+001B ESCAPE at byte 15; give plain text"; code != exitBadInput || !strings.Contains(stderr, want) {
		t.Errorf("escape in --private-dns: exit %d, stderr %q; want %q", code, stderr, want)
	}
	code, _, stderr = runCLI(t, env, "provider", "--non-interactive", "--service-id", "vpce-svc-1234abcd", "--allow", "12345")
	if code != exitBadInput || !strings.Contains(stderr, "--allow:") || strings.Contains(stderr, "--service-id") {
		t.Errorf("legacy --service-id: exit %d, stderr %q; want it taken and --allow refused", code, stderr)
	}
	code, _, stderr = runCLI(t, env, "provider", "--non-interactive", "--service-id", "vpce-svc-1234abc")
	if want := `--service-id: expected an endpoint service ID (vpce-svc- and 8 or 17 hex digits), found "vpce-svc-1234abc"`; code != exitBadInput || !strings.Contains(stderr, want) {
		t.Errorf("short --service-id: exit %d, stderr %q; want %q", code, stderr, want)
	}
}

// TestTornDownSessionIsListedAndNeverResumed: after plwiz teardown, plwiz
// sessions says the session is torn down, in text and in JSON, and
// --resume passes it by.
func TestTornDownSessionIsListedAndNeverResumed(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state, "HOME": state}
	dir := filepath.Join(state, "plwiz")
	torn, err := steps.NewSession(dir, steps.RoleConsumer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	torn.Step(steps.StepIdentity).State = steps.StateDone
	open, err := steps.NewSession(dir, steps.RoleProvider, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	open.Step(steps.StepIdentity).State = steps.StateDone
	open.Step(steps.StepChooseNLB).State = steps.StateFailed
	for _, s := range []*steps.Session{torn, open} {
		if err := s.Save(time.Now()); err != nil {
			t.Fatal(err)
		}
	}

	code, out, stderr := runCLI(t, env, "teardown", "--session", torn.ID)
	if code != 0 || !strings.Contains(out, "created nothing to delete; it is marked torn down") {
		t.Fatalf("teardown: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, env, "sessions")
	if code != 0 || !regexp.MustCompile(`(?m)^`+torn.ID+`\s+consumer\s+.*  torn down$`).MatchString(out) ||
		!strings.Contains(out, `at "Choose the Network Load Balancer" (failed)`) {
		t.Errorf("plwiz sessions: exit %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, env, "sessions", "--output", "json")
	var listed []struct {
		ID         string    `json:"id"`
		Role       string    `json:"role"`
		State      string    `json:"state"`
		Step       string    `json:"step"`
		StepState  string    `json:"stepState"`
		TornDownAt time.Time `json:"tornDownAt"`
	}
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil {
		t.Fatalf("plwiz sessions --output json: exit %d, %v\n%s", code, err, out)
	}
	// Teardown saved the torn-down session last, so it is listed first.
	if len(listed) != 2 || listed[0].ID != torn.ID || listed[1].ID != open.ID {
		t.Fatalf("listed %+v; want the torn-down session, then the other", listed)
	}
	if l := listed[0]; l.State != "torn down" || l.Step != "" || l.TornDownAt.IsZero() {
		t.Errorf("torn-down session listed as %+v", l)
	}
	if l := listed[1]; l.State != "in progress" || l.Step != steps.StepChooseNLB || l.StepState != "failed" {
		t.Errorf("session in progress listed as %+v", l)
	}

	code, _, stderr = runCLI(t, env, "consumer", "--non-interactive", "--resume")
	if code != exitBadInput || !strings.Contains(stderr, "no unfinished consumer session") {
		t.Errorf("--resume picked the torn-down session: exit %d %q", code, stderr)
	}
	code, _, stderr = runCLI(t, env, "consumer", "--non-interactive", "--resume", "--session", torn.ID)
	if code != exitBadInput || !strings.Contains(stderr, "session "+torn.ID+" was torn down on ") || !strings.Contains(stderr, "start a new session") {
		t.Errorf("--resume --session of a torn-down session: exit %d %q", code, stderr)
	}
	code, _, stderr = runCLI(t, env, "sessions", "--output", "yaml")
	if code != exitBadInput || !strings.Contains(stderr, `--output "yaml": expected text or json`) {
		t.Errorf("sessions --output yaml: exit %d %q", code, stderr)
	}
}
