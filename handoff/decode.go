package handoff

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Decode reads a bundle in either encoding, telling them apart by their
// first character: "{" is the JSON file, anything else must be a token.
// What a chat client or a copy does to a bundle is undone first, as Clean
// does.
//
// now is the reader's clock (see Offer.Validate). Every problem found is
// returned in one *ValidationError.
func Decode(data []byte, now time.Time) (Bundle, error) {
	var d decoding
	kind, b := d.decode(data, now)
	if err := d.ps.err(kind); err != nil {
		return nil, err
	}
	return b, nil
}

// DecodeOffer is Decode for a caller that expects an offer: a request is an
// error that says so.
func DecodeOffer(data []byte, now time.Time) (Offer, error) {
	b, err := decodeKind(data, now, KindOffer)
	if err != nil {
		return Offer{}, err
	}
	return b.(Offer), nil
}

// DecodeRequest is Decode for a caller that expects a request.
func DecodeRequest(data []byte, now time.Time) (Request, error) {
	b, err := decodeKind(data, now, KindRequest)
	if err != nil {
		return Request{}, err
	}
	return b.(Request), nil
}

func decodeKind(data []byte, now time.Time, want Kind) (Bundle, error) {
	b, err := Decode(data, now)
	if err != nil {
		return nil, err
	}
	if b.Kind() != want {
		return nil, &ValidationError{Kind: b.Kind(), Problems: []Problem{{
			Field:    "kind",
			Expected: article(want),
			Found:    article(b.Kind()),
		}}}
	}
	return b, nil
}

func article(k Kind) string {
	if k == KindOffer {
		return "an offer"
	}
	return "a request"
}

// decoding is one pass over an input: the problems found, and for Inspect
// what the input turned out to be and its JSON.
type decoding struct {
	ps       problems
	encoding Encoding
	root     *node
}

