package sandbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/plwiz/plwiz/sandbox"
	"github.com/plwiz/plwiz/sandbox/sbtest"
)

// providerZone returns the ID (bare) and name of the provider's zone.
func providerZone(t *testing.T, env *sbtest.Env) (id, name string) {
	t.Helper()
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		for _, z := range w.HostedZones {
			id, name = z.ID, z.Name
		}
	})
	if id == "" {
		t.Fatal("world has no hosted zone")
	}
	return id, name
}

func txtChange(action r53types.ChangeAction, name string, ttl int64, values ...string) r53types.Change {
	rrs := make([]r53types.ResourceRecord, len(values))
	for i, v := range values {
		rrs[i] = r53types.ResourceRecord{Value: aws.String(v)}
	}
	return r53types.Change{Action: action, ResourceRecordSet: &r53types.ResourceRecordSet{
		Name: aws.String(name), Type: r53types.RRTypeTxt, TTL: aws.Int64(ttl), ResourceRecords: rrs}}
}

func TestListHostedZonesByName(t *testing.T) {
	env := sbtest.Start(t, sbtest.Options{})
	ctx := sbtest.Context(t)
	prov := env.Account(t, "provider")
	zoneID, zoneName := providerZone(t, env)
	pc := route53.NewFromConfig(env.Config(t, "provider"))

	out, err := pc.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com")})
	if err != nil {
		t.Fatalf("ListHostedZonesByName: %v", err)
	}
	if len(out.HostedZones) != 1 {
		t.Fatalf("%d zones, want 1", len(out.HostedZones))
	}
	z := out.HostedZones[0]
	if aws.ToString(z.Id) != "/hostedzone/"+zoneID || aws.ToString(z.Name) != "example.com." || zoneName != "example.com." ||
		z.Config == nil || z.Config.PrivateZone || aws.ToInt64(z.ResourceRecordSetCount) != 2 || aws.ToString(z.CallerReference) == "" {
		t.Errorf("zone = %+v config %+v", z, z.Config)
	}
	if aws.ToString(out.DNSName) != "example.com" || out.IsTruncated || aws.ToInt32(out.MaxItems) != 100 {
		t.Errorf("DNSName %q IsTruncated %v MaxItems %d", aws.ToString(out.DNSName), out.IsTruncated, aws.ToInt32(out.MaxItems))
	}

	// More zones, to page through: b.example.net., a.example.org., zz.com.
	env.SB.World(func(w *sandbox.World, _ time.Time) {
		for i, n := range []string{"b.example.net.", "a.example.org.", "zz.com.", "other.io."} {
			id := fmt.Sprintf("Z%020d", i)
			w.HostedZones[id] = &sandbox.HostedZone{ID: id, Name: n, Owner: prov.ID, CallerReference: n}
		}
		w.HostedZones["ZCONSUMER00000000000"] = &sandbox.HostedZone{ID: "ZCONSUMER00000000000", Name: "consumer.example.", Owner: "222222222222"}
	})
	var names []string
	in := &route53.ListHostedZonesByNameInput{MaxItems: aws.Int32(2)}
	for range 10 {
		o, err := pc.ListHostedZonesByName(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.HostedZones) > 2 {
			t.Errorf("page of %d", len(o.HostedZones))
		}
		for _, z := range o.HostedZones {
			names = append(names, aws.ToString(z.Name))
		}
		if !o.IsTruncated {
			break
		}
		if aws.ToString(o.NextDNSName) == "" || !strings.HasPrefix(aws.ToString(o.NextHostedZoneId), "/hostedzone/") {
			t.Fatalf("truncated without NextDNSName/NextHostedZoneId: %+v", o)
		}
		in = &route53.ListHostedZonesByNameInput{MaxItems: aws.Int32(2), DNSName: o.NextDNSName, HostedZoneId: o.NextHostedZoneId}
	}
	want := "example.com. zz.com. other.io. b.example.net. a.example.org."
	if strings.Join(names, " ") != want {
		t.Errorf("zones in order %q, want %q (sorted by reversed labels, only the caller's)", strings.Join(names, " "), want)
	}

	o, err := pc.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("zz.com"), MaxItems: aws.Int32(1)})
	if err != nil || len(o.HostedZones) != 1 || aws.ToString(o.HostedZones[0].Name) != "zz.com." || !o.IsTruncated ||
		aws.ToString(o.NextDNSName) != "other.io." {
		t.Errorf("from zz.com: %+v %v", o, err)
	}
	cc := route53.NewFromConfig(env.Config(t, "consumer"))
	o, err = cc.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{})
	if err != nil || len(o.HostedZones) != 1 || aws.ToString(o.HostedZones[0].Name) != "consumer.example." {
		t.Errorf("consumer sees %+v %v", o, err)
	}
	_, err = pc.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{HostedZoneId: aws.String(zoneID)})
	wantCode(t, err, "InvalidInput")

	g, err := pc.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil || aws.ToString(g.HostedZone.Id) != "/hostedzone/"+zoneID || g.DelegationSet == nil || len(g.DelegationSet.NameServers) == 0 {
		t.Errorf("GetHostedZone: %+v %v", g, err)
	}
	_, err = cc.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	wantCode(t, err, "NoSuchHostedZone")
}

