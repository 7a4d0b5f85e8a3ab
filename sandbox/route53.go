package sandbox

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Route 53 is REST-XML: the operation is the method and path, inputs are in
// the path, the query and an XML body, and the response's root element is
// named after the operation.

const r53Prefix = "/2013-04-01/"

// r53Time is how Route 53 writes SubmittedAt.
const r53Time = "2006-01-02T15:04:05.000Z"

// serveRoute53 routes a Route 53 REST-XML request by method and path; it
// returns the response's root element name, HTTP status and body.
func (s *Sandbox) serveRoute53(c *call) (root string, status int, body any, err error) {
	path, ok := strings.CutPrefix(c.Req.URL.Path, r53Prefix)
	if !ok {
		return "", 0, nil, r53UnknownOp(c)
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	method := c.Req.Method
	switch {
	case method == http.MethodGet && len(parts) == 1 && parts[0] == "hostedzonesbyname":
		c.Action = "ListHostedZonesByName"
		body, err = r53ListHostedZonesByName(c)
		return "ListHostedZonesByNameResponse", http.StatusOK, body, err
	case method == http.MethodGet && len(parts) == 1 && parts[0] == "hostedzone":
		c.Action = "ListHostedZones"
		body, err = r53ListHostedZones(c)
		return "ListHostedZonesResponse", http.StatusOK, body, err
	case method == http.MethodGet && len(parts) == 2 && parts[0] == "hostedzone":
		c.Action = "GetHostedZone"
		body, err = r53GetHostedZone(c, parts[1])
		return "GetHostedZoneResponse", http.StatusOK, body, err
	case method == http.MethodPost && len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
		c.Action = "ChangeResourceRecordSets"
		body, err = r53ChangeResourceRecordSets(c, parts[1])
		return "ChangeResourceRecordSetsResponse", http.StatusOK, body, err
	case method == http.MethodGet && len(parts) == 3 && parts[0] == "hostedzone" && parts[2] == "rrset":
		c.Action = "ListResourceRecordSets"
		body, err = r53ListResourceRecordSets(c, parts[1])
		return "ListResourceRecordSetsResponse", http.StatusOK, body, err
	case method == http.MethodGet && len(parts) == 2 && parts[0] == "change":
		c.Action = "GetChange"
		body, err = r53GetChange(c, parts[1])
		return "GetChangeResponse", http.StatusOK, body, err
	}
	return "", 0, nil, r53UnknownOp(c)
}

func r53UnknownOp(c *call) *APIError {
	return Errorf(http.StatusNotFound, "UnknownOperationException", "The sandbox's Route 53 does not serve %s %s", c.Req.Method, c.Req.URL.Path)
}

func r53InvalidInput(format string, args ...any) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidInput", format, args...)
}

func r53NoSuchZone(id string) *APIError {
	return Errorf(http.StatusNotFound, "NoSuchHostedZone", "No hosted zone found with ID: %s", id)
}

// bareZoneID accepts Z... or /hostedzone/Z... (the SDKs strip the prefix,
// other clients may not).
func bareZoneID(id string) string {
	return strings.TrimPrefix(strings.TrimPrefix(id, "/hostedzone/"), "hostedzone/")
}

// ownZone finds one of the caller's hosted zones.
func ownZone(c *call, id string) (*HostedZone, *APIError) {
	id = bareZoneID(id)
	z := c.w.HostedZones[id]
	if z == nil || z.Owner != c.Account.ID {
		return nil, r53NoSuchZone(id)
	}
	return z, nil
}

// ---- hosted zones ----

type r53HostedZone struct {
	ID                     string          `xml:"Id"`
	Name                   string          `xml:"Name"`
	CallerReference        string          `xml:"CallerReference"`
	Config                 r53HostedConfig `xml:"Config"`
	ResourceRecordSetCount int             `xml:"ResourceRecordSetCount"`
}

type r53HostedConfig struct {
	Comment     string `xml:"Comment,omitempty"`
	PrivateZone bool   `xml:"PrivateZone"`
}

