package probe

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleReport has every kind of line the renderer draws.
func sampleReport() Report {
	cmd := "plwiz check --name api.example.com --port 443 --addresses 10.0.1.5,10.0.2.5 --ca '/tmp/my ca.pem' --http /health"
	return Report{
		Name: "api.example.com", Port: 443, OutsideVPC: true, Command: cmd,
		Results: []Result{
			{Step: StepDNS, Target: "api.example.com", Verdict: Fail, Expected: "the endpoint's addresses 10.0.1.5, 10.0.2.5",
				Seen: "no such name (NXDOMAIN, or no A/AAAA records)", Duration: 12*time.Millisecond + 400*time.Microsecond,
				Hint: "api.example.com does not resolve with the system resolver. From a host inside the VPC run: " + cmd},
			{Step: StepDNS, Target: regional, Verdict: Pass, Expected: "some of the endpoint's addresses 10.0.1.5, 10.0.2.5",
				Seen: "10.0.1.5, 10.0.2.5", Duration: 3 * time.Millisecond},
			{Step: StepTCP, Target: "10.0.1.5:443", Verdict: Pass, Expected: "a connection accepted within 5s",
				Seen: "connection accepted", Duration: 800 * time.Microsecond},
			{Step: StepTCP, Target: "10.0.2.5:443", Verdict: Fail, Expected: "a connection accepted within 5s",
				Seen: "no answer within 5s", Duration: 5 * time.Second,
				Hint: "connections to 10.0.2.5:443 get no answer: the endpoint's security group must allow TCP 443 from this host"},
			{Step: StepTLS, Target: "10.0.1.5:443 (SNI api.example.com)", Verdict: Pass,
				Expected: "a certificate for api.example.com, chaining to the CA in /tmp/my ca.pem, valid now",
				Seen:     "TLS 1.3; certificate for api.example.com; issued by CN=Example CA; valid 2025-10-01 to 2026-01-10",
				Duration: 15 * time.Millisecond, Warning: "the certificate expires in 8 days (2026-01-10): the provider should renew it soon"},
			{Step: StepTLS, Target: "10.0.2.5:443 (SNI api.example.com)", Verdict: Skipped,
				Expected: "a certificate for api.example.com", Seen: "not run: TCP to 10.0.2.5:443 failed"},
			{Step: StepHTTP, Target: "https://api.example.com/health via 10.0.1.5:443", Verdict: Fail, Expected: "a status in 200-399",
				Seen: "status 503 Service Unavailable, body \"down\x1b[31m\"", Duration: 12 * time.Second,
				Hint: "the service answered through the endpoint but failed"},
		},
	}
}

func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "report.txt.golden"), b.Bytes())
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "report.json.golden"), b.Bytes())
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./probe -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./probe -update after an intended change)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestTextStripsControlCharacters(t *testing.T) {
	rep := Report{Results: []Result{{Step: StepHTTP, Target: "x\x1b]0;t\x07", Verdict: Fail, Seen: "a\u009b2Jb\r\nc",
		Expected: "e\x00", Hint: "h\x1b[1m", Warning: "w\u202e"}}, OutsideVPC: true, Command: "plwiz\x1b[2J"}
	var b bytes.Buffer
	if err := WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsFunc(strings.ReplaceAll(out, "\n", ""), func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u202e' }) {
		t.Errorf("text output holds control characters: %q", out)
	}
	wantContains(t, "text", out, "seen a2Jb  c;", "hint: h[1m", "warning: w\n")
	b.Reset()
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("\u009b")) || bytes.Contains(b.Bytes(), []byte(`\u001b`)) {
		t.Errorf("JSON output holds control characters: %s", b.Bytes())
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rep := sampleReport()
	rep.Results[6].Seen = `status 503 Service Unavailable, body "down[31m"` // what sanitize leaves
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rep) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, rep)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "port", "ok", "passed", "failed", "skipped", "outside_vpc", "command", "results"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("report JSON has no %q", k)
		}
	}
	if fields["ok"] != false || fields["failed"] != float64(3) {
		t.Errorf("ok=%v failed=%v, want false and 3", fields["ok"], fields["failed"])
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0ms", 400 * time.Microsecond: "0ms", 1500 * time.Microsecond: "2ms", 999 * time.Millisecond: "999ms", 5 * time.Second: "5s", 9999 * time.Millisecond: "10s",
		12340 * time.Millisecond: "12.3s", 2 * time.Minute: "2m0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain":              "plain",
		"tab\there":          "tab here",
		"line\nbreak\r":      "line break ",
		"\x1b[31mred\x1b[0m": "[31mred[0m",
		"del\x7f":            "del",
		"c1\u0085\u009b":     "c1",
		"bidi\u202eevil":     "bidievil",
		"bad\xffutf8":        "bad\uFFFDutf8",
		"ünïcode ✓":          "ünïcode ✓",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "a\x1bb", "\u009b", "\xff\xfe", "ok ✓"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitize(s)
		if hasControl(out) {
			t.Errorf("sanitize(%q) = %q still holds control characters", s, out)
		}
		if sanitize(out) != out {
			t.Errorf("sanitize is not idempotent on %q", s)
		}
	})
}
