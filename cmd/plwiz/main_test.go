package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs plwiz in-process with the given args and environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(context.Background(), args, streams{in: strings.NewReader(""), out: &out, err: &errb}, getenv)
	return code, out.String(), errb.String()
}

func TestHelpListsCommandsAndFlags(t *testing.T) {
	code, out, _ := runCLI(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"provider", "consumer", "demo", "sandbox", "check", "version", "completion",
		"--profile", "--region", "--endpoint-url", "--log-file", "--no-color", "AWS_ENDPOINT_URL", "NO_COLOR"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %q:\n%s", want, out)
		}
	}
}

func TestVersionPrintsVersionAndCommit(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 {
		t.Fatalf("version exit %d", code)
	}
	if !regexp.MustCompile(`^plwiz \S+ \(commit \S+\)\n$`).MatchString(out) {
		t.Fatalf("version printed %q", out)
	}
}

func TestVersionUsesLinkerCommit(t *testing.T) {
	old := commit
	commit = "abc123def456"
	t.Cleanup(func() { commit = old })
	_, out, _ := runCLI(t, nil, "version")
	if !strings.Contains(out, "commit abc123def456") {
		t.Fatalf("version printed %q, want the linker's commit", out)
	}
}

func TestBadGlobalFlagsAreBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"region", nil, []string{"--region", "bogus", "version"}, `--region "bogus" is not an AWS region name`},
		{"endpoint scheme", nil, []string{"--endpoint-url", "127.0.0.1:4566", "version"}, "must start with http:// or https://"},
		{"endpoint from env", map[string]string{"AWS_ENDPOINT_URL": "ftp://x"}, []string{"version"}, `--endpoint-url "ftp://x"`},
		{"control characters", nil, []string{"--profile", "a\x1b[2Jb", "version"}, "--profile contains control characters"},
		{"unknown flag", nil, []string{"--nope"}, "unknown flag: --nope (see --help)"},
		{"extra argument", nil, []string{"version", "extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, tt.args...)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d", code, exitBadInput)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.want)
			}
		})
	}
}

// TestRegionFlag: --region takes the regions of every partition.
func TestRegionFlag(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-4", "cn-north-1", "eusc-de-east-1", "us-isob-east-1"} {
		if code, _, errOut := runCLI(t, nil, "--region", r, "version"); code != 0 {
			t.Errorf("--region %s: exit %d: %s", r, code, errOut)
		}
	}
	for _, r := range []string{"us-east", "US-EAST-1", "us-east-x", "us--1", "us-east-1-"} {
		if code, _, _ := runCLI(t, nil, "--region", r, "version"); code != 2 {
			t.Errorf("--region %s: exit %d, want 2", r, code)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, _ := runCLI(t, nil, "completion", shell)
		if code != 0 || !strings.Contains(out, "plwiz") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(out))
		}
	}
}
