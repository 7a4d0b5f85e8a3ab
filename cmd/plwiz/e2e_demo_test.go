package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// replayBudget bounds the replay of demo.tape (the binary's build is
// bounded on its own).
const replayBudget = 2 * time.Minute

// replaySleepCap shortens the tape's Sleeps: they pace the recording for
// people, while the Waits keep the replay in step with the screen.
const replaySleepCap = 150 * time.Millisecond

// passedRE is the consumer's passing connectivity test on screen.
var passedRE = regexp.MustCompile(`Connectivity test — every check passed`)

// TestDemoTapeReplaysInTmux builds the real plwiz, starts it from a shell
// in tmux as demo.tape does, sends the tape's keystrokes and waits for
// each screen the tape waits for. It fails if the screen never shows the
// passing connectivity test, if the demo does not leave cleanly, or if it
// leaves its temporary folder behind.
func TestDemoTapeReplaysInTmux(t *testing.T) {
	tmux := needTmux(t)
	f, err := os.Open(filepath.Join("..", "..", "demo.tape"))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := parseTape(f)
	f.Close()
	if err != nil {
		t.Fatalf("demo.tape: %v", err)
	}
	if !tapeWaitsFor(tp, passedRE.String()) {
		t.Fatalf("demo.tape never waits for the passing connectivity test (/%s/)", passedRE)
	}

	dir := t.TempDir()
	bin := filepath.Dir(buildPlwiz(t))
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}

	r := &tmuxReplay{t: t, tmux: tmux, sock: filepath.Join(dir, "tmux.sock"), env: replayEnv(bin, tmp, dir)}
	r.start(tp.width, tp.height, dir)
	ctx, cancel := context.WithTimeout(context.Background(), replayBudget)
	defer cancel()
	passed := false
	for _, c := range tp.cmds {
		screen, err := r.do(ctx, c)
		if err != nil {
			t.Fatalf("demo.tape %s: %v\nscreen:\n%s", c, err, screen)
		}
		if c.name == "Wait" && passedRE.MatchString(screen) {
			passed = true
			if !regexp.MustCompile(`\d+ passed, 0 failed`).MatchString(screen) {
				t.Errorf("the banner says every check passed, but the checks do not:\n%s", screen)
			}
		}
	}
	if !passed {
		t.Fatalf("the screen never showed the passing connectivity test; last screen:\n%s", r.capture())
	}
	// The demo has left: the shell has the terminal again and the
	// demo's folder (sandbox CA, sessions, bundles) is gone.
	if err := r.waitScreen(ctx, regexp.MustCompile(`(?m)^\$ ?$`), false); err != nil {
		t.Fatalf("no shell prompt after the demo: %v\n%s", err, r.capture())
	}
	left, err := filepath.Glob(filepath.Join(tmp, "plwiz-demo-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("the demo left %v behind (%v)", left, err)
	}
}

// needTmux finds tmux, or skips the test: CI installs it, so there its
// absence is a failure.
func needTmux(t *testing.T) string {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed; .ci/run installs it (apt-get install tmux)")
		}
		t.Skip("tmux is not installed (CI installs it and this test then runs)")
	}
	return tmux
}

func tapeWaitsFor(tp *tape, pattern string) bool {
	for _, c := range tp.cmds {
		if c.name == "Wait" && strings.Contains(c.re.String(), pattern) {
			return true
		}
	}
	return false
}

// replayEnv is the shell's environment: plwiz first on PATH, a temporary
// folder of the test's own, no colour (the screen is read
// as text) and nothing of an enclosing tmux.
func replayEnv(bin, tmp, home string) []string {
	env := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TMPDIR=" + tmp, "HOME=" + home, "TERM=xterm-256color", "LANG=C.UTF-8", "NO_COLOR=1",
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
	}
	for _, k := range []string{"GOCACHE", "GOPATH", "GOROOT"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// tmuxReplay drives one tmux server of the test's own (its own socket),
// typing into and reading one of its windows (target).
type tmuxReplay struct {
	t      *testing.T
	tmux   string
	sock   string
	env    []string
	target string
	rc     string // the shell's rc file
}

func (r *tmuxReplay) run(args ...string) (string, error) {
	cmd := exec.Command(r.tmux, append([]string{"-S", r.sock}, args...)...)
	cmd.Env = r.env
	b, err := cmd.CombinedOutput()
	if err != nil {
		return string(b), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, b)
	}
	return string(b), nil
}

