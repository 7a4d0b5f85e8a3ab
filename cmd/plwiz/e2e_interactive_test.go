package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/steps"
)

// interactiveBudget bounds the two terminals' walk (the build of the
// binary is bounded on its own).
const interactiveBudget = 3 * time.Minute

// terminal is one party's tmux window, driven as a user would: wait for
// the screen to show something, then press keys.
type terminal struct {
	*tmuxReplay
	ctx  context.Context
	name string
}

// see waits until the whole screen matches every pattern and returns it.
func (p *terminal) see(patterns ...string) string {
	p.t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, s := range patterns {
		res[i] = regexp.MustCompile(s)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	for {
		screen := p.capture()
		ok := true
		for _, re := range res {
			ok = ok && re.MatchString(screen)
		}
		if ok {
			return screen
		}
		select {
		case <-ctx.Done():
			p.t.Fatalf("the %s's screen never showed %q:\n%s", p.name, patterns, screen)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// press sends tmux key names (Enter, C-a) or single letters.
func (p *terminal) press(keys ...string) {
	p.t.Helper()
	for _, k := range keys {
		if _, err := p.run("send-keys", "-t", p.target, k); err != nil {
			p.t.Fatal(err)
		}
	}
}

// write types text as it is.
func (p *terminal) write(text string) {
	p.t.Helper()
	if _, err := p.run("send-keys", "-t", p.target, "-l", "--", text); err != nil {
		p.t.Fatal(err)
	}
}

// paste pastes text as a terminal does with bracketed paste, line breaks
// and all (a token selected with the mouse).
func (p *terminal) paste(text string) {
	p.t.Helper()
	f := filepath.Join(p.t.TempDir(), "paste")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.run("load-buffer", "-b", p.name, f); err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.run("paste-buffer", "-p", "-d", "-b", p.name, "-t", p.target); err != nil {
		p.t.Fatal(err)
	}
}

// at waits for the screen to match, then presses keys.
func (p *terminal) at(pattern string, keys ...string) string {
	p.t.Helper()
	screen := p.see(pattern)
	p.press(keys...)
	return screen
}

// withPath is env with dir first on its PATH.
func withPath(env []string, dir string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + dir + string(os.PathListSeparator) + v
		}
		out = append(out, kv)
	}
	return out
}

// TestInteractiveTwoTerminalsAgainstPlwizSandbox plays both parties of the
// real wizard (not the demo) in two tmux terminals against plwiz sandbox,
// as two teams would: the provider at 120x40 picks the NLB from the loaded
// choices, is asked whether to require acceptance and takes the proposed
// Yes, allows the consumer's account, asks for live updates (a new topic
// proposed and taken), names api.example.com, lets plwiz write the TXT
// record (the proposed answer), and exports the offer; the consumer at 80x24
// pastes the offer's token as selected with the mouse, leaves with ctrl+c
// and comes back with --resume, picks its VPC and subnets from the loaded
// choices, takes the VPC DNS fix, creates the endpoint, asks for live
// updates and exports the request; the provider imports it by its path
// and accepts with a, which wakes the consumer's wait through its queue; the
// consumer turns private DNS on and passes the connectivity test, asking
// for /health over HTTP too. The sessions hold the answers given.
func TestInteractiveTwoTerminalsAgainstPlwizSandbox(t *testing.T) {
	tmux := needTmux(t)
	bin := buildPlwiz(t)
	ctx, cancel := context.WithTimeout(context.Background(), interactiveBudget)
	defer cancel()
	sp := startSandboxProcess(t, ctx, bin)

	// The terminals' folders go once tmux is gone; a wizard killed with
	// it may still be saving its session for a moment.
	dir, err := os.MkdirTemp("", "plwiz-interactive-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for try := 0; ; try++ {
			err := os.RemoveAll(dir)
			if err == nil || try == 50 {
				if err != nil {
					t.Error(err)
				}
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	binDir := filepath.Dir(bin)
	srv := &tmuxReplay{t: t, tmux: tmux, sock: filepath.Join(dir, "tmux.sock"), env: replayEnv(binDir, t.TempDir(), dir)}
	srv.start(80, 24, dir)
	term := func(party string, w, h int) (*terminal, string) {
		home := filepath.Join(dir, party)
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		win := srv.window(party, w, h, withPath(sp.partyEnv(party, home), binDir), home)
		return &terminal{tmuxReplay: win, ctx: ctx, name: party}, home
	}
	prov, _ := term("provider", 120, 40)
	cons, consHome := term("consumer", 80, 24)

	// The provider, to the offer.
	prov.write("plwiz provider")
	prov.press("Enter")
	prov.see(`Ask AWS STS which account`, `Press enter to go ahead`)
	prov.press("Enter")
	prov.at(`✓ account 111111111111`, "Enter")
	// The load balancers are a multi-select: x picks the first, then the
	// IP address types the service supports (ipv4 proposed).
	prov.at(`> \[ \] plwiz-demo-nlb`, "x")
	prov.press("Enter")
	prov.at(`IP address types the service supports`, "Enter")
	// The load balancer check: each AZ's targets, then on.
	prov.see(`✓ port 8443: healthy targets in use1-az1 \(us-east-1a\)`, `1 of 1 healthy: i-`)
	prov.at(`✓ plwiz-demo-nlb: every AZ has a healthy target`, "Enter")
	// Create-service asks what the design leaves to the provider:
	// acceptance (Yes proposed), an existing service to adopt (none), and
	// other regions to support (none).
	prov.see(`Require acceptance of each connection`, `With acceptance on, you approve each consumer`, `Existing endpoint service \(optional\)`,
		`Other regions consumers may connect from \(optional\)`, `y Yes`)
	prov.press("Enter")
	prov.press("Enter")
	prov.at(`enter submit`, "Enter")
	prov.see(`Create a VPC endpoint service in front of`, `Press enter to go ahead`)
	prov.press("Enter")
	prov.at(`✓ com\.amazonaws\.vpce\.`, "Enter")
	prov.see(`Account IDs \(222222222222\)`)
	prov.write("222222222222")
	prov.press("Enter")
	// Live updates: yes; the topic then proposed is a new one.
	prov.at(`Live updates while waiting for the consumer's endpoint`, "y")
	prov.see(`Send the connection events of the service to`, `> a new topic, plwiz-provider-`, `none`)
	prov.press("Enter")
	prov.see(`Create the SNS topic plwiz-provider-`, `Live updates: create the SQS queue`, `Press enter to go ahead`)
	prov.press("Enter")
	prov.at(`✓ Connect, Accept, Reject and Delete events of service vpce-svc-`, "Enter")
	prov.see(`Private DNS name \(optional\)`)
	prov.write("api.example.com")
	prov.press("Enter")
	// Whether plwiz writes the TXT record: Yes proposed, since the step
	// before found the public zone; enter takes it, and the record is
	// written.
	prov.at(`Write the record to Route 53 now`, "Enter")
	prov.see(`plwiz writes it to the public zone example\.com`, `Press enter to go ahead`)
	prov.press("Enter")
	prov.at(`✓ Route 53 change is INSYNC`, "Enter")
	prov.at(`Write the offer to`, "Enter")
	prov.at(`One-line token`, "t")
	screen := prov.see(`The token alone`)
	lines := strings.Split(screen, "\n")
	var selection []string // what a mouse selection of the token gives
	for _, l := range lines[2:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		selection = append(selection, l)
	}
	if len(selection) == 0 || !strings.HasPrefix(selection[0], "plwiz1.offer.") {
		t.Fatalf("no token alone on the provider's screen:\n%s", screen)
	}
	prov.press("x")
	prov.at(`One-line token`, "Enter")
	prov.see(`Request file or token`)

	// The consumer imports the offer from the pasted token, checks the
	// service, and leaves.
	cons.write("plwiz consumer")
	cons.press("Enter")
	cons.see(`Ask AWS STS which account`, `Press enter to go ahead`)
	cons.press("Enter")
	cons.at(`✓ account 222222222222`, "Enter")
	cons.see(`Offer file or token`)
	cons.paste(strings.Join(selection, "\n") + "\n")
	cons.press("Enter")
	cons.at(`from account`, "Enter")
	cons.at(`6 passed, 0 failed`, "Enter")
	cons.see(`consumer-vpc`)
	cons.press("C-c")
	cons.at(`Leave plwiz\?`, "y")
	cons.waitPrompt()
	cons.see(`session consumer-\S+ saved\. Resume with: plwiz`)

	// Back with --resume: VPC, then the subnets loaded for it.
	cons.write("plwiz consumer --resume")
	cons.press("Enter")
	cons.at(`> vpc-\S+ consumer-vpc`, "Enter")
	cons.see(`✓ VPC: vpc-`, `Subnets \(one per AZ\)`, `subnet-`)
	cons.press("C-a", "Enter")
	// ipv4 is proposed (one subnet has no IPv6 block), its records too.
	cons.at(`Endpoint IP address type`, "Enter")
	cons.at(`DNS record IP type`, "Enter")
	cons.at(`Security group`, "Enter")
	cons.at(`f: turn on DNS support and hostnames`, "f")
	cons.at(`\? turn on DNS support and hostnames`, "y")
	cons.at(`\d passed, 0 failed`, "Enter")
	cons.see(`Create an interface endpoint to`, `Press enter to go ahead`)
	cons.press("Enter")
	cons.at(`\(pendingAcceptance\), private DNS off`, "Enter")
	// Live updates for the consumer too: its wait for acceptance is woken
	// by the Accept event (its own next look would be minutes away).
	cons.at(`Live updates while waiting for the provider`, "y")
	cons.at(`> a new topic, plwiz-consumer-`, "Enter")
	cons.at(`Press enter to go ahead`, "Enter")
	cons.at(`✓ Connect, Accept, Reject and Delete events of endpoint`, "Enter")
	cons.at(`Write the request to`, "Enter")
	cons.at(`Written to`, "Enter")
	cons.see(`waiting for the provider`)
	requests, err := filepath.Glob(filepath.Join(consHome, "request-vpce-*.json"))
	if err != nil || len(requests) != 1 {
		t.Fatalf("the consumer's request files: %v, %v", requests, err)
	}

	// The provider imports the request by its path and accepts.
	prov.write(requests[0])
	prov.press("Enter")
	prov.at(`✓ expecting endpoint vpce-`, "Enter")
	endpoint := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(requests[0]), "request-"), ".json")
	prov.at(`★ `+endpoint+`\s+222222222222\s+pendingAcceptance`, "a")
	prov.at(`✓ Complete — press enter to continue`, "Enter")
	prov.see(`Check the load balancer again`, `✓ plwiz-demo-nlb: every AZ has a healthy target`)
	prov.press("Enter")
	prov.see(`consumers reach it at api\.example\.com:8443;`, `connection notifications to arn:aws:sns:`, `with live updates`)
	prov.press("Enter")
	prov.at(`All done`, "Enter")
	prov.see(`plwiz provider: every step is done\.`)

	// The consumer: private DNS on, then the connectivity test passes.
	cons.see(`Turn on private DNS so api\.example\.com`, `Press enter to go ahead`)
	cons.press("Enter")
	cons.at(`✓ private DNS on for `+endpoint, "Enter")
	// The connectivity test asks where it runs, proposing this host (the
	// name resolves to the endpoint here, through the sandbox's DNS), and
	// offers its optional HTTP request.
	cons.see(`Run the test from`, `this host`, `through SSM Run Command`)
	cons.press("Enter")
	cons.see(`HTTP path to request \(optional\)`)
	cons.write("/health")
	cons.press("Enter")
	screen = cons.see(`\d+ passed, 0 failed`, `✓ api\.example\.com:8443 through `+endpoint)
	for _, want := range []string{"✓ DNS api.example.com", "✓ TCP "} {
		if !strings.Contains(screen, want) {
			t.Errorf("the passing connectivity test lacks %q:\n%s", want, screen)
		}
	}
	// The checks below the fold scroll into view.
	for range 12 {
		cons.press("Down")
	}
	cons.see(`✓ TLS \S+ \(SNI api\.example\.com\)`, `certificate for api\.example\.com`, `✓ HTTP \S+/health`)
	cons.press("Enter")
	cons.at(`use api\.example\.com:8443`, "Enter")
	cons.at(`All done`, "Enter")
	cons.see(`plwiz consumer: every step is done\.`)

	// The answers are in the sessions as given: acceptance and the TXT
	// record by their proposed Yes, no existing service, the HTTP path,
	// live updates and their new topics.
	for party, want := range map[string]map[string]string{
		"provider": {steps.InAcceptance: "true", steps.InServiceID: "", steps.InWriteTXT: "true", steps.InLiveUpdates: "true", steps.InNotifyTopic: steps.NotifyNew},
		"consumer": {steps.InHTTPPath: "/health", steps.InProbeFrom: steps.ProbeLocal, steps.InLiveUpdates: "true", steps.InNotifyTopic: steps.NotifyNew},
	} {
		files, err := filepath.Glob(filepath.Join(dir, party, "state", "plwiz", party+"-*.json"))
		if err != nil || len(files) != 1 {
			t.Fatalf("the %s's session files: %v, %v", party, files, err)
		}
		sess, err := steps.LoadSession(files[0])
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if got, ok := sess.Inputs[k]; !ok || got != v {
				t.Errorf("the %s's session has %s = %q (recorded %v), want %q", party, k, got, ok, v)
			}
		}
		if !strings.HasPrefix(sess.Resource(steps.ResNotification), "vpce-nfn-") || sess.Resource(steps.ResEventsSubscribe) == "" {
			t.Errorf("the %s's session made no notification or subscription: %v", party, sess.Resources)
		}
	}
}
