package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ec2PrivateLinkHandlers serve the endpoint service and endpoint actions.
func ec2PrivateLinkHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"CreateVpcEndpointServiceConfiguration":         createServiceConfiguration,
		"DescribeVpcEndpointServiceConfigurations":      describeServiceConfigurations,
		"ModifyVpcEndpointServiceConfiguration":         modifyServiceConfiguration,
		"DeleteVpcEndpointServiceConfigurations":        deleteServiceConfigurations,
		"StartVpcEndpointServicePrivateDnsVerification": startPrivateDNSVerification,
		"ModifyVpcEndpointServicePermissions":           modifyServicePermissions,
		"DescribeVpcEndpointServicePermissions":         describeServicePermissions,
		"DescribeVpcEndpointConnections":                describeEndpointConnections,
		"AcceptVpcEndpointConnections":                  acceptEndpointConnections,
		"RejectVpcEndpointConnections":                  rejectEndpointConnections,
		"CreateVpcEndpoint":                             createEndpoint,
		"DescribeVpcEndpoints":                          describeEndpoints,
		"ModifyVpcEndpoint":                             modifyEndpoint,
		"DeleteVpcEndpoints":                            deleteEndpoints,
		"DescribeVpcEndpointServices":                   describeEndpointServices,
	}
}

// verificationRecordExists reports whether a public hosted zone (of any
// account) holds the service's verification TXT record with the exact value.
//
// The record name: AWS gives a verification name like "_abc123" and checks
// the TXT record "<name>.<domain>", where domain is the private DNS name's
// domain. Its guide says a parent domain may be verified instead of the
// subdomain ("you can verify example.com instead of a.example.com"), and the
// seed walk-through (private DNS name privatelink.<domain>) adds the record
// in <domain>'s zone. So the sandbox accepts "<name>.<private DNS name>" and
// "<name>.<any parent of it>" down to a registrable two-label domain, and
// nothing else: a record at a wrong name or with a wrong value fails.
func (w *World) verificationRecordExists(s *Service) bool {
	if s.PrivateDNSName == "" || s.VerificationName == "" {
		return false
	}
	var names []string
	for d := strings.TrimPrefix(strings.ToLower(s.PrivateDNSName), "*."); strings.Contains(d, "."); {
		names = append(names, fqdn(s.VerificationName+"."+d))
		_, d, _ = strings.Cut(d, ".")
	}
	for _, z := range w.HostedZones {
		if z.Private {
			continue
		}
		for _, r := range z.Records {
			if r.Type != "TXT" || !slices.Contains(names, fqdn(r.Name)) || !inZone(fqdn(r.Name), z.Name) {
				continue
			}
			for _, v := range r.Values {
				if txtValue(v) == s.VerificationValue {
					return true
				}
			}
		}
	}
	return false
}