func r53ZoneXML(z *HostedZone) r53HostedZone {
	return r53HostedZone{
		ID: "/hostedzone/" + z.ID, Name: z.Name, CallerReference: z.CallerReference,
		Config:                 r53HostedConfig{PrivateZone: z.Private},
		ResourceRecordSetCount: len(z.Records),
	}
}

// reverseName turns www.example.com. into a sort key of its labels in
// reverse (com, example, www), the order Route 53 lists zones and record
// sets in. The labels are joined with NUL, which sorts before any character
// a name may hold, so the comparison goes label by label.
func reverseName(name string) string {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, "\x00")
}

// maxItems reads a maxitems query parameter (default def, at most hi).
func maxItems(c *call, def, hi int) (int, *APIError) {
	s := c.Req.URL.Query().Get("maxitems")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, r53InvalidInput("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must be a positive integer", s)
	}
	return min(n, hi), nil
}

// callerZones returns the caller's zones in Route 53's order (reversed
// name, then ID).
func callerZones(c *call) []*HostedZone {
	var zs []*HostedZone
	for _, z := range c.w.HostedZones {
		if z.Owner == c.Account.ID {
			zs = append(zs, z)
		}
	}
	slices.SortFunc(zs, func(a, b *HostedZone) int {
		if d := strings.Compare(reverseName(a.Name), reverseName(b.Name)); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return zs
}

type r53ListByNameResult struct {
	HostedZones      []r53HostedZone `xml:"HostedZones>HostedZone"`
	DNSName          string          `xml:"DNSName,omitempty"`
	HostedZoneID     string          `xml:"HostedZoneId,omitempty"`
	IsTruncated      bool            `xml:"IsTruncated"`
	NextDNSName      string          `xml:"NextDNSName,omitempty"`
	NextHostedZoneID string          `xml:"NextHostedZoneId,omitempty"`
	MaxItems         string          `xml:"MaxItems"`
}

// r53ListHostedZonesByName lists the caller's zones from dnsname (and
// hostedzoneid) on, in reversed-name order.
func r53ListHostedZonesByName(c *call) (any, error) {
	q := c.Req.URL.Query()
	dnsName, zoneID := q.Get("dnsname"), bareZoneID(q.Get("hostedzoneid"))
	if zoneID != "" && dnsName == "" {
		return nil, r53InvalidInput("The input is not valid: a HostedZoneId requires a DNSName")
	}
	n, err := maxItems(c, 100, 100)
	if err != nil {
		return nil, err
	}
	if dnsName != "" {
		if verr := checkDomainName(dnsName); verr != nil {
			return nil, Errorf(http.StatusBadRequest, "InvalidDomainName", "%s", verr.Error())
		}
	}
	start := reverseName(fqdn(unescapeName(dnsName)))
	res := r53ListByNameResult{HostedZones: []r53HostedZone{}, DNSName: dnsName, HostedZoneID: q.Get("hostedzoneid"),
		MaxItems: strconv.Itoa(n)}
	for _, z := range callerZones(c) {
		if dnsName != "" {
			rn := reverseName(z.Name)
			if rn < start || (rn == start && zoneID != "" && z.ID < zoneID) {
				continue
			}
		}
		if len(res.HostedZones) == n {
			res.IsTruncated = true
			res.NextDNSName = z.Name
			res.NextHostedZoneID = "/hostedzone/" + z.ID
			break
		}
		res.HostedZones = append(res.HostedZones, r53ZoneXML(z))
	}
	return res, nil
}

type r53ListZonesResult struct {
	HostedZones []r53HostedZone `xml:"HostedZones>HostedZone"`
	Marker      string          `xml:"Marker,omitempty"`
	IsTruncated bool            `xml:"IsTruncated"`
	NextMarker  string          `xml:"NextMarker,omitempty"`
	MaxItems    string          `xml:"MaxItems"`
}

// r53ListHostedZones lists the caller's zones; the marker is a zone ID.
func r53ListHostedZones(c *call) (any, error) {
	n, err := maxItems(c, 100, 100)
	if err != nil {
		return nil, err
	}
	marker := bareZoneID(c.Req.URL.Query().Get("marker"))
	res := r53ListZonesResult{HostedZones: []r53HostedZone{}, Marker: c.Req.URL.Query().Get("marker"), MaxItems: strconv.Itoa(n)}
	zs := callerZones(c)
	started := marker == ""
	for _, z := range zs {
		if !started {
			started = z.ID == marker
			if !started {
				continue
			}
		}
		if len(res.HostedZones) == n {
			res.IsTruncated, res.NextMarker = true, z.ID
			break
		}
		res.HostedZones = append(res.HostedZones, r53ZoneXML(z))
	}
	if !started {
		return nil, r53InvalidInput("Invalid marker: %s", marker)
	}
	return res, nil
}

type r53GetZoneResult struct {
	HostedZone    r53HostedZone     `xml:"HostedZone"`
	DelegationSet *r53DelegationSet `xml:"DelegationSet,omitempty"`
}

type r53DelegationSet struct {
	NameServers []string `xml:"NameServers>NameServer"`
}

func r53GetHostedZone(c *call, id string) (any, error) {
	z, err := ownZone(c, id)
	if err != nil {
		return nil, err
	}
	res := r53GetZoneResult{HostedZone: r53ZoneXML(z)}
	if !z.Private {
		ds := &r53DelegationSet{}
		for _, r := range z.Records {
			if r.Type == "NS" && r.Name == z.Name {
				ds.NameServers = append(ds.NameServers, r.Values...)
			}
		}
		res.DelegationSet = ds
	}
	return res, nil
}

// ---- record sets ----

// unescapeName turns Route 53's octal escape of * (\052) back into *.
func unescapeName(name string) string { return strings.ReplaceAll(name, `\052`, "*") }

// escapeName writes * as Route 53 lists it (\052).
func escapeName(name string) string { return strings.ReplaceAll(name, "*", `\052`) }

// checkDomainName refuses names Route 53 would not take.
func checkDomainName(name string) error {
	n := strings.TrimSuffix(unescapeName(name), ".")
	if n == "" || len(n) > 253 {
		return fmt.Errorf("%s is not a valid domain name", name)
	}
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("%s is not a valid domain name: empty or too long label", name)
		}
		for _, r := range l {
			if r <= ' ' || r > '~' {
				return fmt.Errorf("%s is not a valid domain name: character %q", name, r)
			}
		}
	}
	return nil
}