func TestChangeResourceRecordSets(t *testing.T) {
	delays := sandbox.DefaultDelays()
	env := sbtest.Start(t, sbtest.Options{Delays: &delays})
	ctx := sbtest.Context(t)
	zoneID, _ := providerZone(t, env)
	pc := route53.NewFromConfig(env.Config(t, "provider"))
	change := func(c ...r53types.Change) (*route53.ChangeResourceRecordSetsOutput, error) {
		return pc.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
			HostedZoneId: aws.String(zoneID), ChangeBatch: &r53types.ChangeBatch{Changes: c, Comment: aws.String("plwiz")}})
	}
	txt := `"vpce:abc123"`

	out, err := change(txtChange(r53types.ChangeActionUpsert, "_verify.example.com", 1800, txt))
	if err != nil {
		t.Fatalf("UPSERT TXT: %v", err)
	}
	ci := out.ChangeInfo
	if !strings.HasPrefix(aws.ToString(ci.Id), "/change/C") || ci.Status != r53types.ChangeStatusPending ||
		ci.SubmittedAt == nil || !ci.SubmittedAt.Equal(env.Clock.Now()) || aws.ToString(ci.Comment) != "plwiz" {
		t.Errorf("ChangeInfo = %+v", ci)
	}

	// GetChange: PENDING until Delays.ChangeInsync has passed, then INSYNC.
	g, err := pc.GetChange(ctx, &route53.GetChangeInput{Id: ci.Id})
	if err != nil || g.ChangeInfo.Status != r53types.ChangeStatusPending || aws.ToString(g.ChangeInfo.Id) != aws.ToString(ci.Id) {
		t.Fatalf("GetChange right away: %+v %v", g, err)
	}
	env.Advance(t, delays.ChangeInsync-time.Second)
	if g, _ = pc.GetChange(ctx, &route53.GetChangeInput{Id: ci.Id}); g.ChangeInfo.Status != r53types.ChangeStatusPending {
		t.Errorf("INSYNC %v early", time.Second)
	}
	env.Advance(t, time.Second)
	if g, err = pc.GetChange(ctx, &route53.GetChangeInput{Id: ci.Id}); err != nil || g.ChangeInfo.Status != r53types.ChangeStatusInsync {
		t.Errorf("after ChangeInsync: %+v %v", g, err)
	}
	_, err = pc.GetChange(ctx, &route53.GetChangeInput{Id: aws.String("C0000000000000000000")})
	wantCode(t, err, "NoSuchChange")

	// The record is listed, in the zone's order, with its TTL and quoted value.
	l, err := pc.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
		StartRecordName: aws.String("_verify.example.com"), StartRecordType: r53types.RRTypeTxt, MaxItems: aws.Int32(1)})
	if err != nil || len(l.ResourceRecordSets) != 1 {
		t.Fatalf("ListResourceRecordSets: %+v %v", l, err)
	}
	rs := l.ResourceRecordSets[0]
	if aws.ToString(rs.Name) != "_verify.example.com." || rs.Type != r53types.RRTypeTxt || aws.ToInt64(rs.TTL) != 1800 ||
		len(rs.ResourceRecords) != 1 || aws.ToString(rs.ResourceRecords[0].Value) != txt {
		t.Errorf("record = %+v", rs)
	}

	// Batch errors, each with Route 53's message, and nothing applied.
	for _, c := range []struct {
		name string
		ch   []r53types.Change
		code string
		msg  string
	}{
		{"create existing", []r53types.Change{txtChange(r53types.ChangeActionCreate, "_verify.example.com.", 1800, txt)},
			"InvalidChangeBatch", "[Tried to create resource record set [name='_verify.example.com.', type='TXT'] but it already exists]"},
		{"delete missing", []r53types.Change{txtChange(r53types.ChangeActionDelete, "_nope.example.com.", 1800, txt)},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='_nope.example.com.', type='TXT'] but it was not found]"},
		{"delete wrong value", []r53types.Change{txtChange(r53types.ChangeActionDelete, "_verify.example.com.", 1800, `"other"`)},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='_verify.example.com.', type='TXT'] but the values provided do not match the current values]"},
		{"delete wrong TTL", []r53types.Change{txtChange(r53types.ChangeActionDelete, "_verify.example.com.", 300, txt)},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='_verify.example.com.', type='TXT'] but the values provided do not match the current values]"},
		{"outside zone", []r53types.Change{txtChange(r53types.ChangeActionUpsert, "_x.example.org.", 300, txt)},
			"InvalidChangeBatch", "[RRSet with DNS name _x.example.org. is not permitted in zone example.com.]"},
		{"unquoted", []r53types.Change{txtChange(r53types.ChangeActionUpsert, "_y.example.com.", 300, "vpce:abc")},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'vpce:abc'']"},
		{"too long", []r53types.Change{txtChange(r53types.ChangeActionUpsert, "_y.example.com.", 300, `"`+strings.Repeat("a", 256)+`"`)},
			"InvalidChangeBatch", ""},
		{"two errors", []r53types.Change{
			txtChange(r53types.ChangeActionUpsert, "_ok.example.com.", 300, `"fine"`),
			txtChange(r53types.ChangeActionDelete, "_nope.example.com.", 1800, txt),
			txtChange(r53types.ChangeActionUpsert, "_x.example.org.", 300, txt)},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='_nope.example.com.', type='TXT'] but it was not found, RRSet with DNS name _x.example.org. is not permitted in zone example.com.]"},
		{"apex SOA", []r53types.Change{{Action: r53types.ChangeActionDelete, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: aws.String("example.com."), Type: r53types.RRTypeSoa, TTL: aws.Int64(900),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("ns-1.sandbox.plwiz.invalid. hostmaster.sandbox.plwiz.invalid. 1 7200 900 1209600 86400")}}}}},
			"InvalidChangeBatch", "[A HostedZone must contain at least one SOA record for the zone itself.]"},
		{"no TTL", []r53types.Change{{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: aws.String("_z.example.com."), Type: r53types.RRTypeTxt, ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(txt)}}}}},
			"InvalidInput", ""},
		{"bad A", []r53types.Change{{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: aws.String("www.example.com."), Type: r53types.RRTypeA, TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("1.2.3")}}}}},
			"InvalidChangeBatch", ""},
	} {
		_, err := change(c.ch...)
		ae := wantCode(t, err, c.code)
		if c.msg != "" && ae.ErrorMessage() != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, ae.ErrorMessage(), c.msg)
		}
	}
	l, err = pc.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
	if err != nil || len(l.ResourceRecordSets) != 3 {
		t.Fatalf("after failed batches: %d records, %v", len(l.ResourceRecordSets), err)
	}

	// A batch is applied in order: CREATE two, then DELETE one, in one call.
	if _, err := change(
		txtChange(r53types.ChangeActionCreate, "_a.example.com.", 60, `"a" "second string"`),
		txtChange(r53types.ChangeActionCreate, "_b.example.com.", 60, `"b"`),
		txtChange(r53types.ChangeActionDelete, "_verify.example.com.", 1800, txt),
		r53types.Change{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{Name: aws.String("www.example.com"),
			Type: r53types.RRTypeA, TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("127.0.0.1")}}}},
	); err != nil {
		t.Fatalf("mixed batch: %v", err)
	}
	var all []string
	p := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), MaxItems: aws.Int32(2)}
	for pages := 0; ; pages++ {
		l, err := pc.ListResourceRecordSets(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.ResourceRecordSets {
			all = append(all, aws.ToString(r.Name)+"/"+string(r.Type))
		}
		if !l.IsTruncated {
			break
		}
		if pages > 10 {
			t.Fatal("no end to the pages")
		}
		p.StartRecordName, p.StartRecordType = l.NextRecordName, l.NextRecordType
	}
	want := "example.com./NS example.com./SOA _a.example.com./TXT _b.example.com./TXT www.example.com./A"
	if strings.Join(all, " ") != want {
		t.Errorf("records %q, want %q", strings.Join(all, " "), want)
	}

	_, err = pc.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String("Z0000000000000000000"),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{txtChange(r53types.ChangeActionUpsert, "x.example.com.", 60, `"x"`)}}})
	wantCode(t, err, "NoSuchHostedZone")
	cc := route53.NewFromConfig(env.Config(t, "consumer"))
	_, err = cc.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{txtChange(r53types.ChangeActionUpsert, "x.example.com.", 60, `"x"`)}}})
	wantCode(t, err, "NoSuchHostedZone")
	_, err = cc.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
	wantCode(t, err, "NoSuchHostedZone")
}
