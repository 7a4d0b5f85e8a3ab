package awsops

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

func TestHostedZoneLookupSkipsPrivateZonesAndWalksUp(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	var public string
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		prov := wd.AccountByName("provider")
		for id := range wd.HostedZones {
			public = id
		}
		// A private zone of a deeper name, and one of the same name: neither
		// can hold a record AWS's verification can see.
		wd.HostedZones["ZPRIVATEDEEP00000001"] = &sandbox.HostedZone{ID: "ZPRIVATEDEEP00000001", Name: "api.example.com.", Owner: prov.ID, Private: true, CallerReference: "t1"}
		wd.HostedZones["ZPRIVATESAME00000002"] = &sandbox.HostedZone{ID: "ZPRIVATESAME00000002", Name: "example.com.", Owner: prov.ID, Private: true, CallerReference: "t2"}
	})
	z, found, err := w.p.FindPublicHostedZone(ctx, "_abc.API.example.com.")
	if err != nil || !found || z.ID != public || z.Name != "example.com" || z.Private {
		t.Fatalf("FindPublicHostedZone: %+v %v %v; want public zone %s", z, found, err, public)
	}
	if _, found, err := w.p.FindPublicHostedZone(ctx, "api.other.org"); err != nil || found {
		t.Fatalf("zone for a foreign domain: found=%v err=%v", found, err)
	}
	if _, _, err := w.p.FindPublicHostedZone(ctx, "bad name!"); err == nil || !strings.Contains(err.Error(), "not a DNS name") {
		t.Fatalf("bad name: %v", err)
	}
}

// TestHostedZoneLookupTakesTheLongestSuffixInOneCall: among the zones
// Route 53 lists from the name's domain on (a.example.com before
// api.example.com, b.example.com after it), the deepest public zone that
// covers the name wins, and one call is enough.
func TestHostedZoneLookupTakesTheLongestSuffixInOneCall(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	w.env.SB.World(func(wd *sandbox.World, _ time.Time) {
		prov := wd.AccountByName("provider")
		for i, n := range []string{"a.example.com.", "api.example.com.", "b.example.com.", "x.api.example.com."} {
			id := fmt.Sprintf("ZSUB%016d", i)
			wd.HostedZones[id] = &sandbox.HostedZone{ID: id, Name: n, Owner: prov.ID, CallerReference: id}
		}
	})
	before := w.rec.count(RoleProvider, "route53:ListHostedZonesByName")
	z, found, err := w.p.FindPublicHostedZone(ctx, "_abc.api.example.com")
	if err != nil || !found || z.Name != "api.example.com" {
		t.Fatalf("FindPublicHostedZone: %+v %v %v; want api.example.com", z, found, err)
	}
	if n := w.rec.count(RoleProvider, "route53:ListHostedZonesByName") - before; n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestRoute53Errors(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	zone, found, err := w.p.FindPublicHostedZone(ctx, sandbox.DefaultDomain)
	if err != nil || !found {
		t.Fatalf("zone: %v %v", found, err)
	}
	_, err = w.p.UpsertTXT(ctx, "Z0000000000000NOSUCH", "_x.example.com", "vpce:abc")
	wantErr(t, err, KindNotFound, "NoSuchHostedZone", "Z0000000000000NOSUCH", "by hand")

	if _, err := w.p.UpsertTXT(ctx, zone.ID, "_x.example.com", "vpce:right"); err != nil {
		t.Fatal(err)
	}
	// UPSERT again replaces (no error); a DELETE must match the value exactly.
	if _, err := w.p.UpsertTXT(ctx, "/hostedzone/"+zone.ID, "_x.example.com", "vpce:right"); err != nil {
		t.Fatalf("second UPSERT with a prefixed zone ID: %v", err)
	}
	_, err = w.p.DeleteTXT(ctx, zone.ID, "_x.example.com", "vpce:wrong")
	wantErr(t, err, KindInvalidInput, "InvalidChangeBatch", "_x.example.com", "double quotes")

	_, err = w.p.ChangeStatus(ctx, "C0000000000000NOSUCH")
	wantErr(t, err, KindNotFound, "NoSuchChange", "does not exist", "")

	// The waiter gives up after its maximum wait while the change is PENDING.
	id, err := w.p.UpsertTXT(ctx, zone.ID, "_y.example.com", "vpce:y")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.WaitChangeInsync(ctx, id, time.Millisecond, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "wait") {
		t.Fatalf("WaitChangeInsync on a pending change: %v", err)
	}
}

func TestQuoteTXT(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"vpce:abc", `"vpce:abc"`},
		{`a"b\c`, `"a\"b\\c"`},
		{strings.Repeat("x", 300), `"` + strings.Repeat("x", 255) + `" "` + strings.Repeat("x", 45) + `"`},
	} {
		if got := QuoteTXT(tt.in); got != tt.want {
			t.Errorf("QuoteTXT(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := verificationRecordName("_abc", "*.api.example.com"); got != "_abc.api.example.com" {
		t.Errorf("wildcard record name = %q", got)
	}
	if got := verificationRecordName("_abc.example.com", "example.com"); got != "_abc.example.com" {
		t.Errorf("qualified record name = %q", got)
	}
}