type r53ChangeRequest struct {
	XMLName     xml.Name `xml:"ChangeResourceRecordSetsRequest"`
	ChangeBatch struct {
		Comment string      `xml:"Comment"`
		Changes []r53Change `xml:"Changes>Change"`
	} `xml:"ChangeBatch"`
}

type r53Change struct {
	Action            string          `xml:"Action"`
	ResourceRecordSet r53RecordSetXML `xml:"ResourceRecordSet"`
}

type r53RecordSetXML struct {
	Name            string          `xml:"Name"`
	Type            string          `xml:"Type"`
	SetIdentifier   string          `xml:"SetIdentifier,omitempty"`
	TTL             *int64          `xml:"TTL,omitempty"`
	ResourceRecords []r53Value      `xml:"ResourceRecords>ResourceRecord"`
	AliasTarget     *r53AliasTarget `xml:"AliasTarget,omitempty"`
}

type r53Value struct {
	Value string `xml:"Value"`
}

type r53AliasTarget struct {
	HostedZoneID string `xml:"HostedZoneId"`
	DNSName      string `xml:"DNSName"`
}

var r53Types = []string{"A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT"}

type r53ChangeInfo struct {
	ID          string `xml:"Id"`
	Status      string `xml:"Status"`
	SubmittedAt string `xml:"SubmittedAt"`
	Comment     string `xml:"Comment,omitempty"`
}

type r53ChangeResult struct {
	ChangeInfo r53ChangeInfo `xml:"ChangeInfo"`
}

