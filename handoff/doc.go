// Package handoff defines the two bundles the parties of a PrivateLink setup
// hand each other, their two encodings, and strict validation of both.
//
// # Bundles
//
// An offer goes from the provider to the consumer: the endpoint service's
// name and ID, its region and the regions consumers may connect from, the
// provider's account, the Availability Zones it is served in (by AZ ID, the
// key that means the same zone in every account, with the provider's AZ name
// for people to read), its ports, its private DNS name and that name's
// verification state, its IP address types, and whether connections need
// acceptance.
//
// A request goes back from the consumer to the provider: the service ID, the
// consumer's account and principal ARN, the interface endpoint IDs, the
// consumer's region and the AZ IDs the endpoints use — what the provider
// needs to accept the right connection.
//
// # Encodings
//
// A bundle file is pretty-printed JSON:
//
//	{
//	  "kind": "offer",
//	  "version": 1,
//	  "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
//	  "serviceId": "vpce-svc-0123456789abcdef0",
//	  "region": "us-east-1",
//	  "supportedRegions": ["us-east-1"],
//	  "providerAccountId": "111122223333",
//	  "availabilityZones": [{"azId": "use1-az1", "azName": "us-east-1a"}],
//	  "ports": [443],
//	  "privateDnsName": "api.example.com",
//	  "privateDnsState": "verified",
//	  "ipAddressTypes": ["ipv4"],
//	  "acceptanceRequired": true,
//	  "createdAt": "2026-01-15T10:00:00Z"
//	}
//
// and a request file holds "kind": "request", "version": 1, "serviceId",
// "consumerAccountId", "principalArn", "endpointIds", "consumerRegion",
// "azIds" and "createdAt". privateDnsName and privateDnsState are left out
// when the service has no private DNS name; azName may be left out; every
// other field is required and every list needs at least one element.
//
// A token is the same bundle on one line, for pasting into a chat:
// "plwiz1.offer." or "plwiz1.request." followed by the compact JSON in
// base64url without padding (RFC 4648 §5). Decode tells the encodings apart
// by themselves and forgives what chat clients and copies do to a bundle —
// surrounding whitespace, quotes, backticks or a code fence, a chat quote's
// "> " on every line, line breaks and zero-width characters inside a token,
// and a capitalised first letter — through Clean, which every entry that
// takes a bundle or its file's path shares. A control character that is
// not whitespace is never forgiven: messages name it by code point and
// byte offset ("U+001B ESCAPE at byte 12"). The kind in the prefix must
// match the JSON's.
//
// # Validation
//
// Decoding is strict and reports every problem at once, each as a Problem
// naming the field, what was expected and what was found (quoted, with
// control characters escaped, safe to print). Input is capped at MaxSize (64
// KiB) before it is parsed; keys must match exactly and appear once; unknown
// fields, unknown kinds and versions other than 1 are refused; no string may
// hold control characters; IDs, account IDs, ARNs, regions, AZ IDs, DNS names,
// ports and RFC 3339 timestamps must have AWS's shapes (package awsid: IDs of
// 8 or 17 hex digits, every partition, IAM paths and names), and the fields
// that repeat each other (the service name's region and ID, the ARN's account,
// the partition of the regions and the ARN) must agree. createdAt must be after 2020 and at most a day after the
// reader's clock, which callers pass in.
//
// Files are written atomically with mode 0600.
package handoff
