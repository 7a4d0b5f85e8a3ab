package probe_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/plwiz/plwiz/probe"
)

func sampleTarget() probe.RemoteTarget {
	return probe.RemoteTarget{Name: "api.example.com", Port: 8443, HTTPPath: "/health",
		Addresses: []netip.Addr{netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("10.0.2.5")}}
}

const sampleOutput = `PLWIZ|v1|env|ip-10-0-0-9|info|0|bash=5.2.15 getent=yes dig=no nslookup=no nc=no openssl=yes curl=yes timeout=yes
PLWIZ|v1|dns|api.example.com|ok|3|addresses=10.0.1.5 10.0.2.5 via=getent (system resolver)
PLWIZ|v1|tcp|10.0.1.5:8443|ok|1|connected
PLWIZ|v1|tls|10.0.1.5:8443|ok|12|verify=Verify return code: 0 (ok) subject=CN = api.example.com notafter=Jan  2 03:04:05 2027 GMT names=api.example.com
PLWIZ|v1|http|10.0.1.5:8443|ok|20|status=200 url=https://api.example.com:8443/health
PLWIZ|v1|tcp|10.0.2.5:8443|fail|5000|reason=timeout
PLWIZ|v1|tls|10.0.2.5:8443|skip|0|reason=tcp
PLWIZ|v1|http|10.0.2.5:8443|skip|0|reason=tcp
PLWIZ|v1|done|api.example.com|info|5040|checks=complete
`

func TestParseRemote(t *testing.T) {
	t.Parallel()
	rep, err := probe.ParseRemote("bash: warning: setlocale: LC_ALL: cannot change locale\n"+sampleOutput, sampleTarget(), "i-0abc in vpc-0def")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(verdicts(rep), " ")
	want := "dns:pass tcp:pass tls:pass http:pass tcp:fail tls:skipped http:skipped"
	if got != want {
		t.Fatalf("verdicts %s, want %s", got, want)
	}
	if r := rep.Results[2]; r.Target != "10.0.1.5:8443 (SNI api.example.com)" || !strings.Contains(r.Seen, "api.example.com, valid until Jan 2 03:04:05 2027 GMT") {
		t.Errorf("TLS result %+v", r)
	}
	if r := rep.Results[3]; r.Target != "https://api.example.com:8443/health via 10.0.1.5:8443" || r.Seen != "status 200" {
		t.Errorf("HTTP result %+v", r)
	}
	if r := rep.Results[4]; r.Seen != "no answer within 5s" || r.Hint == "" {
		t.Errorf("TCP failure %+v", r)
	}
}

func TestParseRemoteRejects(t *testing.T) {
	t.Parallel()
	tg := sampleTarget()
	cases := map[string]string{
		"other name":    "PLWIZ|v1|dns|evil.example.org|ok|1|addresses=1.2.3.4\n",
		"other port":    "PLWIZ|v1|tcp|10.0.1.5:22|ok|1|connected\n",
		"not an ip":     "PLWIZ|v1|tcp|example.com:8443|ok|1|connected\n",
		"bad verdict":   "PLWIZ|v1|tcp|10.0.1.5:8443|maybe|1|connected\n",
		"bad ms":        "PLWIZ|v1|tcp|10.0.1.5:8443|ok|-1|connected\n",
		"other version": "PLWIZ|v2|tcp|10.0.1.5:8443|ok|1|connected\n",
		"cut short":     "PLWIZ|v1|tcp|10.0.1.5:8443|ok\n",
		"no lines":      "Segmentation fault\n",
	}
	for name, out := range cases {
		if _, err := probe.ParseRemote(out, tg, "i-1"); err == nil || errors.Is(err, probe.ErrRemoteIncomplete) {
			t.Errorf("%s: err = %v, want the output refused", name, err)
		}
	}
	// Without the last line the checks come back with ErrRemoteIncomplete.
	cut := sampleOutput[:strings.Index(sampleOutput, "PLWIZ|v1|tcp|10.0.2.5")]
	rep, err := probe.ParseRemote(cut, tg, "i-1")
	if !errors.Is(err, probe.ErrRemoteIncomplete) || len(rep.Results) != 4 {
		t.Fatalf("cut output: %v, %d results", err, len(rep.Results))
	}
	// Control characters from the host never reach the report.
	evil := strings.Replace(sampleOutput, "status=200", "status=200\x1b[2J\x07", 1)
	rep, _ = probe.ParseRemote(evil, tg, "i-1\x1b]0;x\x07")
	for _, r := range rep.Results {
		if strings.ContainsAny(r.Seen+r.Target+r.Hint, "\x1b\x07") {
			t.Fatalf("control characters kept: %q", r.Seen)
		}
	}
	if strings.ContainsAny(rep.From, "\x1b\x07") {
		t.Fatalf("control characters kept in From: %q", rep.From)
	}
}

