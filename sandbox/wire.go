package sandbox

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Namespaces each service's responses carry.
const (
	nsEC2     = "http://ec2.amazonaws.com/doc/2016-11-15/"
	nsELBv2   = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
	nsSTS     = "https://sts.amazonaws.com/doc/2011-06-15/"
	nsRoute53 = "https://route53.amazonaws.com/doc/2013-04-01/"
)

// APIError is an AWS error as the wire carries it: HTTP status, code, message.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an APIError with a formatted message.
func Errorf(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Common EC2 errors, with AWS's texts.
func errInvalidParameter(format string, args ...any) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidParameter", format, args...)
}

func errInvalidParameterValue(format string, args ...any) *APIError {
	return Errorf(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

func errMissingParameter(name string) *APIError {
	return Errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s", name)
}

// Params are the decoded form fields of an AWS Query request.
type Params map[string]string

// Get returns one parameter ("" if absent).
func (p Params) Get(name string) string { return p[name] }

// Has reports whether the parameter was sent.
func (p Params) Has(name string) bool { _, ok := p[name]; return ok }

// Bool parses a boolean parameter; ok is false when it was not sent.
func (p Params) Bool(name string) (v, ok bool, err error) {
	s, ok := p[name]
	if !ok {
		return false, false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, true, errInvalidParameterValue("Value (%s) for parameter %s is invalid. Expected: 'true' or 'false'.", s, name)
	}
	return b, true, nil
}

// Int parses an integer parameter; ok is false when it was not sent.
func (p Params) Int(name string) (v int, ok bool, err error) {
	s, ok := p[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true, errInvalidParameterValue("Value (%s) for parameter %s is invalid. Expected an integer.", s, name)
	}
	return n, true, nil
}

// List returns the values of a flattened EC2 list (Name.1, Name.2, ...) or,
// when member is true, of a Query list (Name.member.1, ...), in index order.
func (p Params) List(name string, member bool) []string {
	prefix := name + "."
	if member {
		prefix += "member."
	}
	type iv struct {
		i int
		v string
	}
	var items []iv
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || strings.Contains(rest, ".") {
			continue
		}
		i, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		items = append(items, iv{i, v})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}

// Indexes returns the sorted distinct N of keys shaped prefix.N.anything, for
// lists of structures (Filter.1.Name, TagSpecification.2.Tag.1.Key).
func (p Params) Indexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		head, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(head); err == nil {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// Filter is one EC2 Describe filter.
type Filter struct {
	Name   string
	Values []string
}

// Filters decodes Filter.N.Name / Filter.N.Value.M.
func (p Params) Filters() []Filter {
	var fs []Filter
	for _, i := range p.Indexes("Filter") {
		base := fmt.Sprintf("Filter.%d", i)
		fs = append(fs, Filter{Name: p[base+".Name"], Values: p.List(base+".Value", false)})
	}
	return fs
}

// TagSpecs decodes TagSpecification.N.ResourceType / .Tag.M.Key / .Tag.M.Value
// and returns the tags for the given resource type.
func (p Params) TagSpecs(resourceType string) []Tag {
	var tags []Tag
	for _, i := range p.Indexes("TagSpecification") {
		base := fmt.Sprintf("TagSpecification.%d", i)
		if rt := p[base+".ResourceType"]; rt != "" && rt != resourceType {
			continue
		}
		tags = append(tags, p.tagList(base+".Tag")...)
	}
	return tags
}

// Tags decodes a Tag.N.Key / Tag.N.Value list under prefix (e.g. "Tag").
func (p Params) tagList(prefix string) []Tag {
	var tags []Tag
	for _, i := range p.Indexes(prefix) {
		base := fmt.Sprintf("%s.%d", prefix, i)
		tags = append(tags, Tag{Key: p[base+".Key"], Value: p[base+".Value"]})
	}
	return tags
}

// Tags decodes a top-level Tag.N list (CreateTags).
func (p Params) Tags() []Tag { return p.tagList("Tag") }

// innerXML marshals v and drops its outermost element, so handlers can
// return plain structs and the envelope (name, namespace, request ID) is
// written once per protocol.
func innerXML(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	i := bytes.IndexByte(b, '>')
	j := bytes.LastIndexByte(b, '<')
	if i < 0 || j <= i {
		return nil, nil
	}
	return b[i+1 : j], nil
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeEC2 writes an EC2 query response: lowerCamel fields, requestId first.
func writeEC2(w http.ResponseWriter, action, requestID string, body any) error {
	inner, err := innerXML(body)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%sResponse xmlns=%q><requestId>%s</requestId>", action, nsEC2, requestID)
	b.Write(inner)
	fmt.Fprintf(&b, "</%sResponse>", action)
	return writeXML(w, http.StatusOK, b.Bytes())
}

// writeQuery writes an AWS Query response (ELBv2, STS): the result wrapped in
// <ActionResult>, then ResponseMetadata.
func writeQuery(w http.ResponseWriter, ns, action, requestID string, body any) error {
	inner, err := innerXML(body)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%sResponse xmlns=%q><%sResult>", action, ns, action)
	b.Write(inner)
	fmt.Fprintf(&b, "</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", action, requestID, action)
	return writeXML(w, http.StatusOK, b.Bytes())
}

// writeRoute53 writes a REST-XML response whose root element is root.
func writeRoute53(w http.ResponseWriter, status int, root string, body any) error {
	inner, err := innerXML(body)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%s xmlns=%q>", root, nsRoute53)
	b.Write(inner)
	fmt.Fprintf(&b, "</%s>", root)
	return writeXML(w, status, b.Bytes())
}

// writeError writes e in the error shape of the service's protocol.
func writeError(w http.ResponseWriter, service, requestID string, e *APIError) {
	if service == sqsJSONWire {
		writeSQSJSONError(w, requestID, e)
		return
	}
	if isJSONService(service) {
		writeJSONError(w, e)
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	switch service {
	case "ec2":
		fmt.Fprintf(&b, "<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>",
			xmlEscape(e.Code), xmlEscape(e.Message), requestID)
	default:
		ns := map[string]string{"elasticloadbalancing": nsELBv2, "sts": nsSTS, "route53": nsRoute53, "sns": nsSNS, sqsQueryWire: nsSQS}[service]
		typ := "Sender"
		if e.Status >= 500 {
			typ = "Receiver"
		}
		fmt.Fprintf(&b, "<ErrorResponse xmlns=%q><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>",
			ns, typ, xmlEscape(e.Code), xmlEscape(e.Message), requestID)
	}
	_ = writeXML(w, e.Status, b.Bytes())
}

func writeXML(w http.ResponseWriter, status int, body []byte) error {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}
