package probe

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommandQuoting(t *testing.T) {
	c := Config{Name: name, Port: 8443, Addresses: addrs(t, "10.0.1.5", "10.0.2.5"), VPCENames: []string{regional},
		CAFile: "/tmp/it's here.pem", HTTPPath: "/health?x=1&y=2", TLS: TLSOn, Timeout: 2 * time.Second}.withDefaults()
	want := "plwiz check --name api.example.com --port 8443 --addresses 10.0.1.5,10.0.2.5 --vpce-names " + regional +
		` --ca '/tmp/it'\''s here.pem' --tls on --http '/health?x=1&y=2' --timeout 2s`
	if got := command(c); got != want {
		t.Errorf("command\n got %s\nwant %s", got, want)
	}
	for in, want := range map[string]string{"": "''", "a b": "'a b'", "$(rm)": "'$(rm)'", "a,b:c": "a,b:c", "*": "'*'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNewServerResolver(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1", "localhost:53", "127.0.0.1:0", "127.0.0.1:99999"} {
		if _, err := NewServerResolver(bad); err == nil {
			t.Errorf("NewServerResolver(%q) accepted", bad)
		}
	}
	addr := dnsServer(t, map[string][]string{"svc.internal": {"127.0.0.7", "127.0.0.3"}})
	r := resolverAt(t, addr)
	got, err := r.LookupNetIP(context.Background(), "ip4", "svc.internal.")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("resolved %v, want the server's two addresses", got)
	}
}

func TestAddressesAreNormalised(t *testing.T) {
	c := Config{Name: name, Port: 443, Addresses: []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.2"),
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}}.withDefaults()
	if got := joinAddrs(c.Addresses); got != "10.0.0.1, 10.0.0.2" {
		t.Errorf("addresses %s, want sorted, unmapped, unique", got)
	}
}

func TestLoadCAFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := newCA(t, "file CA")
	good := write("good.pem", "# comment\n"+string(ca.pem))
	pool, err := LoadCAFile(good)
	if err != nil || !pool.Equal(ca.pool()) {
		t.Errorf("LoadCAFile(good) = %v, %v", pool, err)
	}
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.pem"): "read CA file",
		write("empty.pem", "not pem"):     "holds no PEM CERTIFICATE block",
		write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"):  "holds no PEM CERTIFICATE block",
		write("junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"): "certificate 1:",
	} {
		if _, err := LoadCAFile(file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadCAFile(%s) error %v, want %q", filepath.Base(file), err, want)
		}
	}
}

func TestIsPrivate(t *testing.T) {
	for a, want := range map[string]bool{"10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "127.0.0.5": true,
		"100.64.1.1": true, "fd00::1": true, "203.0.113.1": false, "8.8.8.8": false, "100.128.0.1": false, "2600::1": false} {
		if got := isPrivate(netip.MustParseAddr(a)); got != want {
			t.Errorf("isPrivate(%s) = %v", a, got)
		}
	}
}