func inZone(name, zone string) bool {
	zone = fqdn(zone)
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// txtValue joins the character-strings of a TXT value as Route 53 stores it
// ("a" "b" → ab); an unquoted value is taken as it is.
func txtValue(v string) string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	in, esc := false, false
	for _, r := range v {
		switch {
		case esc:
			b.WriteRune(r)
			esc = false
		case r == '\\' && in:
			esc = true
		case r == '"':
			in = !in
		case in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// randomString draws n characters of alphabet from the world's sequence.
func (w *World) randomString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[w.next()%uint64(len(alphabet))]
	}
	return string(b)
}

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// requestHash fingerprints a request's parameters except the ones that do
// not change its meaning, for ClientToken idempotency.
func requestHash(p Params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		switch k {
		case "Action", "Version", "ClientToken", "DryRun":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "=" + p[k] + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// earlierCreate finds the caller's resource created with this ClientToken,
// so a retried create returns it instead of making another; a retry whose
// parameters differ is refused, as EC2 does. An empty token never matches.
// key reads a resource's owner, client token and request hash.
func earlierCreate[T any](c *call, items map[string]*T, token, hash string, key func(*T) (owner, token, hash string)) (*T, *APIError) {
	if token == "" {
		return nil, nil
	}
	for _, it := range items {
		owner, tok, h := key(it)
		if owner == c.Account.ID && tok == token {
			if h != hash {
				return nil, errIdempotentMismatch()
			}
			return it, nil
		}
	}
	return nil, nil
}

func errIdempotentMismatch() *APIError {
	return Errorf(http.StatusBadRequest, "IdempotentParameterMismatch",
		"The client token you have provided is associated with a resource that has different parameters. Use a different client token.")
}

// plPage walks a sorted ID list from the request's NextToken, keeping the
// IDs match accepts, until MaxResults (lo..hi; hi when absent, as EC2 caps a
// page at 1000) are found; next is set only when another match exists. It
// never sorts or copies the whole list, so 10,000 connections page in time
// proportional to the page. Tokens have the same shape as page()'s.
func plPage(p Params, ids []string, lo, hi int, match func(id string) bool) (out []string, next string, err error) {
	limit := hi
	if n, ok, perr := p.Int("MaxResults"); perr != nil {
		return nil, "", perr
	} else if ok {
		if n < lo {
			return nil, "", errInvalidParameterValue("Value ( %d ) for parameter MaxResults is invalid. Expecting a value greater than or equal to %d.", n, lo)
		}
		if n > hi {
			return nil, "", errInvalidParameterValue("Value ( %d ) for parameter MaxResults is invalid. Expecting a value smaller than or equal to %d.", n, hi)
		}
		limit = n
	}
	tok := p.Get("NextToken")
	start, ok := pageStart(tok, ids)
	if !ok {
		return nil, "", errInvalidParameterValue("Invalid value '%s' for nextToken", tok)
	}
	for i := start; i < len(ids); i++ {
		if !match(ids[i]) {
			continue
		}
		if len(out) == limit {
			next = pageToken(out[len(out)-1])
			break
		}
		out = append(out, ids[i])
	}
	return out, next, nil
}

// Filters whose values AWS compares case-insensitively in effect: endpoint
// states come back camelCase on the wire but the SDK's enums are
// capitalised, and callers send either.
func matchFold(f Filter, v string) bool {
	for _, pat := range f.Values {
		if globMatch(strings.ToLower(pat), strings.ToLower(v)) {
			return true
		}
	}
	return false
}

var (
	principalARN = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$`)
	})
	regionName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`) })
	dnsName    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	})
)

// principalType is how AWS classifies an allowed principal.
func principalType(arn string) string {
	switch {
	case arn == "*":
		return "All"
	case strings.HasSuffix(arn, ":root"):
		return "Account"
	case strings.Contains(arn, ":user/"):
		return "User"
	case strings.Contains(arn, ":role/"):
		return "Role"
	}
	return "Account"
}

// serviceVisibleTo reports whether the caller may see and connect to s: its
// owner, or a principal allowed by ARN, account root, account ID or "*".
func serviceVisibleTo(s *Service, caller *Account) bool {
	if s.Owner == caller.ID {
		return true
	}
	root := "arn:aws:iam::" + caller.ID + ":root"
	for _, p := range s.AllowedPrincipals {
		switch p.ARN {
		case "*", root, caller.ARN(), caller.ID:
			return true
		}
	}
	return false
}

func errServiceNameNotFound(name string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", name)
}

func errServiceIDNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidVpcEndpointServiceId.NotFound", "The VpcEndpointService Id '%s' does not exist", id)
}

func errEndpointIDNotFound(id string) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
}

// ownService finds a service of the caller by ID (the ID form is checked
// first, as EC2 tells malformed from unknown IDs).
func ownService(c *call, id string) (*Service, *APIError) {
	if id == "" {
		return nil, errMissingParameter("ServiceId")
	}
	if !strings.HasPrefix(id, "vpce-svc-") {
		return nil, Errorf(http.StatusBadRequest, "InvalidVpcEndpointServiceId.Malformed", "Invalid Id: '%s' (expecting 'vpce-svc-...')", id)
	}
	s := c.w.Services[id]
	if s == nil || !c.owns(s.Owner, c.w.serviceRegion(s)) {
		return nil, errServiceIDNotFound(id)
	}
	return s, nil
}

// timestamp is EC2's wire form of a time.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
