package handoff

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gen makes random valid bundles from a seed, covering every optional field,
// list length and ID shape the format allows.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))} }

var genRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-2", "ap-southeast-1", "us-gov-west-1", "cn-north-1", "il-central-1"}

func (g gen) hex(n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for range n {
		b.WriteByte(digits[g.r.IntN(16)])
	}
	return b.String()
}

func (g gen) account() string { return fmt.Sprintf("%012d", g.r.Int64N(1e12)) }

func (g gen) label() string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
	n := 1 + g.r.IntN(20)
	b := []byte{'a' + byte(g.r.IntN(26))}
	for len(b) < n-1 {
		b = append(b, chars[g.r.IntN(len(chars))])
	}
	if n > 1 {
		b = append(b, '0'+byte(g.r.IntN(10)))
	}
	return string(b)
}

func (g gen) dnsName() string {
	labels := make([]string, 2+g.r.IntN(4))
	for i := range labels {
		labels[i] = g.label()
	}
	labels[len(labels)-1] = "com"
	return strings.Join(labels, ".")
}

// azIDs returns n distinct AZ IDs, some of them Local Zone IDs.
func (g gen) azIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		if g.r.IntN(4) == 0 {
			ids[i] = fmt.Sprintf("use1-bos%d-az%d", 1+g.r.IntN(3), i+1)
		} else {
			ids[i] = fmt.Sprintf("use1-az%d", i+1)
		}
	}
	return ids
}

// time returns a time between 2020 and a little less than a day after now,
// with nanoseconds, in a random zone.
func (g gen) time(now time.Time) time.Time {
	lo := minCreatedAt.UnixNano()
	hi := now.Add(maxClockSkew - time.Minute).UnixNano()
	t := time.Unix(0, lo+g.r.Int64N(hi-lo))
	return t.In(time.FixedZone("gen", (g.r.IntN(27)-12)*3600))
}

func (g gen) offer(now time.Time) Offer {
	region := genRegions[g.r.IntN(len(genRegions))]
	id := "vpce-svc-" + g.hex(17)
	o := Offer{
		ServiceName:        "com.amazonaws.vpce." + region + "." + id,
		ServiceID:          id,
		Region:             region,
		SupportedRegions:   []string{region},
		ProviderAccountID:  g.account(),
		AcceptanceRequired: g.r.IntN(2) == 0,
		CreatedAt:          g.time(now),
	}
	for _, r := range genRegions {
		if r != region && g.r.IntN(4) == 0 {
			o.SupportedRegions = append(o.SupportedRegions, r)
		}
	}
	g.r.Shuffle(len(o.SupportedRegions), func(i, j int) {
		o.SupportedRegions[i], o.SupportedRegions[j] = o.SupportedRegions[j], o.SupportedRegions[i]
	})
	for i, azID := range g.azIDs(1 + g.r.IntN(6)) {
		az := AZ{ID: azID}
		if g.r.IntN(3) != 0 {
			az.Name = region + string(rune('a'+i))
		}
		o.AvailabilityZones = append(o.AvailabilityZones, az)
	}
	ports := map[int]bool{}
	for n := 1 + g.r.IntN(4); len(ports) < n; {
		ports[1+g.r.IntN(65535)] = true
	}
	for p := range ports {
		o.Ports = append(o.Ports, p)
	}
	if g.r.IntN(3) != 0 {
		o.PrivateDNSName = g.dnsName()
		o.PrivateDNSState = []DNSState{DNSPendingVerification, DNSVerified, DNSFailed}[g.r.IntN(3)]
	}
	types := []IPAddressType{IPv4, IPv6, Dualstack}
	g.r.Shuffle(len(types), func(i, j int) { types[i], types[j] = types[j], types[i] })
	o.IPAddressTypes = types[:1+g.r.IntN(3)]
	return o
}

func (g gen) request(now time.Time) Request {
	account := g.account()
	partition := []string{"aws", "aws-cn", "aws-us-gov"}[g.r.IntN(3)]
	arns := []string{
		"arn:" + partition + ":iam::" + account + ":root",
		"arn:" + partition + ":iam::" + account + ":user/" + g.label(),
		"arn:" + partition + ":iam::" + account + ":user/division/team/" + g.label(),
		"arn:" + partition + ":iam::" + account + ":role/" + g.label(),
		"arn:" + partition + ":sts::" + account + ":assumed-role/AWSReservedSSO_Admin_" + g.hex(16) + "/alice@example.com",
	}
	q := Request{
		ServiceID:         "vpce-svc-" + g.hex(17),
		ConsumerAccountID: account,
		PrincipalARN:      arns[g.r.IntN(len(arns))],
		ConsumerRegion:    genRegions[g.r.IntN(len(genRegions))],
		AZIDs:             g.azIDs(1 + g.r.IntN(4)),
		CreatedAt:         g.time(now),
	}
	ids := map[string]bool{}
	for n := 1 + g.r.IntN(3); len(ids) < n; {
		ids["vpce-"+g.hex(17)] = true
	}
	for id := range ids {
		q.EndpointIDs = append(q.EndpointIDs, id)
	}
	return q
}

// decodedForm is what decoding gives back for b: the same bundle, with its
// time in UTC.
func decodedForm(b Bundle) Bundle {
	switch v := b.(type) {
	case Offer:
		v.CreatedAt = v.CreatedAt.UTC()
		return v
	case Request:
		v.CreatedAt = v.CreatedAt.UTC()
		return v
	}
	return b
}

// TestRoundTrip: any valid bundle, encoded either way, decodes to itself.
func TestRoundTrip(t *testing.T) {
	for seed := range uint64(1000) {
		g := newGen(seed)
		for _, b := range []Bundle{g.offer(testNow), g.request(testNow)} {
			if err := b.Validate(testNow); err != nil {
				t.Fatalf("seed %d: generated an invalid %s: %v\n%#v", seed, b.Kind(), err, b)
			}
			want := decodedForm(b)
			js := mustJSON(t, b)
			got, err := Decode(js, testNow)
			if err != nil {
				t.Fatalf("seed %d: Decode(EncodeJSON): %v\n%s", seed, err, js)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d: JSON round trip:\ngot  %#v\nwant %#v", seed, got, want)
			}
			tok := mustToken(t, b)
			got, err = Decode([]byte(tok), testNow)
			if err != nil {
				t.Fatalf("seed %d: Decode(EncodeToken): %v\n%s", seed, err, tok)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d: token round trip:\ngot  %#v\nwant %#v", seed, got, want)
			}
		}
	}
}
