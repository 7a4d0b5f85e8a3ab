package steps

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plwiz/plwiz/handoff"
)

// TestInputValidators: every ID an input takes is accepted in both lengths
// AWS has issued (8 hex digits before 2018, 17 since), ARNs in every
// partition, and what is not valid is refused with the value escaped, never
// stripped to nothing.
func TestInputValidators(t *testing.T) {
	cases := []struct {
		name     string
		validate func(string) error
		valid    []string
		invalid  map[string]string // value → what the error must say
	}{
		{"service ID", validateID("vpce-svc", "an endpoint service ID"),
			[]string{"vpce-svc-1234abcd", "vpce-svc-0123456789abcdef0"},
			map[string]string{
				"vpce-svc-1234abc":           `expected an endpoint service ID (vpce-svc- and 8 or 17 hex digits), found "vpce-svc-1234abc"`,
				"vpce-1234abcd":              `found "vpce-1234abcd"`,
				"vpce-svc-0123456789ABCDEF0": `found "vpce-svc-0123456789ABCDEF0"`,
				"\x1b[31m":                   `found "\x1b[31m"`,
			}},
		{"VPC", validateID("vpc", "a VPC ID"),
			[]string{"vpc-1a2b3c4d", "vpc-0123456789abcdef0"},
			map[string]string{"vpc-1a2b3c4": `expected a VPC ID (vpc- and 8 or 17 hex digits), found "vpc-1a2b3c4"`, "subnet-1a2b3c4d": "found"}},
		{"subnets", validateSubnetIDs,
			[]string{"subnet-1a2b3c4d", "subnet-1a2b3c4d,subnet-0123456789abcdef0", "subnet-1a2b3c4d subnet-5e6f7a8b"},
			map[string]string{"": "at least one subnet ID", "subnet-1a2b3c4d,subnet-xyz": `found "subnet-xyz"`}},
		{"security group", validateSG,
			[]string{"create", "sg-1a2b3c4d", "sg-0123456789abcdef0"},
			map[string]string{"sg-1a2b": `expected a security group ID (sg- and 8 or 17 hex digits) or "create", found "sg-1a2b"`, "default": "found"}},
		{"NLB", validateNLBARN,
			[]string{
				"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/web/0123456789abcdef",
				"arn:aws-eusc:elasticloadbalancing:eusc-de-east-1:111122223333:loadbalancer/net/web/0123456789abcdef",
				"arn:aws-cn:elasticloadbalancing:cn-north-1:111122223333:loadbalancer/net/web/0123456789abcdef",
			},
			map[string]string{
				"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/0123456789abcdef":    "expected a network load balancer ARN",
				"arn:aws-cn:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/web/0123456789abcdef": "found",
			}},
		{"principals", validatePrincipals,
			[]string{
				"222222222222", "*", "222222222222, 333333333333",
				"arn:aws:iam::222222222222:role/path/to/Role",
				"arn:aws:iam::222222222222:user/first.last+ops=1,x@example.com",
				"arn:aws-us-gov:iam::222222222222:root", "arn:aws-eusc:iam::222222222222:role/R", "arn:aws-iso-e:iam::222222222222:role/R",
			},
			map[string]string{
				"":                                     "at least one account ID or IAM ARN",
				"arn:aws:iam::222222222222:group/devs": `resource "group/devs"`,
				"arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/name@example.com": "is a session",
				"2222": `principal "2222"`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range c.valid {
				if err := c.validate(v); err != nil {
					t.Errorf("%q refused: %v", v, err)
				}
			}
			for v, want := range c.invalid {
				err := c.validate(v)
				if err == nil {
					t.Errorf("%q accepted", v)
					continue
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q: error %q, want it to contain %q", v, err, want)
				}
			}
		})
	}
}

func TestSplitPrincipals(t *testing.T) {
	for in, want := range map[string][]string{
		"222222222222,333333333333":                                           {"222222222222", "333333333333"},
		" 222222222222 , * ,\n":                                               {"222222222222", "*"},
		"arn:aws:iam::222222222222:user/a,b,c,333333333333":                   {"arn:aws:iam::222222222222:user/a,b,c", "333333333333"},
		"arn:aws:iam::222222222222:role/x,arn:aws:iam::222222222222:role/y,x": {"arn:aws:iam::222222222222:role/x", "arn:aws:iam::222222222222:role/y,x"},
		"222222222222 222222222222":                                           {"222222222222"},
		// A piece with nothing to continue stays itself, and is refused.
		"oops,222222222222": {"oops", "222222222222"},
	} {
		if got := splitPrincipals(in); !slices.Equal(got, want) {
			t.Errorf("splitPrincipals(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInputAccept: what every front end stores for a value given to an
// input — a pasted token cleaned to one line, a control character refused
// and named.
func TestInputAccept(t *testing.T) {
	var offerIn, dnsIn Input
	for _, st := range ConsumerFlow().Steps {
		for _, in := range st.Inputs {
			if in.Key == InOffer {
				offerIn = in
			}
		}
	}
	for _, st := range ProviderFlow().Steps {
		for _, in := range st.Inputs {
			if in.Key == InPrivateDNS {
				dnsIn = in
			}
		}
	}
	tok, err := handoff.EncodeToken(handoff.Offer{
		ServiceName: "com.amazonaws.vpce.us-east-1.vpce-svc-1234abcd", ServiceID: "vpce-svc-1234abcd", Region: "us-east-1",
		SupportedRegions: []string{"us-east-1"}, ProviderAccountID: "111122223333",
		AvailabilityZones: []handoff.AZ{{ID: "use1-az1"}}, Ports: []int{443}, IPAddressTypes: []handoff.IPAddressType{handoff.IPv4},
		CreatedAt: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"  offer.json\n":                                   "offer.json",
		"> \"/tmp/offer from alice.json\"":                 "/tmp/offer from alice.json",
		"```text\n" + tok[:30] + "\n" + tok[30:] + "\n```": tok,
		"> " + tok[:50] + "\n> " + tok[50:]:                tok,
	} {
		if got, err := offerIn.Accept(in); err != nil || got != want {
			t.Errorf("Accept(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := offerIn.Accept(tok[:40]); err == nil || !strings.Contains(err.Error(), "offer: token:") {
		t.Errorf("a token cut short: %v", err)
	}
	if _, err := offerIn.Accept("offer\x1b.json"); err == nil || !strings.Contains(err.Error(), "U+001B ESCAPE at byte 5") {
		t.Errorf("escape in a path: %v", err)
	}
	if got, err := dnsIn.Accept(" api.example.com "); err != nil || got != "api.example.com" {
		t.Errorf("Accept = %q, %v", got, err)
	}
	if _, err := dnsIn.Accept("api.example.com\u202e"); err == nil || err.Error() != "found a control character, U+202E RIGHT-TO-LEFT OVERRIDE at byte 15; give plain text" {
		t.Errorf("bidi override: %v", err)
	}
}