// decode returns the kind of bundle the input is (or claims to be), for the
// error's prefix, and the bundle when there were no problems.
func (d *decoding) decode(data []byte, now time.Time) (Kind, Bundle) {
	ps := &d.ps
	if len(data) > MaxSize {
		ps.add("", fmt.Sprintf("at most %d bytes", MaxSize), fmt.Sprintf("%d bytes", len(data)))
		return "", nil
	}
	s, f := clean(string(data), ps)
	switch f {
	case formJSON:
		d.encoding = EncodingJSON
	case formToken:
		d.encoding = EncodingToken
	}
	if len(ps.list) > 0 {
		return tokenKindOf(s), nil
	}
	switch {
	case f == formJSON:
		return d.decodeJSON([]byte(s), "", now)
	case s == "":
		ps.add("", expBundle, "nothing")
		return "", nil
	case f == formOther && hasControl(s):
		ps.add("", expBundle, quote(s)+" ("+DescribeControl(s)+")")
		return "", nil
	case f == formOther:
		ps.add("", expBundle, quote(s))
		return "", nil
	}
	tokenKind, js := decodeToken(s, ps)
	if js == nil {
		return tokenKind, nil
	}
	if !utf8.Valid(js) {
		ps.add("token", "UTF-8 JSON inside the token", fmt.Sprintf("invalid UTF-8 at byte %d", invalidUTF8At(js)))
		return tokenKind, nil
	}
	return d.decodeJSON(js, tokenKind, now)
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// Hints shared by several problems.
const (
	hintCopyAgain = "Copy the whole token again, from " + TokenPrefix + " to its last character: the copy was cut or changed on the way " +
		"(a chat client may shorten long lines, or turn - into a dash)."
	hintUpgrade = "The other party's plwiz is newer than this one: upgrade this plwiz (plwiz version says which you have)."
)

const expBundle = "a plwiz offer or request: a JSON file (starting with {) or a token starting with " + TokenPrefix

// decodeToken checks a cleaned token's prefix and returns the kind it names
// and the JSON it carries, or nil JSON after reporting why there is none.
func decodeToken(s string, ps *problems) (Kind, []byte) {
	if len(s) < len(TokenPrefix) || !strings.EqualFold(s[:len(TokenPrefix)], TokenPrefix) {
		if v, ok := tokenVersion(s); ok {
			ps.add("token", "a plwiz1 token (this plwiz reads format 1; was it made by a newer plwiz?)", quote(v+"..."))
			ps.hint(hintUpgrade)
			return "", nil
		}
		ps.add("token", TokenPrefix+"offer.<data> or "+TokenPrefix+"request.<data>", quote(s))
		return "", nil
	}
	kindPart, data, _ := strings.Cut(s[len(TokenPrefix):], ".")
	var kind Kind
	switch {
	case strings.EqualFold(kindPart, string(KindOffer)):
		kind = KindOffer
	case strings.EqualFold(kindPart, string(KindRequest)):
		kind = KindRequest
	default:
		ps.add("token", TokenPrefix+"offer.<data> or "+TokenPrefix+"request.<data>", quote(s))
		return "", nil
	}
	prefix := TokenPrefix + string(kind) + "."
	if data == "" {
		ps.add("token", "base64url data after "+prefix, "nothing")
		return kind, nil
	}
	js, err := base64.RawURLEncoding.Strict().DecodeString(data)
	if err != nil {
		found := "data cut short or changed (was the token copied whole?)"
		var bad base64.CorruptInputError
		if errors.As(err, &bad) && int(bad) < len(data) && !isBase64URL(data[bad]) {
			// Every byte before the bad one is ASCII, so it starts a rune.
			r, _ := utf8.DecodeRuneInString(data[bad:])
			found = fmt.Sprintf("%s at character %d of the data", quoteRune(r), int(bad)+1)
		}
		ps.add("token", "base64url data (A-Z a-z 0-9 - _, no padding) after "+prefix, found)
		ps.hint(hintCopyAgain)
		return kind, nil
	}
	return kind, js
}

// tokenKindOf is the kind a token's prefix names, or "".
func tokenKindOf(s string) Kind {
	kindPart, _, _ := strings.Cut(strings.TrimPrefix(strings.ToLower(s), TokenPrefix), ".")
	if k := Kind(kindPart); hasTokenPrefix(s) && (k == KindOffer || k == KindRequest) {
		return k
	}
	return ""
}

func isBase64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// tokenVersion returns the "plwizN." a token of another format version
// starts with.
func tokenVersion(s string) (string, bool) {
	i := len("plwiz")
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i >= len(s) || s[i] != '.' || strings.EqualFold(s[:i+1], TokenPrefix) {
		return "", false
	}
	return s[:i+1], true
}

// decodeJSON reads a bundle from JSON. tokenKind is the kind a token's
// prefix named, or "" for a file; the JSON's own kind must agree with it.
func (d *decoding) decodeJSON(js []byte, tokenKind Kind, now time.Time) (Kind, Bundle) {
	ps := &d.ps
	root := parseTree(js, tokenKind != "", ps)
	d.root = root
	if root == nil {
		return tokenKind, nil
	}
	if root.typ != nObject {
		ps.add("", "a JSON object", root.describe())
		return tokenKind, nil
	}
	r := newObjReader(ps, "", root)
	kind, ok := readKind(r, tokenKind)
	if !ok {
		return tokenKind, nil
	}
	if v := r.get("version", true, strconv.Itoa(Version)); v != nil {
		n, ok := ps.intNode("version", v)
		if ok && n != Version {
			// Another version's fields are unknown here: listing them as
			// problems would only confuse.
			ps.add("version", fmt.Sprintf("%d (this plwiz reads format version %d only)", Version, Version), strconv.Itoa(n))
			ps.hint(hintUpgrade)
			return kind, nil
		}
	}
	var b Bundle
	switch kind {
	case KindOffer:
		o := readOffer(r)
		o.check(ps, now)
		b = o
	default:
		q := readRequest(r)
		q.check(ps, now)
		b = q
	}
	if len(ps.list) > 0 {
		return kind, nil
	}
	return kind, b
}

func readKind(r *objReader, tokenKind Kind) (Kind, bool) {
	expected := `"offer" or "request"`
	if tokenKind != "" {
		expected = fmt.Sprintf("%q, as the token's %s%s. prefix says", tokenKind, TokenPrefix, tokenKind)
	}
	v := r.get("kind", true, expected)
	if v == nil {
		return "", false
	}
	if v.typ != nString {
		r.ps.add("kind", expected, v.describe())
		return "", false
	}
	kind := Kind(v.text)
	if kind != KindOffer && kind != KindRequest || tokenKind != "" && kind != tokenKind {
		r.ps.add("kind", expected, quote(v.text))
		return "", false
	}
	return kind, true
}

func readOffer(r *objReader) Offer {
	ps := r.ps
	o := Offer{
		ServiceName:       r.str("serviceName", true, expServiceName),
		ServiceID:         r.str("serviceId", true, expServiceID),
		Region:            r.str("region", true, expRegion),
		SupportedRegions:  r.strList("supportedRegions", true, "regions"),
		ProviderAccountID: r.str("providerAccountId", true, expAccount),
	}
	if elems := r.list("availabilityZones", true, "availability zones"); elems != nil {
		o.AvailabilityZones = make([]AZ, len(elems))
		for i, e := range elems {
			f := indexField("availabilityZones", i)
			if e.typ != nObject {
				ps.add(f, "an object with azId and azName", e.describe())
				continue
			}
			ar := newObjReader(ps, f, e)
			o.AvailabilityZones[i] = AZ{
				ID:   ar.str("azId", true, expAZID),
				Name: ar.str("azName", false, ""),
			}
			ar.finish("an availability zone (azId, azName)")
		}
	}
	if elems := r.list("ports", true, "ports"); elems != nil {
		o.Ports = make([]int, len(elems))
		for i, e := range elems {
			o.Ports[i], _ = ps.intNode(indexField("ports", i), e)
		}
	}
	o.PrivateDNSName = r.str("privateDnsName", false, "")
	o.PrivateDNSState = DNSState(r.str("privateDnsState", false, ""))
	if types := r.strList("ipAddressTypes", true, "IP address types"); types != nil {
		o.IPAddressTypes = make([]IPAddressType, len(types))
		for i, t := range types {
			o.IPAddressTypes[i] = IPAddressType(t)
		}
	}
	o.AcceptanceRequired = r.boolean("acceptanceRequired")
	o.CreatedAt = readTime(r, "createdAt")
	r.finish("a version 1 offer")
	return o
}

func readRequest(r *objReader) Request {
	q := Request{
		ServiceID:         r.str("serviceId", true, expServiceID),
		ConsumerAccountID: r.str("consumerAccountId", true, expAccount),
		PrincipalARN:      r.str("principalArn", true, expARN),
		EndpointIDs:       r.strList("endpointIds", true, "endpoint IDs"),
		ConsumerRegion:    r.str("consumerRegion", true, expRegion),
		AZIDs:             r.strList("azIds", true, "AZ IDs"),
		ConsumerVPCCIDRs:  r.strList("consumerVpcCidrs", false, "CIDR blocks"),
		CreatedAt:         readTime(r, "createdAt"),
	}
	r.finish("a version 1 request")
	return q
}

// readTime reads an RFC 3339 time; it is kept in UTC so a decoded bundle
// compares equal to one decoded from its re-encoding.
func readTime(r *objReader, key string) time.Time {
	s := r.str(key, true, expTime)
	if s == "" {
		if !r.ps.isBad(key) {
			r.ps.add(key, expTime, `""`)
		}
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		r.ps.add(key, expTime, quote(s))
		return time.Time{}
	}
	return t.UTC()
}