// r53ChangeResourceRecordSets applies a change batch all or nothing, in
// order, with Route 53's validation and messages, and starts a change that
// goes INSYNC after Delays.ChangeInsync.
func r53ChangeResourceRecordSets(c *call, id string) (any, error) {
	z, aerr := ownZone(c, id)
	if aerr != nil {
		return nil, aerr
	}
	var req r53ChangeRequest
	if err := xml.Unmarshal(c.Body, &req); err != nil {
		return nil, r53InvalidInput("Invalid XML ; %v", err)
	}
	changes := req.ChangeBatch.Changes
	if len(changes) == 0 {
		return nil, r53InvalidInput("1 validation error detected: Value null at 'changeBatch.changes' failed to satisfy constraint: Member must not be null")
	}
	// Input errors (the request is malformed) come first, as InvalidInput.
	for _, ch := range changes {
		rs := ch.ResourceRecordSet
		if !slices.Contains([]string{"CREATE", "UPSERT", "DELETE"}, ch.Action) {
			return nil, r53InvalidInput("Invalid XML ; Action '%s' is not one of CREATE, DELETE, UPSERT", ch.Action)
		}
		if !slices.Contains(r53Types, rs.Type) {
			return nil, r53InvalidInput("Invalid XML ; Type '%s' is not a supported record type", rs.Type)
		}
		if err := checkDomainName(rs.Name); err != nil {
			return nil, r53InvalidInput("Invalid request: %v", err)
		}
		if rs.AliasTarget == nil && (rs.TTL == nil || len(rs.ResourceRecords) == 0) {
			return nil, r53InvalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=null]",
				ch.Action, rs.Name, rs.Type)
		}
		if rs.AliasTarget != nil {
			return nil, r53InvalidInput("Invalid request: the sandbox does not model alias records (Change with [Action=%s, Name=%s, Type=%s])", ch.Action, rs.Name, rs.Type)
		}
		if *rs.TTL < 0 || *rs.TTL > 2147483647 {
			return nil, r53InvalidInput("1 validation error detected: Value '%d' at 'ttl' failed to satisfy constraint: Member must have value between 0 and 2147483647", *rs.TTL)
		}
	}

	// Batch errors are collected and reported together, as InvalidChangeBatch.
	records := slices.Clone(z.Records)
	var msgs []string
	for _, ch := range changes {
		rs := ch.ResourceRecordSet
		name := fqdn(unescapeName(rs.Name))
		quoted := fmt.Sprintf("[name='%s', type='%s']", escapeName(name), rs.Type)
		if name != z.Name && !strings.HasSuffix(name, "."+z.Name) {
			msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", escapeName(name), z.Name))
			continue
		}
		values := make([]string, len(rs.ResourceRecords))
		for i, v := range rs.ResourceRecords {
			values[i] = v.Value
		}
		if m := checkRecordValues(rs.Type, name, values); m != "" {
			msgs = append(msgs, m)
			continue
		}
		i := slices.IndexFunc(records, func(r RecordSet) bool { return r.Name == name && r.Type == rs.Type })
		rec := RecordSet{Name: name, Type: rs.Type, TTL: *rs.TTL, Values: values}
		if ch.Action != "DELETE" {
			if m := checkConflicts(records, rec, z.Name); m != "" {
				msgs = append(msgs, m)
				continue
			}
		}
		switch ch.Action {
		case "CREATE":
			if i >= 0 {
				msgs = append(msgs, fmt.Sprintf("Tried to create resource record set %s but it already exists", quoted))
				continue
			}
			records = append(records, rec)
		case "UPSERT":
			if i >= 0 {
				records[i] = rec
			} else {
				records = append(records, rec)
			}
		case "DELETE":
			if i < 0 {
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set %s but it was not found", quoted))
				continue
			}
			if name == z.Name && (rs.Type == "SOA" || rs.Type == "NS") {
				msgs = append(msgs, fmt.Sprintf("A HostedZone must contain at least one %s record for the zone itself.", rs.Type))
				continue
			}
			if records[i].TTL != rec.TTL || !sameValues(records[i].Values, rec.Values) {
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", quoted))
				continue
			}
			records = slices.Delete(records, i, i+1)
		}
	}
	if len(msgs) > 0 {
		return nil, Errorf(http.StatusBadRequest, "InvalidChangeBatch", "[%s]", strings.Join(msgs, ", "))
	}
	z.Records = records
	ch := &Change{ID: "C" + strings.ToUpper(c.w.hex(20)), Owner: z.Owner, SubmittedAt: c.Now, Status: "PENDING", Due: c.Now.Add(c.Delays().ChangeInsync)}
	if c.Delays().ChangeInsync <= 0 {
		ch.Status = "INSYNC"
	}
	c.w.addChange(c.Delays(), ch)
	c.w.note(c.Now, ch.Owner, "/change/"+ch.ID, "", ch.Status)
	return r53ChangeResult{ChangeInfo: r53ChangeInfoXML(ch, req.ChangeBatch.Comment)}, nil
}