func TestRemoteTargetValidate(t *testing.T) {
	t.Parallel()
	ok := sampleTarget()
	if _, err := probe.RemoteScript(ok); err != nil {
		t.Fatalf("valid target: %v", err)
	}
	bad := map[string]func(*probe.RemoteTarget){
		"shell in name": func(r *probe.RemoteTarget) { r.Name = "a.example.com;reboot" },
		"quote in path": func(r *probe.RemoteTarget) { r.HTTPPath = "/x'$(reboot)'" },
		"space in path": func(r *probe.RemoteTarget) { r.HTTPPath = "/a b" },
		"bad resolver":  func(r *probe.RemoteTarget) { r.Resolver = "127.0.0.1;reboot" },
		"bad port":      func(r *probe.RemoteTarget) { r.Port = 0 },
		"not a cert": func(r *probe.RemoteTarget) {
			r.CAPEM = []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
		},
		"junk around PEM": func(r *probe.RemoteTarget) { r.CAPEM = []byte("echo hi\n") },
		"ipv6 address":    func(r *probe.RemoteTarget) { r.Addresses = []netip.Addr{netip.MustParseAddr("fd00::1")} },
		"bad sni":         func(r *probe.RemoteTarget) { r.ServerName = "x y" },
		"long timeout":    func(r *probe.RemoteTarget) { r.Timeout = 1 << 62 },
	}
	for name, f := range bad {
		tg := sampleTarget()
		f(&tg)
		if _, err := probe.RemoteScript(tg); err == nil {
			t.Errorf("%s: script made, want the target refused", name)
		}
	}
	cmds, err := probe.RemoteCommands(ok)
	if err != nil || !strings.HasPrefix(cmds[0], "plwiz_f=$(mktemp)") || !strings.HasPrefix(cmds[len(cmds)-1], `bash "$plwiz_f"`) {
		t.Fatalf("RemoteCommands: %v %q", err, cmds)
	}
}

func FuzzParseRemote(f *testing.F) {
	f.Add(sampleOutput)
	f.Add("PLWIZ|v1|dns|api.example.com|fail|1|reason=nxdomain via=dig\n")
	f.Add("PLWIZ|v1|tls|10.0.1.5:8443|fail|1|reason=verify verify=hostname mismatch names=a b c\nPLWIZ|v1|done|x|info|1|\n")
	f.Add(strings.Repeat("PLWIZ|v1|tcp|10.0.1.5:8443|ok|1|connected\n", 400))
	f.Fuzz(func(t *testing.T, out string) {
		rep, err := probe.ParseRemote(out, sampleTarget(), "i-1")
		if err != nil && !errors.Is(err, probe.ErrRemoteIncomplete) {
			return
		}
		if len(rep.Results) > 256 {
			t.Fatalf("%d results from one output", len(rep.Results))
		}
		for _, r := range rep.Results {
			for _, s := range []string{r.Target, r.Seen, r.Expected, r.Hint} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
				for _, c := range s {
					if unicode.IsControl(c) {
						t.Fatalf("control character in %q", s)
					}
				}
				if len(s) > 2000 {
					t.Fatalf("unbounded text of %d bytes", len(s))
				}
			}
			switch r.Verdict {
			case probe.Pass, probe.Fail, probe.Skipped:
			default:
				t.Fatalf("verdict %q", r.Verdict)
			}
		}
	})
}
