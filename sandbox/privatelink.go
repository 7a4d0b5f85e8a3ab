package sandbox

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
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

// advancePrivateLink applies the time-driven transitions of services,
// verification and endpoints that are due by now. Every transition is due at
// a time stored in the world (service CreatedAt + ServiceAvailable,
// VerificationDue, endpoint StateDue), so a manual clock drives them and a
// big jump runs several transitions in order. A heap of due times keeps this
// O(due items) per request instead of a scan of every endpoint.
func advancePrivateLink(w *World, now time.Time, d Delays) (changed bool) {
	idx := w.plIdx(d)
	for idx.due.Len() > 0 && !idx.due[0].at.After(now) {
		it := heap.Pop(&idx.due).(dueItem)
		changed = true
		switch it.kind {
		case dueService:
			if s := w.Services[it.id]; s != nil && s.State == ServicePending && !s.CreatedAt.Add(d.ServiceAvailable).After(now) {
				s.State = ServiceAvailable
			}
		case dueVerification:
			if s := w.Services[it.id]; s != nil && !s.VerificationDue.IsZero() && !s.VerificationDue.After(now) {
				s.VerificationDue = time.Time{}
				if w.verificationRecordExists(s) {
					s.PrivateDNSState = DNSVerified
				} else {
					s.PrivateDNSState = DNSFailed
				}
			}
		case dueEndpoint:
			e := w.Endpoints[it.id]
			if e == nil || e.StateDue.IsZero() || e.StateDue.After(now) {
				continue
			}
			switch e.State {
			case EndpointPendingAcceptance: // accepted: AWS moves it to pending
				e.State = EndpointPending
				e.StateDue = e.StateDue.Add(d.EndpointAvailable)
				idx.push(dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
			case EndpointPending:
				e.State = EndpointAvailable
				e.StateDue = time.Time{}
			default:
				e.StateDue = time.Time{}
			}
		}
	}
	return changed
}

// plIndex is derived state kept next to the world: every list of endpoint
// IDs a Describe pages through, kept sorted so a page is a binary search and
// a short walk, and the heap of due transitions.
type plIndex struct {
	nServices, nEndpoints int
	// lists: "svc:<service id>", "prov:<service owner>", "own:<endpoint owner>".
	lists map[string][]string
	due   dueHeap
}

type dueKind int

const (
	dueService dueKind = iota
	dueVerification
	dueEndpoint
)

type dueItem struct {
	at   time.Time
	kind dueKind
	id   string
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (x *plIndex) push(it dueItem) { heap.Push(&x.due, it) }

// plIdx returns the index, rebuilding it when the world was loaded or
// changed behind the handlers' back (counts differ).
func (w *World) plIdx(d Delays) *plIndex {
	if w.pl != nil && w.pl.nServices == len(w.Services) && w.pl.nEndpoints == len(w.Endpoints) {
		return w.pl
	}
	x := &plIndex{lists: map[string][]string{}, nServices: len(w.Services), nEndpoints: len(w.Endpoints)}
	for _, s := range w.Services {
		if s.State == ServicePending {
			x.due = append(x.due, dueItem{at: s.CreatedAt.Add(d.ServiceAvailable), kind: dueService, id: s.ID})
		}
		if !s.VerificationDue.IsZero() {
			x.due = append(x.due, dueItem{at: s.VerificationDue, kind: dueVerification, id: s.ID})
		}
	}
	for _, e := range w.Endpoints {
		for _, k := range w.endpointListKeys(e) {
			x.lists[k] = append(x.lists[k], e.ID)
		}
		if !e.StateDue.IsZero() {
			x.due = append(x.due, dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
		}
	}
	for _, l := range x.lists {
		sort.Strings(l)
	}
	heap.Init(&x.due)
	w.pl = x
	return x
}

func (w *World) endpointListKeys(e *Endpoint) []string {
	keys := []string{"svc:" + e.ServiceID, "own:" + e.Owner}
	if s := w.Services[e.ServiceID]; s != nil {
		keys = append(keys, "prov:"+s.Owner)
	}
	return keys
}

// addEndpoint stores a new endpoint and indexes it.
func (w *World) addEndpoint(d Delays, e *Endpoint) {
	x := w.plIdx(d)
	w.Endpoints[e.ID] = e
	x.nEndpoints = len(w.Endpoints)
	for _, k := range w.endpointListKeys(e) {
		l := x.lists[k]
		i, _ := slices.BinarySearch(l, e.ID)
		x.lists[k] = slices.Insert(l, i, e.ID)
	}
	if !e.StateDue.IsZero() {
		x.push(dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
	}
}

// removeEndpoint deletes an endpoint, its ENIs and its index entries.
func (w *World) removeEndpoint(d Delays, e *Endpoint) {
	x := w.plIdx(d)
	for _, k := range w.endpointListKeys(e) {
		l := x.lists[k]
		if i, ok := slices.BinarySearch(l, e.ID); ok {
			x.lists[k] = slices.Delete(l, i, i+1)
		}
	}
	for _, id := range e.ENIIDs {
		delete(w.ENIs, id)
	}
	delete(w.Endpoints, e.ID)
	x.nEndpoints = len(w.Endpoints)
}

// addService stores a new service and schedules it becoming Available.
func (w *World) addService(d Delays, s *Service) {
	x := w.plIdx(d)
	w.Services[s.ID] = s
	x.nServices = len(w.Services)
	if s.State == ServicePending {
		x.push(dueItem{at: s.CreatedAt.Add(d.ServiceAvailable), kind: dueService, id: s.ID})
	}
}

// removeService deletes a service. Endpoints still pointing at it (rejected
// ones) stay, as AWS keeps them; the provider's list forgets them.
func (w *World) removeService(d Delays, s *Service) {
	x := w.plIdx(d)
	for _, id := range slices.Clone(x.lists["svc:"+s.ID]) {
		l := x.lists["prov:"+s.Owner]
		if i, ok := slices.BinarySearch(l, id); ok {
			x.lists["prov:"+s.Owner] = slices.Delete(l, i, i+1)
		}
	}
	delete(w.Services, s.ID)
	x.nServices = len(w.Services)
}

// scheduleVerification records a started verification's due time.
func (w *World) scheduleVerification(d Delays, s *Service) {
	w.plIdx(d).push(dueItem{at: s.VerificationDue, kind: dueVerification, id: s.ID})
}

// scheduleEndpoint records an endpoint's next transition time.
func (w *World) scheduleEndpoint(d Delays, e *Endpoint) {
	w.plIdx(d).push(dueItem{at: e.StateDue, kind: dueEndpoint, id: e.ID})
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
	principalARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$`)
	regionName   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	dnsName      = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
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
	if s == nil || s.Owner != c.Account.ID {
		return nil, errServiceIDNotFound(id)
	}
	return s, nil
}

// timestamp is EC2's wire form of a time.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
