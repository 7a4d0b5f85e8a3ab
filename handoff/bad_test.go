package handoff

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// edit returns b's JSON after mutate has changed it as a generic map.
func edit(t *testing.T, b Bundle, mutate func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, b), &m); err != nil {
		t.Fatal(err)
	}
	mutate(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func set(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m[key] = v }
}

func del(keys ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range keys {
			delete(m, k)
		}
	}
}

func setAZ(i int, key string, v any) func(map[string]any) {
	return func(m map[string]any) {
		m["availabilityZones"].([]any)[i].(map[string]any)[key] = v
	}
}

func both(fs ...func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}

func tokenOf(kind, js string) string {
	return "plwiz1." + kind + "." + base64.RawURLEncoding.EncodeToString([]byte(js))
}

// TestBadInputs is what a user sees for each way a bundle can be wrong: the
// whole message is asserted, since the message is the feature.
func TestBadInputs(t *testing.T) {
	o, r := testOffer(), testRequest()
	offerJSON := string(mustJSON(t, o))
	const svc = "vpce-svc-0a1b2c3d4e5f67890"

	cases := []struct {
		name  string
		input func(t *testing.T) string
		want  string
	}{
		// The input as a whole.
		{"empty", func(*testing.T) string { return " \n " },
			`handoff: expected a plwiz offer or request: a JSON file (starting with {) or a token starting with plwiz1., found nothing`},
		{"not a bundle", func(*testing.T) string { return "hello there" },
			`handoff: expected a plwiz offer or request: a JSON file (starting with {) or a token starting with plwiz1., found "hello there"`},
		{"too large", func(*testing.T) string { return offerJSON + strings.Repeat(" ", MaxSize) },
			`handoff: expected at most 65536 bytes, found 66259 bytes`},
		{"invalid UTF-8", func(*testing.T) string { return strings.Replace(offerJSON, "us-east-1a", "us-east-1\xff", 1) },
			`handoff: expected UTF-8 text, found invalid UTF-8 at byte 367`},
		{"broken JSON", func(*testing.T) string { return `{"kind": "offer", "version": }` },
			`handoff: expected valid JSON, found invalid character '}' looking for beginning of value (at byte 29)`},
		{"cut short JSON", func(*testing.T) string { return offerJSON[:100] },
			`handoff: expected valid JSON, found the input ends before the JSON does`},
		{"trailing data", func(*testing.T) string { return offerJSON + `{"kind":"offer"}` },
			`handoff: expected nothing after the JSON object, found more data at byte 723`},
		{"nested too deeply", func(*testing.T) string {
			return `{"kind":"offer","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`
		}, `handoff: expected valid JSON, found objects or lists nested too deeply`},

		// Kind and version.
		{"unknown kind", func(t *testing.T) string { return edit(t, o, set("kind", "bundle")) },
			`handoff: kind: expected "offer" or "request", found "bundle"`},
		{"missing kind", func(t *testing.T) string { return edit(t, o, del("kind")) },
			`handoff: kind: expected "offer" or "request", found nothing (the field is missing)`},
		{"newer version", func(t *testing.T) string { return edit(t, o, set("version", 2)) },
			`offer: version: expected 1 (this plwiz reads format version 1 only), found 2`},
		{"version as a string", func(t *testing.T) string { return edit(t, o, set("version", "1")) },
			`offer: version: expected a whole number, found the string "1"`},

		// Offer fields.
		{"service name shape", func(t *testing.T) string {
			return edit(t, o, set("serviceName", "com.amazonaws.vpce.us-east-1.svc-123"))
		}, `offer: serviceName: expected com.amazonaws.vpce.<region>.vpce-svc-<8 or 17 hex digits>, found "com.amazonaws.vpce.us-east-1.svc-123"`},
		{"service name in another region", func(t *testing.T) string {
			return edit(t, o, set("serviceName", "com.amazonaws.vpce.us-west-2."+svc))
		}, `offer: serviceName: expected com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f67890 (the name of serviceId in region), found "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f67890"`},
		{"service ID shape", func(t *testing.T) string { return edit(t, o, set("serviceId", "vpce-svc-123")) },
			`offer: serviceId: expected vpce-svc-<8 or 17 hex digits>, found "vpce-svc-123"`},
		{"service ID upper case", func(t *testing.T) string {
			return edit(t, o, set("serviceId", "vpce-svc-0A1B2C3D4E5F67890"))
		}, `offer: serviceId: expected vpce-svc-<8 or 17 hex digits>, found "vpce-svc-0A1B2C3D4E5F67890"`},
		{"legacy service ID one digit short", func(t *testing.T) string { return edit(t, o, set("serviceId", "vpce-svc-1234abc")) },
			`offer: serviceId: expected vpce-svc-<8 or 17 hex digits>, found "vpce-svc-1234abc"`},
		{"service name with China's prefix outside China", func(t *testing.T) string {
			return edit(t, o, set("serviceName", "cn.com.amazonaws.vpce.us-east-1."+svc))
		}, `offer: serviceName: expected com.amazonaws.vpce.<region>.vpce-svc-<8 or 17 hex digits>, found "cn.com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f67890"`},
		{"supported region in another partition", func(t *testing.T) string {
			return edit(t, o, set("supportedRegions", []string{"us-east-1", "us-gov-west-1"}))
		}, `offer: supportedRegions[1]: expected a region in the partition of us-east-1 (aws), found "us-gov-west-1" (in aws-us-gov)`},
		{"service ID missing", func(t *testing.T) string { return edit(t, o, del("serviceId")) },
			`offer: serviceId: expected vpce-svc-<8 or 17 hex digits>, found nothing (the field is missing)`},
		{"region shape", func(t *testing.T) string { return edit(t, o, set("region", "US-EAST-1")) },
			`offer: region: expected a region like us-east-1, found "US-EAST-1"`},
		{"account too short", func(t *testing.T) string { return edit(t, o, set("providerAccountId", "11112222333")) },
			`offer: providerAccountId: expected a 12-digit AWS account ID, found "11112222333"`},
		{"account as a number", func(t *testing.T) string { return edit(t, o, set("providerAccountId", 111122223333)) },
			`offer: providerAccountId: expected a string, found the number 111122223333`},
		{"no supported regions", func(t *testing.T) string { return edit(t, o, set("supportedRegions", []string{})) },
			`offer: supportedRegions: expected at least one region, found none`},
		{"supported region twice", func(t *testing.T) string {
			return edit(t, o, set("supportedRegions", []string{"us-east-1", "us-west-2", "us-east-1"}))
		}, `offer: supportedRegions[2]: expected each region once, found "us-east-1" again (also at supportedRegions[0])`},
		{"supported regions without the region", func(t *testing.T) string {
			return edit(t, o, set("supportedRegions", []string{"us-west-2", "eu-west-1"}))
		}, `offer: supportedRegions: expected a list that includes the offer's region us-east-1, found ["us-west-2", "eu-west-1"]`},
		{"supported regions not a list", func(t *testing.T) string { return edit(t, o, set("supportedRegions", "us-east-1")) },
			`offer: supportedRegions: expected a list of regions, found the string "us-east-1"`},
		{"AZ name where the ID goes", func(t *testing.T) string { return edit(t, o, setAZ(1, "azId", "us-east-1b")) },
			`offer: availabilityZones[1].azId: expected an AZ ID like use1-az1, found "us-east-1b"`},
		{"AZ ID twice", func(t *testing.T) string { return edit(t, o, setAZ(2, "azId", "use1-az1")) },
			`offer: availabilityZones[2].azId: expected each AZ ID once, found "use1-az1" again (also at availabilityZones[0])`},
		{"AZ name in another region", func(t *testing.T) string { return edit(t, o, setAZ(0, "azName", "us-west-2a")) },
			`offer: availabilityZones[0].azName: expected an AZ name in us-east-1 like us-east-1a, found "us-west-2a"`},
		{"AZ with an unknown field", func(t *testing.T) string { return edit(t, o, setAZ(0, "zone", "a")) },
			`offer: availabilityZones[0].zone: expected only the fields of an availability zone (azId, azName), found an unknown field`},
		{"AZ not an object", func(t *testing.T) string {
			return edit(t, o, set("availabilityZones", []any{"use1-az1"}))
		}, `offer: availabilityZones[0]: expected an object with azId and azName, found the string "use1-az1"`},
		{"port zero", func(t *testing.T) string { return edit(t, o, set("ports", []int{0})) },
			`offer: ports[0]: expected a port from 1 to 65535, found 0`},
		{"port too large", func(t *testing.T) string { return edit(t, o, set("ports", []int{443, 70000})) },
			`offer: ports[1]: expected a port from 1 to 65535, found 70000`},
		{"port twice", func(t *testing.T) string { return edit(t, o, set("ports", []int{443, 8443, 443})) },
			`offer: ports[2]: expected each port once, found 443 again (also at ports[0])`},
		{"port as a string", func(t *testing.T) string { return edit(t, o, set("ports", []any{"443"})) },
			`offer: ports[0]: expected a whole number, found the string "443"`},
		{"port with a fraction", func(t *testing.T) string { return edit(t, o, set("ports", []any{443.5})) },
			`offer: ports[0]: expected a whole number, found the number 443.5`},
		{"no ports", func(t *testing.T) string { return edit(t, o, set("ports", []int{})) },
			`offer: ports: expected at least one port, found none`},
		{"DNS name of one label", func(t *testing.T) string { return edit(t, o, set("privateDnsName", "api")) },
			`offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "api" (only one label)`},
		{"DNS label too long", func(t *testing.T) string {
			return edit(t, o, set("privateDnsName", strings.Repeat("a", 64)+".example.com"))
		}, `offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com" (a label of 64 characters, more than 63)`},
		{"DNS name too long", func(t *testing.T) string {
			return edit(t, o, set("privateDnsName", strings.Repeat("abcdefghi.", 26)+"com"))
		}, `offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi."... (263 bytes in all) (263 characters, more than 253)`},
		{"DNS label with a leading hyphen", func(t *testing.T) string { return edit(t, o, set("privateDnsName", "-api.example.com")) },
			`offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "-api.example.com" (a label that starts or ends with a hyphen)`},
		{"DNS name with an underscore", func(t *testing.T) string { return edit(t, o, set("privateDnsName", "my_api.example.com")) },
			`offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "my_api.example.com" (a character other than letters, digits, hyphens and dots)`},
		{"DNS name with a trailing dot", func(t *testing.T) string { return edit(t, o, set("privateDnsName", "api.example.com.")) },
			`offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "api.example.com." (an empty label)`},
		{"DNS name that is an address", func(t *testing.T) string { return edit(t, o, set("privateDnsName", "10.0.0.1")) },
			`offer: privateDnsName: expected a DNS name like api.example.com (RFC 1123), found "10.0.0.1" (an all-digit last label)`},
		{"DNS state spelt wrong", func(t *testing.T) string { return edit(t, o, set("privateDnsState", "Verified")) },
			`offer: privateDnsState: expected pendingVerification, verified or failed, found "Verified"`},
		{"DNS name without state", func(t *testing.T) string { return edit(t, o, del("privateDnsState")) },
			`offer: privateDnsState: expected pendingVerification, verified or failed, found nothing`},
		{"DNS state without name", func(t *testing.T) string { return edit(t, o, del("privateDnsName")) },
			`offer: privateDnsState: expected no state when there is no privateDnsName, found "verified"`},
		{"unknown IP type", func(t *testing.T) string { return edit(t, o, set("ipAddressTypes", []string{"ipv4", "ipv5"})) },
			`offer: ipAddressTypes[1]: expected ipv4, ipv6 or dualstack, found "ipv5"`},
		{"acceptance as a string", func(t *testing.T) string { return edit(t, o, set("acceptanceRequired", "yes")) },
			`offer: acceptanceRequired: expected true or false, found the string "yes"`},
		{"acceptance missing", func(t *testing.T) string { return edit(t, o, del("acceptanceRequired")) },
			`offer: acceptanceRequired: expected true or false, found nothing (the field is missing)`},
		{"acceptance null", func(t *testing.T) string { return edit(t, o, set("acceptanceRequired", nil)) },
			`offer: acceptanceRequired: expected true or false, found null`},
		{"time not RFC 3339", func(t *testing.T) string { return edit(t, o, set("createdAt", "2026-01-15 10:00:00")) },
			`offer: createdAt: expected an RFC 3339 time like 2026-01-15T10:00:00Z, found "2026-01-15 10:00:00"`},
		{"time before 2020", func(t *testing.T) string { return edit(t, o, set("createdAt", "2019-12-31T23:59:59Z")) },
			`offer: createdAt: expected a time not before 2020-01-01T00:00:00Z, found 2019-12-31T23:59:59Z`},
		{"time in the future", func(t *testing.T) string { return edit(t, o, set("createdAt", "2026-01-16T12:00:01Z")) },
			`offer: createdAt: expected a time no later than 2026-01-16T12:00:00Z, a day after this computer's clock (is one of the clocks wrong?), found 2026-01-16T12:00:01Z`},
		{"unknown field", func(t *testing.T) string { return edit(t, o, set("comment", "hi")) },
			`offer: comment: expected only the fields of a version 1 offer, found an unknown field`},
		{"field in the wrong case", func(t *testing.T) string {
			return edit(t, o, both(del("serviceName"), set("ServiceName", o.ServiceName)))
		}, "offer: serviceName: expected com.amazonaws.vpce.<region>.vpce-svc-<8 or 17 hex digits>, found nothing (the field is missing)\n" +
			`offer: ServiceName: expected only the fields of a version 1 offer, found an unknown field (did you mean "serviceName"?)`},
		{"duplicate key", func(*testing.T) string {
			return strings.Replace(offerJSON, `"region": "us-east-1",`, `"region": "us-east-1", "region": "us-west-2",`, 1)
		}, `offer: region: expected each field once, found "region" again`},
		{"escape sequence in a value", func(t *testing.T) string {
			return edit(t, o, set("serviceName", "\x1b[31mcom.amazonaws.vpce"))
		}, `offer: serviceName: expected text without control characters, found "\x1b[31mcom.amazonaws.vpce" (U+001B ESCAPE at byte 0)`},
		{"bidi override in a value", func(t *testing.T) string {
			return edit(t, o, setAZ(0, "azName", "us-east-1a\u202e"))
		}, `offer: availabilityZones[0].azName: expected text without control characters, found "us-east-1a\u202e" (U+202E RIGHT-TO-LEFT OVERRIDE at byte 10)`},
		{"control character in a key", func(t *testing.T) string { return edit(t, o, set("a\x07b", 1)) },
			`offer: "a\ab": expected only the fields of a version 1 offer, found an unknown field whose name holds U+0007 ALERT at byte 1`},
		{"several problems", func(t *testing.T) string {
			return edit(t, o, both(del("serviceId"), set("ports", []int{0}), set("region", "mars")))
		}, "offer: serviceId: expected vpce-svc-<8 or 17 hex digits>, found nothing (the field is missing)\n" +
			"offer: region: expected a region like us-east-1, found \"mars\"\n" +
			"offer: ports[0]: expected a port from 1 to 65535, found 0"},

		// Request fields.
		{"endpoint ID shape", func(t *testing.T) string { return edit(t, r, set("endpointIds", []string{"vpce-123"})) },
			`request: endpointIds[0]: expected vpce-<8 or 17 hex digits>, found "vpce-123"`},
		{"service ID as an endpoint ID", func(t *testing.T) string { return edit(t, r, set("endpointIds", []string{svc})) },
			`request: endpointIds[0]: expected vpce-<8 or 17 hex digits>, found "vpce-svc-0a1b2c3d4e5f67890"`},
		{"endpoint ID twice", func(t *testing.T) string {
			return edit(t, r, set("endpointIds", []string{"vpce-0123456789abcdef0", "vpce-0123456789abcdef0"}))
		}, `request: endpointIds[1]: expected each endpoint ID once, found "vpce-0123456789abcdef0" again (also at endpointIds[0])`},
		{"no endpoint IDs", func(t *testing.T) string { return edit(t, r, set("endpointIds", []string{})) },
			`request: endpointIds: expected at least one endpoint ID, found none`},
		{"endpoint IDs null", func(t *testing.T) string { return edit(t, r, set("endpointIds", nil)) },
			`request: endpointIds: expected a list of endpoint IDs, found null`},
		{"ARN in another account", func(t *testing.T) string {
			return edit(t, r, set("principalArn", "arn:aws:iam::111122223333:role/Admin"))
		}, `request: principalArn: expected an ARN in the consumer account 444455556666, found "arn:aws:iam::111122223333:role/Admin"`},
		{"ARN of a group", func(t *testing.T) string {
			return edit(t, r, set("principalArn", "arn:aws:iam::444455556666:group/devs"))
		}, `request: principalArn: expected ` + expARN + `, found "arn:aws:iam::444455556666:group/devs" (resource "group/devs": an IAM principal is root, user/<name> or role/<name>)`},
		{"ARN of a bucket", func(t *testing.T) string { return edit(t, r, set("principalArn", "arn:aws:s3:::bucket")) },
			`request: principalArn: expected ` + expARN + `, found "arn:aws:s3:::bucket" (service "s3": a principal's ARN is an iam or sts one)`},
		{"assumed role without session", func(t *testing.T) string {
			return edit(t, r, set("principalArn", "arn:aws:sts::444455556666:assumed-role/Admin"))
		}, `request: principalArn: expected ` + expARN + `, found "arn:aws:sts::444455556666:assumed-role/Admin" (an assumed role's ARN ends in assumed-role/<role>/<session>; the session name is missing)`},
		{"ARN in another partition", func(t *testing.T) string {
			return edit(t, r, set("principalArn", "arn:aws-cn:iam::444455556666:role/Admin"))
		}, `request: principalArn: expected an ARN in partition aws, the consumer region us-east-1's, found "arn:aws-cn:iam::444455556666:role/Admin"`},
		{"ARN with a space in a role name", func(t *testing.T) string {
			return edit(t, r, set("principalArn", "arn:aws:sts::444455556666:assumed-role/My Role/alice"))
		}, `request: principalArn: expected ` + expARN + `, found "arn:aws:sts::444455556666:assumed-role/My Role/alice" (role name "My Role": 1 to 64 letters, digits and + = , . @ _ -)`},
		{"ARN of an unknown partition", func(t *testing.T) string {
			return edit(t, r, set("principalArn", "arn:aws-mars:iam::444455556666:root"))
		}, `request: principalArn: expected ` + expARN + `, found "arn:aws-mars:iam::444455556666:root" (partition "aws-mars" is not one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc)`},
		{"consumer account with letters", func(t *testing.T) string {
			return edit(t, r, set("consumerAccountId", "4444-5555-6666"))
		}, `request: consumerAccountId: expected a 12-digit AWS account ID, found "4444-5555-6666"`},
		{"request AZ ID twice", func(t *testing.T) string { return edit(t, r, set("azIds", []string{"use1-az1", "use1-az1"})) },
			`request: azIds[1]: expected each AZ ID once, found "use1-az1" again (also at azIds[0])`},
		{"consumer region shape", func(t *testing.T) string { return edit(t, r, set("consumerRegion", "useast1")) },
			`request: consumerRegion: expected a region like us-east-1, found "useast1"`},
		{"request with an offer's field", func(t *testing.T) string { return edit(t, r, set("region", "us-east-1")) },
			`request: region: expected only the fields of a version 1 request, found an unknown field`},
		{"request CIDR not a block", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"10.0.0.0/16", "10.1.0.7/16"}))
		},
			`request: consumerVpcCidrs[1]: expected a CIDR block like 10.0.0.0/16 or 2600:1f18::/56, found "10.1.0.7/16"`},
		{"request CIDR twice", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"10.0.0.0/16", "10.0.0.0/16"}))
		},
			`request: consumerVpcCidrs[1]: expected each CIDR block once, found "10.0.0.0/16" again (also at consumerVpcCidrs[0])`},
		{"request IPv6 CIDR in upper case", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"10.0.0.0/16", "2600:1F18:ABCD:1200::/56"}))
		},
			`request: consumerVpcCidrs[1]: expected a CIDR block like 10.0.0.0/16 or 2600:1f18::/56, found "2600:1F18:ABCD:1200::/56"`},
		{"request IPv6 CIDR with its zeros", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"2600:1f18:abcd:1200:0:0:0:0/56"}))
		},
			`request: consumerVpcCidrs[0]: expected a CIDR block like 10.0.0.0/16 or 2600:1f18::/56, found "2600:1f18:abcd:1200:0:0:0:0/56"`},
		{"request IPv6 CIDR not a block", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"2600:1f18:abcd:1200::1/56"}))
		},
			`request: consumerVpcCidrs[0]: expected a CIDR block like 10.0.0.0/16 or 2600:1f18::/56, found "2600:1f18:abcd:1200::1/56"`},
		{"request IPv4 CIDR written as IPv6", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"::ffff:10.0.0.0/112"}))
		},
			`request: consumerVpcCidrs[0]: expected a CIDR block like 10.0.0.0/16 or 2600:1f18::/56, found "::ffff:10.0.0.0/112"`},
		{"request IPv6 CIDR with a control character", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"2600:1f18:abcd:1200::/56\x1b[2J"}))
		},
			`request: consumerVpcCidrs[0]: expected text without control characters, found "2600:1f18:abcd:1200::/56\x1b[2J" (U+001B ESCAPE at byte 24)`},
		{"request with more IPv6 CIDRs than a VPC has", func(t *testing.T) string {
			return edit(t, r, set("consumerVpcCidrs", []string{"10.0.0.0/16", "2600:1f18:0:100::/56", "2600:1f18:0:200::/56", "2600:1f18:0:300::/56",
				"2600:1f18:0:400::/56", "2600:1f18:0:500::/56", "2600:1f18:0:600::/56"}))
		},
			`request: consumerVpcCidrs: expected at most 5 IPv6 CIDR blocks (a VPC's quota), found 6`},
		{"request CIDRs empty", func(t *testing.T) string { return edit(t, r, set("consumerVpcCidrs", []string{})) },
			`request: consumerVpcCidrs: expected at least one CIDR block, found none`},
		{"request CIDRs not a list", func(t *testing.T) string { return edit(t, r, set("consumerVpcCidrs", "10.0.0.0/16")) },
			`request: consumerVpcCidrs: expected a list of CIDR blocks, found the string "10.0.0.0/16"`},
		{"request time empty", func(t *testing.T) string { return edit(t, r, set("createdAt", "")) },
			`request: createdAt: expected an RFC 3339 time like 2026-01-15T10:00:00Z, found ""`},

		// Tokens.
		{"token with a bad character", func(t *testing.T) string { return "plwiz1.offer.eyJr!W5k" },
			`offer: token: expected base64url data (A-Z a-z 0-9 - _, no padding) after plwiz1.offer., found "!" at character 5 of the data`},
		{"token with padding", func(t *testing.T) string { return "plwiz1.offer.eyJraW5kIjoib2ZmZXIifQ==" },
			`offer: token: expected base64url data (A-Z a-z 0-9 - _, no padding) after plwiz1.offer., found "=" at character 23 of the data`},
		{"token cut short", func(t *testing.T) string { return mustToken(t, o)[:101] },
			`offer: token: expected a whole token, found one cut short (was it copied whole?)`},
		{"token cut mid-character", func(t *testing.T) string { return mustToken(t, o)[:102] },
			`offer: token: expected base64url data (A-Z a-z 0-9 - _, no padding) after plwiz1.offer., found data cut short or changed (was the token copied whole?)`},
		{"token without data", func(t *testing.T) string { return "plwiz1.request." },
			`request: token: expected base64url data after plwiz1.request., found nothing`},
		{"token of an unknown kind", func(t *testing.T) string { return "plwiz1.invoice.eyJ9" },
			`handoff: token: expected plwiz1.offer.<data> or plwiz1.request.<data>, found "plwiz1.invoice.eyJ9"`},
		{"token of a newer format", func(t *testing.T) string { return "plwiz2.offer.eyJ9" },
			`handoff: token: expected a plwiz1 token (this plwiz reads format 1; was it made by a newer plwiz?), found "plwiz2...."`},
		{"token with an escape sequence", func(t *testing.T) string {
			tok := mustToken(t, o)
			return tok[:20] + "\x1b[0m" + tok[20:]
		}, `offer: token: expected a token without control characters (was a terminal's escape sequence copied with it? copy the token again), found U+001B ESCAPE at byte 20`},
		{"token with a bidi override", func(t *testing.T) string { return mustToken(t, o)[:30] + "\u202e" + mustToken(t, o)[30:] },
			`offer: token: expected a token without control characters (was a terminal's escape sequence copied with it? copy the token again), found U+202E RIGHT-TO-LEFT OVERRIDE at byte 30`},
		{"bidi override before a token", func(t *testing.T) string { return "\u202e" + mustToken(t, o)[:40] },
			`handoff: expected a plwiz offer or request: a JSON file (starting with {) or a token starting with plwiz1., found "\u202eplwiz1.offer.eyJraW5kIjoib2ZmZXIiLCJ2ZXJ" (U+202E RIGHT-TO-LEFT OVERRIDE at byte 0)`},
		{"token with a chat client's dash", func(t *testing.T) string { tok := mustToken(t, o); return tok[:40] + "\u2013" + tok[41:] },
			`offer: token: expected base64url data (A-Z a-z 0-9 - _, no padding) after plwiz1.offer., found "\u2013" (U+2013 EN DASH) at character 28 of the data`},
		{"token without a dot after the version", func(*testing.T) string { return "plwiz1offer.eyJ9" },
			`handoff: token: expected plwiz1.offer.<data> or plwiz1.request.<data>, found "plwiz1offer.eyJ9"`},
		{"raw escape in a JSON file", func(*testing.T) string { return "{\"kind\": \"offer\x1b\"}" },
			`handoff: expected valid JSON, without control characters, found U+001B ESCAPE at byte 15`},
		{"raw escape in a token's JSON", func(*testing.T) string { return tokenOf("offer", "{\"kind\":\x1b\"offer\"}") },
			`offer: expected valid JSON, without control characters, found U+001B ESCAPE at byte 8`},
		{"token whose JSON is another kind", func(t *testing.T) string { return tokenOf("request", offerJSON) },
			`request: kind: expected "request", as the token's plwiz1.request. prefix says, found "offer"`},
		{"token carrying a list", func(t *testing.T) string { return tokenOf("offer", "[1]") },
			`offer: expected a JSON object, found a list`},
		{"token carrying bad JSON fields", func(t *testing.T) string {
			return tokenOf("offer", edit(t, o, set("ports", []int{-1})))
		}, `offer: ports[0]: expected a port from 1 to 65535, found -1`},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	seen := make(map[string]bool)
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			input := c.input(t)
			b, err := Decode([]byte(input), testNow)
			if err == nil {
				t.Fatalf("Decode accepted %q as %#v; want error:\n%s", input, b, c.want)
			}
			if err.Error() != c.want {
				t.Errorf("Decode(%.200q) error:\n%s\nwant:\n%s", input, err, c.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("error is a %T, want *ValidationError", err)
			}
			if b != nil {
				t.Errorf("Decode returned a bundle %#v with its error", b)
			}
		})
	}
}