func r53ChangeInfoXML(ch *Change, comment string) r53ChangeInfo {
	return r53ChangeInfo{ID: "/change/" + ch.ID, Status: ch.Status, SubmittedAt: ch.SubmittedAt.UTC().Format(r53Time), Comment: comment}
}

func sameValues(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkConflicts enforces the CNAME rules: not at the apex, and not next to
// other records of the same name.
func checkConflicts(records []RecordSet, rec RecordSet, zone string) string {
	if rec.Type == "CNAME" && rec.Name == zone {
		return fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", escapeName(rec.Name), zone)
	}
	for _, r := range records {
		if r.Name == rec.Name && r.Type != rec.Type && (r.Type == "CNAME" || rec.Type == "CNAME") {
			return fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted as it conflicts with other records with the same DNS name in zone %s",
				rec.Type, escapeName(rec.Name), zone)
		}
	}
	return ""
}

// checkRecordValues validates record data the way Route 53 reports it
// ("Invalid Resource Record: 'FATAL problem: ...'"); "" means valid.
func checkRecordValues(typ, name string, values []string) string {
	bad := func(problem, detail, v string) string {
		return fmt.Sprintf("Invalid Resource Record: 'FATAL problem: %s (%s) encountered with '%s''", problem, detail, v)
	}
	if typ == "CNAME" && len(values) > 1 {
		return fmt.Sprintf("RRSet of type CNAME with DNS name %s has more than one value; a CNAME can have only one", escapeName(name))
	}
	for _, v := range values {
		switch typ {
		case "TXT", "SPF":
			if problem, detail := checkCharacterStrings(v); problem != "" {
				return bad(problem, detail, v)
			}
		case "A":
			if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
				return bad("ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address", v)
			}
		case "AAAA":
			if a, err := netip.ParseAddr(v); err != nil || !a.Is6() || a.Is4In6() {
				return bad("AAAARRDATAIllegalIPv6Address", "Value is not a valid IPv6 address", v)
			}
		case "CNAME", "NS", "PTR":
			if checkDomainName(v) != nil {
				return bad("DomainLabelEmpty", "Domain label is empty", v)
			}
		case "MX":
			pref, host, ok := strings.Cut(v, " ")
			if n, err := strconv.Atoi(pref); !ok || err != nil || n < 0 || n > 65535 || checkDomainName(host) != nil {
				return bad("MXRRDATANotTwoFields", "MX record must have a preference and a host", v)
			}
		}
	}
	return ""
}

