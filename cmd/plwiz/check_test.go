package main

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// checkDNS serves A records for names on 127.0.0.1 (NXDOMAIN otherwise).
func checkDNS(t *testing.T, records map[string]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		qq := q.Question[0]
		a, ok := records[strings.TrimSuffix(qq.Name, ".")]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case qq.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.ParseIP(a).To4()})
		}
		_ = w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// checkService is an HTTPS server whose certificate (httptest's) covers
// *.example.com, with its CA written to a PEM file.
func checkService(t *testing.T) (port, caFile string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "healthy")
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return port, caFile
}

func TestCheckAllPassExitsZero(t *testing.T) {
	port, ca := checkService(t)
	resolver := checkDNS(t, map[string]string{"api.example.com": "127.0.0.1"})
	code, out, stderr := runCLI(t, nil, "check", "--name", "api.example.com", "--port", port, "--addresses", "127.0.0.1",
		"--ca", ca, "--http", "/health", "--resolver", resolver, "--timeout", "3s")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"✓ dns   api.example.com — seen 127.0.0.1; expected the endpoint's addresses 127.0.0.1",
		"✓ tcp   127.0.0.1:" + port,
		"✓ tls   127.0.0.1:" + port + " (SNI api.example.com) — seen TLS 1.3; certificate for example.com, *.example.com",
		`✓ http  https://api.example.com:` + port + `/health via 127.0.0.1:` + port + ` — seen status 200 OK, body "healthy"`,
		"4 passed, 0 failed, 0 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
}

func TestCheckFailureExitsOneWithJSON(t *testing.T) {
	port, ca := checkService(t)
	resolver := checkDNS(t, map[string]string{})
	code, out, stderr := runCLI(t, nil, "check", "--name", "api.example.com", "--port", port, "--addresses", "127.0.0.1",
		"--ca", ca, "--http", "/missing", "--resolver", resolver, "--output", "json")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing: the report says what failed", stderr)
	}
	var rep struct {
		OK         bool   `json:"ok"`
		OutsideVPC bool   `json:"outside_vpc"`
		Command    string `json:"command"`
		Results    []struct {
			Step, Verdict, Seen, Hint string
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	wantCmd := "plwiz check --name api.example.com --port " + port + " --addresses 127.0.0.1 --ca " + ca + " --http /missing"
	if rep.OK || !rep.OutsideVPC || rep.Command != wantCmd {
		t.Errorf("ok=%v outside_vpc=%v command=%q, want false, true, %q", rep.OK, rep.OutsideVPC, rep.Command, wantCmd)
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		got[r.Step] = r.Verdict
	}
	want := map[string]string{"dns": "fail", "tcp": "pass", "tls": "pass", "http": "fail"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s verdict %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if last := rep.Results[len(rep.Results)-1]; !strings.Contains(last.Seen, "status 404 Not Found") {
		t.Errorf("http seen %q", last.Seen)
	}
}

func TestCheckBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{}, "--name is required"},
		{"ip name", []string{"--name", "10.0.0.1"}, "is an IP address, not a DNS name"},
		{"bad name", []string{"--name", "api_x!.example.com"}, "is not a DNS name"},
		{"escape in name", []string{"--name", "a\x1b[2Jb.com"}, `"a\x1b[2Jb.com" is not a DNS name: "\x1b" (U+001B) is not a letter`},
		{"port", []string{"--name", "a.example.com", "--port", "0"}, "--port 0 is out of range 1-65535"},
		{"port high", []string{"--name", "a.example.com", "--port", "65536"}, "--port 65536 is out of range"},
		{"port text", []string{"--name", "a.example.com", "--port", "https"}, "invalid argument"},
		{"address", []string{"--name", "a.example.com", "--addresses", "10.0.0.1,10.0.0.300"}, `--addresses: "10.0.0.300" is not an IP address`},
		{"vpce name", []string{"--name", "a.example.com", "--vpce-names", "vpce-1.x.com,bad name"}, "--vpce-names:"},
		{"ca missing", []string{"--name", "a.example.com", "--ca", filepath.Join(dir, "none.pem")}, "--ca: read CA file"},
		{"ca not pem", []string{"--name", "a.example.com", "--ca", notPEM}, "holds no PEM CERTIFICATE block"},
		{"http path", []string{"--name", "a.example.com", "--http", "health"}, "must start with /"},
		{"http status", []string{"--name", "a.example.com", "--http-status", "200-99"}, `--http-status: "200-99" is not`},
		{"resolver", []string{"--name", "a.example.com", "--resolver", "dns.local"}, `--resolver: resolver "dns.local" is not an IP:port`},
		{"timeout", []string{"--name", "a.example.com", "--timeout", "0s"}, "--timeout 0s is not between"},
		{"output", []string{"--name", "a.example.com", "--output", "yaml"}, `--output "yaml" is not text or json`},
		{"tls", []string{"--name", "a.example.com", "--tls", "maybe"}, `--tls "maybe" is not auto, on or off`},
		{"argument", []string{"--name", "a.example.com", "extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, nil, append([]string{"check"}, tt.args...)...)
			if code != exitBadInput {
				t.Errorf("exit %d, want 2 (stdout %q, stderr %q)", code, out, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.want)
			}
			if strings.ContainsRune(stderr, 0x1b) {
				t.Errorf("stderr echoes an escape: %q", stderr)
			}
		})
	}
}

func TestCheckStatusRange(t *testing.T) {
	for in, want := range map[string]string{"200": "200-200", "200-399": "200-399", " 204-204 ": "204-204"} {
		got, err := parseStatusRange(in)
		if err != nil || got.String() != want {
			t.Errorf("parseStatusRange(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "99", "600", "300-200", "200-", "-200"} {
		if _, err := parseStatusRange(bad); err == nil {
			t.Errorf("parseStatusRange(%q) accepted", bad)
		}
	}
}
