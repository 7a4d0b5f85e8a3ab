package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// inspectCLI runs plwiz inspect with args and stdin.
func inspectCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"inspect"}, args...),
		streams{in: strings.NewReader(stdin), out: &out, err: &errb}, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestInspect: what plwiz inspect shows for valid and invalid bundles, in
// both outputs, and its exit codes. The report is the feature, so it is
// compared whole with testdata/TestInspect/*.golden (go test -update
// rewrites them).
func TestInspect(t *testing.T) {
	const (
		offerFile   = "../../handoff/testdata/offer.json.golden"
		requestFile = "../../handoff/testdata/request.json.golden"
	)
	offerTok := readFixture(t, "../../handoff/testdata/offer.token.golden")
	requestTok := readFixture(t, "../../handoff/testdata/request.token.golden")
	var wrapped strings.Builder
	for s := requestTok; s != ""; {
		n := min(len(s), 60)
		wrapped.WriteString("> " + s[:n] + "\n")
		s = s[n:]
	}
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"valid offer file", "", []string{offerFile}, 0},
		{"valid offer as JSON", "", []string{"--output", "json", offerFile}, 0},
		{"valid request token quoted and wrapped by a chat", "", []string{"```\n" + wrapped.String() + "```"}, 0},
		{"valid request file", "", []string{requestFile}, 0},
		{"legacy IDs and an SSO session in aws-eusc", "", []string{"testdata/inspect/legacy-request.json"}, 0},
		{"valid token on standard input", "  " + offerTok + "\n", []string{"-"}, 0},
		{"invalid request file", "", []string{"testdata/inspect/bad-request.json"}, 2},
		{"invalid request as JSON", "", []string{"--output", "json", "testdata/inspect/bad-request.json"}, 2},
		{"token cut short", "", []string{offerTok[:100]}, 2},
		{"token with an escape sequence", "", []string{offerTok[:30] + "\x1b[31m" + offerTok[30:]}, 2},
		{"token of a newer plwiz", "", []string{"plwiz2.offer.eyJ9"}, 2},
		{"not a bundle on standard input", "hello there\n", []string{"-"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := inspectCLI(t, c.stdin, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, errOut)
			}
			if errOut != "" {
				t.Errorf("stderr %q; the report goes to stdout", errOut)
			}
			if strings.ContainsFunc(out, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f) }) {
				t.Errorf("the report holds a control character:\n%q", out)
			}
			golden.RequireEqual(t, out)
		})
	}
}

func TestInspectUnreadable(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(dir, "nope.json")}, "plwiz: inspect: read " + filepath.Join(dir, "nope.json") +
			": no such file or directory (give the path of the offer or request file, or the token itself)\n"},
		{[]string{dir}, "plwiz: inspect: read " + dir + ": not a regular file (give the path of the offer or request file, or the token itself)\n"},
		{[]string{"  "}, "plwiz: inspect: expected a bundle file, a token, or - for standard input; found nothing\n"},
		{[]string{"--output", "xml", "offer.json"}, "plwiz: --output \"xml\": expected text or json\n"},
		{[]string{}, "plwiz: accepts 1 arg(s), received 0\n"},
	} {
		code, out, errOut := inspectCLI(t, "", c.args...)
		if code != exitBadInput || errOut != c.want || out != "" {
			t.Errorf("inspect %q: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}