// checkCharacterStrings checks a TXT value: one or more double-quoted
// strings separated by spaces, each at most 255 characters (escapes \" \\
// and \ddd count as one).
func checkCharacterStrings(v string) (problem, detail string) {
	i := 0
	n := 0
	for i < len(v) {
		if v[i] == ' ' {
			i++
			continue
		}
		if v[i] != '"' {
			return "InvalidCharacterString", "Value should be enclosed in quotation marks"
		}
		i++
		length := 0
		closed := false
		for i < len(v) {
			switch {
			case v[i] == '\\' && i+3 < len(v) && isDigits(v[i+1:i+4]):
				i += 4
			case v[i] == '\\' && i+1 < len(v):
				i += 2
			case v[i] == '"':
				closed = true
			default:
				i++
			}
			if closed {
				break
			}
			length++
		}
		if !closed {
			return "InvalidCharacterString", "Value should be enclosed in quotation marks"
		}
		i++
		if length > 255 {
			return "CharacterStringTooLong", "Value is too long"
		}
		if i < len(v) && v[i] != ' ' {
			return "InvalidCharacterString", "Value should be enclosed in quotation marks"
		}
		n++
	}
	if n == 0 {
		return "InvalidCharacterString", "Value should be enclosed in quotation marks"
	}
	return "", ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

type r53RecordSetOut struct {
	Name            string     `xml:"Name"`
	Type            string     `xml:"Type"`
	TTL             int64      `xml:"TTL"`
	ResourceRecords []r53Value `xml:"ResourceRecords>ResourceRecord"`
}

type r53ListRecordsResult struct {
	ResourceRecordSets []r53RecordSetOut `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated        bool              `xml:"IsTruncated"`
	NextRecordName     string            `xml:"NextRecordName,omitempty"`
	NextRecordType     string            `xml:"NextRecordType,omitempty"`
	MaxItems           string            `xml:"MaxItems"`
}

// r53ListResourceRecordSets lists a zone's record sets in Route 53's order
// (reversed name, then type) from name/type on.
func r53ListResourceRecordSets(c *call, id string) (any, error) {
	z, aerr := ownZone(c, id)
	if aerr != nil {
		return nil, aerr
	}
	q := c.Req.URL.Query()
	startName, startType := q.Get("name"), q.Get("type")
	if startType != "" && startName == "" {
		return nil, r53InvalidInput("The input is not valid: StartRecordType requires StartRecordName")
	}
	if startType != "" && !slices.Contains(r53Types, startType) {
		return nil, r53InvalidInput("Invalid type: %s", startType)
	}
	n, err := maxItems(c, 300, 300)
	if err != nil {
		return nil, err
	}
	recs := slices.Clone(z.Records)
	slices.SortFunc(recs, func(a, b RecordSet) int {
		if d := strings.Compare(reverseName(a.Name), reverseName(b.Name)); d != 0 {
			return d
		}
		return strings.Compare(a.Type, b.Type)
	})
	start := reverseName(fqdn(unescapeName(startName)))
	res := r53ListRecordsResult{ResourceRecordSets: []r53RecordSetOut{}, MaxItems: strconv.Itoa(n)}
	for _, r := range recs {
		if startName != "" {
			rn := reverseName(r.Name)
			if rn < start || (rn == start && startType != "" && r.Type < startType) {
				continue
			}
		}
		if len(res.ResourceRecordSets) == n {
			res.IsTruncated, res.NextRecordName, res.NextRecordType = true, escapeName(r.Name), r.Type
			break
		}
		out := r53RecordSetOut{Name: escapeName(r.Name), Type: r.Type, TTL: r.TTL, ResourceRecords: []r53Value{}}
		for _, v := range r.Values {
			out.ResourceRecords = append(out.ResourceRecords, r53Value{Value: v})
		}
		res.ResourceRecordSets = append(res.ResourceRecordSets, out)
	}
	return res, nil
}

// r53GetChange reports a change's status. Changes are not per account in
// Route 53 either: anyone with the ID may ask.
func r53GetChange(c *call, id string) (any, error) {
	id = strings.TrimPrefix(strings.TrimPrefix(id, "/change/"), "change/")
	ch := c.w.Changes[id]
	if ch == nil {
		return nil, Errorf(http.StatusNotFound, "NoSuchChange", "A change with the specified change ID does not exist.")
	}
	return r53ChangeResult{ChangeInfo: r53ChangeInfoXML(ch, "")}, nil
}
