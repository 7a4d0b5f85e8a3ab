package handoff

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/awsid"
)

// gen makes random valid bundles from a seed, covering every optional field,
// list length and ID shape the format allows.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))} }

// genRegions are regions of every partition; a bundle's regions are all
// of one partition, as PrivateLink's are.
var genRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-2", "ap-southeast-1", "il-central-1", "mx-central-1",
	"us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1",
	"us-isof-south-1", "eusc-de-east-1"}

func (g gen) hex(n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for range n {
		b.WriteByte(digits[g.r.IntN(16)])
	}
	return b.String()
}

// id returns a resource ID of either length AWS has issued: 8 hex digits
// before 2018, 17 since.
func (g gen) id(kind awsid.Kind) string {
	if g.r.IntN(3) == 0 {
		return string(kind) + "-" + g.hex(8)
	}
	return string(kind) + "-" + g.hex(17)
}

// iamName returns a name of IAM's character set, 1 to max long.
func (g gen) iamName(min, max int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"
	b := make([]byte, min+g.r.IntN(max-min+1))
	for i := range b {
		b[i] = chars[g.r.IntN(len(chars))]
	}
	return string(b)
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
	id := g.id(awsid.ServiceID)
	name := "com.amazonaws.vpce." + region + "." + id
	if awsid.PartitionOf(region) == "aws-cn" && g.r.IntN(2) == 0 {
		name = "cn." + name
	}
	o := Offer{
		ServiceName:        name,
		ServiceID:          id,
		Region:             region,
		SupportedRegions:   []string{region},
		ProviderAccountID:  g.account(),
		AcceptanceRequired: g.r.IntN(2) == 0,
		CreatedAt:          g.time(now),
	}
	for _, r := range genRegions {
		if r != region && awsid.PartitionOf(r) == awsid.PartitionOf(region) && g.r.IntN(4) == 0 {
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
	region := genRegions[g.r.IntN(len(genRegions))]
	prefix := "arn:" + awsid.PartitionOf(region)
	arns := []string{
		prefix + ":iam::" + account + ":root",
		prefix + ":iam::" + account + ":user/" + g.iamName(1, 64),
		prefix + ":iam::" + account + ":user/division/team/" + g.iamName(1, 64),
		prefix + ":iam::" + account + ":role/" + g.iamName(1, 64),
		prefix + ":iam::" + account + ":role/path/to/" + g.iamName(1, 64),
		prefix + ":sts::" + account + ":assumed-role/" + g.iamName(1, 64) + "/" + g.iamName(2, 64),
		prefix + ":sts::" + account + ":assumed-role/AWSReservedSSO_Admin_" + g.hex(16) + "/alice@example.com",
		prefix + ":sts::" + account + ":federated-user/" + g.iamName(2, 32),
	}
	q := Request{
		ServiceID:         g.id(awsid.ServiceID),
		ConsumerAccountID: account,
		PrincipalARN:      arns[g.r.IntN(len(arns))],
		ConsumerRegion:    region,
		AZIDs:             g.azIDs(1 + g.r.IntN(4)),
		CreatedAt:         g.time(now),
	}
	ids := map[string]bool{}
	for n := 1 + g.r.IntN(3); len(ids) < n; {
		ids[g.id(awsid.EndpointID)] = true
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

// TestLegacyIDsAndOddARNs: what real accounts hold — IDs from before 2018,
// principals with paths, SSO sessions named by e-mail, federated users,
// partitions other than aws — goes through both encodings unchanged.
func TestLegacyIDsAndOddARNs(t *testing.T) {
	offers := []Offer{
		func() Offer {
			o := testOffer()
			o.ServiceID, o.ServiceName = "vpce-svc-1234abcd", "com.amazonaws.vpce.us-east-1.vpce-svc-1234abcd"
			return o
		}(),
		func() Offer {
			o := testOffer()
			o.Region, o.SupportedRegions = "eusc-de-east-1", []string{"eusc-de-east-1"}
			o.ServiceID, o.ServiceName = "vpce-svc-1234abcd", "com.amazonaws.vpce.eusc-de-east-1.vpce-svc-1234abcd"
			o.AvailabilityZones = []AZ{{ID: "euscde1-az1", Name: "eusc-de-east-1a"}}
			return o
		}(),
		func() Offer {
			o := testOffer()
			o.Region, o.SupportedRegions = "cn-northwest-1", []string{"cn-northwest-1", "cn-north-1"}
			o.ServiceID, o.ServiceName = "vpce-svc-070f9283a2c0d1f0c", "cn.com.amazonaws.vpce.cn-northwest-1.vpce-svc-070f9283a2c0d1f0c"
			o.AvailabilityZones = []AZ{{ID: "cnnw1-az1", Name: "cn-northwest-1a"}}
			o.PrivateDNSName, o.PrivateDNSState = "", ""
			return o
		}(),
	}
	requests := []struct{ region, arn string }{
		{"us-east-1", "arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/name@example.com"},
		{"us-east-1", "arn:aws:iam::444455556666:role/path/to/Role"},
		{"us-east-1", "arn:aws:iam::444455556666:user/division/team/first.last+ops=1,x@example.com"},
		{"us-east-1", "arn:aws:sts::444455556666:federated-user/Bob"},
		{"us-gov-west-1", "arn:aws-us-gov:iam::444455556666:root"},
		{"cn-north-1", "arn:aws-cn:sts::444455556666:assumed-role/Admin/alice"},
		{"us-iso-east-1", "arn:aws-iso:iam::444455556666:role/R"},
		{"us-isob-east-1", "arn:aws-iso-b:iam::444455556666:role/R"},
		{"eu-isoe-west-1", "arn:aws-iso-e:iam::444455556666:role/R"},
		{"us-isof-south-1", "arn:aws-iso-f:iam::444455556666:role/R"},
		{"eusc-de-east-1", "arn:aws-eusc:sts::444455556666:assumed-role/Admin/alice@example.com"},
	}
	var bundles []Bundle
	for _, o := range offers {
		bundles = append(bundles, o)
	}
	for _, c := range requests {
		q := testRequest()
		q.ServiceID, q.EndpointIDs = "vpce-svc-1234abcd", []string{"vpce-1a2b3c4d", "vpce-0123456789abcdef0"}
		q.ConsumerRegion, q.PrincipalARN = c.region, c.arn
		bundles = append(bundles, q)
	}
	for _, b := range bundles {
		for _, enc := range [][]byte{mustJSON(t, b), []byte(mustToken(t, b))} {
			got, err := Decode(enc, testNow)
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, enc)
			}
			if !reflect.DeepEqual(got, b) {
				t.Errorf("round trip:\ngot  %#v\nwant %#v", got, b)
			}
		}
	}
}