func (r *tmuxReplay) start(w, h int, dir string) {
	r.t.Helper()
	// bash takes its prompt from an rc file of ours, not from the
	// environment (root's bash ignores an inherited PS1).
	r.rc = filepath.Join(dir, "bashrc")
	// No history file: a shell killed with the server would write it into
	// the test's folder while that folder is being removed.
	if err := os.WriteFile(r.rc, []byte("PS1='$ '\nunset HISTFILE\n"), 0o600); err != nil {
		r.t.Fatal(err)
	}
	r.target = "demo"
	if _, err := r.run("-f", "/dev/null", "new-session", "-d", "-s", "demo", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"bash --noprofile --rcfile "+r.rc); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(r.stop)
	r.waitPrompt()
}

// stop kills the tmux server and waits until it has gone (its socket
// removed), so the test's folder is not written to while it is removed.
func (r *tmuxReplay) stop() {
	_, _ = r.run("kill-server")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(r.sock); errors.Is(err, os.ErrNotExist) {
			return
		}
	}
}

// window opens another terminal in the same tmux server, w×h, whose shell
// has env on top of the server's and starts in dir, and returns a replay
// that types into it.
func (r *tmuxReplay) window(name string, w, h int, env []string, dir string) *tmuxReplay {
	r.t.Helper()
	args := []string{"new-window", "-d", "-t", "demo", "-n", name, "-c", dir}
	for _, kv := range env {
		args = append(args, "-e", kv)
	}
	if _, err := r.run(append(args, "bash --noprofile --rcfile "+r.rc)...); err != nil {
		r.t.Fatal(err)
	}
	win := *r
	win.target = "demo:" + name
	if _, err := win.run("resize-window", "-t", win.target, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)); err != nil {
		r.t.Fatal(err)
	}
	win.waitPrompt()
	return &win
}

func (r *tmuxReplay) waitPrompt() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.waitScreen(ctx, regexp.MustCompile(`^\$ ?$`), false); err != nil {
		r.t.Fatalf("no shell prompt in tmux: %v\n%s", err, r.capture())
	}
}

func (r *tmuxReplay) capture() string {
	out, err := r.run("capture-pane", "-p", "-t", r.target)
	if err != nil {
		return err.Error()
	}
	return out
}

// do runs one tape command and returns the screen it ended on.
func (r *tmuxReplay) do(ctx context.Context, c tapeCmd) (string, error) {
	var err error
	switch c.name {
	case "Type":
		_, err = r.run("send-keys", "-t", r.target, "-l", "--", c.text)
	case "Key":
		for range c.n {
			if _, err = r.run("send-keys", "-t", r.target, c.text); err != nil {
				break
			}
		}
	case "Ctrl":
		_, err = r.run("send-keys", "-t", r.target, "C-"+c.text)
	case "Sleep":
		time.Sleep(min(c.dur, replaySleepCap))
	case "Wait":
		wctx, cancel := context.WithTimeout(ctx, c.dur)
		defer cancel()
		err = r.waitScreen(wctx, c.re, c.screen)
	default:
		err = fmt.Errorf("cannot replay %s", c.name)
	}
	return r.capture(), err
}

// waitScreen polls the pane until re matches the whole screen (or its
// last non-blank line, as VHS's plain Wait does).
func (r *tmuxReplay) waitScreen(ctx context.Context, re *regexp.Regexp, screen bool) error {
	for {
		s := r.capture()
		target := s
		if !screen {
			lines := strings.Split(strings.TrimRight(s, "\n "), "\n")
			target = lines[len(lines)-1]
		}
		if re.MatchString(target) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the screen never matched /%s/: %w", re, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
