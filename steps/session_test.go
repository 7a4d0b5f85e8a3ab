package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestSessionSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := NewSession(dir, RoleProvider, t0)
	if err != nil {
		t.Fatal(err)
	}
	s.SetInput("nlbArn", "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/x/abc")
	s.SetResource("serviceId", "vpce-svc-0123456789abcdef0")
	s.Step(StepIdentity).State = StateDone
	if err := s.Save(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := LoadSession(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != s.ID || got.Input("nlbArn") != s.Input("nlbArn") || got.Resource("serviceId") != "vpce-svc-0123456789abcdef0" {
		t.Errorf("loaded %+v, want %+v", got, s)
	}
	if got.Step(StepIdentity).State != StateDone || got.Step(StepChooseNLB).State != StatePending {
		t.Errorf("step states not kept: %+v", got.Steps)
	}
	if !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("updatedAt %v", got.UpdatedAt)
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir has %d entries, want only the session", len(entries))
	}
}

func TestLoadSessionRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{"not json", "hello", "not a plwiz session file"},
		{"unknown field", `{"version":1,"id":"x","role":"provider","password":"p"}`, `unknown field "password"`},
		{"version", `{"version":9,"id":"x","role":"provider"}`, "format version 9, this plwiz reads version 1"},
		{"role", `{"version":1,"id":"x","role":"admin"}`, `role "admin" is neither provider nor consumer`},
		{"id", `{"version":1,"id":"../x","role":"consumer"}`, `bad session id "../x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name+".json")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSession(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, maxSessionFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSession(big); err == nil || !strings.Contains(err.Error(), "more than a session can be") {
		t.Fatalf("big file: %v", err)
	}
}

func TestFindSessionPicksNewestUnfinishedOfRole(t *testing.T) {
	dir := t.TempDir()
	mk := func(role Role, at time.Time, finished bool) *Session {
		s, err := NewSession(dir, role, at)
		if err != nil {
			t.Fatal(err)
		}
		if finished {
			s.Step(StepSummary).State = StateDone
		}
		if err := s.Save(at); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mk(RoleProvider, t0, false)
	want := mk(RoleProvider, t0.Add(time.Hour), false)
	mk(RoleProvider, t0.Add(2*time.Hour), true)
	mk(RoleConsumer, t0.Add(3*time.Hour), false)
	if err := os.WriteFile(filepath.Join(dir, "junk.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := FindSession(dir, RoleProvider, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID {
		t.Errorf("found %s, want %s", got.ID, want.ID)
	}
	byID, err := FindSession(dir, RoleConsumer, want.ID)
	if err != nil || byID.ID != want.ID {
		t.Errorf("by id: %v %v", byID, err)
	}
	if _, err := FindSession(dir, RoleProvider, "../etc/passwd"); err == nil {
		t.Error("path-like id accepted")
	}
	all, bad, err := ListSessions(dir)
	if err != nil || len(all) != 4 || len(bad) != 1 {
		t.Errorf("list: %d sessions, %d bad, err %v", len(all), len(bad), err)
	}
	if _, err := FindSession(t.TempDir(), RoleConsumer, ""); err == nil || !strings.Contains(err.Error(), "no unfinished consumer session") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestClientTokenIsStableAndBounded(t *testing.T) {
	s, err := NewSession(t.TempDir(), RoleConsumer, t0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.ClientToken("endpoint"), s.ClientToken("endpoint")
	if a != b || len(a) > 64 {
		t.Errorf("tokens %q %q", a, b)
	}
	if s.ClientToken("endpoint") == s.ClientToken("security-group") {
		t.Error("different purposes share a token")
	}
}

func TestSessionDir(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}
	d, _ := SessionDir(func(k string) string { return env[k] })
	if d != "/x/state/plwiz" {
		t.Errorf("got %s", d)
	}
	env["XDG_STATE_HOME"] = "relative"
	d, _ = SessionDir(func(k string) string { return env[k] })
	if d != "/home/u/.local/state/plwiz" {
		t.Errorf("got %s", d)
	}
}

func TestBackoff(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: 4 * time.Second, Factor: 2}
	got := []time.Duration{b.Next("a"), b.Next("a"), b.Next("a"), b.Next("a"), b.Next("b"), b.Next("b")}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("intervals %v, want %v", got, want)
		}
	}
	b.Reset()
	if d := b.Next("b"); d != time.Second {
		t.Errorf("after reset %v", d)
	}
}
